//! Imports: jobs that load customers from an uploaded file, claimed by any node's worker, the
//! file itself in chunks (so no node needs a shared disk), and the rows each job refused.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ImportJobs {
    Table,
    Id,
    ResourceType,
    Format,
    Mode,
    Mapping,
    Status,
    FileBytes,
    ProcessedRows,
    CreatedRows,
    FailedRows,
    TotalRows,
    Attempts,
    Error,
    ClaimedBy,
    LeaseUntil,
    OwnerId,
    Scope,
    ActorType,
    ActorId,
    RequestId,
    StartedAt,
    FinishedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum ImportChunks {
    Table,
    ImportId,
    Seq,
    Data,
}

#[derive(DeriveIden)]
enum ImportErrors {
    Table,
    Id,
    ImportId,
    Row,
    Field,
    Code,
    Message,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ImportJobs::Table)
                    .col(pk_uuid(ImportJobs::Id))
                    .col(string_len(ImportJobs::ResourceType, 16))
                    .col(string_len(ImportJobs::Format, 16))
                    .col(string_len(ImportJobs::Mode, 16))
                    .col(json(ImportJobs::Mapping))
                    .col(string_len(ImportJobs::Status, 16))
                    .col(big_integer(ImportJobs::FileBytes))
                    .col(big_integer(ImportJobs::ProcessedRows))
                    .col(big_integer(ImportJobs::CreatedRows))
                    .col(big_integer(ImportJobs::FailedRows))
                    .col(big_integer_null(ImportJobs::TotalRows))
                    .col(integer(ImportJobs::Attempts))
                    .col(text_null(ImportJobs::Error))
                    .col(string_len_null(ImportJobs::ClaimedBy, 64))
                    .col(timestamp_with_time_zone_null(ImportJobs::LeaseUntil))
                    .col(uuid(ImportJobs::OwnerId))
                    .col(string_len(ImportJobs::Scope, 8))
                    .col(string_len(ImportJobs::ActorType, 16))
                    .col(uuid_null(ImportJobs::ActorId))
                    .col(string_len(ImportJobs::RequestId, 100))
                    .col(timestamp_with_time_zone_null(ImportJobs::StartedAt))
                    .col(timestamp_with_time_zone_null(ImportJobs::FinishedAt))
                    .col(timestamp_with_time_zone(ImportJobs::CreatedAt))
                    .col(timestamp_with_time_zone(ImportJobs::UpdatedAt))
                    .col(big_integer(ImportJobs::Version))
                    .check(Expr::col(ImportJobs::Status).is_in([
                        "awaiting_file",
                        "queued",
                        "running",
                        "completed",
                        "failed",
                    ]))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("import_jobs_created_at", &["created_at", "id"][..]),
            (
                "import_jobs_owner_created_at",
                &["owner_id", "created_at", "id"],
            ),
            ("import_jobs_status", &["status", "created_at"]),
        ] {
            manager
                .create_index(index(ImportJobs::Table, name, columns))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ImportChunks::Table)
                    .col(uuid(ImportChunks::ImportId))
                    .col(integer(ImportChunks::Seq))
                    .col(blob(ImportChunks::Data))
                    .primary_key(
                        Index::create()
                            .col(ImportChunks::ImportId)
                            .col(ImportChunks::Seq),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportChunks::Table, ImportChunks::ImportId)
                            .to(ImportJobs::Table, ImportJobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportErrors::Table)
                    .col(pk_uuid(ImportErrors::Id))
                    .col(uuid(ImportErrors::ImportId))
                    .col(big_integer(ImportErrors::Row))
                    .col(string_len(ImportErrors::Field, 200))
                    .col(string_len(ImportErrors::Code, 64))
                    .col(text(ImportErrors::Message))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportErrors::Table, ImportErrors::ImportId)
                            .to(ImportJobs::Table, ImportJobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                ImportErrors::Table,
                "import_errors_import_row",
                &["import_id", "row", "id"],
            ))
            .await
    }
}
