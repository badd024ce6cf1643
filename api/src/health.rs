//! `/health/live` and `/health/ready`.

use actix_web::web::Data;
use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use crate::problem::{ApiError, Problem};
use crate::state::{AppState, not_ready};

/// The server's health.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok", "database": "ok"}))]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The database's state, on readiness checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// Liveness.
///
/// The process answers. Needs no credentials.
#[utoipa::path(
    tag = "health",
    operation_id = "health_live",
    responses((status = 200, description = "Alive", body = Health)),
    security(())
)]
#[get("/health/live")]
pub async fn health_live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
        database: None,
    })
}

/// Readiness.
///
/// The database was prepared since start and answers now. Needs no credentials.
#[utoipa::path(
    tag = "health",
    operation_id = "health_ready",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "`unavailable`: the database does not answer, or has not since start", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/health/ready")]
pub async fn health_ready(state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    if !state.is_ready() {
        return Err(not_ready());
    }
    // An unreachable server would hold the check for the pool's whole acquire timeout.
    let answered = tokio::time::timeout(READY_CHECK, state.db.ping()).await;
    if !matches!(answered, Ok(Ok(()))) {
        return Err(ApiError::unavailable("the database does not answer"));
    }
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".into(),
        database: Some("ok".into()),
    }))
}

/// How long readiness waits for the database.
const READY_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// Until the database is prepared, every API request is answered 503 with `Retry-After`: the
/// health checks, the document and the Swagger UI are served all the same.
pub async fn until_ready(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let ready = req
        .app_data::<Data<AppState>>()
        .is_some_and(|state| state.is_ready());
    if ready || !req.path().starts_with("/api/") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    Ok(req.error_response(not_ready()).map_into_right_body())
}
