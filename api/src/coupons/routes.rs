//! Coupon handlers: creating, listing, reading, changing and deleting coupon definitions.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use rapport_domain::marketing::coupons::{self as rules, CouponInput};
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_persistence::marketing::coupons::{self as store, CouponFilter};
use uuid::Uuid;

use super::dto::{CouponListQuery, CouponView, CreateCoupon, UpdateCoupon};
use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// List coupons.
///
/// Newest first unless `sort` says otherwise; `usable=true` keeps those a customer could use now.
#[utoipa::path(
    tag = "coupons",
    operation_id = "list_coupons",
    params(CouponListQuery),
    responses((status = 200, description = "One page of coupons", body = PageOf<CouponView>)),
    security(("bearer" = []))
)]
#[get("/coupons")]
pub async fn list_coupons(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<CouponListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = SortOrder::parse(
        q.sort.as_deref(),
        rules::SORTABLE,
        SortKey::descending("created_at"),
    )
    .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))?;
    let filter = CouponFilter {
        status: q.status.map(Into::into),
        kind: q.kind.map(Into::into),
        usable_at: q.usable.unwrap_or(false).then(|| state.clock.now()),
    };
    let list = store::list(state.db.conn(), &filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, CouponView::from)))
}

/// Create a coupon.
///
/// Emits `coupon.created`.
#[utoipa::path(
    tag = "coupons",
    operation_id = "create_coupon",
    request_body = CreateCoupon,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = CouponView,
            headers(("Location" = String, description = "The coupon's URL"), ("ETag" = String, description = "The version"))),
        (status = 409, description = "`coupon_code_taken`: another coupon, or an issued coupon, has the code", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/coupons")]
pub async fn create_coupon(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateCoupon>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let default_currency = crate::settings::default_currency(&state).await?;
    let input: CouponInput = body.checked(|dto| {
        let mut input = CouponInput::from(dto);
        input.terms.currency.get_or_insert(default_currency);
        Ok(input)
    })?;
    let outcome = store::create(&state.db, &auth.actor, input, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let coupon = outcome.into_inner();
    let location = format!("/api/v1/coupons/{}", coupon.id);
    let version = coupon.version;
    Ok(created(
        &CouponView::from(coupon),
        location,
        version,
        replayed,
    ))
}

/// Get a coupon.
///
/// With its counts of redemptions and of coupons issued.
#[utoipa::path(
    tag = "coupons",
    operation_id = "get_coupon",
    params(("id" = Uuid, Path, description = "Coupon id")),
    responses((status = 200, description = "The coupon", body = CouponView,
        headers(("ETag" = String, description = "The version, for If-Match")))),
    security(("bearer" = []))
)]
#[get("/coupons/{id:[0-9a-fA-F-]+}")]
pub async fn get_coupon(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let coupon = store::get(state.db.conn(), id.into_inner()).await?;
    let version = coupon.version;
    Ok(ok_versioned(&CouponView::from(coupon), version))
}

/// Change a coupon.
///
/// Checked again as a whole; a total limit cannot go below the redemptions made. Orders placed
/// keep the discount they were given; pausing stops payments from redeeming it. With
/// `If-Match: "<version>"` the change applies only to that version. Emits `coupon.updated`.
#[utoipa::path(
    tag = "coupons",
    operation_id = "update_coupon",
    request_body = UpdateCoupon,
    params(
        ("id" = Uuid, Path, description = "Coupon id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed coupon", body = CouponView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`coupon_code_taken`: another coupon, or an issued coupon, has the code", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/coupons/{id:[0-9a-fA-F-]+}")]
pub async fn update_coupon(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateCoupon>,
) -> Result<HttpResponse, ApiError> {
    let input: CouponInput = body.checked(|dto| Ok(dto.into()))?;
    let coupon = store::update(&state.db, &auth.actor, id.into_inner(), input, if_match.0).await?;
    let version = coupon.version;
    Ok(ok_versioned(&CouponView::from(coupon), version))
}

/// Delete a coupon.
///
/// With the coupons issued of it. A coupon an order has taken, a reward offers, or a customer
/// bought with points and holds unused stays (409 `coupon_in_use`): pause it instead. Emits `coupon.deleted`.
#[utoipa::path(
    tag = "coupons",
    operation_id = "delete_coupon",
    params(
        ("id" = Uuid, Path, description = "Coupon id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "`coupon_in_use`: orders have taken the coupon, rewards offer it, or customers hold it bought with points", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/coupons/{id:[0-9a-fA-F-]+}")]
pub async fn delete_coupon(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    store::delete(&state.db, &auth.actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
