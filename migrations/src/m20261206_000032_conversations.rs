//! Conversations: customers' online chats with the service desk, and their messages, numbered in
//! the order they were stored so that a stream can resume after any of them.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
    CustomerId,
    Channel,
    Status,
    AssigneeId,
    Subject,
    TicketId,
    FirstRespondedAt,
    LastMessageAt,
    ClosedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum ConversationMessages {
    Table,
    Seq,
    Id,
    ConversationId,
    SenderType,
    SenderId,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Tickets {
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
                    .table(Conversations::Table)
                    .col(pk_uuid(Conversations::Id))
                    .col(uuid(Conversations::CustomerId))
                    .col(string_len(Conversations::Channel, 16))
                    .col(string_len(Conversations::Status, 8))
                    .col(uuid_null(Conversations::AssigneeId))
                    .col(string_len_null(Conversations::Subject, 200))
                    .col(uuid_null(Conversations::TicketId))
                    .col(timestamp_with_time_zone_null(
                        Conversations::FirstRespondedAt,
                    ))
                    .col(timestamp_with_time_zone(Conversations::LastMessageAt))
                    .col(timestamp_with_time_zone_null(Conversations::ClosedAt))
                    .col(timestamp_with_time_zone(Conversations::CreatedAt))
                    .col(timestamp_with_time_zone(Conversations::UpdatedAt))
                    .col(big_integer(Conversations::Version))
                    .check(Expr::col(Conversations::Channel).is_in([
                        "web",
                        "phone",
                        "email",
                        "wechat",
                        "mini_program",
                        "other",
                    ]))
                    .check(Expr::col(Conversations::Status).is_in(["open", "closed"]))
                    // A closed conversation says when it closed; an open one has no such time.
                    .check(
                        Expr::col(Conversations::Status)
                            .eq("closed")
                            .eq(Expr::col(Conversations::ClosedAt).is_not_null()),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Conversations::Table, Conversations::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Conversations::Table, Conversations::AssigneeId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Conversations::Table, Conversations::TicketId)
                            .to(Tickets::Table, Tickets::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConversationMessages::Table)
                    .col(big_pk_auto(ConversationMessages::Seq))
                    .col(uuid_uniq(ConversationMessages::Id))
                    .col(uuid(ConversationMessages::ConversationId))
                    .col(string_len(ConversationMessages::SenderType, 8))
                    .col(uuid_null(ConversationMessages::SenderId))
                    .col(text(ConversationMessages::Body))
                    .col(timestamp_with_time_zone(ConversationMessages::CreatedAt))
                    .check(
                        Expr::col(ConversationMessages::SenderType)
                            .is_in(["customer", "agent", "system"]),
                    )
                    // An agent is a staff member, named.
                    .check(
                        Expr::col(ConversationMessages::SenderType)
                            .ne("agent")
                            .or(Expr::col(ConversationMessages::SenderId).is_not_null()),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ConversationMessages::Table,
                                ConversationMessages::ConversationId,
                            )
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("conversations_created_at", &["created_at", "id"][..]),
            ("conversations_last_message_at", &["last_message_at", "id"]),
            (
                "conversations_customer",
                &["customer_id", "created_at", "id"],
            ),
            (
                "conversations_assignee",
                &["assignee_id", "last_message_at", "id"],
            ),
            ("conversations_status", &["status", "last_message_at", "id"]),
        ] {
            manager
                .create_index(index(Conversations::Table, name, columns))
                .await?;
        }
        manager
            .create_index(index(
                ConversationMessages::Table,
                "conversation_messages_conversation",
                &["conversation_id", "seq"],
            ))
            .await
    }
}
