//! Refused requests in the audit trail: every 403, and every 404 on a record that exists beyond
//! the caller's scope (answered exactly like a missing one), becomes an `access.denied` event
//! with who, which route, and the code they got. Written after the request's own transaction
//! was rolled back, so the refusal stays recorded.

use actix_web::HttpMessage;
use actix_web::HttpRequest;
use actix_web::web::Data;
use rapport_domain::access::Principal;
use rapport_persistence::audit::{self, By, Notice};
use serde_json::json;
use uuid::Uuid;

use crate::problem::{ApiError, ErrorCode};
use crate::state::AppState;

/// Who the `Auth` extractor found the caller to be, kept on the request for this module.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Principal);

/// Records `error` when it refuses an authenticated caller; a failure to record is logged, never
/// turned into another answer.
pub async fn record(req: &HttpRequest, request_id: &str, error: &ApiError) {
    let refused = error.code.status() == actix_web::http::StatusCode::FORBIDDEN;
    if !refused && error.beyond_scope.is_none() {
        return;
    }
    let Some(Caller(principal)) = req.extensions().get::<Caller>().copied() else {
        return;
    };
    let Some(state) = req.app_data::<Data<AppState>>() else {
        return;
    };
    let route = crate::auth::permissions::without_regexes(&req.match_pattern().unwrap_or_default());
    let (resource_type, resource_id) = match error.beyond_scope.as_deref() {
        Some(&(kind, id)) => (kind.to_owned(), Some(id)),
        None => (
            record_type(&route),
            req.match_info()
                .get("id")
                .and_then(|id| Uuid::parse_str(id).ok()),
        ),
    };
    let code = if error.beyond_scope.is_some() {
        "beyond_scope"
    } else {
        error.code.as_str()
    };
    let ip = req.peer_addr().map(|a| a.ip().to_string());
    let notice = Notice {
        action: "access.denied",
        resource_type: &resource_type,
        resource_id,
        detail: json!({
            "method": req.method().as_str(),
            "route": route,
            "status": error.code.status().as_u16(),
            "code": code,
            "reason": error.detail,
        }),
    };
    let by = By::Caller {
        principal: Some(principal),
        request_id,
        ip: ip.as_deref(),
    };
    if let Err(e) = audit::note(&state.db, by, notice).await {
        tracing::error!(error = %e, "a refused request could not be recorded in the audit trail");
    }
}

/// The kind of record a route is about: its collection, named in the singular as the audit trail
/// names records (`/api/v1/api-keys/{id}` is about an `api_key`).
fn record_type(route: &str) -> String {
    let collection = route
        .trim_start_matches("/api/v1/")
        .split('/')
        .next()
        .unwrap_or_default()
        .replace('-', "_");
    if let Some(stem) = collection.strip_suffix("ies") {
        format!("{stem}y")
    } else if collection.ends_with("sses") {
        collection[..collection.len() - 2].to_owned()
    } else {
        collection
            .strip_suffix('s')
            .unwrap_or(&collection)
            .to_owned()
    }
}

impl ApiError {
    /// 404 for a record that exists beyond the caller's scope: the same answer as a missing one,
    /// recorded as a refusal.
    pub fn beyond_scope(kind: &'static str, id: Uuid) -> Self {
        Self {
            beyond_scope: Some(Box::new((kind, id))),
            ..Self::new(ErrorCode::NotFound, "no such record")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::record_type;

    #[test]
    fn a_route_names_its_record_in_the_singular() {
        assert_eq!(record_type("/api/v1/customers/{id}/contacts"), "customer");
        assert_eq!(record_type("/api/v1/api-keys/{id}"), "api_key");
        assert_eq!(record_type("/api/v1/categories/{id}"), "category");
        assert_eq!(record_type("/api/v1/addresses"), "address");
        assert_eq!(record_type("/api/v1/audit-events"), "audit_event");
    }
}
