//! A bulk request's customers, by id or by filter, as the tag, untag and segment-membership
//! actions take them, and what such a change did.

use rapport_domain::custom_fields::FieldOwner;
use rapport_domain::filter::Filter;
use rapport_domain::{FieldError, FieldErrors};
use rapport_persistence::customers::selection::{BulkOutcome, Selection};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::masking;
use super::search::parse_filter;
use crate::auth::Auth;
use crate::problem::ApiError;
use crate::state::AppState;

/// The most ids one bulk request names.
pub const MAX_IDS: usize = 1000;

/// What a bulk change did.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"matched": 120, "changed": 87}))]
pub struct BulkResult {
    /// Customers the selection matched.
    pub matched: u64,
    /// Customers that changed; the others already were as asked.
    pub changed: u64,
}

impl From<BulkOutcome> for BulkResult {
    fn from(o: BulkOutcome) -> Self {
        BulkResult {
            matched: o.matched,
            changed: o.changed,
        }
    }
}

/// A bulk request's selection, read: the ids as sent, or the filter checked against the customer
/// catalogue.
pub enum ParsedSelection {
    /// By id.
    Ids(Vec<Uuid>),
    /// By filter.
    Filter(Filter),
}

impl ParsedSelection {
    /// The persistence layer's view of it.
    pub fn as_selection(&self) -> Selection<'_> {
        match self {
            ParsedSelection::Ids(ids) => Selection::Ids(ids),
            ParsedSelection::Filter(filter) => Selection::Filter(filter),
        }
    }

    /// Reads `customer_ids` or `filter`, whichever was sent; both, neither or a `null` is a
    /// 422. A filter may test only what the caller may read.
    pub async fn read(
        state: &AppState,
        auth: &Auth,
        ids: Option<Option<Vec<Uuid>>>,
        filter: Option<Option<Value>>,
    ) -> Result<ParsedSelection, ApiError> {
        let null = |field: &str| {
            ApiError::from(FieldErrors::from(FieldError::new(
                field,
                "invalid_type",
                "must not be null; leave it out instead",
            )))
        };
        let ids = match ids {
            Some(None) => return Err(null("customer_ids")),
            Some(Some(ids)) => Some(ids),
            None => None,
        };
        let filter = match filter {
            Some(None) => return Err(null("filter")),
            Some(Some(filter)) => Some(filter),
            None => None,
        };
        match (ids, filter) {
            (Some(ids), None) if (1..=MAX_IDS).contains(&ids.len()) => {
                Ok(ParsedSelection::Ids(ids))
            }
            (Some(_), None) => Err(FieldErrors::from(FieldError::new(
                "customer_ids",
                "invalid_count",
                format!("name 1 to {MAX_IDS} customers"),
            ))
            .into()),
            (None, Some(raw)) => {
                let definitions =
                    crate::custom_fields::definitions(state, FieldOwner::Customer).await?;
                let catalogue = masking::catalogue(&definitions, auth.disclosure());
                Ok(ParsedSelection::Filter(parse_filter(
                    &raw, &catalogue, "filter",
                )?))
            }
            _ => Err(FieldErrors::from(FieldError::new(
                "customer_ids",
                "one_of",
                "send either customer_ids or filter",
            ))
            .into()),
        }
    }
}
