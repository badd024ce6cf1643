//! Customers, their tags and their contacts, with an index behind every documented filter and sort.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::{execute_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    Kind,
    Name,
    Email,
    Phone,
    Gender,
    Birthday,
    AddressCountry,
    AddressProvince,
    AddressCity,
    AddressDistrict,
    AddressStreet,
    AddressPostalCode,
    Source,
    LifecycleStage,
    Tags,
    OwnerId,
    ExternalId,
    ConsentOptedIn,
    ConsentChannel,
    ConsentUpdatedAt,
    Notes,
    CustomFields,
    SearchText,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum CustomerTags {
    Table,
    CustomerId,
    Tag,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    CustomerId,
    Name,
    Title,
    Email,
    Phone,
    IsPrimary,
    Notes,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(pk_uuid(Customers::Id))
                    .col(string_len(Customers::Kind, 16))
                    .col(string_len(Customers::Name, 200))
                    .col(string_len_null(Customers::Email, 254))
                    .col(string_len_null(Customers::Phone, 32))
                    .col(string_len_null(Customers::Gender, 16))
                    .col(date_null(Customers::Birthday))
                    .col(string_len_null(Customers::AddressCountry, 200))
                    .col(string_len_null(Customers::AddressProvince, 200))
                    .col(string_len_null(Customers::AddressCity, 200))
                    .col(string_len_null(Customers::AddressDistrict, 200))
                    .col(string_len_null(Customers::AddressStreet, 200))
                    .col(string_len_null(Customers::AddressPostalCode, 200))
                    .col(string_len_null(Customers::Source, 100))
                    .col(string_len(Customers::LifecycleStage, 16))
                    .col(json(Customers::Tags))
                    .col(uuid_null(Customers::OwnerId))
                    .col(string_len_null(Customers::ExternalId, 200))
                    .col(boolean(Customers::ConsentOptedIn))
                    .col(string_len_null(Customers::ConsentChannel, 50))
                    .col(timestamp_with_time_zone_null(Customers::ConsentUpdatedAt))
                    .col(text_null(Customers::Notes))
                    .col(json(Customers::CustomFields))
                    .col(text(Customers::SearchText))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .col(timestamp_with_time_zone(Customers::UpdatedAt))
                    .col(big_integer(Customers::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Customers::Table, Customers::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("customers_created_at", &["created_at", "id"][..]),
            ("customers_updated_at", &["updated_at", "id"]),
            ("customers_name", &["name", "id"]),
            (
                "customers_owner_created_at",
                &["owner_id", "created_at", "id"],
            ),
            (
                "customers_stage_created_at",
                &["lifecycle_stage", "created_at", "id"],
            ),
            ("customers_kind_created_at", &["kind", "created_at", "id"]),
        ] {
            manager
                .create_index(index(Customers::Table, name, columns))
                .await?;
        }
        execute_all(
            manager,
            &[
                "CREATE UNIQUE INDEX customers_email_unique ON customers (email)",
                "CREATE UNIQUE INDEX customers_phone_unique ON customers (phone)",
                "CREATE UNIQUE INDEX customers_external_id_unique ON customers (COALESCE(source, ''), external_id)",
            ],
        )
        .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            // Free-text search (`q`) uses a trigram index where the pg_trgm extension can be created;
            // without it the same query stays correct and scans.
            execute_all(
                manager,
                &[
                    "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; \
                     EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'pg_trgm is not available'; END $$",
                    "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN \
                     CREATE INDEX customers_search_text_trgm ON customers USING gin (search_text gin_trgm_ops); \
                     END IF; END $$",
                ],
            )
            .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(CustomerTags::Table)
                    .col(string_len(CustomerTags::Tag, 50))
                    .col(uuid(CustomerTags::CustomerId))
                    .primary_key(
                        Index::create()
                            .col(CustomerTags::Tag)
                            .col(CustomerTags::CustomerId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CustomerTags::Table, CustomerTags::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                CustomerTags::Table,
                "customer_tags_customer_id",
                &["customer_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .col(pk_uuid(Contacts::Id))
                    .col(uuid(Contacts::CustomerId))
                    .col(string_len(Contacts::Name, 200))
                    .col(string_len_null(Contacts::Title, 100))
                    .col(string_len_null(Contacts::Email, 254))
                    .col(string_len_null(Contacts::Phone, 32))
                    .col(boolean(Contacts::IsPrimary))
                    .col(text_null(Contacts::Notes))
                    .col(timestamp_with_time_zone(Contacts::CreatedAt))
                    .col(timestamp_with_time_zone(Contacts::UpdatedAt))
                    .col(big_integer(Contacts::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Contacts::Table, Contacts::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Contacts::Table,
                "contacts_customer_created_at",
                &["customer_id", "created_at", "id"],
            ))
            .await?;
        execute_all(
            manager,
            &["CREATE UNIQUE INDEX contacts_one_primary ON contacts (customer_id) WHERE is_primary"],
        )
        .await
    }
}
