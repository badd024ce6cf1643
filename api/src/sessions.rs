//! Sessions: `/auth/login`, `/auth/refresh`, `/auth/logout` and `/me`.

use actix_web::web::Data;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, post};
use rapport_domain::access::Principal;
use rapport_domain::values::Email;
use rapport_domain::{FieldError, FieldErrors};
use rapport_persistence::access::{sessions, users};
use rapport_persistence::audit::{self, By, Notice};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::throttle::Locked;
use crate::auth::tokens::{hash_token, new_refresh_token};
use crate::auth::{Auth, password};
use crate::envelope::RequestId;
use crate::extract::ValidJson;
use crate::problem::{ApiError, ErrorCode, Problem};
use crate::state::AppState;
use crate::users::UserView;

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "admin@rapport.localhost", "password": "correct horse battery staple"}))]
pub struct LoginRequest {
    /// Sign-in email.
    #[schema(max_length = 254)]
    pub email: String,
    /// Password.
    #[schema(max_length = 128)]
    pub password: String,
}

/// A refresh token to rotate or revoke.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "rt_5f0c…"}))]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh.
    #[schema(max_length = 512)]
    pub refresh_token: String,
}

impl RefreshRequest {
    /// The longest refresh token accepted; issued ones are far shorter.
    const MAX_LEN: usize = 512;

    /// The token's hash, or 422 when the token is longer than any Rapport issues.
    fn token_hash(&self) -> Result<String, ApiError> {
        if self.refresh_token.chars().count() > Self::MAX_LEN {
            return Err(ApiError::validation(
                FieldError::new(
                    "refresh_token",
                    "too_long",
                    "must be at most 512 characters",
                )
                .into(),
            ));
        }
        Ok(hash_token(&self.refresh_token))
    }
}

/// A token pair.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMTkz…",
    "refresh_token": "rt_5f0c2a…",
    "token_type": "Bearer",
    "expires_in": 900
}))]
pub struct TokenPair {
    /// A JWT for the `Authorization: Bearer` header.
    pub access_token: String,
    /// An opaque token for `/auth/refresh`; each one works once.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

async fn issue_pair(
    state: &AppState,
    user_id: uuid::Uuid,
    refresh: String,
) -> Result<TokenPair, ApiError> {
    let access_token = state
        .tokens()?
        .issue(user_id)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("could not sign a token: {e}")))?;
    Ok(TokenPair {
        access_token,
        refresh_token: refresh,
        token_type: "Bearer".into(),
        expires_in: state.tokens()?.access_ttl,
    })
}

fn refresh_expiry(state: &AppState) -> chrono::DateTime<chrono::Utc> {
    rapport_persistence::now() + chrono::Duration::seconds(state.config.refresh_token_ttl)
}

/// Sign in.
///
/// Exchanges email and password for an access token and a refresh token. Wrong credentials and
/// unknown accounts get the same answer. Repeated failures for one account or from one address
/// are refused with 429 and `Retry-After` for a while.
#[utoipa::path(
    tag = "auth",
    operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "`unauthenticated`: wrong email or password; an unknown account gets the same answer", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many failed sign-ins for this account or from this address; wait for Retry-After seconds", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("/auth/login")]
