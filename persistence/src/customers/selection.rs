//! A bulk request's customers: by id, or by filter, always within the caller's scope.

use rapport_domain::FieldError;
use rapport_domain::customers::Customer;
use rapport_domain::filter::Filter;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use uuid::Uuid;

use super::entity::customer;
use super::queries;
use crate::{Backend, Error, Result};

/// Which customers a bulk change is about.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    /// These customers; ids outside the caller's scope, or of no customer, match nothing.
    Ids(&'a [Uuid]),
    /// Every customer in the caller's scope the filter selects.
    Filter(&'a Filter),
}

/// The most customers one bulk change may touch.
pub const MAX_BULK: u64 = 5_000;

/// What a bulk change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkOutcome {
    /// Customers the selection matched.
    pub matched: u64,
    /// Of those, customers that changed (the others already were as asked).
    pub changed: u64,
}

/// The customers of a selection within the scope, locked for change, in id order (so two bulk
/// changes over overlapping customers lock them in the same order and never deadlock).
pub(crate) async fn lock(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    selection: Selection<'_>,
) -> Result<Vec<Customer>> {
    let select = selected(Backend::of(conn), owner, selection)?;
    let rows = crate::db::for_update(select)
        .order_by_asc(customer::Column::Id)
        .limit(MAX_BULK + 1)
        .all(conn)
        .await?;
    if rows.len() as u64 > MAX_BULK {
        return Err(too_many());
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
    })
}

fn too_many() -> Error {
    Error::Invalid(
        FieldError::new(
            "filter",
            "too_many_matches",
            format!("selects more than {MAX_BULK} customers; narrow the filter"),
        )
        .into(),
    )
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
        return Err(too_many());
    }
    Ok(ids)
}
