//! Custom fields on products and orders: a `custom_fields` object on each, and definitions that
//! may belong to either. SQLite cannot change a table's CHECK constraint in place, so there the
//! definitions table is rebuilt with the wider one (same columns, rows copied as they are), in
//! one transaction.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::execute_all;

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

#[derive(DeriveIden)]
enum CustomFieldDefinitions {
    Id,
    Owner,
    Key,
    Label,
    FieldType,
    Options,
    Required,
    Description,
    CreatedAt,
    UpdatedAt,
    Version,
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
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                execute_all(
                    manager,
                    &[
                        "DROP INDEX custom_field_definitions_owner_key",
                        "ALTER TABLE custom_field_definitions \
                         RENAME TO custom_field_definitions_before",
                    ],
                )
                .await?;
                manager
                    .create_table(definitions_table("custom_field_definitions"))
                    .await?;
                execute_all(
                    manager,
                    &[
                        "INSERT INTO custom_field_definitions SELECT id, owner, key, label, \
                         field_type, options, required, description, created_at, updated_at, \
                         version FROM custom_field_definitions_before",
                        "DROP TABLE custom_field_definitions_before",
                        "CREATE UNIQUE INDEX custom_field_definitions_owner_key \
                         ON custom_field_definitions (owner, key)",
                    ],
                )
                .await
            }
            _ => {
                let owners = OWNERS.map(|o| format!("'{o}'")).join(", ");
                let widened = format!(
                    "ALTER TABLE custom_field_definitions \
                     ADD CONSTRAINT custom_field_definitions_owner_check CHECK (owner IN ({owners}))"
                );
                execute_all(
                    manager,
                    &[
                        "ALTER TABLE custom_field_definitions \
                         DROP CONSTRAINT custom_field_definitions_owner_check",
                        &widened,
                    ],
                )
                .await
            }
        }
    }
}

/// The definitions table as migration 000004 made it, with every owner of [`OWNERS`].
fn definitions_table(name: &str) -> TableCreateStatement {
    Table::create()
        .table(Alias::new(name))
        .col(pk_uuid(CustomFieldDefinitions::Id))
        .col(string_len(CustomFieldDefinitions::Owner, 16))
        .col(string_len(CustomFieldDefinitions::Key, 64))
        .col(string_len(CustomFieldDefinitions::Label, 100))
        .col(string_len(CustomFieldDefinitions::FieldType, 16))
        .col(json(CustomFieldDefinitions::Options))
        .col(boolean(CustomFieldDefinitions::Required))
        .col(text_null(CustomFieldDefinitions::Description))
        .col(timestamp_with_time_zone(CustomFieldDefinitions::CreatedAt))
        .col(timestamp_with_time_zone(CustomFieldDefinitions::UpdatedAt))
        .col(big_integer(CustomFieldDefinitions::Version))
        .check(Expr::col(CustomFieldDefinitions::Owner).is_in(OWNERS))
        .check(Expr::col(CustomFieldDefinitions::FieldType).is_in([
            "text",
            "number",
            "boolean",
            "date",
            "enum",
            "multi_enum",
        ]))
        .to_owned()
}
