//! `/custom-fields`: the definitions of the workspace's own fields on customers, contacts, products
//! and orders.
//!
//! Other areas ask this front door for the definitions their writes are checked against.

pub mod dto;
pub mod routes;

use std::sync::Arc;

use rapport_domain::custom_fields::{Definition, FieldOwner};
use rapport_persistence::{Result, custom_fields};

use crate::state::AppState;

/// The definitions of `owner`'s fields, remembered between requests until one changes.
pub async fn definitions(state: &AppState, owner: FieldOwner) -> Result<Arc<Vec<Definition>>> {
    let db = &state.db;
    let read = || async move {
        custom_fields::for_owner(db.conn(), owner)
            .await
            .map(|d| Some(Arc::new(d)))
    };
    Ok(state
        .definitions
        .get(db, owner, read)
        .await?
        .unwrap_or_default())
}
