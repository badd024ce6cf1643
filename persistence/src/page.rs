//! Keyset pagination: stable under concurrent inserts and fast at any depth.
//!
//! A cursor records the sort order it was made for and the sort values of the last row returned,
//! ending with the row's id, which breaks ties so the order is total.
//!
//! A list filtered by equality on a column that leads an index of the sort keys (`lifecycle_stage
//! = 'customer'` with the index `(lifecycle_stage, created_at, id)`) is [`Pin`]ned to it: the page
//! orders by that column first and states the equality as a range. Only that index serves the
//! order then, whatever the statistics say; with a plain equality the planner may drop the column
//! from the order and walk the index of the sort keys alone, throwing away row after row when a
//! burst of inserts (a lead import) has made its estimates wrong: on 240,000 customers whose
//! newest 160,000 are leads, 57-88 ms a page instead of 0.2 ms.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rapport_domain::sort::SortOrder;
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition, NullOrdering};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Value,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Error, Result};

/// One sort value inside a cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CursorValue {
    /// A timestamp.
    T(DateTime<Utc>),
    /// Text.
    S(String),
    /// An integer.
    I(i64),
    /// An id.
    U(Uuid),
    /// A number that may have a fraction.
    F(f64),
    /// A boolean.
    B(bool),
    /// No value (a nullable key); such rows sort last.
    N,
}

impl CursorValue {
    /// The value to bind, or `None` for [`CursorValue::N`].
    fn bound(&self) -> Option<Value> {
        Some(match self.clone() {
            CursorValue::T(v) => v.into(),
            CursorValue::S(v) => v.into(),
            CursorValue::I(v) => v.into(),
            CursorValue::U(v) => v.into(),
            CursorValue::F(v) => v.into(),
            CursorValue::B(v) => v.into(),
            CursorValue::N => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cursor {
    /// The canonical sort order the cursor belongs to.
    s: String,
    /// The last row's sort values, its id last.
    v: Vec<CursorValue>,
}

pub(crate) fn encode(sort: &str, values: Vec<CursorValue>) -> String {
    let json = serde_json::to_vec(&Cursor {
        s: sort.to_owned(),
        v: values,
    })
    .unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

pub(crate) fn decode(raw: &str, sort: &str, keys: usize) -> Result<Vec<CursorValue>> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| Error::BadCursor)?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| Error::BadCursor)?;
    if cursor.s != sort || cursor.v.len() != keys {
        return Err(Error::BadCursor);
    }
    Ok(cursor.v)
}

/// What page of a list to return.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Rows per page (1 to 200).
    pub limit: u64,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Whether to count every matching row too.
    pub include_total: bool,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Where the next page starts, when there is one.
    pub next_cursor: Option<String>,
    /// True when more rows follow.
    pub has_more: bool,
    /// Every matching row, when asked for.
    pub total: Option<u64>,
}

impl<T> Page<T> {
    /// The same page with each row converted.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, E>>()?,
            next_cursor: self.next_cursor,
            has_more: self.has_more,
            total: self.total,
        })
    }
}

/// The one value every row of a list holds in `expr`, because the list is filtered on it by
/// equality; see the module documentation.
#[derive(Debug, Clone)]
pub struct Pin {
    /// The column (or expression) the list is filtered on.
    pub expr: Expr,
    /// The value it equals.
    pub value: Value,
}

impl Pin {
    /// The pin of `expr` (a column, or an expression an index leads with) to `value`.
    pub fn new(expr: impl Into<Expr>, value: impl Into<Value>) -> Self {
        Self {
            expr: expr.into(),
            value: value.into(),
        }
    }

    /// `select` narrowed to the rows holding the value, stated as a range (`expr >= v AND expr <=
    /// v`, since an equality would let the planner take the column out of the order), and ordered
    /// by the column first, in the direction of the first of `keys` (the keys the page is then
    /// fetched with), so that one index scan serves the whole order. The column stays out of the
    /// cursor: every row holds the same value.
    pub fn narrow<E: EntityTrait>(&self, select: Select<E>, keys: &[impl SortKey]) -> Select<E> {
        let descending = keys.first().is_some_and(SortKey::descending);
        let order = if descending { Order::Desc } else { Order::Asc };
        select
            .filter(self.expr.clone().gte(self.value.clone()))
            .filter(self.expr.clone().lte(self.value.clone()))
            .order_by(self.expr.clone(), order)
    }
}

