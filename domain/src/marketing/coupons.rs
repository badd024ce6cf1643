//! Coupons: a definition (the offer's terms, a code, how often it can be used) and the discount
//! it gives a draft order. Whether a coupon still has uses left is counted where the redemptions
//! are kept; everything else about whether it applies is decided by its terms.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::offers::positive;
pub use super::offers::{
    Benefit, CartLine, Inapplicable, MAX_SCOPE, OfferKind as CouponKind,
    OfferStatus as CouponStatus, Terms, TermsInput,
};
use crate::validation::{name, optional_text};
use crate::values::money::{Currency, MAX_AMOUNT};
use crate::{FieldError, FieldErrors};

/// The most customers one issue reaches by list.
pub const MAX_ISSUE: usize = 1000;
/// The fields a coupon list can be sorted by.
pub const SORTABLE: &[&str] = &["created_at", "name"];

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
    /// What it takes off, on what, when.
    #[serde(flatten)]
    pub terms: Terms,
    /// Redemptions allowed in all.
    pub total_limit: Option<i64>,
    /// Redemptions allowed per customer.
    pub per_customer_limit: Option<i64>,
    /// An order paid at or above this total (in the coupon's currency) earns its customer one.
    pub issued_for_orders_from: Option<i64>,
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
    /// The terms.
    pub terms: TermsInput,
    /// Total limit.
    pub total_limit: Option<Option<i64>>,
    /// Per-customer limit.
    pub per_customer_limit: Option<Option<i64>>,
    /// The order total that earns one.
    pub issued_for_orders_from: Option<Option<i64>>,
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

impl CouponInput {
    /// `current` with these parts applied (a new coupon when `current` is `None`), checked as a
    /// whole, every mistake named: its terms (see [`TermsInput::apply`]), and a total limit no
    /// lower than the redemptions made.
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
        let terms = self
            .terms
            .apply(current.map(|c| &c.terms), "coupon", &mut errors);
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
        let issued_for_orders_from = pick(
            self.issued_for_orders_from,
            current.and_then(|c| c.issued_for_orders_from),
        );
        if let Some(from) = issued_for_orders_from {
            errors.take(positive("issued_for_orders_from", from, MAX_AMOUNT));
        }
        match (name, terms) {
            (Some(name), Some(terms)) if errors.is_empty() => Ok(Coupon {
                id,
                name,
                description,
                code,
                terms,
                total_limit,
                per_customer_limit,
                issued_for_orders_from,
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

impl Coupon {
    /// Whether the coupon can be used at `now`: active and within its window.
    pub fn usable_at(&self, now: DateTime<Utc>) -> Result<(), Inapplicable> {
        self.terms.usable_at(now)
    }

    /// What the coupon gives an order in `currency` with these `lines` at `now`, or why it
    /// gives nothing.
    pub fn benefit(
        &self,
        currency: Currency,
        lines: &[CartLine],
        now: DateTime<Utc>,
    ) -> Result<Benefit, Inapplicable> {
        self.terms.benefit(currency, lines, now)
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

    fn coupon(kind: CouponKind, terms: TermsInput) -> CouponInput {
        CouponInput {
            name: Some("Winter".into()),
            terms: TermsInput {
                kind: Some(kind),
                currency: Some("CNY".into()),
                ..terms
            },
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
        let refused = coupon(
            CouponKind::FixedAmount,
            TermsInput {
                percent_off: Some(Some(10)),
                ..TermsInput::default()
            },
        )
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
        let refused = coupon(
            CouponKind::Threshold,
            TermsInput {
                amount_off: Some(Some(5000)),
                min_order_amount: Some(Some(3000)),
                ..TermsInput::default()
            },
        )
        .apply(None, Uuid::nil(), Utc::now())
        .unwrap_err();
        assert_eq!(refused.0[0].field, "amount_off");
    }

    #[test]
    fn a_percentage_rounds_down_and_stops_at_its_cap() {
        let now = Utc::now();
        let c = coupon(
            CouponKind::Percentage,
            TermsInput {
                percent_off: Some(Some(15)),
                max_discount: Some(Some(1000)),
                ..TermsInput::default()
            },
        )
        .apply(None, Uuid::nil(), now)
        .unwrap();
        let cny = c.terms.currency;
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
        let c = coupon(
            CouponKind::Threshold,
            TermsInput {
                amount_off: Some(Some(2000)),
                min_order_amount: Some(Some(10_000)),
                product_ids: Some(vec![Uuid::from_u128(7)]),
                valid_until: Some(Some(now + chrono::Duration::days(1))),
                ..TermsInput::default()
            },
        )
        .apply(None, Uuid::nil(), now)
        .unwrap();
        let cny = c.terms.currency;
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
