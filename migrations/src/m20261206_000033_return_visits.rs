//! Return visits: which occasions (a ticket resolved, an order delivered) were followed by a
//! visit, and by which task or ticket, so that each occasion is followed once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReturnVisits {
    Table,
    Id,
    Occasion,
    RecordId,
    OccasionAt,
    Form,
    MadeId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReturnVisits::Table)
                    .col(pk_uuid(ReturnVisits::Id))
                    .col(string_len(ReturnVisits::Occasion, 16))
                    .col(uuid(ReturnVisits::RecordId))
                    .col(timestamp_with_time_zone(ReturnVisits::OccasionAt))
                    .col(string_len(ReturnVisits::Form, 8))
                    .col(uuid(ReturnVisits::MadeId))
                    .col(timestamp_with_time_zone(ReturnVisits::CreatedAt))
                    .check(
                        Expr::col(ReturnVisits::Occasion)
                            .is_in(["ticket_resolved", "order_delivered"]),
                    )
                    .check(Expr::col(ReturnVisits::Form).is_in(["task", "ticket"]))
                    .to_owned(),
            )
            .await?;
        // One visit per occasion: a ticket resolved (again, after a reopening, is another), an
        // order delivered.
        manager
            .create_index(
                Index::create()
                    .name("return_visits_occasion")
                    .table(ReturnVisits::Table)
                    .col(ReturnVisits::Occasion)
                    .col(ReturnVisits::RecordId)
                    .col(ReturnVisits::OccasionAt)
                    .unique()
                    .to_owned(),
            )
            .await
    }
}