/// What [`Pin::narrow`] reads of a page's sort keys: the direction.
pub trait SortKey {
    /// Descending when true.
    fn descending(&self) -> bool;
}

/// `select` with each of `equalities` given (a column and the value it must hold): the first
/// becomes the page's [`Pin`] when the list is ordered by creation time first (the column leads
/// an index of `(column, created_at, id)`, so one index scan serves the page); every other one is
/// a plain condition.
pub fn pin_first_equality<E: EntityTrait, C: ColumnTrait>(
    mut select: Select<E>,
    order: &SortOrder,
    equalities: impl IntoIterator<Item = (C, Option<Value>)>,
) -> (Select<E>, Option<Pin>) {
    let by_created = order.0.first().is_some_and(|k| k.field == "created_at");
    let mut pin = None;
    for (column, value) in equalities {
        let Some(value) = value else { continue };
        if by_created && pin.is_none() {
            pin = Some(Pin::new(column.into_expr(), value));
        } else {
            select = select.filter(Expr::col(column).eq(value));
        }
    }
    (select, pin)
}

impl<C> SortKey for KeyColumn<C> {
    fn descending(&self) -> bool {
        self.descending
    }
}

impl SortKey for SortExpr {
    fn descending(&self) -> bool {
        self.descending
    }
}

/// A sort key bound to its column.
pub struct KeyColumn<C> {
    /// The column.
    pub column: C,
    /// Descending when true.
    pub descending: bool,
}

/// A sort key over any expression, which may be null: rows without a value sort last in either
/// direction.
#[derive(Debug, Clone)]
pub struct SortExpr {
    /// What is sorted by.
    pub expr: Expr,
    /// Descending when true.
    pub descending: bool,
    /// True when the expression can be null.
    pub nullable: bool,
}

impl<C: ColumnTrait> From<&KeyColumn<C>> for SortExpr {
    fn from(key: &KeyColumn<C>) -> Self {
        SortExpr {
            expr: key.column.into_expr(),
            descending: key.descending,
            nullable: false,
        }
    }
}

/// Fetches one page of `select`, ordered by `keys` (the id column last), starting after the cursor.
/// `values_of` gives a row's values for the same keys, to build the next cursor.
pub async fn fetch<E, C>(
    conn: &C,
    select: Select<E>,
    sort: &str,
    keys: &[KeyColumn<E::Column>],
    values_of: impl Fn(&E::Model) -> Vec<CursorValue>,
    request: &PageRequest,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let keys: Vec<SortExpr> = keys.iter().map(SortExpr::from).collect();
    fetch_sorted::<E, E::Model, C>(conn, select, sort, &keys, values_of, request).await
}

/// A field a list can be sorted by: its name in `sort`, its column, and how a row's value of it
/// goes into the cursor.
pub struct SortField<E: EntityTrait> {
    /// The name in `sort` (`created_at`).
    pub name: &'static str,
    /// The column.
    pub column: E::Column,
    /// The row's value, as the cursor holds it.
    pub value: fn(&E::Model) -> CursorValue,
}

/// One page of `select` in `order`, each of whose keys names one of `fields`, with `id` (a field
/// over the id column) as the final tie-breaker in the direction of the last key. A `pin` narrows
/// the list as [`Pin::narrow`] does.
pub async fn fetch_ordered<E, C>(
    conn: &C,
    select: Select<E>,
    order: &SortOrder,
    fields: &[SortField<E>],
    id: &SortField<E>,
    pin: Option<&Pin>,
    request: &PageRequest,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let mut chosen: Vec<(&SortField<E>, bool)> = Vec::with_capacity(order.0.len() + 1);
    for key in &order.0 {
        let field = fields
            .iter()
            .find(|f| f.name == key.field)
            .ok_or_else(|| Error::Internal(format!("cannot sort by {}", key.field)))?;
        chosen.push((field, key.descending));
    }
    let last_descending = chosen.last().is_some_and(|(_, descending)| *descending);
    chosen.push((id, last_descending));
    let keys: Vec<KeyColumn<E::Column>> = chosen
        .iter()
        .map(|(field, descending)| KeyColumn {
            column: field.column,
            descending: *descending,
        })
        .collect();
    let select = match pin {
        Some(pin) => pin.narrow(select, &keys),
        None => select,
    };
    fetch(
        conn,
        select,
        &order.canonical(),
        &keys,
        |m| chosen.iter().map(|(field, _)| (field.value)(m)).collect(),
        request,
    )
    .await
}

