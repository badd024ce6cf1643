//! The audit trail records more than changes: reads of personal data in bulk, refused requests
//! and sign-ins. Such an event may be about no single record (an export, a sign-in with an
//! unknown email), so `resource_id` may be empty, and `detail` says what was attempted (the
//! route, the code it was refused with, the rows exported). `action` gets an index of its own,
//! so "every failed sign-in this week" reads in order.
//!
//! SQLite cannot drop a NOT NULL: the table is rebuilt with the same columns, its rows copied.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    ActorType,
    ActorId,
    Action,
    ResourceType,
    ResourceId,
    Changes,
    RequestId,
    Ip,
    Detail,
}

#[derive(DeriveIden)]
enum AuditEventsRebuilt {
    Table,
}

const COLUMNS: &str = "id, occurred_at, actor_type, actor_id, action, resource_type, resource_id, changes, request_id, ip";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every backend: a rebuild cut off midway must leave the old table.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
            rebuild_on_sqlite(manager).await?;
        } else {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .modify_column(ColumnDef::new(AuditEvents::ResourceId).uuid().null())
                        .add_column(json_null(AuditEvents::Detail))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(index(
                AuditEvents::Table,
                "audit_events_action",
                &["action", "occurred_at", "id"],
            ))
            .await
    }
}

async fn rebuild_on_sqlite(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(AuditEventsRebuilt::Table)
                .col(pk_uuid(AuditEvents::Id))
                .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                .col(string_len(AuditEvents::ActorType, 16))
                .col(uuid_null(AuditEvents::ActorId))
                .col(string_len(AuditEvents::Action, 64))
                .col(string_len(AuditEvents::ResourceType, 64))
                .col(uuid_null(AuditEvents::ResourceId))
                .col(json(AuditEvents::Changes))
                .col(string_len(AuditEvents::RequestId, 128))
                .col(string_len_null(AuditEvents::Ip, 64))
                .col(json_null(AuditEvents::Detail))
                .to_owned(),
        )
        .await?;
    let conn = manager.get_connection();
    conn.execute_unprepared(&format!(
        "INSERT INTO audit_events_rebuilt ({COLUMNS}) SELECT {COLUMNS} FROM audit_events"
    ))
    .await?;
    conn.execute_unprepared("DROP TABLE audit_events").await?;
    conn.execute_unprepared("ALTER TABLE audit_events_rebuilt RENAME TO audit_events")
        .await?;
    for (name, columns) in [
        ("audit_events_occurred_at", &["occurred_at", "id"][..]),
        ("audit_events_actor", &["actor_id", "occurred_at", "id"][..]),
        (
            "audit_events_resource",
            &["resource_type", "resource_id", "occurred_at", "id"][..],
        ),
    ] {
        manager
            .create_index(index(AuditEvents::Table, name, columns))
            .await?;
    }
    Ok(())
}
