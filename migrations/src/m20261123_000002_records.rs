//! The audit trail, the transactional outbox that feeds `/events`, and idempotency records.

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
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Seq,
    Id,
    Type,
    ResourceType,
    ResourceId,
    OccurredAt,
    Data,
    Previous,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Principal,
    Key,
    RequestHash,
    ResponseStatus,
    ResponseBody,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(pk_uuid(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                    .col(string_len(AuditEvents::ActorType, 16))
                    .col(uuid_null(AuditEvents::ActorId))
                    .col(string_len(AuditEvents::Action, 64))
                    .col(string_len(AuditEvents::ResourceType, 64))
                    .col(uuid(AuditEvents::ResourceId))
                    .col(json(AuditEvents::Changes))
                    .col(string_len(AuditEvents::RequestId, 128))
                    .col(string_len_null(AuditEvents::Ip, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                AuditEvents::Table,
                "audit_events_occurred_at",
                &["occurred_at", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                AuditEvents::Table,
                "audit_events_actor",
                &["actor_id", "occurred_at", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                AuditEvents::Table,
                "audit_events_resource",
                &["resource_type", "resource_id", "occurred_at", "id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(big_pk_auto(Events::Seq))
                    .col(uuid_uniq(Events::Id))
                    .col(string_len(Events::Type, 64))
                    .col(string_len(Events::ResourceType, 64))
                    .col(uuid(Events::ResourceId))
                    .col(timestamp_with_time_zone(Events::OccurredAt))
                    .col(json(Events::Data))
                    .col(json_null(Events::Previous))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(Events::Table, "events_type_seq", &["type", "seq"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(string_len(IdempotencyKeys::Principal, 64))
                    .col(string_len(IdempotencyKeys::Key, 255))
                    .col(string_len(IdempotencyKeys::RequestHash, 64))
                    .col(small_integer(IdempotencyKeys::ResponseStatus))
                    .col(json(IdempotencyKeys::ResponseBody))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::Principal)
                            .col(IdempotencyKeys::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                IdempotencyKeys::Table,
                "idempotency_keys_created_at",
                &["created_at"],
            ))
            .await
    }
}
