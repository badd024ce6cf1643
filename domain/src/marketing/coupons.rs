//! Coupons: a definition (what it takes off, on what, when and how often) and the discount it
//! gives a draft order. Whether a coupon still has uses left is counted where the redemptions
//! are kept; everything else about whether it applies is decided here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{name, optional_text};
use crate::values::money::{Currency, MAX_AMOUNT};
use crate::{FieldError, FieldErrors};

/// The most products, and the most categories, a coupon can be limited to.
pub const MAX_SCOPE: usize = 100;
/// The most customers one issue reaches by list.
pub const MAX_ISSUE: usize = 1000;
/// The fields a coupon list can be sorted by.
pub const SORTABLE: &[&str] = &["created_at", "name"];

/// What a coupon takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouponKind {
    /// A sum off (`amount_off`), perhaps above a minimum.
    FixedAmount,
    /// A share of the eligible lines (`percent_off`), perhaps capped (`max_discount`).
    Percentage,
    /// Spend `min_order_amount`, get `amount_off` off.
    Threshold,
    /// A variant of the catalogue given with the order (`gift_variant_id`).
    Gift,
}

names!(CouponKind {
    FixedAmount => "fixed_amount",
    Percentage => "percentage",
    Threshold => "threshold",
    Gift => "gift",
});

/// Whether a coupon can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouponStatus {
    /// Usable within its window and limits.
    Active,
    /// Not usable until made active again.
    Paused,
}

names!(CouponStatus { Active => "active", Paused => "paused" });

/// A coupon's definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coupon {
    /// Identifier.
    pub id: Uuid,
    /// What it is called.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// The one code everyone uses; `None` when every issued coupon gets a code of its own.
    pub code: Option<String>,
    /// What it takes off.
    pub kind: CouponKind,
    /// The currency of its amounts and of the orders it applies to.
    pub currency: Currency,
    /// The sum off (`fixed_amount`, `threshold`), minor units.
    pub amount_off: Option<i64>,
    /// The percentage off (`percentage`), 1 to 100.
    pub percent_off: Option<i64>,
    /// The most a `percentage` coupon takes off.
    pub max_discount: Option<i64>,
    /// The least the eligible lines must come to; for `threshold`, the spend that earns the sum.
    pub min_order_amount: Option<i64>,
    /// The variant given (`gift`).
    pub gift_variant_id: Option<Uuid>,
    /// Usable from.
    pub valid_from: Option<DateTime<Utc>>,
    /// Usable until (exclusive).
    pub valid_until: Option<DateTime<Utc>>,
    /// Redemptions allowed in all.
    pub total_limit: Option<i64>,
    /// Redemptions allowed per customer.
    pub per_customer_limit: Option<i64>,
    /// The products whose lines it applies to; with `category_ids` empty too, every line.
    pub product_ids: Vec<Uuid>,
    /// The categories whose products' lines it applies to.
    pub category_ids: Vec<Uuid>,
    /// Whether it can be used.
    pub status: CouponStatus,
    /// Redemptions so far (returned ones not counted).
    pub redeemed_count: i64,
    /// Coupons put in customers' wallets so far.
    pub issued_count: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// A coupon's definition as sent: every part of a new coupon, or the parts a change sets
/// (`Some(None)` clears a part).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CouponInput {
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<Option<String>>,
    /// The shared code.
    pub code: Option<Option<String>>,
    /// Kind.
    pub kind: Option<CouponKind>,
    /// Currency code.
    pub currency: Option<String>,
    /// Sum off.
    pub amount_off: Option<Option<i64>>,
    /// Percentage off.
    pub percent_off: Option<Option<i64>>,
    /// Cap of a percentage.
    pub max_discount: Option<Option<i64>>,
    /// Minimum of the eligible lines.
    pub min_order_amount: Option<Option<i64>>,
    /// Gift.
    pub gift_variant_id: Option<Option<Uuid>>,
    /// Window start.
    pub valid_from: Option<Option<DateTime<Utc>>>,
    /// Window end.
    pub valid_until: Option<Option<DateTime<Utc>>>,
    /// Total limit.
    pub total_limit: Option<Option<i64>>,
    /// Per-customer limit.
    pub per_customer_limit: Option<Option<i64>>,
    /// Products.
    pub product_ids: Option<Vec<Uuid>>,
    /// Categories.
    pub category_ids: Option<Vec<Uuid>>,
    /// Status.
    pub status: Option<CouponStatus>,
}

