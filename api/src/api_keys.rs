//! `/api-keys`: keys integrators send as `Authorization: Bearer rk_…`.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, post};
use chrono::{DateTime, Utc};
use rapport_domain::FieldErrors;
use rapport_persistence::access::api_keys::{self, ApiKey, NewApiKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::tokens::hash_token;
use crate::auth::{Auth, random_secret};
use crate::extract::{IdempotencyHeader, IfMatch, PageQuery, ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// A new API key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Shop sync", "role": "manager", "expires_at": "2027-11-23T00:00:00Z"}))]
pub struct CreateApiKey {
    /// What the key is for, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The role the key acts with.
    #[schema(max_length = 50)]
    pub role: String,
    /// When it stops working; never when absent. Must be in the future.
    pub expires_at: Option<DateTime<Utc>>,
}

/// An API key. `secret` is present only in the answer that created it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c7-4444-7000-8000-000000000005",
    "name": "Shop sync",
    "prefix": "rk_3f9a1c2b",
    "role": "manager",
    "created_by": "0193a5c4-0000-7000-8000-000000000001",
    "expires_at": "2027-11-23T00:00:00Z",
    "last_used_at": null,
    "created_at": "2026-11-23T08:00:00Z",
    "updated_at": "2026-11-23T08:00:00Z",
    "version": 1,
    "secret": "rk_3f9a1c2b_8d1e…"
}))]
pub struct ApiKeyView {
    /// Identifier.
    pub id: Uuid,
    /// What the key is for.
    pub name: String,
    /// The key's first characters.
    pub prefix: String,
    /// Role name.
    pub role: String,
    /// The user who created it.
    pub created_by: Uuid,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last use, to the minute.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
    /// The whole key, shown once at creation; store it now. Never returned again, not even by an
    /// idempotent replay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

fn view(key: ApiKey, secret: Option<String>) -> ApiKeyView {
    ApiKeyView {
        id: key.id,
        name: key.name,
        prefix: key.prefix,
        role: key.role,
        created_by: key.created_by,
        expires_at: key.expires_at,
        last_used_at: key.last_used_at,
        created_at: key.created_at,
        updated_at: key.updated_at,
        version: key.version,
        secret,
    }
}

/// Create an API key.
///
/// The answer holds the key in `secret`, the only time it is shown; Rapport keeps only its hash.
#[utoipa::path(
    tag = "api-keys",
    operation_id = "create_api_key",
    request_body = CreateApiKey,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created, with the secret", body = ApiKeyView,
            headers(("Location" = String, description = "The key's URL"), ("ETag" = String, description = "The version"))),
        (status = 403, description = "`privilege_escalation`: the role grants a permission (or a wider scope) you do not hold yourself", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/api-keys")]
pub async fn create_api_key(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateApiKey>,
) -> Result<HttpResponse, ApiError> {
    let idem = idempotency.scoped(&auth.actor, &req, &body.raw);
    let (name, role, expires_at) = body.checked(|dto| {
        let mut errors = FieldErrors::new();
        let name = errors.take(rapport_domain::validation::name("name", &dto.name, 1, 200));
        let role = crate::users::role_reference(&mut errors, dto.role);
        if dto.expires_at.is_some_and(|at| at <= Utc::now()) {
            errors.push(rapport_domain::FieldError::new(
                "expires_at",
                "in_past",
                "must be in the future",
            ));
        }
        match (name, role, errors.is_empty()) {
            (Some(name), Some(role), true) => Ok((name, role, dto.expires_at)),
            _ => Err(errors),
        }
    })?;
    let prefix = format!("rk_{}", &random_secret(1)[..8]);
    let secret = format!("{prefix}_{}", random_secret(2));
    let new = NewApiKey {
        name,
        role,
        expires_at,
        prefix,
        key_hash: hash_token(&secret),
    };
    let outcome = api_keys::create(&state.db, &auth.actor, new, idem.as_ref()).await?;
    let replayed = outcome.is_replay();
    let key = outcome.into_inner();
    let location = format!("/api/v1/api-keys/{}", key.id);
    let version = key.version;
    Ok(created(
        &view(key, (!replayed).then_some(secret)),
        location,
        version,
        replayed,
    ))
}

/// List API keys.
#[utoipa::path(
    tag = "api-keys",
    operation_id = "list_api_keys",
    params(PageQuery),
    responses((status = 200, description = "One page of keys, newest first, without secrets", body = PageOf<ApiKeyView>)),
    security(("bearer" = []))
)]
#[get("/api-keys")]
pub async fn list_api_keys(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let list = api_keys::list(state.db.conn(), &request).await?;
    Ok(page(&PageOf::from_page(list, |k| view(k, None))))
}

/// Get an API key.
#[utoipa::path(
    tag = "api-keys",
    operation_id = "get_api_key",
    params(("id" = Uuid, Path, description = "API key id")),
    responses((status = 200, description = "The key, without its secret", body = ApiKeyView, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = []))
)]
#[get("/api-keys/{id}")]
pub async fn get_api_key(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let key = api_keys::get(state.db.conn(), id.into_inner()).await?;
    let version = key.version;
    Ok(ok_versioned(&view(key, None), version))
}

/// Revoke an API key.
///
/// The key stops working at once and is gone from the API: reading it again is a 404. The audit
/// trail keeps its record (`api_key.revoked`).
#[utoipa::path(
    tag = "api-keys",
    operation_id = "revoke_api_key",
    params(
        ("id" = Uuid, Path, description = "API key id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "`privilege_escalation`: the key's role grants a permission (or a wider scope) you do not hold yourself", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/api-keys/{id}")]
pub async fn revoke_api_key(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    api_keys::revoke(&state.db, &auth.actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
