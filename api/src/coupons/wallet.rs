//! Issuing coupons into customers' wallets, and reading a customer's wallet.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use rapport_domain::marketing::coupons::MAX_ISSUE;
use rapport_domain::{FieldError, FieldErrors};
use rapport_persistence::marketing::coupons::{self as store, Recipients};
use uuid::Uuid;

use super::dto::{IssueCoupon, IssueOutcome, WalletCouponView, WalletQuery};
use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, answered, page};
use crate::state::AppState;

/// Whom to issue to, as sent: customers or a segment, exactly one.
enum Whom {
    Customers(Vec<Uuid>),
    Segment(Uuid),
}

/// Issue a coupon.
///
/// Puts the coupon in the wallets of the customers named, or of a segment's customers as of now,
/// one each, in one transaction; a customer who holds one of it unused is passed over. A coupon
/// without a shared code gives each a code of its own. Emits `coupon.issued` for each customer
/// (`resource_type` `customer`).
#[utoipa::path(
    tag = "coupons",
    operation_id = "issue_coupon",
    request_body = IssueCoupon,
    params(
        ("id" = Uuid, Path, description = "Coupon id"),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "How many were issued", body = IssueOutcome),
        (status = 409, description = "`too_many_matches`: the segment has more than 5000 customers; `segment_filter_outdated`: its filter names a field that no longer exists", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/coupons/{id:[0-9a-fA-F-]+}/issue")]
pub async fn issue_coupon(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    idempotency: IdempotencyHeader,
    body: ValidJson<IssueCoupon>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let whom = body.checked(|dto| match (dto.customer_ids, dto.segment_id) {
        (Some(ids), None) if (1..=MAX_ISSUE).contains(&ids.len()) => Ok(Whom::Customers(ids)),
        (Some(_), None) => Err(FieldErrors::from(FieldError::new(
            "customer_ids",
            "out_of_range",
            format!("1 to {MAX_ISSUE} customers"),
        ))),
        (None, Some(segment)) => Ok(Whom::Segment(segment)),
        _ => Err(FieldErrors::from(FieldError::new(
            "customer_ids",
            "one_of",
            "give customer_ids or segment_id, one of the two",
        ))),
    })?;
    let id = id.into_inner();
    let outcome = match whom {
        Whom::Customers(ids) => {
            let recipients = Recipients::Customers(&ids);
            store::issue(&state.db, &auth.actor, id, recipients, key.as_ref()).await?
        }
        Whom::Segment(segment_id) => {
            let audience =
                crate::segments::audience(&state, &auth, segment_id, "segment_id").await?;
            let recipients = Recipients::Selection(audience.selection());
            store::issue(&state.db, &auth.actor, id, recipients, key.as_ref()).await?
        }
    };
    let replayed = outcome.is_replay();
    let done = outcome.into_inner();
    Ok(answered(
        &IssueOutcome {
            issued: done.issued,
            skipped: done.skipped,
        },
        replayed,
    ))
}

/// List a customer's coupons.
///
/// The coupons issued into the customer's wallet, newest first, with the code to give with an
/// order; `unused=true` keeps those not used yet.
#[utoipa::path(
    tag = "coupons",
    operation_id = "list_customer_coupons",
    params(("id" = Uuid, Path, description = "Customer id"), WalletQuery),
    responses((status = 200, description = "One page of the wallet", body = PageOf<WalletCouponView>)),
    security(("bearer" = []))
)]
#[get("/customers/{id:[0-9a-fA-F-]+}/coupons")]
pub async fn list_customer_coupons(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
    query: ValidQuery<WalletQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let unused = q.unused.unwrap_or(false);
    let list = store::wallet(state.db.conn(), id.into_inner(), unused, &request).await?;
    Ok(page(&PageOf::from_page(list, WalletCouponView::from)))
}