/// A code as customers type it (in any case), kept in capitals: 4 to 32 letters, digits, `-` or
/// `_`.
pub fn normal_code(field: &str, raw: &str) -> Result<String, FieldError> {
    let code = raw.to_uppercase();
    let fits = (4..=32).contains(&code.chars().count())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if fits {
        Ok(code)
    } else {
        Err(FieldError::new(
            field,
            "invalid_code",
            "a code is 4 to 32 letters, digits, '-' or '_'",
        ))
    }
}

/// A code of its own for one issued coupon: twelve characters of Crockford's base 32 from
/// `random`, in groups of four (`7K3M-9Q2B-X4PD`).
pub fn generated_code(random: u128) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let chars: Vec<char> = (0..12)
        .map(|i| ALPHABET[((random >> (i * 5)) & 31) as usize] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

fn positive(field: &str, value: i64, max: i64) -> Result<i64, FieldError> {
    if (1..=max).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(
            field,
            "out_of_range",
            format!("must be between 1 and {max}"),
        ))
    }
}

fn not_allowed(field: &str, kind: CouponKind) -> FieldError {
    FieldError::new(
        field,
        "not_allowed",
        format!("a {} coupon has no {field}", kind.as_str()),
    )
}

fn required(field: &str, kind: CouponKind) -> FieldError {
    FieldError::new(
        field,
        "required",
        format!("a {} coupon needs {field}", kind.as_str()),
    )
}

