//! What goes over the wire for coupons.

use chrono::{DateTime, Utc};
use rapport_domain::marketing::coupons::{
    Coupon, CouponInput, CouponKind, CouponStatus, IssuedCoupon, TermsInput,
};
use rapport_persistence::marketing::coupons::WalletEntry;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::extract::{nullable, nullable_whole, optional_whole};

/// What a coupon takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CouponKindDto {
    /// A sum off (`amount_off`), perhaps above `min_order_amount`.
    FixedAmount,
    /// A share of the eligible lines (`percent_off`), perhaps capped by `max_discount`.
    Percentage,
    /// Spend `min_order_amount`, get `amount_off` off.
    Threshold,
    /// A variant given with the order (`gift_variant_id`).
    Gift,
}

mirror!(CouponKindDto <=> CouponKind { FixedAmount, Percentage, Threshold, Gift });

/// Whether a coupon can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CouponStatusDto {
    /// Usable within its window and limits.
    Active,
    /// Not usable until made active again.
    Paused,
}

mirror!(CouponStatusDto <=> CouponStatus { Active, Paused });

/// A new coupon. Which amounts it takes depends on its kind: `fixed_amount` needs `amount_off`,
/// `percentage` needs `percent_off` (and may have `max_discount`), `threshold` needs
/// `amount_off` and `min_order_amount`, `gift` needs `gift_variant_id`; any other amount is 422
/// `not_allowed`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "冬季满 300 减 50", "code": "WINTER50", "kind": "threshold", "currency": "CNY",
    "amount_off": 5000, "min_order_amount": 30000,
    "valid_from": "2026-12-01T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z",
    "total_limit": 1000, "per_customer_limit": 1
}))]
pub struct CreateCoupon {
    /// What it is called, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// What it is for, at most 2000 characters.
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// The one code everyone uses: 4 to 32 letters, digits, `-` or `_`, kept in capitals and
    /// unique (409 `coupon_code_taken`). Without one, every coupon issued to a customer gets a
    /// code of its own.
    #[schema(min_length = 4, max_length = 32, pattern = "^[A-Za-z0-9_-]{4,32}$")]
    pub code: Option<String>,
    /// What it takes off.
    pub kind: CouponKindDto,
    /// ISO 4217 code of its amounts; it applies to orders in this currency only. The
    /// workspace's `default_currency` when absent.
    pub currency: Option<String>,
    /// The sum off, minor units (`fixed_amount`, `threshold`).
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 1, maximum = 1000000000000000_i64)]
    pub amount_off: Option<i64>,
    /// The percentage off, 1 to 100 (`percentage`); rounded down to the minor unit.
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 1, maximum = 100)]
    pub percent_off: Option<i64>,
    /// The most a `percentage` coupon takes off, minor units.
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 1, maximum = 1000000000000000_i64)]
    pub max_discount: Option<i64>,
    /// The least the lines it applies to must come to, minor units; for `threshold`, the spend
    /// that earns `amount_off` (no less than it).
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 1, maximum = 1000000000000000_i64)]
    pub min_order_amount: Option<i64>,
    /// The variant given (`gift`): added to the order as a line at its price and taken off again.
    pub gift_variant_id: Option<Uuid>,
    /// Usable from (when absent, at once).
    pub valid_from: Option<DateTime<Utc>>,
    /// Usable until, exclusive, after `valid_from` (when absent, for ever).
    pub valid_until: Option<DateTime<Utc>>,
    /// Redemptions allowed in all, 1 to 10^9 (when absent, any number).
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 1, maximum = 1000000000)]
    pub total_limit: Option<i64>,
    /// Redemptions allowed per customer, 1 to 10^6 (when absent, any number).
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 1, maximum = 1000000)]
    pub per_customer_limit: Option<i64>,
    /// An order paid at or above this total (minor units, in the coupon's currency) earns its
    /// customer one of this coupon, into their wallet, while the coupon is active and within its
    /// window.
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 1, maximum = 1000000000000000_i64)]
    pub issued_for_orders_from: Option<i64>,
    /// The products whose lines it applies to, at most 100; with `category_ids` also empty, it
    /// applies to every line.
    #[schema(max_items = 100)]
    pub product_ids: Option<Vec<Uuid>>,
    /// The categories whose products' lines it applies to, at most 100.
    #[schema(max_items = 100)]
    pub category_ids: Option<Vec<Uuid>>,
    /// `active` (default) or `paused`.
    pub status: Option<CouponStatusDto>,
}

