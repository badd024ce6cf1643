use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use rapport_domain::access::{Action, Actor, Permission, Principal, Resource, Scope};
use rapport_persistence::access::api_keys;
use rapport_persistence::audit;
use uuid::Uuid;

use super::denials::Caller;
use super::permissions::{self, Access};
use super::tokens::hash_token;
use crate::envelope::RequestId;
use crate::problem::{ApiError, ErrorCode};
use crate::state::AppState;

/// An authenticated and authorised caller: the actor and the scope in which the route's
/// permission is held. Taking this extractor is what makes a handler require authentication.
#[derive(Debug, Clone)]
pub struct Auth {
    /// Who calls.
    pub actor: Actor,
    /// The scope of the route's permission.
    pub scope: Scope,
}

impl Auth {
    /// The owner every query must be restricted to, for scope `own`.
    pub fn owner(&self) -> Option<Uuid> {
        self.actor.owner_filter(self.scope)
    }

    /// The caller's scope for a permission the operation needs besides its route's (converting
    /// a lead makes a customer): 403 `forbidden` without it.
    pub fn also(&self, resource: Resource, action: Action) -> Result<Scope, ApiError> {
        self.actor
            .scope_for(Permission::new(resource, action))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Forbidden,
                    format!(
                        "this also needs the permission {}:{}",
                        resource.as_str(),
                        action.as_str()
                    ),
                )
            })
    }

    /// How much of email addresses and phone numbers the caller sees.
    pub fn disclosure(&self) -> rapport_domain::customers::Disclosure {
        rapport_domain::customers::Disclosure::of(&self.actor)
    }
}

impl Auth {
    /// Records in the audit trail something the caller did that changed nothing but must be
    /// seen (a read of personal data in bulk), before it is answered: what cannot be recorded is
    /// not served.
    pub async fn note(
        &self,
        state: &AppState,
        action: &str,
        resource_type: &str,
        resource_id: Option<Uuid>,
        detail: serde_json::Value,
    ) -> Result<(), ApiError> {
        let notice = audit::Notice {
            action,
            resource_type,
            resource_id,
            detail,
        };
        audit::note(&state.db, audit::By::Actor(&self.actor), notice).await?;
        Ok(())
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<Data<AppState>>().cloned();
        let token = bearer(req);
        let method = req.method().as_str().to_owned();
        let pattern = req.match_pattern().unwrap_or_default();
        let request_id = req
            .extensions()
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let ip = req.peer_addr().map(|a| a.ip().to_string());
        let req = req.clone();
        Box::pin(async move {
            let state = state
                .ok_or_else(|| ApiError::new(ErrorCode::Internal, "application state missing"))?;
            let token = token.ok_or_else(|| {
                ApiError::unauthenticated("send a bearer token in the Authorization header")
            })?;
            let actor = if token.starts_with("rk_") {
                let key = api_keys::authenticate(state.db.conn(), &hash_token(&token))
                    .await?
                    .ok_or_else(|| {
                        ApiError::unauthenticated("the API key is unknown, expired or revoked")
                    })?;
                Actor {
                    principal: Principal::ApiKey(key.key_id),
                    owner_id: key.owner_id,
                    role: key.role,
                    grants: key.grants,
                    request_id,
                    ip,
                }
            } else {
                let user_id = state
                    .tokens()?
                    .verify(&token)
                    .ok_or_else(|| ApiError::unauthenticated("the token is invalid or expired"))?;
                let standing = state
                    .standings
                    .get(&state.db, user_id)
                    .await?
                    .filter(|s| s.active)
                    .ok_or_else(|| {
                        ApiError::unauthenticated("the account is disabled or no longer exists")
                    })?;
                Actor {
                    principal: Principal::User(standing.user_id),
                    owner_id: standing.user_id,
                    role: standing.role,
                    grants: standing.grants,
                    request_id,
                    ip,
                }
            };
            // Refusals from here on are audited with who was refused (`denials`).
            req.extensions_mut().insert(Caller(actor.principal));
            let forbidden = || {
                ApiError::new(
                    ErrorCode::Forbidden,
                    "your role does not allow this operation",
                )
            };
            let scope = match permissions::required(&method, &pattern) {
                Some(Access::SignedIn) => Scope::Own,
                Some(Access::Requires(permission)) => {
                    actor.scope_for(permission).ok_or_else(forbidden)?
                }
                None => {
                    tracing::error!(%method, %pattern, "route missing from the permission table; denied");
                    return Err(forbidden());
                }
            };
            Ok(Auth { actor, scope })
        })
    }
}