impl CouponInput {
    /// `current` with these parts applied (a new coupon when `current` is `None`), checked as a
    /// whole, every mistake named: the parts a kind needs are there and the others are not, a
    /// window that ends after it starts, and a total limit no lower than the redemptions made.
    pub fn apply(
        self,
        current: Option<&Coupon>,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Coupon, FieldErrors> {
        let mut errors = FieldErrors::new();
        let pick = |new: Option<Option<i64>>, old: Option<i64>| new.unwrap_or(old);
        let name = match (self.name, current) {
            (Some(n), _) => errors.take(name("name", &n, 1, 100)),
            (None, Some(c)) => Some(c.name.clone()),
            (None, None) => {
                errors.push(FieldError::new("name", "required", "a coupon needs a name"));
                None
            }
        };
        let description = match self.description {
            Some(d) => errors
                .take(optional_text("description", d.as_deref(), 2000))
                .flatten(),
            None => current.and_then(|c| c.description.clone()),
        };
        let code = match self.code {
            Some(Some(raw)) => errors.take(normal_code("code", &raw)),
            Some(None) => None,
            None => current.and_then(|c| c.code.clone()),
        };
        let kind = self.kind.or(current.map(|c| c.kind));
        if kind.is_none() {
            errors.push(FieldError::new("kind", "required", "a coupon needs a kind"));
        }
        let currency = match (self.currency, current) {
            (Some(raw), _) => errors.take(Currency::parse("currency", &raw)),
            (None, Some(c)) => Some(c.currency),
            (None, None) => {
                errors.push(FieldError::new(
                    "currency",
                    "required",
                    "a coupon needs the currency of its amounts",
                ));
                None
            }
        };
        let amount_off = pick(self.amount_off, current.and_then(|c| c.amount_off));
        let percent_off = pick(self.percent_off, current.and_then(|c| c.percent_off));
        let max_discount = pick(self.max_discount, current.and_then(|c| c.max_discount));
        let min_order_amount = pick(
            self.min_order_amount,
            current.and_then(|c| c.min_order_amount),
        );
        let gift_variant_id = self
            .gift_variant_id
            .unwrap_or(current.and_then(|c| c.gift_variant_id));
        for (field, value) in [
            ("amount_off", amount_off),
            ("max_discount", max_discount),
            ("min_order_amount", min_order_amount),
        ] {
            if let Some(v) = value {
                errors.take(positive(field, v, MAX_AMOUNT));
            }
        }
        if let Some(p) = percent_off {
            errors.take(positive("percent_off", p, 100));
        }
        if let Some(kind) = kind {
            let present = [
                ("amount_off", amount_off.is_some()),
                ("percent_off", percent_off.is_some()),
                ("max_discount", max_discount.is_some()),
                ("gift_variant_id", gift_variant_id.is_some()),
            ];
            let needs: &[&str] = match kind {
                CouponKind::FixedAmount => &["amount_off"],
                CouponKind::Percentage => &["percent_off"],
                CouponKind::Threshold => &["amount_off"],
                CouponKind::Gift => &["gift_variant_id"],
            };
            let may: &[&str] = match kind {
                CouponKind::Percentage => &["percent_off", "max_discount"],
                _ => needs,
            };
            for (field, is_there) in present {
                if needs.contains(&field) && !is_there {
                    errors.push(required(field, kind));
                } else if is_there && !may.contains(&field) {
                    errors.push(not_allowed(field, kind));
                }
            }
            if kind == CouponKind::Threshold {
                match (min_order_amount, amount_off) {
                    (None, _) => errors.push(required("min_order_amount", kind)),
                    (Some(min), Some(off)) if off > min => errors.push(FieldError::new(
                        "amount_off",
                        "out_of_range",
                        "a threshold coupon takes off no more than the spend that earns it",
                    )),
                    _ => {}
                }
            }
        }
        let valid_from = self
            .valid_from
            .unwrap_or(current.and_then(|c| c.valid_from));
        let valid_until = self
            .valid_until
            .unwrap_or(current.and_then(|c| c.valid_until));
        if let (Some(from), Some(until)) = (valid_from, valid_until)
            && until <= from
        {
            errors.push(FieldError::new(
                "valid_until",
                "out_of_range",
                "must be after valid_from",
            ));
        }
        let redeemed = current.map_or(0, |c| c.redeemed_count);
        let total_limit = pick(self.total_limit, current.and_then(|c| c.total_limit));
        if let Some(limit) = total_limit
            && errors
                .take(positive("total_limit", limit, 1_000_000_000))
                .is_some()
            && limit < redeemed
        {
            errors.push(FieldError::new(
                "total_limit",
                "out_of_range",
                format!("{redeemed} have been redeemed already; the limit cannot be lower"),
            ));
        }
        let per_customer_limit = pick(
            self.per_customer_limit,
            current.and_then(|c| c.per_customer_limit),
        );
        if let Some(limit) = per_customer_limit {
            errors.take(positive("per_customer_limit", limit, 1_000_000));
        }
        let mut scope = |field: &str, new: Option<Vec<Uuid>>, old: Option<&Vec<Uuid>>| {
            let mut ids = new.or(old.cloned()).unwrap_or_default();
            if ids.len() > MAX_SCOPE {
                errors.push(FieldError::new(
                    field,
                    "out_of_range",
                    format!("at most {MAX_SCOPE} ids"),
                ));
            }
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let product_ids = scope(
            "product_ids",
            self.product_ids,
            current.map(|c| &c.product_ids),
        );
        let category_ids = scope(
            "category_ids",
            self.category_ids,
            current.map(|c| &c.category_ids),
        );
        let status = self
            .status
            .or(current.map(|c| c.status))
            .unwrap_or(CouponStatus::Active);
        match (name, kind, currency) {
            (Some(name), Some(kind), Some(currency)) if errors.is_empty() => Ok(Coupon {
                id,
                name,
                description,
                code,
                kind,
                currency,
                amount_off,
                percent_off,
                max_discount,
                min_order_amount,
                gift_variant_id,
                valid_from,
                valid_until,
                total_limit,
                per_customer_limit,
                product_ids,
                category_ids,
                status,
                redeemed_count: redeemed,
                issued_count: current.map_or(0, |c| c.issued_count),
                created_at: current.map_or(now, |c| c.created_at),
                updated_at: now,
                version: current.map_or(1, |c| c.version + 1),
            }),
            _ => Err(errors),
        }
    }
}

/// Why a coupon does not apply to an order, each with its stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inapplicable {
    /// No coupon has this code.
    UnknownCode,
    /// The code was issued to another customer.
    NotIssuedToCustomer,
    /// The code was issued once and has been used.
    AlreadyUsed,
    /// The coupon is paused.
    Paused,
    /// Its window has not opened.
    NotStarted,
    /// Its window has closed.
    Expired,
    /// The order is in another currency.
    CurrencyMismatch,
    /// The eligible lines come to less than the minimum.
    BelowMinimum {
        /// The minimum.
        minimum: i64,
        /// What the eligible lines come to.
        eligible: i64,
    },
    /// No line is of a product or category the coupon is limited to.
    NoEligibleItems,
    /// Every use allowed has been made.
    Exhausted,
    /// The customer has used it as often as one customer may.
    CustomerLimitReached,
    /// The gift's variant is no longer for sale.
    GiftUnavailable,
}

impl Inapplicable {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Inapplicable::UnknownCode => "unknown_code",
            Inapplicable::NotIssuedToCustomer => "not_issued_to_customer",
            Inapplicable::AlreadyUsed => "already_used",
            Inapplicable::Paused => "coupon_paused",
            Inapplicable::NotStarted => "not_started",
            Inapplicable::Expired => "coupon_expired",
            Inapplicable::CurrencyMismatch => "currency_mismatch",
            Inapplicable::BelowMinimum { .. } => "below_minimum",
            Inapplicable::NoEligibleItems => "no_eligible_items",
            Inapplicable::Exhausted => "coupon_exhausted",
            Inapplicable::CustomerLimitReached => "customer_limit_reached",
            Inapplicable::GiftUnavailable => "gift_unavailable",
        }
    }

    /// Why, in words.
    pub fn message(&self) -> String {
        match self {
            Inapplicable::UnknownCode => "no coupon has this code".into(),
            Inapplicable::NotIssuedToCustomer => "this code was issued to another customer".into(),
            Inapplicable::AlreadyUsed => "this code has been used".into(),
            Inapplicable::Paused => "the coupon is paused".into(),
            Inapplicable::NotStarted => "the coupon cannot be used yet".into(),
            Inapplicable::Expired => "the coupon has expired".into(),
            Inapplicable::CurrencyMismatch => "the coupon is for orders in another currency".into(),
            Inapplicable::BelowMinimum { minimum, eligible } => format!(
                "the lines the coupon applies to come to {eligible}, under its minimum of {minimum}"
            ),
            Inapplicable::NoEligibleItems => {
                "no line is of a product or category the coupon applies to".into()
            }
            Inapplicable::Exhausted => "every use of the coupon has been made".into(),
            Inapplicable::CustomerLimitReached => {
                "the customer has used the coupon as often as one customer may".into()
            }
            Inapplicable::GiftUnavailable => "the coupon's gift is no longer for sale".into(),
        }
    }
}

