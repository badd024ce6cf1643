//! Finding duplicates: each customer's name reduced to what tells it apart, indexed, and an index
//! on the external id alone (the unique index leads with the source). Existing rows get their
//! key at start-up, with their folded text, which is cleared here for that reason.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{execute_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    NameKey,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(string_len_null(Customers::NameKey, 200))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("customers_name_key", &["name_key", "id"][..]),
            ("customers_external_id", &["external_id"]),
        ] {
            manager
                .create_index(index(Customers::Table, name, columns))
                .await?;
        }
        execute_all(manager, &["UPDATE customers SET folded = NULL"]).await
    }
}
