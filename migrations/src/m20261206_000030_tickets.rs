//! Tickets: customers' requests and complaints, worked from `new` to `closed`, with their
//! comments (public or internal) and the customer's satisfaction rating; definitions of custom
//! fields may belong to tickets.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Id,
    Subject,
    Description,
    Type,
    Priority,
    Channel,
    Status,
    CustomerId,
    OrderId,
    AssigneeId,
    Tags,
    CustomFields,
    FirstRespondedAt,
    ResolvedAt,
    ClosedAt,
    SatisfactionRating,
    SatisfactionComment,
    RatedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum TicketComments {
    Table,
    Id,
    TicketId,
    AuthorType,
    AuthorId,
    Public,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
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

/// The kinds of record a custom field definition may belong to, from now on.
const OWNERS: [&str; 6] = ["customer", "contact", "product", "order", "deal", "ticket"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tickets::Table)
                    .col(pk_uuid(Tickets::Id))
                    .col(string_len(Tickets::Subject, 200))
                    .col(text_null(Tickets::Description))
                    .col(string_len(Tickets::Type, 16))
                    .col(string_len(Tickets::Priority, 8))
                    .col(string_len(Tickets::Channel, 16))
                    .col(string_len(Tickets::Status, 10))
                    .col(uuid(Tickets::CustomerId))
                    .col(uuid_null(Tickets::OrderId))
                    .col(uuid_null(Tickets::AssigneeId))
                    .col(json(Tickets::Tags).default("[]"))
                    .col(json(Tickets::CustomFields).default("{}"))
                    .col(timestamp_with_time_zone_null(Tickets::FirstRespondedAt))
                    .col(timestamp_with_time_zone_null(Tickets::ResolvedAt))
                    .col(timestamp_with_time_zone_null(Tickets::ClosedAt))
                    .col(small_integer_null(Tickets::SatisfactionRating))
                    .col(text_null(Tickets::SatisfactionComment))
                    .col(timestamp_with_time_zone_null(Tickets::RatedAt))
                    .col(timestamp_with_time_zone(Tickets::CreatedAt))
                    .col(timestamp_with_time_zone(Tickets::UpdatedAt))
                    .col(big_integer(Tickets::Version))
                    .check(Expr::col(Tickets::Type).is_in([
                        "inquiry",
                        "complaint",
                        "suggestion",
                        "after_sales",
                        "return_visit",
                        "other",
                    ]))
                    .check(Expr::col(Tickets::Priority).is_in(["low", "normal", "high", "urgent"]))
                    .check(Expr::col(Tickets::Channel).is_in([
                        "web",
                        "chat",
                        "phone",
                        "email",
                        "wechat",
                        "mini_program",
                        "other",
                    ]))
                    .check(
                        Expr::col(Tickets::Status)
                            .is_in(["new", "open", "pending", "resolved", "closed"]),
                    )
                    .check(Expr::col(Tickets::SatisfactionRating).between(1, 5))
                    // A rating says when it was given.
                    .check(
                        Expr::col(Tickets::SatisfactionRating)
                            .is_null()
                            .eq(Expr::col(Tickets::RatedAt).is_null()),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tickets::Table, Tickets::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tickets::Table, Tickets::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tickets::Table, Tickets::AssigneeId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TicketComments::Table)
                    .col(pk_uuid(TicketComments::Id))
                    .col(uuid(TicketComments::TicketId))
                    .col(string_len(TicketComments::AuthorType, 8))
                    .col(uuid(TicketComments::AuthorId))
                    .col(boolean(TicketComments::Public))
                    .col(text(TicketComments::Body))
                    .col(timestamp_with_time_zone(TicketComments::CreatedAt))
                    .check(Expr::col(TicketComments::AuthorType).is_in(["user", "api_key"]))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TicketComments::Table, TicketComments::TicketId)
                            .to(Tickets::Table, Tickets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("tickets_created_at", &["created_at", "id"][..]),
            ("tickets_updated_at", &["updated_at", "id"]),
            ("tickets_customer", &["customer_id", "created_at", "id"]),
            ("tickets_assignee", &["assignee_id", "created_at", "id"]),
            ("tickets_status", &["status", "created_at", "id"]),
            ("tickets_order", &["order_id"]),
        ] {
            manager
                .create_index(index(Tickets::Table, name, columns))
                .await?;
        }
        manager
            .create_index(index(
                TicketComments::Table,
                "ticket_comments_ticket",
                &["ticket_id", "created_at", "id"],
            ))
            .await?;
        crate::custom_field_owners::allow(manager, &OWNERS).await
    }
}