/// The statement of one page: `select` after the cursor, ordered by `keys`, one row more than the
/// page holds (which tells whether another page follows).
pub fn page_select<E: EntityTrait>(
    mut select: Select<E>,
    sort: &str,
    keys: &[SortExpr],
    request: &PageRequest,
) -> Result<Select<E>> {
    if let Some(raw) = &request.cursor {
        let values = decode(raw, sort, keys.len())?;
        select = select.filter(after(keys, &values));
    }
    for key in keys {
        let order = if key.descending {
            Order::Desc
        } else {
            Order::Asc
        };
        select = if key.nullable {
            select.order_by_with_nulls(key.expr.clone(), order, NullOrdering::Last)
        } else {
            select.order_by(key.expr.clone(), order)
        };
    }
    Ok(select.limit(request.limit + 1))
}

/// [`fetch`] over sort expressions, which may be nullable; the last key must be the id. Each row
/// is read as an `M`, which names the columns `select` selects (the entity's model, or a partial
/// model whose columns `select` was narrowed to).
pub async fn fetch_sorted<E, M, C>(
    conn: &C,
    select: Select<E>,
    sort: &str,
    keys: &[SortExpr],
    values_of: impl Fn(&M) -> Vec<CursorValue>,
    request: &PageRequest,
) -> Result<Page<M>>
where
    E: EntityTrait,
    E::Model: Sync,
    M: FromQueryResult + Sync,
    C: ConnectionTrait,
{
    let total = if request.include_total {
        Some(select.clone().count(conn).await?)
    } else {
        None
    };
    let mut rows = page_select(select, sort, keys, request)?
        .into_model::<M>()
        .all(conn)
        .await?;
    let has_more = rows.len() as u64 > request.limit;
    rows.truncate(usize::try_from(request.limit).unwrap_or(usize::MAX));
    let next_cursor = match rows.last() {
        Some(last) if has_more => Some(encode(sort, values_of(last))),
        _ => None,
    };
    Ok(Page {
        items: rows,
        next_cursor,
        has_more,
        total,
    })
}

/// The rows after `values` in the order of `keys`, spelled out so mixed directions and nullable
/// keys work: `k1 ▷ v1 OR (k1 = v1 AND k2 ▷ v2) OR …`, where a row without a value comes after
/// every row with one, and nothing comes after a row without one within that key. When the first
/// key has a value, `k1 ⊵ v1` is added in front, which the database can use to start its index
/// scan at the cursor instead of filtering from the top.
fn after(keys: &[SortExpr], values: &[CursorValue]) -> Condition {
    let bound: Vec<Option<Value>> = values.iter().map(CursorValue::bound).collect();
    let equal = |key: &SortExpr, value: &Option<Value>| match value {
        Some(value) => key.expr.clone().eq(value.clone()),
        None => key.expr.clone().is_null(),
    };
    let mut any = Condition::any();
    for (i, key) in keys.iter().enumerate() {
        let Some(value) = &bound[i] else {
            continue;
        };
        let mut step = if key.descending {
            key.expr.clone().lt(value.clone())
        } else {
            key.expr.clone().gt(value.clone())
        };
        if key.nullable {
            step = step.or(key.expr.clone().is_null());
        }
        let mut all = Condition::all();
        for (prior, value) in keys.iter().zip(&bound).take(i) {
            all = all.add(equal(prior, value));
        }
        any = any.add(all.add(step.into_condition()));
    }
    match (keys.first(), bound.first()) {
        (Some(first), Some(Some(value))) if !first.nullable => {
            let start = if first.descending {
                first.expr.clone().lte(value.clone())
            } else {
                first.expr.clone().gte(value.clone())
            };
            Condition::all().add(start).add(any)
        }
        _ => any,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_is_tied_to_its_sort_order() {
        let raw = encode(
            "-created_at",
            vec![CursorValue::I(5), CursorValue::U(Uuid::nil())],
        );
        assert!(decode(&raw, "-created_at", 2).is_ok());
        assert!(matches!(decode(&raw, "name", 2), Err(Error::BadCursor)));
        assert!(matches!(
            decode("not a cursor", "name", 2),
            Err(Error::BadCursor)
        ));
    }
}
