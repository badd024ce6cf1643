//! The workspace's own fields: one definition per (kind of record, key), and a place on contacts
//! for their values, as customers already have.

use sea_orm_migration::{prelude::*, schema::*};

use crate::execute_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomFieldDefinitions {
    Table,
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

#[derive(DeriveIden)]
enum Contacts {
    Table,
    CustomFields,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CustomFieldDefinitions::Table)
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
                    .check(Expr::col(CustomFieldDefinitions::Owner).is_in(["customer", "contact"]))
                    .check(Expr::col(CustomFieldDefinitions::FieldType).is_in([
                        "text",
                        "number",
                        "boolean",
                        "date",
                        "enum",
                        "multi_enum",
                    ]))
                    .to_owned(),
            )
            .await?;
        execute_all(
            manager,
            &["CREATE UNIQUE INDEX custom_field_definitions_owner_key \
               ON custom_field_definitions (owner, key)"],
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Contacts::Table)
                    .add_column(json(Contacts::CustomFields).default("{}"))
                    .to_owned(),
            )
            .await
    }
}
