//! Pricing a draft order with a coupon: what the order would cost, and why a coupon does not
//! apply.

use actix_web::web::Data;
use actix_web::{HttpResponse, post};
use rapport_domain::FieldErrors;
use rapport_domain::custom_fields::FieldOwner;
use rapport_domain::orders::NewOrder;
use rapport_persistence::orders::{self as orders_store, Quote};
use serde::{Deserialize, Serialize};
use serde_json::Map;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{ValidJson, whole};
use crate::orders::{CreateOrderLine, DiscountView, OrderLineView};
use crate::problem::ApiError;
use crate::state::AppState;

/// A draft order to price.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "customer_id": "0193a5c6-1111-7000-8000-000000000001",
    "currency": "CNY",
    "lines": [{"variant_id": "0193a5c6-6666-7000-8000-000000000002", "quantity": 1}],
    "shipping": 1000,
    "coupon_code": "WINTER50"
}))]
pub struct ValidateCoupon {
    /// The customer the order would be for.
    pub customer_id: Uuid,
    /// ISO 4217 code of the order; the workspace's `default_currency` when absent.
    pub currency: Option<String>,
    /// 1 to 200 lines, as an order takes them.
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<CreateOrderLine>,
    /// Shipping, minor units (default 0).
    #[serde(default, deserialize_with = "whole")]
    pub shipping: i64,
    /// The coupon code to try (any case).
    #[schema(
        min_length = 4,
        max_length = 32,
        pattern = "^[A-Za-z0-9_-]{4,32}$",
        example = "WINTER50"
    )]
    pub coupon_code: Option<String>,
}

/// What a coupon does for the draft.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "WINTER50", "applies": false, "reason_code": "below_minimum",
    "reason": "the lines the coupon applies to come to 19900, under its minimum of 30000"}))]
pub struct CouponVerdict {
    /// The code tried, in capitals.
    pub code: String,
    /// Whether it gives the draft a discount.
    pub applies: bool,
    /// Why not: `unknown_code`, `not_issued_to_customer`, `already_used`, `coupon_paused`,
    /// `not_started`, `coupon_expired`, `currency_mismatch`, `below_minimum`,
    /// `no_eligible_items`, `coupon_exhausted`, `customer_limit_reached` or `gift_unavailable`.
    pub reason_code: Option<String>,
    /// Why not, in words.
    pub reason: Option<String>,
}

/// A draft order priced as placing it would price it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "currency": "CNY",
    "lines": [{
        "id": "0193a5c6-8888-7000-8000-000000000002",
        "variant_id": "0193a5c6-6666-7000-8000-000000000002",
        "product_id": "0193a5c6-6666-7000-8000-000000000001",
        "sku": "RUN-PRO-RED-42", "name": "跑步鞋 Pro 红 / 42",
        "quantity": 1, "unit_price": 49900, "line_total": 49900, "restocked": 0
    }],
    "lines_total": 49900,
    "discounts": [{"source": "coupon", "source_id": "0193a5c6-9999-7000-8000-000000000001",
        "name": "冬季满 300 减 50", "code": "WINTER50", "amount": 5000, "gift_line_id": null}],
    "discount_total": 5000, "subtotal": 44900, "shipping": 1000, "total": 45900,
    "coupon": {"code": "WINTER50", "applies": true, "reason_code": null, "reason": null}
}))]
pub struct QuoteView {
    /// ISO 4217 code of every amount.
    pub currency: String,
    /// The lines as they would be sold, a coupon's gift last.
    pub lines: Vec<OrderLineView>,
    /// Sum of the line totals.
    pub lines_total: i64,
    /// The discounts the order would be given.
    pub discounts: Vec<DiscountView>,
    /// Their sum.
    pub discount_total: i64,
    /// `lines_total − discount_total`.
    pub subtotal: i64,
    /// Shipping.
    pub shipping: i64,
    /// `subtotal + shipping`.
    pub total: i64,
    /// What the coupon does, when a code was given.
    pub coupon: Option<CouponVerdict>,
}

impl From<Quote> for QuoteView {
    fn from(q: Quote) -> Self {
        let coupon = q.coupon_code.map(|code| CouponVerdict {
            code,
            applies: q.coupon_refusal.is_none(),
            reason_code: q.coupon_refusal.as_ref().map(|r| r.code().to_owned()),
            reason: q.coupon_refusal.as_ref().map(|r| r.message()),
        });
        QuoteView {
            currency: q.currency.code().to_owned(),
            lines: q.lines.into_iter().map(Into::into).collect(),
            lines_total: q.lines_total,
            discounts: q.discounts.into_iter().map(Into::into).collect(),
            discount_total: q.discount_total,
            subtotal: q.subtotal,
            shipping: q.shipping,
            total: q.total,
            coupon,
        }
    }
}

/// Validate a coupon.
///
/// Prices a draft order as placing it would (variant lines from the catalogue, the promotion in
/// force that takes the most off, the coupon's discount or gift, the member's tier discount, the
/// totals) and says whether the coupon applies and, if not, why; without a coupon, it shows what
/// the promotions give. Nothing is stored and the coupon is not used: its limits are read as they
/// stand now, and paying the order decides.
#[utoipa::path(
    tag = "coupons",
    operation_id = "validate_coupon",
    request_body = ValidateCoupon,
    responses((status = 200, description = "The draft priced, and the coupon's verdict", body = QuoteView)),
    security(("bearer" = []))
)]
#[post("/coupons/validate")]
pub async fn validate_coupon(
    state: Data<AppState>,
    _auth: Auth,
    body: ValidJson<ValidateCoupon>,
) -> Result<HttpResponse, ApiError> {
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Order).await?;
    let default_currency = crate::settings::default_currency(&state).await?;
    let draft = body.checked(|dto| {
        let mut shape = FieldErrors::new();
        let lines = crate::orders::domain_lines(dto.lines, &mut shape);
        let checked = NewOrder {
            customer_id: dto.customer_id,
            sales_user_id: None,
            currency: dto.currency.unwrap_or(default_currency),
            lines,
            shipping: dto.shipping,
            channel: None,
            external_id: None,
            note: None,
            recipient: Default::default(),
            ship_to: Default::default(),
            custom_fields: Map::new(),
            coupon_code: dto.coupon_code,
            campaign_id: None,
        }
        // Required custom fields are an order's to give when it is placed, not a draft's.
        .check(
            &definitions
                .iter()
                .filter(|d| !d.required)
                .cloned()
                .collect::<Vec<_>>(),
        );
        shape.then(checked)
    })?;
    let quote = orders_store::quote(state.db.conn(), None, draft, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(QuoteView::from(quote)))
}
