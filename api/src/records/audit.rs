//! `GET /audit-events`.

use actix_web::web::Data;
use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use rapport_persistence::audit::{self, AuditEvent, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{ValidQuery, page_request, text_parameter};
use crate::problem::ApiError;
use crate::respond::{PageOf, page};
use crate::state::AppState;
use rapport_domain::customers::{Disclosure, mask_contact_details};

/// A recorded change, or a recorded read, refusal or sign-in (those carry `detail` and no
/// `changes`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c6-2222-7000-8000-000000000003",
    "occurred_at": "2026-11-22T08:31:00Z",
    "actor_type": "user",
    "actor_id": "0193a5c4-0000-7000-8000-000000000001",
    "action": "customer.updated",
    "resource_type": "customer",
    "resource_id": "0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c20",
    "changes": {"lifecycle_stage": {"before": "lead", "after": "customer"}},
    "request_id": "0193a5c6-2222-7000-8000-0000000000ff",
    "ip": "203.0.113.7",
    "detail": null
}))]
pub struct AuditEventView {
    /// Identifier.
    pub id: Uuid,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// `user`, `api_key` or `system`.
    pub actor_type: String,
    /// The user or key that acted.
    pub actor_id: Option<Uuid>,
    /// What was done.
    pub action: String,
    /// What kind of record.
    pub resource_type: String,
    /// Which record; empty for an event about no single record (an export, a sign-in with an
    /// unknown email).
    pub resource_id: Option<Uuid>,
    /// Every changed field with its value before and after; empty for events that change nothing.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
    /// The request that made the change.
    pub request_id: String,
    /// The caller's address.
    pub ip: Option<String>,
    /// For events that change nothing, what was attempted or read: the route and the code a
    /// refused request got (`access.denied`), the rows and format of an export
    /// (`customers.exported`), why a sign-in failed (`auth.sign_in_failed`). Never a password or
    /// token.
    #[schema(value_type = Option<Object>, example = json!({"method": "DELETE", "route": "/api/v1/customers/{id}", "status": 403, "code": "forbidden"}))]
    pub detail: Option<serde_json::Value>,
}

impl AuditEventView {
    /// The event as `disclosure` lets the caller see it: emails and phones masked.
    pub fn seen_by(mut self, disclosure: Disclosure) -> Self {
        if disclosure == Disclosure::Masked {
            mask_contact_details(&mut self.changes);
            if let Some(detail) = self.detail.as_mut() {
                mask_contact_details(detail);
            }
        }
        self
    }
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        AuditEventView {
            id: e.id,
            occurred_at: e.occurred_at,
            actor_type: e.actor_type,
            actor_id: e.actor_id,
            action: e.action,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            changes: e.changes,
            request_id: e.request_id,
            ip: e.ip,
            detail: e.detail,
        }
    }
}

/// Filters and paging of the audit trail.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
    /// Only changes by this user or API key.
    pub actor_id: Option<Uuid>,
    /// Only changes to this kind of record (`customer`, `contact`, `user`), at most 50 characters.
    #[param(example = "customer")]
    pub resource_type: Option<String>,
    /// Only changes to this record.
    pub resource_id: Option<Uuid>,
    /// Only events of this action (`customer.updated`, `access.denied`, `auth.sign_in_failed`),
    /// at most 64 characters.
    #[param(example = "auth.sign_in_failed")]
    pub action: Option<String>,
    /// At or after this time.
    pub occurred_from: Option<DateTime<Utc>>,
    /// Before this time.
    pub occurred_to: Option<DateTime<Utc>>,
}

/// List audit events.
///
/// Every change, newest first: who, what, which record, which fields from what to what.
#[utoipa::path(
    tag = "audit",
    operation_id = "list_audit_events",
    params(AuditQuery),
    responses((status = 200, description = "One page of audit events", body = PageOf<AuditEventView>)),
    security(("bearer" = []))
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    state: Data<AppState>,
    auth: Auth,
    query: ValidQuery<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let filter = AuditFilter {
        actor_id: q.actor_id,
        resource_type: text_parameter("resource_type", q.resource_type)?,
        resource_id: q.resource_id,
        action: text_parameter("action", q.action)?,
        from: q.occurred_from,
        to: q.occurred_to,
    };
    let list = audit::list(state.db.conn(), &filter, &request).await?;
    let disclosure = auth.disclosure();
    Ok(page(&PageOf::from_page(list, |e| {
        AuditEventView::from(e).seen_by(disclosure)
    })))
}
