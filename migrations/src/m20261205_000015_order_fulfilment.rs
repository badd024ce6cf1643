//! What happens to an order after payment: its shipment (carrier, tracking number, status
//! history), delivery and completion, and refunds. The database keeps the money honest:
//! `refunded_total` never exceeds `total`, no line restocks more than it sold, and an order has at
//! most one refund awaiting a decision.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{execute_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Carrier,
    TrackingNumber,
    ShippedAt,
    DeliveredAt,
    CompletedAt,
    RefundedTotal,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Restocked,
}

#[derive(DeriveIden)]
enum OrderRefunds {
    Table,
    Id,
    OrderId,
    Amount,
    Reason,
    Status,
    Reference,
    RejectionReason,
    Restocked,
    RequestedAt,
    DecidedAt,
}

#[derive(DeriveIden)]
enum OrderShipmentEvents {
    Table,
    Id,
    OrderId,
    Status,
    Place,
    OccurredAt,
    RecordedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds columns one at a time.
        for column in [
            string_len_null(Orders::Carrier, 200),
            string_len_null(Orders::TrackingNumber, 200),
            timestamp_with_time_zone_null(Orders::ShippedAt),
            timestamp_with_time_zone_null(Orders::DeliveredAt),
            timestamp_with_time_zone_null(Orders::CompletedAt),
            big_integer(Orders::RefundedTotal)
                .default(0)
                .check(Expr::cust(
                    "refunded_total >= 0 AND refunded_total <= total",
                ))
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(OrderLines::Table)
                    .add_column(
                        big_integer(OrderLines::Restocked)
                            .default(0)
                            .check(Expr::cust("restocked >= 0 AND restocked <= quantity")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderRefunds::Table)
                    .col(pk_uuid(OrderRefunds::Id))
                    .col(uuid(OrderRefunds::OrderId))
                    .col(big_integer(OrderRefunds::Amount))
                    .col(text_null(OrderRefunds::Reason))
                    .col(string_len(OrderRefunds::Status, 16))
                    .col(string_len_null(OrderRefunds::Reference, 200))
                    .col(text_null(OrderRefunds::RejectionReason))
                    .col(big_integer(OrderRefunds::Restocked).default(0))
                    .col(timestamp_with_time_zone(OrderRefunds::RequestedAt))
                    .col(timestamp_with_time_zone_null(OrderRefunds::DecidedAt))
                    .check(Expr::cust("amount > 0 AND restocked >= 0"))
                    .check(Expr::col(OrderRefunds::Status).is_in([
                        "requested",
                        "approved",
                        "rejected",
                    ]))
                    .check(Expr::cust("(status = 'requested') = (decided_at IS NULL)"))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderRefunds::Table, OrderRefunds::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                OrderRefunds::Table,
                "order_refunds_order",
                &["order_id", "requested_at", "id"],
            ))
            .await?;
        execute_all(
            manager,
            &[
                "CREATE UNIQUE INDEX order_refunds_one_open ON order_refunds (order_id) \
               WHERE status = 'requested'",
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderShipmentEvents::Table)
                    .col(pk_uuid(OrderShipmentEvents::Id))
                    .col(uuid(OrderShipmentEvents::OrderId))
                    .col(string_len(OrderShipmentEvents::Status, 64))
                    .col(string_len_null(OrderShipmentEvents::Place, 200))
                    .col(timestamp_with_time_zone(OrderShipmentEvents::OccurredAt))
                    .col(timestamp_with_time_zone(OrderShipmentEvents::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderShipmentEvents::Table, OrderShipmentEvents::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                OrderShipmentEvents::Table,
                "order_shipment_events_order",
                &["order_id", "occurred_at", "id"],
            ))
            .await
    }
}
