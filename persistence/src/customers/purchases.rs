//! A customer's purchase figures, recounted from their orders in the transaction of every
//! payment, refund and merge that changes them. The customer's row is locked before the orders
//! are read: a payment of another of the customer's orders either committed before (and is
//! counted) or waits for this one and recounts after, so concurrent payments never lose a count.

use chrono::{DateTime, Utc};
use rapport_domain::access::Actor;
use rapport_domain::customers::Purchases;
use rapport_domain::filter::PurchaseTest;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entity::customer;
use crate::{Error, Result};

/// `orders.<column>`, named here without reaching into the orders area.
fn order_column(column: &str) -> Expr {
    Expr::col((Alias::new("orders"), Alias::new(column)))
}

/// An order counts once paid and until refunded in whole; the money it keeps counts either way.
fn counted() -> Expr {
    order_column("paid_at")
        .is_not_null()
        .and(order_column("status").ne("refunded"))
}

/// Recounts the purchase figures of `customer_id` from their orders, stores them and gives the
/// customer the level they now reach; the figures and the level.
pub async fn recount(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    customer_id: Uuid,
) -> Result<(Purchases, Option<Uuid>)> {
    let backend = conn.get_database_backend();
    let locked = crate::db::for_update(
        customer::Entity::find().filter(customer::Column::Id.eq(customer_id)),
    )
    .one(conn)
    .await?
    .ok_or(Error::NotFound)?;
    // One pass over the customer's paid orders: what they kept counts either way, the rest only
    // for orders not refunded in whole.
    let when_counted = |value: &str| {
        Expr::cust(format!(
            "CASE WHEN \"orders\".\"status\" <> 'refunded' THEN {value} END"
        ))
    };
    let sums = Query::select()
        .expr(Func::count(when_counted("1")))
        // A sum of bigints is numeric on PostgreSQL; the cast reads it back as one.
        .expr(Func::cast_as(
            Func::coalesce([
                Expr::from(Func::sum(
                    order_column("total").sub(order_column("refunded_total")),
                )),
                Expr::val(0i64),
            ]),
            Alias::new("BIGINT"),
        ))
        .expr(Func::min(when_counted("\"orders\".\"paid_at\"")))
        .expr(Func::max(when_counted("\"orders\".\"paid_at\"")))
        .from(Alias::new("orders"))
        .and_where(order_column("customer_id").eq(customer_id))
        .and_where(order_column("paid_at").is_not_null())
        .to_owned();
    let row = conn
        .query_one_raw(backend.build(&sums))
        .await?
        .ok_or_else(|| Error::Internal("an aggregate query returned no row".into()))?;
    let orders_count: i64 = row.try_get_by_index(0)?;
    let total_spent: i64 = row.try_get_by_index(1)?;
    let first_order_at: Option<DateTime<Utc>> = row.try_get_by_index(2)?;
    let last_order_at: Option<DateTime<Utc>> = row.try_get_by_index(3)?;
    let figures = Purchases::from_sums(orders_count, total_spent, first_order_at, last_order_at);
    let update = Query::update()
        .table(customer::Entity)
        .value(customer::Column::OrdersCount, figures.orders_count)
        .value(customer::Column::TotalSpent, figures.total_spent)
        .value(
            customer::Column::AverageOrderValue,
            figures.average_order_value,
        )
        .value(customer::Column::FirstOrderAt, figures.first_order_at)
        .value(customer::Column::LastOrderAt, figures.last_order_at)
        .and_where(customer::Column::Id.eq(customer_id))
        .to_owned();
    conn.execute_raw(backend.build(&update)).await?;
    let level = super::levels::assign(conn, actor, customer_id, locked.level_id, &figures).await?;
    Ok((figures, level))
}

/// `EXISTS (…)`: the customer the outer query is looking at has a purchase that passes `test`:
/// a counted order (paid, not refunded in whole) paid within the test's bounds and, when the test
/// names a product, variant, category or brand, a line of it that sold one.
pub(crate) fn purchased(test: &PurchaseTest) -> Expr {
    let line = |column: &str| Expr::col((Alias::new("order_lines"), Alias::new(column)));
    let mut orders = Query::select();
    orders
        .expr(Expr::val(1))
        .from(Alias::new("orders"))
        .and_where(order_column("customer_id").equals((customer::Entity, customer::Column::Id)))
        .and_where(counted());
    if let Some(since) = test.paid_since {
        orders.and_where(order_column("paid_at").gte(since));
    }
    if let Some(before) = test.paid_before {
        orders.and_where(order_column("paid_at").lt(before));
    }
    if test.names_an_item() {
        orders.inner_join(
            Alias::new("order_lines"),
            line("order_id").equals((Alias::new("orders"), Alias::new("id"))),
        );
        if let Some(product) = test.product_id {
            orders.and_where(line("product_id").eq(product));
        }
        if let Some(variant) = test.variant_id {
            orders.and_where(line("variant_id").eq(variant));
        }
        if test.category_id.is_some() || test.brand_id.is_some() {
            let mut products = Query::select();
            products
                .column(Alias::new("id"))
                .from(Alias::new("products"));
            if let Some(category) = test.category_id {
                products.and_where(Expr::col(Alias::new("category_id")).eq(category));
            }
            if let Some(brand) = test.brand_id {
                products.and_where(Expr::col(Alias::new("brand_id")).eq(brand));
            }
            orders.and_where(line("product_id").in_subquery(products.to_owned()));
        }
    }
    Expr::exists(orders.to_owned())
}