pub async fn login(
    state: Data<AppState>,
    req: HttpRequest,
    body: ValidJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest {
        email,
        password: given,
    } = body.value()?;
    // Lengths first: nothing longer than any account's email or password is hashed or counted.
    let mut errors = FieldErrors::new();
    for (field, value, most) in [("email", &email, 254), ("password", &given, 128)] {
        if value.chars().nth(most).is_some() {
            errors.push(FieldError::new(
                field,
                "too_long",
                format!("must be at most {most} characters"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let account = email.trim().to_lowercase();
    let address = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    if let Some(seconds) = state.login_throttle.blocked_for(&account, &address) {
        return Err(ApiError {
            retry_after: Some(seconds),
            ..ApiError::new(
                ErrorCode::RateLimited,
                "too many failed sign-ins; try again later",
            )
        });
    }
    let request_id = request_id_of(&req);
    let anonymous = By::Caller {
        principal: None,
        request_id: &request_id,
        ip: Some(&address),
    };
    // The address typed is recorded only when it is one (or an account's): a password typed into
    // the email field must not end up in the trail.
    let recordable = Email::parse("email", &email).ok();
    let email = Email::typed_at_sign_in(&email);
    let credentials = match &email {
        Some(email) => users::find_credentials(state.db.conn(), email).await?,
        None => None,
    };
    let stored = credentials
        .as_ref()
        .map_or(password::decoy(), |c| c.password_hash.as_str())
        .to_owned();
    let matches = state.passwords.verify(given, stored).await;
    let user = match credentials {
        Some(c) if matches && c.user.status == users::UserStatus::Active => c.user,
        other => {
            let reason = match &other {
                None => "unknown_account",
                Some(c) if c.user.status != users::UserStatus::Active => "account_disabled",
                Some(_) => "wrong_password",
            };
            let typed = match &other {
                Some(c) => Some(c.user.email.as_str()),
                None => recordable.as_ref().map(Email::as_str),
            };
            let account_id = other.as_ref().map(|c| c.user.id);
            let failed = Notice {
                action: "auth.sign_in_failed",
                resource_type: "user",
                resource_id: account_id,
                detail: json!({"email": typed, "reason": reason}),
            };
            audit::note(&state.db, anonymous, failed).await?;
            for locked in state.login_throttle.fail(&account, &address) {
                let lockout = Notice {
                    action: "auth.locked_out",
                    resource_type: "user",
                    resource_id: account_id.filter(|_| locked == Locked::Account),
                    detail: json!({
                        "email": typed,
                        "locked": locked.as_str(),
                        "seconds": state.config.login_window,
                    }),
                };
                audit::note(&state.db, anonymous, lockout).await?;
            }
            return Err(ApiError::unauthenticated("wrong email or password"));
        }
    };
    state.login_throttle.succeed(&account);
    let (refresh, refresh_hash) = new_refresh_token();
    let txn = state.db.begin_write().await?;
    sessions::issue(&*txn, user.id, None, refresh_hash, refresh_expiry(&state)).await?;
    users::record_login(&*txn, user.id).await?;
    let signed_in = Notice {
        action: "auth.signed_in",
        resource_type: "user",
        resource_id: Some(user.id),
        detail: json!({"method": "password"}),
    };
    let by = By::Caller {
        principal: Some(Principal::User(user.id)),
        request_id: &request_id,
        ip: Some(&address),
    };
    audit::note_in(&*txn, by, signed_in).await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(issue_pair(&state, user.id, refresh).await?))
}

/// The request's id, as the envelope gave it.
fn request_id_of(req: &HttpRequest) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

/// Rotate a refresh token.
///
/// Returns a new token pair; the refresh token sent stops working. Sending a refresh token that
/// was already rotated revokes every token of that sign-in, since it suggests the token leaked.
#[utoipa::path(
    tag = "auth",
    operation_id = "refresh_token",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New token pair", body = TokenPair),
        (status = 401, description = "`unauthenticated`: unknown, expired, revoked or reused refresh token", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("/auth/refresh")]
pub async fn refresh_token(
    state: Data<AppState>,
    req: HttpRequest,
    body: ValidJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let (next, next_hash) = new_refresh_token();
    let request_id = request_id_of(&req);
    let ip = req.peer_addr().map(|a| a.ip().to_string());
    let origin = By::Caller {
        principal: None,
        request_id: &request_id,
        ip: ip.as_deref(),
    };
    let rotated = sessions::rotate(
        &state.db,
        &body.value()?.token_hash()?,
        next_hash,
        refresh_expiry(&state),
        origin,
    )
    .await?;
    let user_id = match rotated {
        Ok(user_id) => user_id,
        Err(sessions::Refusal::Reused(_)) => {
            tracing::warn!("a rotated refresh token was presented again; its family was revoked");
            return Err(ApiError::unauthenticated(
                "this refresh token was already used; sign in again",
            ));
        }
        Err(sessions::Refusal::Invalid) => {
            return Err(ApiError::unauthenticated(
                "the refresh token is invalid or expired",
            ));
        }
    };
    let active = users::standing(state.db.conn(), user_id)
        .await?
        .is_some_and(|s| s.active);
    if !active {
        return Err(ApiError::unauthenticated("the account is disabled"));
    }
    Ok(HttpResponse::Ok().json(issue_pair(&state, user_id, next).await?))
}

/// Sign out.
///
/// Revokes the refresh token and every token rotated from the same sign-in. Unknown tokens are
/// accepted silently. Access tokens already issued stay valid until they expire.
#[utoipa::path(
    tag = "auth",
    operation_id = "logout",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Signed out"),
    ),
    security(())
)]
#[post("/auth/logout")]
pub async fn logout(
    state: Data<AppState>,
    body: ValidJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    sessions::revoke(&state.db, &body.value()?.token_hash()?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller.
///
/// The signed-in user's own account, with their role. Called with an API key, it returns the
/// account of the user who created the key.
#[utoipa::path(
    tag = "auth",
    operation_id = "get_me",
    responses(
        (status = 200, description = "The caller's account", body = UserView),
        (status = 401, description = "`unauthenticated`: no, expired or invalid bearer token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/me")]
pub async fn get_me(state: Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    let user = users::get(state.db.conn(), auth.actor.owner_id).await?;
    Ok(crate::respond::ok_versioned(
        &UserView::from(user.clone()),
        user.version,
    ))
}
