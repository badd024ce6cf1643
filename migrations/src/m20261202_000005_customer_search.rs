//! Customer search: the lower-cased text that case-insensitive filters compare with, kept on the
//! row, and indexes behind the address filters people use most.
//!
//! `folded` starts null on existing rows; the application fills it at start-up (the partial index
//! finds the rows still to do), since only it knows how a customer's text is folded.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{execute_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    Folded,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(json_null(Customers::Folded))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "customers_city_created_at",
                &["address_city", "created_at", "id"][..],
            ),
            (
                "customers_province_created_at",
                &["address_province", "created_at", "id"],
            ),
        ] {
            manager
                .create_index(index(Customers::Table, name, columns))
                .await?;
        }
        execute_all(
            manager,
            &["CREATE INDEX customers_folded_missing ON customers (id) WHERE folded IS NULL"],
        )
        .await
    }
}
