//! Keyset pagination: stable under concurrent inserts and fast at any depth.
//!
//! A cursor records the sort order it was made for and the sort values of the last row returned,
//! ending with the row's id, which breaks ties so the order is total.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::IntoCondition;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Value,
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
}

impl From<CursorValue> for Value {
    fn from(value: CursorValue) -> Self {
        match value {
            CursorValue::T(v) => v.into(),
            CursorValue::S(v) => v.into(),
            CursorValue::I(v) => v.into(),
            CursorValue::U(v) => v.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cursor {
    /// The canonical sort order the cursor belongs to.
    s: String,
    /// The last row's sort values, its id last.
    v: Vec<CursorValue>,
}

fn encode(sort: &str, values: Vec<CursorValue>) -> String {
    let json = serde_json::to_vec(&Cursor {
        s: sort.to_owned(),
        v: values,
    })
    .unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

fn decode(raw: &str, sort: &str, keys: usize) -> Result<Vec<CursorValue>> {
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

/// A sort key bound to its column.
pub struct KeyColumn<C> {
    /// The column.
    pub column: C,
    /// Descending when true.
    pub descending: bool,
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
    let total = if request.include_total {
        Some(select.clone().count(conn).await?)
    } else {
        None
    };
    let mut select = select;
    if let Some(raw) = &request.cursor {
        let values = decode(raw, sort, keys.len())?;
        select = select.filter(after(keys, values));
    }
    for key in keys {
        select = select.order_by(
            key.column,
            if key.descending {
                Order::Desc
            } else {
                Order::Asc
            },
        );
    }
    let mut rows = select.limit(request.limit + 1).all(conn).await?;
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

/// `(k1, k2, …) > (v1, v2, …)` in the keys' own directions, spelled out so mixed directions work:
/// `k1 ▷ v1 OR (k1 = v1 AND k2 ▷ v2) OR …`.
fn after<C: ColumnTrait>(keys: &[KeyColumn<C>], values: Vec<CursorValue>) -> Condition {
    let values: Vec<Value> = values.into_iter().map(Value::from).collect();
    let mut any = Condition::any();
    for (i, key) in keys.iter().enumerate() {
        let mut all = Condition::all();
        for (prior, value) in keys.iter().zip(&values).take(i) {
            all = all.add(prior.column.eq(value.clone()));
        }
        let value = values[i].clone();
        let step = if key.descending {
            key.column.lt(value)
        } else {
            key.column.gt(value)
        };
        any = any.add(all.add(step.into_condition()));
    }
    any
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
