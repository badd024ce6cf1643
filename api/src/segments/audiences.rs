//! A segment as an audience: who it holds now, for an action that reaches its customers (issuing
//! a coupon, publishing a campaign).

use rapport_domain::custom_fields::FieldOwner;
use rapport_domain::filter::Filter;
use rapport_domain::{FieldError, FieldErrors};
use rapport_persistence::Subset;
use rapport_persistence::customers::Selection;
use rapport_persistence::segments;
use uuid::Uuid;

use crate::auth::Auth;
use crate::problem::ApiError;
use crate::state::AppState;

/// Who a segment holds: its filter, or its hand-kept members.
pub struct Audience {
    filter: Option<Filter>,
    within: Option<Subset>,
}

impl Audience {
    /// The customers it holds, as a selection.
    pub fn selection(&self) -> Selection<'_> {
        match (&self.filter, &self.within) {
            (Some(filter), _) => Selection::Filter(filter),
            (None, Some(subset)) => Selection::Within(subset),
            (None, None) => Selection::Ids(&[]),
        }
    }
}

/// The audience of segment `segment_id`, as the caller may read it; 422 `not_found` at `field`
/// when there is no such segment.
pub async fn audience(
    state: &AppState,
    auth: &Auth,
    segment_id: Uuid,
    field: &str,
) -> Result<Audience, ApiError> {
    let segment = segments::get(state.db.conn(), segment_id)
        .await
        .map_err(|e| match e {
            rapport_persistence::Error::NotFound => ApiError::validation(FieldErrors::from(
                FieldError::new(field, "not_found", "no segment has this id"),
            )),
            other => other.into(),
        })?;
    let definitions = crate::custom_fields::definitions(state, FieldOwner::Customer).await?;
    let (filter, members_of) = super::membership(&segment, &definitions, auth.disclosure())?;
    Ok(Audience {
        filter,
        within: members_of.map(segments::members),
    })
}
