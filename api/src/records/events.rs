//! `GET /events`: the ordered feed integrators pull.

use actix_web::web::Data;
use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use rapport_persistence::events::{self, Event};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{ValidQuery, page_request, text_parameter};
use crate::problem::ApiError;
use crate::respond::{PageOf, page};
use crate::state::AppState;
use rapport_domain::customers::{Disclosure, mask_contact_details};

/// A domain event.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "seq": 42,
    "id": "0193a5c6-3333-7000-8000-000000000004",
    "type": "customer.updated",
    "resource_type": "customer",
    "resource_id": "0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c20",
    "occurred_at": "2026-11-22T08:31:00Z",
    "data": {"id": "0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c20", "name": "王芳", "lifecycle_stage": "customer", "version": 2},
    "previous": {"lifecycle_stage": "lead"}
}))]
pub struct EventView {
    /// Position in the feed; later events have larger numbers.
    pub seq: i64,
    /// Identifier, for de-duplication.
    pub id: Uuid,
    /// `customer.created`, `customer.updated`, `customer.deleted`, `contact.*`, `user.*`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What kind of record.
    pub resource_type: String,
    /// Which record.
    pub resource_id: Uuid,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// The record after the change (as it was, for deletions).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// The changed fields' values before the change.
    #[schema(value_type = Option<Object>)]
    pub previous: Option<serde_json::Value>,
}

impl EventView {
    /// The event as `disclosure` lets the caller see it: emails and phones masked.
    pub fn seen_by(mut self, disclosure: Disclosure) -> Self {
        if disclosure == Disclosure::Masked {
            mask_contact_details(&mut self.data);
            if let Some(previous) = self.previous.as_mut() {
                mask_contact_details(previous);
            }
        }
        self
    }
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        EventView {
            seq: e.seq,
            id: e.id,
            kind: e.r#type,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            occurred_at: e.occurred_at,
            data: e.data,
            previous: e.previous,
        }
    }
}

/// Position and filter in the feed.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Events per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page: the feed continues after it.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
    /// Only events of these types, comma-separated (`customer.created,customer.updated`), at most
    /// 1,000 characters.
    #[param(example = "customer.created,customer.updated")]
    pub types: Option<String>,
}

/// Read the event feed.
///
/// Every change as a domain event, oldest first, in commit order: an event never appears behind
/// one already read. Keep the last `next_cursor` and call again to continue; on the last page
/// `next_cursor` is null, so keep the cursor of the last full page or the `seq` you stopped at.
#[utoipa::path(
    tag = "events",
    operation_id = "list_events",
    params(EventQuery),
    responses((status = 200, description = "One page of events", body = PageOf<EventView>)),
    security(("bearer" = []))
)]
#[get("/events")]
pub async fn list_events(
    state: Data<AppState>,
    auth: Auth,
    query: ValidQuery<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let types: Vec<String> = text_parameter("types", q.types)?
        .as_deref()
        .map(|t| {
            t.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let list = events::feed(state.db.conn(), &types, &request).await?;
    let disclosure = auth.disclosure();
    Ok(page(&PageOf::from_page(list, |e| {
        EventView::from(e).seen_by(disclosure)
    })))
}