impl From<CreateCoupon> for CouponInput {
    fn from(d: CreateCoupon) -> Self {
        CouponInput {
            name: Some(d.name),
            description: Some(d.description),
            code: Some(d.code),
            terms: TermsInput {
                kind: Some(d.kind.into()),
                currency: d.currency,
                amount_off: Some(d.amount_off),
                percent_off: Some(d.percent_off),
                max_discount: Some(d.max_discount),
                min_order_amount: Some(d.min_order_amount),
                gift_variant_id: Some(d.gift_variant_id),
                valid_from: Some(d.valid_from),
                valid_until: Some(d.valid_until),
                product_ids: d.product_ids,
                category_ids: d.category_ids,
                status: d.status.map(Into::into),
            },
            total_limit: Some(d.total_limit),
            per_customer_limit: Some(d.per_customer_limit),
            issued_for_orders_from: Some(d.issued_for_orders_from),
        }
    }
}

/// Changes to a coupon: absent parts stay, `null` clears. The coupon is checked again as a whole;
/// orders placed keep the discount they were given.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "paused"}))]
pub struct UpdateCoupon {
    /// What it is called, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// What it is for, at most 2000 characters, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Option<String>>,
    /// The shared code, or `null` for codes of their own on the coupons issued from now on.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, min_length = 4, max_length = 32, pattern = "^[A-Za-z0-9_-]{4,32}$")]
    pub code: Option<Option<String>>,
    /// What it takes off.
    pub kind: Option<CouponKindDto>,
    /// ISO 4217 code of its amounts.
    pub currency: Option<String>,
    /// The sum off, or `null`.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1000000000000000_i64)]
    pub amount_off: Option<Option<i64>>,
    /// The percentage off, or `null`.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub percent_off: Option<Option<i64>>,
    /// The cap of a percentage, or `null`.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1000000000000000_i64)]
    pub max_discount: Option<Option<i64>>,
    /// The minimum of the eligible lines, or `null`.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1000000000000000_i64)]
    pub min_order_amount: Option<Option<i64>>,
    /// The gift, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub gift_variant_id: Option<Option<Uuid>>,
    /// Usable from, or `null` for at once.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub valid_from: Option<Option<DateTime<Utc>>>,
    /// Usable until, or `null` for ever.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub valid_until: Option<Option<DateTime<Utc>>>,
    /// Redemptions allowed in all, no fewer than made already, or `null` for any number.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1000000000)]
    pub total_limit: Option<Option<i64>>,
    /// Redemptions allowed per customer, or `null` for any number.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub per_customer_limit: Option<Option<i64>>,
    /// The order total that earns one, or `null` for none.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1000000000000000_i64)]
    pub issued_for_orders_from: Option<Option<i64>>,
    /// The products it applies to, replaced as a whole.
    #[schema(max_items = 100)]
    pub product_ids: Option<Vec<Uuid>>,
    /// The categories it applies to, replaced as a whole.
    #[schema(max_items = 100)]
    pub category_ids: Option<Vec<Uuid>>,
    /// `active` or `paused`.
    pub status: Option<CouponStatusDto>,
}

