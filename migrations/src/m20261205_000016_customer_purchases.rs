//! A customer's purchase figures, kept beside the customer for filters and sort orders: the
//! number of counted orders, the money they kept, its average, and the first and last payment.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    OrdersCount,
    TotalSpent,
    AverageOrderValue,
    FirstOrderAt,
    LastOrderAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds columns one at a time.
        for column in [
            big_integer(Customers::OrdersCount)
                .default(0)
                .check(Expr::cust("orders_count >= 0"))
                .to_owned(),
            big_integer(Customers::TotalSpent)
                .default(0)
                .check(Expr::cust("total_spent >= 0"))
                .to_owned(),
            big_integer(Customers::AverageOrderValue)
                .default(0)
                .check(Expr::cust("average_order_value >= 0"))
                .to_owned(),
            timestamp_with_time_zone_null(Customers::FirstOrderAt),
            timestamp_with_time_zone_null(Customers::LastOrderAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Customers::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // Each figure sorts a customer list by keyset: (figure, id).
        for (name, columns) in [
            ("customers_orders_count", &["orders_count", "id"][..]),
            ("customers_total_spent", &["total_spent", "id"][..]),
            (
                "customers_average_order_value",
                &["average_order_value", "id"][..],
            ),
            ("customers_first_order_at", &["first_order_at", "id"][..]),
            ("customers_last_order_at", &["last_order_at", "id"][..]),
        ] {
            manager
                .create_index(index(Customers::Table, name, columns))
                .await?;
        }
        Ok(())
    }
}
