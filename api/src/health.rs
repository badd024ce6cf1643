//! `/health/live` and `/health/ready`.

use actix_web::web::Data;
use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::{ApiError, ErrorCode, Problem};
use crate::state::AppState;

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
/// The database answers. Needs no credentials.
#[utoipa::path(
    tag = "health",
    operation_id = "health_ready",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "`unavailable`: the database does not answer", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/health/ready")]
pub async fn health_ready(state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .db
        .ping()
        .await
        .map_err(|_| ApiError::new(ErrorCode::Unavailable, "the database does not answer"))?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".into(),
        database: Some("ok".into()),
    }))
}
