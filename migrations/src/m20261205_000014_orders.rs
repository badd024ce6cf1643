//! Orders and their lines. An order holds on to its customer: a customer with orders cannot be
//! deleted (anonymised instead).

use sea_orm_migration::{prelude::*, schema::*};

use crate::{execute_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Number,
    CustomerId,
    SalesUserId,
    Status,
    Currency,
    Subtotal,
    Shipping,
    Total,
    Channel,
    ExternalId,
    Note,
    PaymentMethod,
    PaymentReference,
    PaidAt,
    CancelledAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
    OrderId,
    Position,
    VariantId,
    ProductId,
    Sku,
    Name,
    Quantity,
    UnitPrice,
    LineTotal,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(pk_uuid(Orders::Id))
                    .col(string_len(Orders::Number, 32))
                    .col(uuid(Orders::CustomerId))
                    .col(uuid_null(Orders::SalesUserId))
                    .col(string_len(Orders::Status, 24))
                    .col(string_len(Orders::Currency, 3))
                    .col(big_integer(Orders::Subtotal))
                    .col(big_integer(Orders::Shipping))
                    .col(big_integer(Orders::Total))
                    .col(string_len_null(Orders::Channel, 200))
                    .col(string_len_null(Orders::ExternalId, 200))
                    .col(text_null(Orders::Note))
                    .col(string_len_null(Orders::PaymentMethod, 200))
                    .col(string_len_null(Orders::PaymentReference, 200))
                    .col(timestamp_with_time_zone_null(Orders::PaidAt))
                    .col(timestamp_with_time_zone_null(Orders::CancelledAt))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .col(big_integer(Orders::Version))
                    .check(Expr::col(Orders::Status).is_in([
                        "pending",
                        "paid",
                        "shipped",
                        "delivered",
                        "completed",
                        "cancelled",
                        "refund_requested",
                        "refunded",
                    ]))
                    .check(Expr::cust(
                        "total = subtotal + shipping AND subtotal >= 0 AND shipping >= 0",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Orders::Table, Orders::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        execute_all(
            manager,
            &[
                "CREATE UNIQUE INDEX orders_number_unique ON orders (number)",
                "CREATE UNIQUE INDEX orders_external_id_unique ON orders (external_id) \
                 WHERE external_id IS NOT NULL",
            ],
        )
        .await?;
        for (name, columns) in [
            ("orders_created_at", &["created_at", "id"][..]),
            ("orders_updated_at", &["updated_at", "id"][..]),
            ("orders_total", &["total", "id"][..]),
            ("orders_customer", &["customer_id", "created_at", "id"][..]),
            ("orders_status", &["status", "created_at", "id"][..]),
            (
                "orders_sales_user",
                &["sales_user_id", "created_at", "id"][..],
            ),
        ] {
            manager
                .create_index(index(Orders::Table, name, columns))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(OrderLines::Table)
                    .col(pk_uuid(OrderLines::Id))
                    .col(uuid(OrderLines::OrderId))
                    .col(integer(OrderLines::Position))
                    .col(uuid_null(OrderLines::VariantId))
                    .col(uuid_null(OrderLines::ProductId))
                    .col(string_len_null(OrderLines::Sku, 64))
                    .col(string_len(OrderLines::Name, 400))
                    .col(big_integer(OrderLines::Quantity))
                    .col(big_integer(OrderLines::UnitPrice))
                    .col(big_integer(OrderLines::LineTotal))
                    .check(Expr::cust(
                        "quantity > 0 AND unit_price >= 0 AND line_total = quantity * unit_price",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderLines::Table, OrderLines::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                OrderLines::Table,
                "order_lines_order",
                &["order_id", "position"],
            ))
            .await?;
        manager
            .create_index(index(
                OrderLines::Table,
                "order_lines_variant",
                &["variant_id"],
            ))
            .await
    }
}
