//! Activities (every interaction with a customer) and tasks (what staff have to do, with a
//! reminder). A customer keeps the time of their latest activity, `last_activity_at`, to be
//! filtered and sorted on.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    Kind,
    Subject,
    Body,
    OccurredAt,
    CustomerId,
    OrderId,
    AuthorId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
    Title,
    Description,
    DueAt,
    RemindAt,
    RemindedAt,
    Priority,
    Status,
    AssigneeId,
    CustomerId,
    OrderId,
    Outcome,
    CompletedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    LastActivityAt,
}

#[derive(DeriveIden)]
enum Orders {
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
                    .table(Activities::Table)
                    .col(pk_uuid(Activities::Id))
                    .col(string_len(Activities::Kind, 16))
                    .col(string_len(Activities::Subject, 200))
                    .col(text_null(Activities::Body))
                    .col(timestamp_with_time_zone(Activities::OccurredAt))
                    .col(uuid(Activities::CustomerId))
                    .col(uuid_null(Activities::OrderId))
                    .col(uuid_null(Activities::AuthorId))
                    .col(timestamp_with_time_zone(Activities::CreatedAt))
                    .col(timestamp_with_time_zone(Activities::UpdatedAt))
                    .col(big_integer(Activities::Version))
                    .check(
                        Expr::col(Activities::Kind)
                            .is_in(["note", "call", "email", "meeting", "visit", "chat", "care"]),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Activities::Table, Activities::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Activities::Table, Activities::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Activities::Table, Activities::AuthorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "activities_customer_occurred_at",
                &["customer_id", "occurred_at", "id"][..],
            ),
            ("activities_occurred_at", &["occurred_at", "id"]),
            ("activities_created_at", &["created_at", "id"]),
            (
                "activities_author_occurred_at",
                &["author_id", "occurred_at", "id"],
            ),
            (
                "activities_kind_occurred_at",
                &["kind", "occurred_at", "id"],
            ),
            ("activities_order", &["order_id"]),
        ] {
            manager
                .create_index(index(Activities::Table, name, columns))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Tasks::Table)
                    .col(pk_uuid(Tasks::Id))
                    .col(string_len(Tasks::Title, 200))
                    .col(text_null(Tasks::Description))
                    .col(timestamp_with_time_zone_null(Tasks::DueAt))
                    .col(timestamp_with_time_zone_null(Tasks::RemindAt))
                    .col(timestamp_with_time_zone_null(Tasks::RemindedAt))
                    .col(small_integer(Tasks::Priority))
                    .col(string_len(Tasks::Status, 16))
                    .col(uuid_null(Tasks::AssigneeId))
                    .col(uuid_null(Tasks::CustomerId))
                    .col(uuid_null(Tasks::OrderId))
                    .col(text_null(Tasks::Outcome))
                    .col(timestamp_with_time_zone_null(Tasks::CompletedAt))
                    .col(uuid_null(Tasks::CreatedBy))
                    .col(timestamp_with_time_zone(Tasks::CreatedAt))
                    .col(timestamp_with_time_zone(Tasks::UpdatedAt))
                    .col(big_integer(Tasks::Version))
                    .check(Expr::col(Tasks::Status).is_in(["open", "done", "cancelled"]))
                    .check(Expr::col(Tasks::Priority).between(1, 4))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tasks::Table, Tasks::AssigneeId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tasks::Table, Tasks::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tasks::Table, Tasks::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "tasks_assignee_status_due_at",
                &["assignee_id", "status", "due_at", "id"][..],
            ),
            ("tasks_status_due_at", &["status", "due_at", "id"]),
            ("tasks_status_remind_at", &["status", "remind_at"]),
            ("tasks_created_at", &["created_at", "id"]),
            ("tasks_customer", &["customer_id", "created_at", "id"]),
            ("tasks_order", &["order_id"]),
        ] {
            manager
                .create_index(index(Tasks::Table, name, columns))
                .await?;
        }

        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(timestamp_with_time_zone_null(Customers::LastActivityAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Customers::Table,
                "customers_last_activity_at",
                &["last_activity_at", "id"],
            ))
            .await
    }
}
