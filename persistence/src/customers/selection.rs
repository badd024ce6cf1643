//! A bulk request's customers: by id, or by filter, always within the caller's scope.

use rapport_domain::customers::Customer;
use rapport_domain::filter::Filter;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use uuid::Uuid;

use super::entity::customer;
use super::queries;
use crate::{Backend, Error, Result, Subset};

/// Which customers a bulk change is about.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    /// These customers; ids outside the caller's scope, or of no customer, match nothing.
    Ids(&'a [Uuid]),
    /// Every customer in the caller's scope the filter selects.
    Filter(&'a Filter),
    /// Every customer in the caller's scope among these (a static segment's members).
    Within(&'a Subset),
}

/// The most customers a bulk change of membership (only ids are written) may touch.
pub const MAX_BULK: u64 = 5_000;

/// The most customers a bulk change of the records themselves may touch: each gets its own new
/// version, audit event and `customer.updated` event, so the request's time grows with them.
pub const MAX_CHANGED: u64 = 1_000;

/// What a bulk change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkOutcome {
    /// Customers the selection matched.
    pub matched: u64,
    /// Of those, customers that changed (the others already were as asked).
    pub changed: u64,
}

/// The customers of a selection within the scope, locked for change, in id order (so two bulk
/// changes over overlapping customers lock them in the same order and never deadlock); at most
/// [`MAX_CHANGED`].
pub(crate) async fn lock(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    selection: Selection<'_>,
) -> Result<Vec<Customer>> {
    let select = selected(Backend::of(conn), owner, selection)?;
    let rows = crate::db::for_update(select)
        .order_by_asc(customer::Column::Id)
        .limit(MAX_CHANGED + 1)
        .all(conn)
        .await?;
    if rows.len() as u64 > MAX_CHANGED {
        return Err(too_many(MAX_CHANGED));
    }
    rows.into_iter().map(Customer::try_from).collect()
}

fn selected(
    backend: Backend,
    owner: Option<Uuid>,
    selection: Selection<'_>,
) -> Result<Select<customer::Entity>> {
    Ok(match selection {
        Selection::Ids(ids) => {
            queries::scoped(owner).filter(customer::Column::Id.is_in(ids.iter().copied()))
        }
        Selection::Filter(filter) => queries::selection(backend, owner, Some(filter), None)?,
        Selection::Within(subset) => {
            queries::scoped(owner).filter(customer::Column::Id.in_subquery(subset.0.clone()))
        }
    })
}

/// What the data holds decides it, as with `too_many_tags`: a conflict with the current state.
fn too_many(limit: u64) -> Error {
    Error::Conflict {
        code: "too_many_matches",
        field: Some("filter"),
        message: format!("selects more than {limit} customers; narrow the filter"),
    }
}

/// The ids of a selection's customers within the scope, in id order, at most [`MAX_BULK`].
pub(crate) async fn ids(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    selection: Selection<'_>,
) -> Result<Vec<Uuid>> {
    let ids: Vec<Uuid> = selected(Backend::of(conn), owner, selection)?
        .select_only()
        .column(customer::Column::Id)
        .order_by_asc(customer::Column::Id)
        .limit(MAX_BULK + 1)
        .into_tuple()
        .all(conn)
        .await?;
    if ids.len() as u64 > MAX_BULK {
        return Err(too_many(MAX_BULK));
    }
    Ok(ids)
}
