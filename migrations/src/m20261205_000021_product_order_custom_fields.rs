//! Custom fields on products and orders: a `custom_fields` object on each, and definitions that
//! may belong to either (see `custom_field_owners`), in one transaction.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    CustomFields,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    CustomFields,
}

/// The kinds of record a definition may belong to, from now on.
const OWNERS: [&str; 4] = ["customer", "contact", "product", "order"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on SQLite too: the table is rebuilt on one connection, and a failure
    /// leaves the schema as it was.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(json(Products::CustomFields).default("{}"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(json(Orders::CustomFields).default("{}"))
                    .to_owned(),
            )
            .await?;
        crate::custom_field_owners::allow(manager, &OWNERS).await
    }
}
