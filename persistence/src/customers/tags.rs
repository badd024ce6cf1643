//! Tags across customers: how many customers carry each, and adding or removing tags on many
//! customers at once, each change recorded as if made one by one.

use rapport_domain::access::{Actor, Scope};
use rapport_domain::customers::{Customer, MAX_TAGS};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Order, Query};
use uuid::Uuid;

use super::entity::{customer, customer_tag};
use super::selection::{BulkOutcome, Selection, lock};
use super::use_cases::write_change;
use crate::page::{self, CursorValue, Page, PageRequest};
use crate::{Db, Error, Result};

/// Applies `change` to every customer of the selection in one transaction: all of them change,
/// or (on any refusal) none.
async fn change_each(
    db: &Db,
    actor: &Actor,
    scope: Scope,
    selection: Selection<'_>,
    change: impl Fn(&Customer) -> Result<Customer>,
) -> Result<BulkOutcome> {
    let txn = db.begin_write().await?;
    let customers = lock(&*txn, actor.owner_filter(scope), selection).await?;
    let mut changed = 0;
    for before in &customers {
        let after = change(before)?;
        if after.version != before.version {
            write_change(&*txn, actor, before, &after).await?;
            changed += 1;
        }
    }
    txn.commit().await?;
    Ok(BulkOutcome {
        matched: customers.len() as u64,
        changed,
    })
}

/// Adds `tags` to every customer of the selection; refused as a whole when a customer would
/// carry more than 50 tags.
pub async fn tag(
    db: &Db,
    actor: &Actor,
    scope: Scope,
    selection: Selection<'_>,
    tags: &[String],
) -> Result<BulkOutcome> {
    let now = crate::now();
    change_each(db, actor, scope, selection, |c| {
        c.tagged(tags, now).ok_or_else(|| Error::Conflict {
            code: "too_many_tags",
            field: Some("tags"),
            message: format!("customer {} would carry more than {MAX_TAGS} tags", c.id),
        })
    })
    .await
}

/// Removes `tags` from every customer of the selection.
pub async fn untag(
    db: &Db,
    actor: &Actor,
    scope: Scope,
    selection: Selection<'_>,
    tags: &[String],
) -> Result<BulkOutcome> {
    let now = crate::now();
    change_each(db, actor, scope, selection, |c| Ok(c.untagged(tags, now))).await
}

/// A tag and how many customers carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCount {
    /// The tag.
    pub tag: String,
    /// Customers in the caller's scope carrying it.
    pub customers: u64,
}

/// Tags in use within the scope, most used first (then by tag), optionally only those beginning
/// with `prefix` (exactly, case included).
pub async fn counts(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    prefix: Option<&str>,
    request: &PageRequest,
) -> Result<Page<TagCount>> {
    const SORT: &str = "-customers,tag";
    let backend = conn.get_database_backend();
    let tag = Expr::col((customer_tag::Entity, customer_tag::Column::Tag));
    let count = Expr::col((customer_tag::Entity, customer_tag::Column::CustomerId)).count();
    let mut base = Query::select();
    base.expr_as(tag.clone(), Alias::new("tag"))
        .expr_as(count.clone(), Alias::new("customers"))
        .from(customer_tag::Entity)
        .group_by_col((customer_tag::Entity, customer_tag::Column::Tag));
    if let Some(owner) = owner {
        base.inner_join(
            customer::Entity,
            Expr::col((customer::Entity, customer::Column::Id))
                .equals((customer_tag::Entity, customer_tag::Column::CustomerId)),
        );
        base.and_where(Expr::col((customer::Entity, customer::Column::OwnerId)).eq(owner));
    }
    if let Some(prefix) = prefix {
        // `substr` takes `integer`s on PostgreSQL; prefixes are at most 50 characters.
        let length = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
        base.and_where(
            Func::cust(Alias::new("substr"))
                .args([tag.clone(), Expr::val(1i32), Expr::val(length)])
                .eq(prefix),
        );
    }
    let total = if request.include_total {
        let mut counted = Query::select();
        counted
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("total"))
            .from_subquery(base.clone(), Alias::new("tags"));
        let row = conn.query_one_raw(backend.build(&counted)).await?;
        let total: i64 = match row {
            Some(row) => row.try_get("", "total")?,
            None => 0,
        };
        Some(u64::try_from(total).unwrap_or(0))
    } else {
        None
    };
    let mut query = base;
    query
        .order_by_expr(count.clone(), Order::Desc)
        .order_by_expr(tag.clone(), Order::Asc)
        .limit(request.limit + 1);
    if let Some(raw) = &request.cursor {
        let values = page::decode(raw, SORT, 2)?;
        let (CursorValue::I(last_count), CursorValue::S(last_tag)) = (&values[0], &values[1])
        else {
            return Err(Error::BadCursor);
        };
        query.cond_having(
            sea_orm::Condition::any()
                .add(count.clone().lt(*last_count))
                .add(
                    count
                        .clone()
                        .eq(*last_count)
                        .and(tag.clone().gt(last_tag.clone())),
                ),
        );
    }
    let rows = conn.query_all_raw(backend.build(&query)).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let customers: i64 = row.try_get("", "customers")?;
        items.push(TagCount {
            tag: row.try_get("", "tag")?,
            customers: u64::try_from(customers).unwrap_or(0),
        });
    }
    let has_more = items.len() as u64 > request.limit;
    items.truncate(usize::try_from(request.limit).unwrap_or(usize::MAX));
    let next_cursor = match items.last() {
        Some(last) if has_more => Some(page::encode(
            SORT,
            vec![
                CursorValue::I(i64::try_from(last.customers).unwrap_or(i64::MAX)),
                CursorValue::S(last.tag.clone()),
            ],
        )),
        _ => None,
    };
    Ok(Page {
        items,
        next_cursor,
        has_more,
        total,
    })
}
