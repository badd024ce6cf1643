//! Sales pipelines with their ordered stages, deals moving through them, and each deal's stage
//! history (one row per stay in a stage).

use sea_orm_migration::{prelude::*, schema::*};

use crate::{execute_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Pipelines {
    Table,
    Id,
    Name,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum PipelineStages {
    Table,
    Id,
    PipelineId,
    Name,
    Probability,
    Position,
}

#[derive(DeriveIden)]
enum Deals {
    Table,
    Id,
    Name,
    CustomerId,
    PipelineId,
    StageId,
    Amount,
    Currency,
    ExpectedCloseDate,
    OwnerId,
    Status,
    LostReason,
    ClosedAt,
    StageEnteredAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum DealStageStays {
    Table,
    Id,
    DealId,
    StageId,
    EnteredAt,
    LeftAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
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
                    .table(Pipelines::Table)
                    .col(pk_uuid(Pipelines::Id))
                    .col(string_len(Pipelines::Name, 100))
                    .col(timestamp_with_time_zone(Pipelines::CreatedAt))
                    .col(timestamp_with_time_zone(Pipelines::UpdatedAt))
                    .col(big_integer(Pipelines::Version))
                    .to_owned(),
            )
            .await?;
        execute_all(
            manager,
            &["CREATE UNIQUE INDEX pipelines_name_unique ON pipelines (lower(name))"],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(PipelineStages::Table)
                    .col(pk_uuid(PipelineStages::Id))
                    .col(uuid(PipelineStages::PipelineId))
                    .col(string_len(PipelineStages::Name, 100))
                    .col(small_integer(PipelineStages::Probability))
                    .col(small_integer(PipelineStages::Position))
                    .check(Expr::col(PipelineStages::Probability).between(0, 100))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PipelineStages::Table, PipelineStages::PipelineId)
                            .to(Pipelines::Table, Pipelines::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                PipelineStages::Table,
                "pipeline_stages_pipeline",
                &["pipeline_id", "position"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Deals::Table)
                    .col(pk_uuid(Deals::Id))
                    .col(string_len(Deals::Name, 200))
                    .col(uuid(Deals::CustomerId))
                    .col(uuid(Deals::PipelineId))
                    .col(uuid(Deals::StageId))
                    .col(big_integer(Deals::Amount))
                    .col(string_len(Deals::Currency, 3))
                    .col(date_null(Deals::ExpectedCloseDate))
                    .col(uuid_null(Deals::OwnerId))
                    .col(string_len(Deals::Status, 8))
                    .col(text_null(Deals::LostReason))
                    .col(timestamp_with_time_zone_null(Deals::ClosedAt))
                    .col(timestamp_with_time_zone(Deals::StageEnteredAt))
                    .col(timestamp_with_time_zone(Deals::CreatedAt))
                    .col(timestamp_with_time_zone(Deals::UpdatedAt))
                    .col(big_integer(Deals::Version))
                    .check(Expr::col(Deals::Status).is_in(["open", "won", "lost"]))
                    .check(Expr::col(Deals::Amount).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Deals::Table, Deals::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Deals::Table, Deals::PipelineId)
                            .to(Pipelines::Table, Pipelines::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Deals::Table, Deals::StageId)
                            .to(PipelineStages::Table, PipelineStages::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Deals::Table, Deals::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("deals_created_at", &["created_at", "id"][..]),
            ("deals_updated_at", &["updated_at", "id"]),
            ("deals_amount", &["amount", "id"]),
            ("deals_customer", &["customer_id", "created_at", "id"]),
            ("deals_owner", &["owner_id", "created_at", "id"]),
            (
                "deals_pipeline_stage",
                &["pipeline_id", "status", "stage_id"],
            ),
            ("deals_stage", &["stage_id"]),
        ] {
            manager
                .create_index(index(Deals::Table, name, columns))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(DealStageStays::Table)
                    .col(pk_uuid(DealStageStays::Id))
                    .col(uuid(DealStageStays::DealId))
                    .col(uuid(DealStageStays::StageId))
                    .col(timestamp_with_time_zone(DealStageStays::EnteredAt))
                    .col(timestamp_with_time_zone_null(DealStageStays::LeftAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DealStageStays::Table, DealStageStays::DealId)
                            .to(Deals::Table, Deals::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(DealStageStays::Table, DealStageStays::StageId)
                            .to(PipelineStages::Table, PipelineStages::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                DealStageStays::Table,
                "deal_stage_stays_deal",
                &["deal_id", "entered_at", "id"],
            ))
            .await?;
        // One open stay per deal: a move closes one and opens the next in one transaction.
        execute_all(
            manager,
            &["CREATE UNIQUE INDEX deal_stage_stays_current ON deal_stage_stays (deal_id) WHERE left_at IS NULL"],
        )
        .await
    }
}
