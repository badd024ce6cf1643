//! Request budgets per caller, with the IETF `RateLimit-Policy` and `RateLimit` headers on every
//! API response and `Retry-After` on 429.
//!
//! A fixed window per caller and policy: it gives exact `remaining` and `reset` values for the
//! headers, and it is the same INCR-with-expiry algorithm a shared store (Redis) runs, so moving the
//! counters there later changes no answer. Counters live in memory, per node, for now.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Data;
use sha2::{Digest, Sha256};

use crate::problem::{ApiError, ErrorCode};

/// A named budget: `quota` requests per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The name in the headers.
    pub name: &'static str,
    /// Requests allowed per window.
    pub quota: u32,
    /// The window.
    pub window: Duration,
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// Requests left in this window.
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset: u64,
}

/// Counters per caller and policy.
pub struct RateLimiter {
    /// The budget for sign-in, refresh and sign-out, per client address.
    pub auth: Policy,
    /// The budget for everything else, per credential (or address without one).
    pub default: Policy,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// A limiter with these budgets per minute.
    pub fn per_minute(auth: u32, default: u32) -> Self {
        let minute = Duration::from_secs(60);
        Self {
            auth: Policy {
                name: "auth",
                quota: auth,
                window: minute,
            },
            default: Policy {
                name: "default",
                quota: default,
                window: minute,
            },
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `caller` under `policy`.
    pub fn check(&self, policy: Policy, caller: &str) -> Decision {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < policy.window);
        }
        let entry = windows
            .entry(format!("{}:{caller}", policy.name))
            .or_insert((now, 0));
        if now.duration_since(entry.0) >= policy.window {
            *entry = (now, 0);
        }
        let reset = policy
            .window
            .saturating_sub(now.duration_since(entry.0))
            .as_secs()
            .max(1);
        if entry.1 >= policy.quota {
            return Decision {
                allowed: false,
                remaining: 0,
                reset,
            };
        }
        entry.1 += 1;
        Decision {
            allowed: true,
            remaining: policy.quota - entry.1,
            reset,
        }
    }
}

fn caller(req: &ServiceRequest) -> String {
    match req.headers().get(header::AUTHORIZATION) {
        Some(credential) => crate::extract::hex(&Sha256::digest(credential.as_bytes())[..12]),
        None => req
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default(),
    }
}

/// Applies the budgets to every request under `/api/v1`.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let limiter = req.app_data::<Data<RateLimiter>>().cloned();
    let Some(limiter) = limiter.filter(|_| req.path().starts_with("/api/v1/")) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let (policy, caller) = if req.path().starts_with("/api/v1/auth/") {
        (
            limiter.auth,
            req.peer_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
        )
    } else {
        (limiter.default, caller(&req))
    };
    let decision = limiter.check(policy, &caller);
    let mut res = if decision.allowed {
        next.call(req).await?.map_into_left_body()
    } else {
        let error = ApiError {
            retry_after: Some(decision.reset),
            ..ApiError::new(
                ErrorCode::RateLimited,
                format!(
                    "the `{}` budget of {} requests per {} seconds is spent",
                    policy.name,
                    policy.quota,
                    policy.window.as_secs()
                ),
            )
        };
        req.error_response(error).map_into_right_body()
    };
    let headers = res.headers_mut();
    let policy_header = format!(
        "\"{}\";q={};w={}",
        policy.name,
        policy.quota,
        policy.window.as_secs()
    );
    let state_header = format!(
        "\"{}\";r={};t={}",
        policy.name, decision.remaining, decision.reset
    );
    if let (Ok(p), Ok(s)) = (
        HeaderValue::from_str(&policy_header),
        HeaderValue::from_str(&state_header),
    ) {
        headers.insert(header::HeaderName::from_static("ratelimit-policy"), p);
        headers.insert(header::HeaderName::from_static("ratelimit"), s);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_is_refused_after_the_quota_until_the_window_resets() {
        let limiter = RateLimiter::per_minute(2, 3);
        let policy = limiter.auth;
        assert_eq!(limiter.check(policy, "a").remaining, 1);
        assert!(limiter.check(policy, "a").allowed);
        let refused = limiter.check(policy, "a");
        assert!(!refused.allowed);
        assert!(refused.reset >= 1 && refused.reset <= 60);
        assert!(
            limiter.check(policy, "b").allowed,
            "callers have their own budgets"
        );
        assert!(
            limiter.check(limiter.default, "a").allowed,
            "policies have their own budgets"
        );
    }
}