/// A line of a draft order as a coupon sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct CartLine {
    /// The line's product, if it sells one.
    pub product_id: Option<Uuid>,
    /// The product's category, if it has one.
    pub category_id: Option<Uuid>,
    /// `quantity × unit_price`.
    pub line_total: i64,
}

/// What a coupon gives an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Benefit {
    /// This much off, never more than the eligible lines come to.
    Amount(i64),
    /// One unit of this variant, free.
    Gift(Uuid),
}

impl Coupon {
    /// Whether a line is one the coupon applies to: any line when it is limited to nothing,
    /// otherwise a line of one of its products or of a product in one of its categories.
    pub fn covers(&self, line: &CartLine) -> bool {
        if self.product_ids.is_empty() && self.category_ids.is_empty() {
            return true;
        }
        line.product_id
            .is_some_and(|p| self.product_ids.contains(&p))
            || line
                .category_id
                .is_some_and(|c| self.category_ids.contains(&c))
    }

    /// Whether the coupon can be used at `now`: active and within its window.
    pub fn usable_at(&self, now: DateTime<Utc>) -> Result<(), Inapplicable> {
        if self.status == CouponStatus::Paused {
            return Err(Inapplicable::Paused);
        }
        if self.valid_from.is_some_and(|from| now < from) {
            return Err(Inapplicable::NotStarted);
        }
        if self.valid_until.is_some_and(|until| now >= until) {
            return Err(Inapplicable::Expired);
        }
        Ok(())
    }

    /// What the coupon gives an order in `currency` with these `lines` at `now`, or why it
    /// gives nothing. A percentage is rounded down to the minor unit, so a customer is never
    /// given more than the coupon says.
    pub fn benefit(
        &self,
        currency: Currency,
        lines: &[CartLine],
        now: DateTime<Utc>,
    ) -> Result<Benefit, Inapplicable> {
        self.usable_at(now)?;
        if currency != self.currency {
            return Err(Inapplicable::CurrencyMismatch);
        }
        let covered: Vec<&CartLine> = lines.iter().filter(|l| self.covers(l)).collect();
        if covered.is_empty() {
            return Err(Inapplicable::NoEligibleItems);
        }
        let eligible: i64 = covered.iter().map(|l| l.line_total).sum();
        if let Some(minimum) = self.min_order_amount
            && eligible < minimum
        {
            return Err(Inapplicable::BelowMinimum { minimum, eligible });
        }
        Ok(match self.kind {
            CouponKind::FixedAmount | CouponKind::Threshold => {
                Benefit::Amount(self.amount_off.unwrap_or(0).min(eligible))
            }
            CouponKind::Percentage => {
                let share = i128::from(eligible) * i128::from(self.percent_off.unwrap_or(0)) / 100;
                let share = i64::try_from(share).unwrap_or(eligible).min(eligible);
                Benefit::Amount(self.max_discount.map_or(share, |cap| share.min(cap)))
            }
            CouponKind::Gift => match self.gift_variant_id {
                Some(variant) => Benefit::Gift(variant),
                None => return Err(Inapplicable::GiftUnavailable),
            },
        })
    }
}

