//! The terms of an offer, a coupon's or a promotion's alike: what it takes off (a sum, a
//! percentage perhaps capped, spend X get Y off, or a gift), on which lines (products or
//! categories), above what minimum, in which currency and window, and whether it is active; and
//! what those terms give a draft order, or why they give nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::values::money::{Currency, MAX_AMOUNT};
use crate::{FieldError, FieldErrors};

/// The most products, and the most categories, an offer can be limited to.
pub const MAX_SCOPE: usize = 100;

/// What an offer takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    /// A sum off (`amount_off`), perhaps above a minimum.
    FixedAmount,
    /// A share of the eligible lines (`percent_off`), perhaps capped (`max_discount`).
    Percentage,
    /// Spend `min_order_amount`, get `amount_off` off.
    Threshold,
    /// A variant of the catalogue given with the order (`gift_variant_id`).
    Gift,
}

names!(OfferKind {
    FixedAmount => "fixed_amount",
    Percentage => "percentage",
    Threshold => "threshold",
    Gift => "gift",
});

/// Whether an offer can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    /// Usable within its window.
    Active,
    /// Not usable until made active again.
    Paused,
}

names!(OfferStatus { Active => "active", Paused => "paused" });

/// An offer's terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Terms {
    /// What it takes off.
    pub kind: OfferKind,
    /// The currency of its amounts and of the orders it applies to.
    pub currency: Currency,
    /// The sum off (`fixed_amount`, `threshold`), minor units.
    pub amount_off: Option<i64>,
    /// The percentage off (`percentage`), 1 to 100.
    pub percent_off: Option<i64>,
    /// The most a `percentage` offer takes off.
    pub max_discount: Option<i64>,
    /// The least the eligible lines must come to; for `threshold`, the spend that earns the sum.
    pub min_order_amount: Option<i64>,
    /// The variant given (`gift`).
    pub gift_variant_id: Option<Uuid>,
    /// Usable from.
    pub valid_from: Option<DateTime<Utc>>,
    /// Usable until (exclusive).
    pub valid_until: Option<DateTime<Utc>>,
    /// The products whose lines it applies to; with `category_ids` empty too, every line.
    pub product_ids: Vec<Uuid>,
    /// The categories whose products' lines it applies to.
    pub category_ids: Vec<Uuid>,
    /// Whether it can be used.
    pub status: OfferStatus,
}

/// Terms as sent: every part of new terms, or the parts a change sets (`Some(None)` clears).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TermsInput {
    /// Kind.
    pub kind: Option<OfferKind>,
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
    /// Products.
    pub product_ids: Option<Vec<Uuid>>,
    /// Categories.
    pub category_ids: Option<Vec<Uuid>>,
    /// Status.
    pub status: Option<OfferStatus>,
}

/// 1 to `max`, or `out_of_range` at `field`.
pub(crate) fn positive(field: &str, value: i64, max: i64) -> Result<i64, FieldError> {
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

impl TermsInput {
    /// `current` with these parts applied (new terms when `current` is `None`) for an offer
    /// called `noun` (`coupon`, `promotion`), every mistake pushed onto `errors`: the parts a kind
    /// needs are there and the others are not, and a window ends after it starts.
    pub fn apply(
        self,
        current: Option<&Terms>,
        noun: &str,
        errors: &mut FieldErrors,
    ) -> Option<Terms> {
        let pick = |new: Option<Option<i64>>, old: Option<i64>| new.unwrap_or(old);
        let kind = self.kind.or(current.map(|c| c.kind));
        if kind.is_none() {
            errors.push(FieldError::new(
                "kind",
                "required",
                format!("a {noun} needs a kind"),
            ));
        }
        let currency = match (self.currency, current) {
            (Some(raw), _) => errors.take(Currency::parse("currency", &raw)),
            (None, Some(c)) => Some(c.currency),
            (None, None) => {
                errors.push(FieldError::new(
                    "currency",
                    "required",
                    format!("a {noun} needs the currency of its amounts"),
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
                OfferKind::FixedAmount | OfferKind::Threshold => &["amount_off"],
                OfferKind::Percentage => &["percent_off"],
                OfferKind::Gift => &["gift_variant_id"],
            };
            let may: &[&str] = match kind {
                OfferKind::Percentage => &["percent_off", "max_discount"],
                _ => needs,
            };
            let kind_name = kind.as_str();
            for (field, is_there) in present {
                if needs.contains(&field) && !is_there {
                    errors.push(FieldError::new(
                        field,
                        "required",
                        format!("a {kind_name} {noun} needs {field}"),
                    ));
                } else if is_there && !may.contains(&field) {
                    errors.push(FieldError::new(
                        field,
                        "not_allowed",
                        format!("a {kind_name} {noun} has no {field}"),
                    ));
                }
            }
            if kind == OfferKind::Threshold {
                match (min_order_amount, amount_off) {
                    (None, _) => errors.push(FieldError::new(
                        "min_order_amount",
                        "required",
                        format!("a {kind_name} {noun} needs min_order_amount"),
                    )),
                    (Some(min), Some(off)) if off > min => errors.push(FieldError::new(
                        "amount_off",
                        "out_of_range",
                        format!(
                            "a threshold {noun} takes off no more than the spend that earns it"
                        ),
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
            .unwrap_or(OfferStatus::Active);
        Some(Terms {
            kind: kind?,
            currency: currency?,
            amount_off,
            percent_off,
            max_discount,
            min_order_amount,
            gift_variant_id,
            valid_from,
            valid_until,
            product_ids,
            category_ids,
            status,
        })
    }
}

/// Why an offer does not apply to an order, each with its stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inapplicable {
    /// No coupon has this code.
    UnknownCode,
    /// The code was issued to another customer.
    NotIssuedToCustomer,
    /// The code was issued once and has been used.
    AlreadyUsed,
    /// The offer is paused.
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
    /// No line is of a product or category the offer is limited to.
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

/// A line of a draft order as an offer sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct CartLine {
    /// The line's product, if it sells one.
    pub product_id: Option<Uuid>,
    /// The product's category, if it has one.
    pub category_id: Option<Uuid>,
    /// `quantity × unit_price`.
    pub line_total: i64,
}

/// What an offer gives an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Benefit {
    /// This much off, never more than the eligible lines come to.
    Amount(i64),
    /// One unit of this variant, free.
    Gift(Uuid),
}

impl Terms {
    /// Whether a line is one the offer applies to: any line when it is limited to nothing,
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

    /// Whether the offer can be used at `now`: active and within its window.
    pub fn usable_at(&self, now: DateTime<Utc>) -> Result<(), Inapplicable> {
        if self.status == OfferStatus::Paused {
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

    /// What the offer gives an order in `currency` with these `lines` at `now`, or why it gives
    /// nothing. A percentage is rounded down to the minor unit, so a customer is never given
    /// more than the offer says.
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
            OfferKind::FixedAmount | OfferKind::Threshold => {
                Benefit::Amount(self.amount_off.unwrap_or(0).min(eligible))
            }
            OfferKind::Percentage => {
                let share = i128::from(eligible) * i128::from(self.percent_off.unwrap_or(0)) / 100;
                let share = i64::try_from(share).unwrap_or(eligible).min(eligible);
                Benefit::Amount(self.max_discount.map_or(share, |cap| share.min(cap)))
            }
            OfferKind::Gift => match self.gift_variant_id {
                Some(variant) => Benefit::Gift(variant),
                None => return Err(Inapplicable::GiftUnavailable),
            },
        })
    }
}
