//! Which kinds of record a custom field definition may belong to: the CHECK on
//! `custom_field_definitions.owner`, widened each time another kind gains custom fields.
//! SQLite cannot change a table's CHECK constraint in place, so there the definitions table is
//! rebuilt with the wider one (same columns, rows copied as they are); the calling migration runs
//! it in one transaction.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::execute_all;

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

/// Lets definitions belong to each of `owners` (every kind, the earlier ones included).
pub(crate) async fn allow(manager: &SchemaManager<'_>, owners: &[&str]) -> Result<(), DbErr> {
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
            manager.create_table(definitions_table(owners)).await?;
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
            let listed = owners
                .iter()
                .map(|o| format!("'{o}'"))
                .collect::<Vec<_>>()
                .join(", ");
            let widened = format!(
                "ALTER TABLE custom_field_definitions \
                 ADD CONSTRAINT custom_field_definitions_owner_check CHECK (owner IN ({listed}))"
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

/// The definitions table as migration 000004 made it, with every one of `owners`.
fn definitions_table(owners: &[&str]) -> TableCreateStatement {
    Table::create()
        .table(Alias::new("custom_field_definitions"))
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
        .check(Expr::col(CustomFieldDefinitions::Owner).is_in(owners.iter().copied()))
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