/// A coupon in a customer's wallet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedCoupon {
    /// Identifier.
    pub id: Uuid,
    /// The coupon.
    pub coupon_id: Uuid,
    /// The holder.
    pub customer_id: Uuid,
    /// The code to use: its own, or the coupon's shared one.
    pub code: Option<String>,
    /// `available` or `used`.
    pub used: bool,
    /// When it was put in the wallet.
    pub issued_at: DateTime<Utc>,
    /// When an order's payment used it.
    pub used_at: Option<DateTime<Utc>>,
    /// The order that used it.
    pub order_id: Option<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coupon(kind: CouponKind) -> CouponInput {
        CouponInput {
            name: Some("Winter".into()),
            kind: Some(kind),
            currency: Some("CNY".into()),
            ..CouponInput::default()
        }
    }

    fn line(product: u128, total: i64) -> CartLine {
        CartLine {
            product_id: Some(Uuid::from_u128(product)),
            category_id: None,
            line_total: total,
        }
    }

    #[test]
    fn a_kind_takes_its_own_parts_only() {
        let refused = CouponInput {
            percent_off: Some(Some(10)),
            ..coupon(CouponKind::FixedAmount)
        }
        .apply(None, Uuid::nil(), Utc::now())
        .unwrap_err();
        let codes: Vec<(&str, &str)> = refused
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert_eq!(
            codes,
            [("amount_off", "required"), ("percent_off", "not_allowed")]
        );
        let refused = CouponInput {
            amount_off: Some(Some(5000)),
            min_order_amount: Some(Some(3000)),
            ..coupon(CouponKind::Threshold)
        }
        .apply(None, Uuid::nil(), Utc::now())
        .unwrap_err();
        assert_eq!(refused.0[0].field, "amount_off");
    }

    #[test]
    fn a_percentage_rounds_down_and_stops_at_its_cap() {
        let now = Utc::now();
        let c = CouponInput {
            percent_off: Some(Some(15)),
            max_discount: Some(Some(1000)),
            ..coupon(CouponKind::Percentage)
        }
        .apply(None, Uuid::nil(), now)
        .unwrap();
        let cny = c.currency;
        assert_eq!(
            c.benefit(cny, &[line(1, 999)], now),
            Ok(Benefit::Amount(149))
        );
        assert_eq!(
            c.benefit(cny, &[line(1, 100_000)], now),
            Ok(Benefit::Amount(1000))
        );
    }

    #[test]
    fn scope_window_and_minimum_say_why_not() {
        let now = Utc::now();
        let c = CouponInput {
            amount_off: Some(Some(2000)),
            min_order_amount: Some(Some(10_000)),
            product_ids: Some(vec![Uuid::from_u128(7)]),
            valid_until: Some(Some(now + chrono::Duration::days(1))),
            ..coupon(CouponKind::Threshold)
        }
        .apply(None, Uuid::nil(), now)
        .unwrap();
        let cny = c.currency;
        assert_eq!(
            c.benefit(cny, &[line(1, 50_000)], now),
            Err(Inapplicable::NoEligibleItems)
        );
        assert_eq!(
            c.benefit(cny, &[line(7, 9_000), line(1, 50_000)], now),
            Err(Inapplicable::BelowMinimum {
                minimum: 10_000,
                eligible: 9_000
            })
        );
        assert_eq!(
            c.benefit(cny, &[line(7, 10_000)], now),
            Ok(Benefit::Amount(2000))
        );
        assert_eq!(
            c.benefit(cny, &[line(7, 10_000)], now + chrono::Duration::days(2)),
            Err(Inapplicable::Expired)
        );
    }

    #[test]
    fn generated_codes_read_easily() {
        let code = generated_code(u128::MAX / 3);
        assert_eq!(code.len(), 14);
        assert_eq!(normal_code("code", &code.to_lowercase()), Ok(code));
    }
}
