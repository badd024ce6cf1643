//! One jobs table for every node's background and timed work. Imports hand their claims to it:
//! an import waiting for a worker gets a job here, and its own claim columns go. An import's
//! file can be forgotten after its retention, which its record remembers.

use sea_orm_migration::sea_orm::{ConnectionTrait, Value as SqlValue};
use sea_orm_migration::{prelude::*, schema::*};

use crate::{execute_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Key,
    Payload,
    Status,
    RunAt,
    Attempts,
    MaxAttempts,
    ClaimedBy,
    LeaseUntil,
    LastError,
    Result,
    StartedAt,
    FinishedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ImportJobs {
    Table,
    Id,
    Status,
    FilePurgedAt,
}

/// The times an import is taken up before it fails, as before.
const IMPORT_ATTEMPTS: i32 = 3;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(pk_uuid(Jobs::Id))
                    .col(string_len(Jobs::Kind, 32))
                    .col(string_len_null(Jobs::Key, 200))
                    .col(json(Jobs::Payload))
                    .col(string_len(Jobs::Status, 16))
                    .col(timestamp_with_time_zone(Jobs::RunAt))
                    .col(integer(Jobs::Attempts))
                    .col(integer(Jobs::MaxAttempts))
                    .col(string_len_null(Jobs::ClaimedBy, 64))
                    .col(timestamp_with_time_zone_null(Jobs::LeaseUntil))
                    .col(text_null(Jobs::LastError))
                    .col(json_null(Jobs::Result))
                    .col(timestamp_with_time_zone_null(Jobs::StartedAt))
                    .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                    .check(Expr::col(Jobs::Status).is_in([
                        "queued",
                        "running",
                        "succeeded",
                        "failed",
                    ]))
                    .check(Expr::col(Jobs::Attempts).gte(0))
                    .check(Expr::col(Jobs::MaxAttempts).gt(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("jobs_key")
                    .table(Jobs::Table)
                    .col(Jobs::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            // What a node looks for: the next queued job due, or a running one whose lease ran
            // out.
            ("jobs_status_run_at", &["status", "run_at"][..]),
            ("jobs_status_lease_until", &["status", "lease_until"]),
            ("jobs_created_at", &["created_at", "id"]),
            ("jobs_kind_created_at", &["kind", "created_at", "id"]),
            ("jobs_finished_at", &["finished_at"]),
        ] {
            manager
                .create_index(index(Jobs::Table, name, columns))
                .await?;
        }

        // Imports waiting for a worker, or under one, become jobs of their own.
        let conn = manager.get_connection();
        let waiting = Query::select()
            .column(ImportJobs::Id)
            .from(ImportJobs::Table)
            .and_where(Expr::col(ImportJobs::Status).is_in(["queued", "running"]))
            .to_owned();
        let rows = conn.query_all(&waiting).await?;
        let now = chrono::Utc::now();
        for row in rows {
            let id: uuid::Uuid = row.try_get("", "id")?;
            let insert = Query::insert()
                .into_table(Jobs::Table)
                .columns([
                    Jobs::Id,
                    Jobs::Kind,
                    Jobs::Payload,
                    Jobs::Status,
                    Jobs::RunAt,
                    Jobs::Attempts,
                    Jobs::MaxAttempts,
                    Jobs::CreatedAt,
                    Jobs::UpdatedAt,
                ])
                .values_panic([
                    uuid::Uuid::now_v7().into(),
                    "import".into(),
                    SqlValue::Json(Some(Box::new(serde_json::json!({ "id": id })))).into(),
                    "queued".into(),
                    now.into(),
                    0.into(),
                    IMPORT_ATTEMPTS.into(),
                    now.into(),
                    now.into(),
                ])
                .to_owned();
            conn.execute(&insert).await?;
        }
        execute_all(
            manager,
            &[
                "ALTER TABLE import_jobs DROP COLUMN claimed_by",
                "ALTER TABLE import_jobs DROP COLUMN lease_until",
            ],
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ImportJobs::Table)
                    .add_column(timestamp_with_time_zone_null(ImportJobs::FilePurgedAt))
                    .to_owned(),
            )
            .await
    }
}
