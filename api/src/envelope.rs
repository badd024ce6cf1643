//! The middleware every request passes through: it gives the request an id, opens its tracing
//! span, renders every error response as problem+json (the framework's own 404, 405, 413 and 415
//! included) and adds the security headers.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse};
use tracing::Instrument;

use crate::problem::{ApiError, ErrorCode, Lang, Problem, ProblemField, field_message};

/// The request's id, from `X-Request-Id` when the caller sent a sensible one.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// `X-Request-Id`.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| {
            let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
            uuid::Uuid::now_v7()
                .hyphenated()
                .encode_lower(&mut text)
                .to_owned()
        })
}

/// Wraps every request; see the module documentation.
pub async fn envelope(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, Error> {
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let is_docs = req.path().starts_with("/swagger-ui");
    let is_api = req.path().starts_with("/api/");
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), route = tracing::field::Empty);
    let started = std::time::Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let res = result?;
    let status = res.status();
    if !span.is_disabled() {
        // Finding the route pattern costs a router lookup: only when the span is recorded.
        let route = res.request().match_pattern().unwrap_or_default();
        span.record(
            "route",
            crate::auth::permissions::without_regexes(&route).as_str(),
        );
    }
    let problem = if status.is_client_error() || status.is_server_error() {
        let is_problem = res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
        if is_problem {
            None
        } else {
            let error = res
                .response()
                .error()
                .and_then(|e| e.as_error::<ApiError>())
                .cloned();
            let error = error.unwrap_or_else(|| {
                let code = ErrorCode::for_status(status);
                let detail = res
                    .response()
                    .error()
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| code.title(Lang::En).to_owned());
                ApiError::new(code, detail)
            });
            Some(error)
        }
    } else {
        None
    };
    if let Some(error) = &problem {
        crate::auth::denials::record(res.request(), &id, error).await;
    }
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let _entered = span.enter();
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), elapsed_ms, "request failed");
    } else {
        tracing::info!(status = status.as_u16(), elapsed_ms, "request");
    }
    let mut res = match problem {
        Some(error) => {
            let lang = Lang::negotiate(
                res.request()
                    .headers()
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
            );
            let path = res.request().path().to_owned();
            let response = render(&error, &path, &id, lang, &res);
            res.into_response(response).map_into_right_body()
        }
        None => {
            let r: ServiceResponse<EitherBody<BoxBody>> =
                res.map_body(|_, body| EitherBody::left(body.boxed()));
            r
        }
    };
    let headers = res.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if is_docs {
        // The Swagger UI runs its own scripts, but no other site may frame it.
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        );
    } else {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if is_api {
        // Any answer of the API may carry personal data: no cache, shared or private, keeps it.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

fn render<B>(
    error: &ApiError,
    path: &str,
    request_id: &str,
    lang: Lang,
    original: &ServiceResponse<B>,
) -> HttpResponse<BoxBody> {
    let status = error.code.status();
    let problem = Problem {
        kind: format!("https://rapport.dev/problems/{}", error.code.as_str()),
        title: error.code.title(lang).to_owned(),
        status: status.as_u16(),
        detail: error.detail.clone(),
        instance: path.to_owned(),
        code: error.code,
        request_id: request_id.to_owned(),
        errors: error
            .errors
            .iter()
            .map(|e| ProblemField {
                field: e.field.clone(),
                code: e.code.to_owned(),
                message: field_message(e.code, &e.message, lang),
            })
            .collect(),
        current_version: error.current_version,
    };
    let mut response = HttpResponse::build(status);
    response.content_type("application/problem+json");
    // Keep what inner layers said (Allow, Retry-After, rate-limit fields, CORS); only the body changes.
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            response.insert_header((name.clone(), value.clone()));
        }
    }
    if status == actix_web::http::StatusCode::UNAUTHORIZED
        && !original.headers().contains_key(header::WWW_AUTHENTICATE)
    {
        response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
    }
    if let Some(methods) = &error.allow {
        response.insert_header((header::ALLOW, methods.clone()));
    }
    if let Some(seconds) = error.retry_after {
        response.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    response.body(serde_json::to_vec(&problem).unwrap_or_default())
}