impl From<UpdateCoupon> for CouponInput {
    fn from(d: UpdateCoupon) -> Self {
        CouponInput {
            name: d.name,
            description: d.description,
            code: d.code,
            terms: TermsInput {
                kind: d.kind.map(Into::into),
                currency: d.currency,
                amount_off: d.amount_off,
                percent_off: d.percent_off,
                max_discount: d.max_discount,
                min_order_amount: d.min_order_amount,
                gift_variant_id: d.gift_variant_id,
                valid_from: d.valid_from,
                valid_until: d.valid_until,
                product_ids: d.product_ids,
                category_ids: d.category_ids,
                status: d.status.map(Into::into),
            },
            total_limit: d.total_limit,
            per_customer_limit: d.per_customer_limit,
            issued_for_orders_from: d.issued_for_orders_from,
        }
    }
}

/// A coupon.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c6-9999-7000-8000-000000000001", "name": "冬季满 300 减 50",
    "description": null, "code": "WINTER50", "kind": "threshold", "currency": "CNY",
    "amount_off": 5000, "percent_off": null, "max_discount": null, "min_order_amount": 30000,
    "gift_variant_id": null,
    "valid_from": "2026-12-01T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z",
    "total_limit": 1000, "per_customer_limit": 1, "issued_for_orders_from": null,
    "product_ids": [], "category_ids": [],
    "status": "active", "redeemed_count": 37, "issued_count": 1342,
    "created_at": "2026-11-28T09:00:00Z", "updated_at": "2026-11-28T09:00:00Z", "version": 1
}))]
pub struct CouponView {
    /// Identifier.
    pub id: Uuid,
    /// What it is called.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// The shared code; `null` when each issued coupon has its own.
    pub code: Option<String>,
    /// What it takes off.
    pub kind: CouponKindDto,
    /// The currency of its amounts.
    pub currency: String,
    /// The sum off.
    pub amount_off: Option<i64>,
    /// The percentage off.
    pub percent_off: Option<i64>,
    /// The cap of a percentage.
    pub max_discount: Option<i64>,
    /// The least the eligible lines must come to.
    pub min_order_amount: Option<i64>,
    /// The gift.
    pub gift_variant_id: Option<Uuid>,
    /// Usable from.
    pub valid_from: Option<DateTime<Utc>>,
    /// Usable until (exclusive).
    pub valid_until: Option<DateTime<Utc>>,
    /// Redemptions allowed in all.
    pub total_limit: Option<i64>,
    /// Redemptions allowed per customer.
    pub per_customer_limit: Option<i64>,
    /// An order paid at or above this total earns its customer one, into their wallet.
    pub issued_for_orders_from: Option<i64>,
    /// The products it applies to.
    pub product_ids: Vec<Uuid>,
    /// The categories it applies to.
    pub category_ids: Vec<Uuid>,
    /// Whether it can be used.
    pub status: CouponStatusDto,
    /// Redemptions so far, those given back by refunds not counted.
    pub redeemed_count: i64,
    /// Coupons issued into wallets so far.
    pub issued_count: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<Coupon> for CouponView {
    fn from(coupon: Coupon) -> Self {
        let c = coupon.terms;
        CouponView {
            id: coupon.id,
            name: coupon.name,
            description: coupon.description,
            code: coupon.code,
            kind: c.kind.into(),
            currency: c.currency.code().to_owned(),
            amount_off: c.amount_off,
            percent_off: c.percent_off,
            max_discount: c.max_discount,
            min_order_amount: c.min_order_amount,
            gift_variant_id: c.gift_variant_id,
            valid_from: c.valid_from,
            valid_until: c.valid_until,
            total_limit: coupon.total_limit,
            per_customer_limit: coupon.per_customer_limit,
            issued_for_orders_from: coupon.issued_for_orders_from,
            product_ids: c.product_ids,
            category_ids: c.category_ids,
            status: c.status.into(),
            redeemed_count: coupon.redeemed_count,
            issued_count: coupon.issued_count,
            created_at: coupon.created_at,
            updated_at: coupon.updated_at,
            version: coupon.version,
        }
    }
}

/// Which coupons, in which order, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CouponListQuery {
    /// Only of this status.
    pub status: Option<CouponStatusDto>,
    /// Only of this kind.
    pub kind: Option<CouponKindDto>,
    /// `true`: only those usable now (active and within their window).
    pub usable: Option<bool>,
    /// Comma-separated keys, `-` for descending: `created_at`, `name` (default `-created_at`).
    #[param(example = "-created_at")]
    pub sort: Option<String>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// Whom to issue a coupon to: customers by id, or a segment's customers as of now (one of the
/// two).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"segment_id": "0193a5c6-2222-7000-8000-000000000003"}))]
pub struct IssueCoupon {
    /// Customers, 1 to 1000, each of whom must exist (422 at `customer_ids[i]`).
    #[schema(min_items = 1, max_items = 1000)]
    pub customer_ids: Option<Vec<Uuid>>,
    /// A segment whose customers, at most 5000, each get one.
    pub segment_id: Option<Uuid>,
}

/// What an issue did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"issued": 1338, "skipped": 4}))]
pub struct IssueOutcome {
    /// Customers given a coupon.
    pub issued: u64,
    /// Customers passed over: they hold one of this coupon, unused.
    pub skipped: u64,
}

/// A coupon in a customer's wallet.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c6-9999-7000-8000-000000000020",
    "coupon_id": "0193a5c6-9999-7000-8000-000000000001",
    "customer_id": "0193a5c6-1111-7000-8000-000000000001",
    "code": "WINTER50", "name": "冬季满 300 减 50", "kind": "threshold", "currency": "CNY",
    "amount_off": 5000, "percent_off": null, "min_order_amount": 30000,
    "valid_until": "2027-01-01T00:00:00Z", "coupon_status": "active",
    "used": false, "issued_at": "2026-12-01T08:00:00Z", "used_at": null, "order_id": null
}))]
pub struct WalletCouponView {
    /// Identifier of the issued coupon.
    pub id: Uuid,
    /// The coupon.
    pub coupon_id: Uuid,
    /// The holder.
    pub customer_id: Uuid,
    /// The code to give with an order: its own, or the coupon's shared one.
    pub code: Option<String>,
    /// The coupon's name.
    pub name: String,
    /// What it takes off.
    pub kind: CouponKindDto,
    /// The currency of its amounts.
    pub currency: String,
    /// The sum off.
    pub amount_off: Option<i64>,
    /// The percentage off.
    pub percent_off: Option<i64>,
    /// The least the eligible lines must come to.
    pub min_order_amount: Option<i64>,
    /// Usable until.
    pub valid_until: Option<DateTime<Utc>>,
    /// Whether the coupon can be used at all.
    pub coupon_status: CouponStatusDto,
    /// Whether an order's payment used it.
    pub used: bool,
    /// Put in the wallet.
    pub issued_at: DateTime<Utc>,
    /// Used.
    pub used_at: Option<DateTime<Utc>>,
    /// The order that used it.
    pub order_id: Option<Uuid>,
}

impl From<WalletEntry> for WalletCouponView {
    fn from(w: WalletEntry) -> Self {
        let IssuedCoupon {
            id,
            coupon_id,
            customer_id,
            code,
            used,
            issued_at,
            used_at,
            order_id,
        } = w.issued;
        let c = w.coupon;
        WalletCouponView {
            id,
            coupon_id,
            customer_id,
            code: code.or(c.code),
            name: c.name,
            kind: c.terms.kind.into(),
            currency: c.terms.currency.code().to_owned(),
            amount_off: c.terms.amount_off,
            percent_off: c.terms.percent_off,
            min_order_amount: c.terms.min_order_amount,
            valid_until: c.terms.valid_until,
            coupon_status: c.terms.status.into(),
            used,
            issued_at,
            used_at,
            order_id,
        }
    }
}

/// Which coupons of a wallet, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WalletQuery {
    /// `true`: only those not used yet.
    pub unused: Option<bool>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}
