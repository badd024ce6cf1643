//! A customer's latest activity time, `last_activity_at`, recounted from their activities in the
//! transaction of every activity recorded, changed or removed, and of a merge. The customer's row
//! is locked first, so the recount's own statement reads every activity committed before it: two
//! activities recorded at once for one customer never leave the older time.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entity::customer;
use crate::Result;

/// Recounts `last_activity_at` of `customer_id` from the `activities` table; the new value.
pub async fn recount(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
) -> Result<Option<DateTime<Utc>>> {
    crate::db::for_update(customer::Entity::find().filter(customer::Column::Id.eq(customer_id)))
        .one(conn)
        .await?;
    let column = |name: &str| Expr::col((Alias::new("activities"), Alias::new(name)));
    let latest = Query::select()
        .expr(Func::max(column("occurred_at")))
        .from(Alias::new("activities"))
        .and_where(column("customer_id").eq(customer_id))
        .to_owned();
    let latest: Option<DateTime<Utc>> = match conn.query_one(&latest).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => None,
    };
    customer::Entity::update_many()
        .col_expr(customer::Column::LastActivityAt, Expr::val(latest))
        .filter(customer::Column::Id.eq(customer_id))
        .exec(conn)
        .await?;
    Ok(latest)
}
