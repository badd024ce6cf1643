//! Privacy: every marketing-consent decision with its time and channel, and when a customer was
//! anonymised.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConsentRecords {
    Table,
    Id,
    CustomerId,
    OptedIn,
    Channel,
    OccurredAt,
    RecordedAt,
    ActorType,
    ActorId,
    RequestId,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    AnonymisedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConsentRecords::Table)
                    .col(pk_uuid(ConsentRecords::Id))
                    .col(uuid(ConsentRecords::CustomerId))
                    .col(boolean(ConsentRecords::OptedIn))
                    .col(string_len(ConsentRecords::Channel, 50))
                    .col(timestamp_with_time_zone(ConsentRecords::OccurredAt))
                    .col(timestamp_with_time_zone(ConsentRecords::RecordedAt))
                    .col(string_len(ConsentRecords::ActorType, 16))
                    .col(uuid_null(ConsentRecords::ActorId))
                    .col(string_len(ConsentRecords::RequestId, 100))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConsentRecords::Table, ConsentRecords::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                ConsentRecords::Table,
                "consent_records_customer_occurred_at",
                &["customer_id", "occurred_at", "id"],
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(timestamp_with_time_zone_null(Customers::AnonymisedAt))
                    .to_owned(),
            )
            .await
    }
}
