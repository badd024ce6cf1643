//! Promotions: offers with a coupon's terms that need no code. Every order they fit is priced
//! with them; of several that fit, the one that takes the most off applies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::offers::{Benefit, CartLine, Terms, TermsInput};
use crate::validation::{name, optional_text};
use crate::values::money::Currency;
use crate::{FieldError, FieldErrors};

/// The fields a promotion list can be sorted by.
pub const SORTABLE: &[&str] = &["created_at", "name"];

/// A promotion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Promotion {
    /// Identifier.
    pub id: Uuid,
    /// What it is called, as the order's discount line shows it.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// What it takes off, on what, when.
    #[serde(flatten)]
    pub terms: Terms,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// A promotion as sent: every part of a new one, or the parts a change sets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PromotionInput {
    /// Name.
    pub name: Option<String>,
    /// Description; `Some(None)` clears it.
    pub description: Option<Option<String>>,
    /// The terms.
    pub terms: TermsInput,
}

impl PromotionInput {
    /// `current` with these parts applied (a new promotion when `current` is `None`), checked as
    /// a whole: a name and terms (see [`TermsInput::apply`]).
    pub fn apply(
        self,
        current: Option<&Promotion>,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Promotion, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = match (self.name, current) {
            (Some(n), _) => errors.take(name("name", &n, 1, 100)),
            (None, Some(c)) => Some(c.name.clone()),
            (None, None) => {
                errors.push(FieldError::new(
                    "name",
                    "required",
                    "a promotion needs a name",
                ));
                None
            }
        };
        let description = match self.description {
            Some(d) => errors
                .take(optional_text("description", d.as_deref(), 2000))
                .flatten(),
            None => current.and_then(|c| c.description.clone()),
        };
        let terms = self
            .terms
            .apply(current.map(|c| &c.terms), "promotion", &mut errors);
        match (name, terms) {
            (Some(name), Some(terms)) if errors.is_empty() => Ok(Promotion {
                id,
                name,
                description,
                terms,
                created_at: current.map_or(now, |c| c.created_at),
                updated_at: now,
                version: current.map_or(1, |c| c.version + 1),
            }),
            _ => Err(errors),
        }
    }
}

/// Of `promotions`, the one that gives an order in `currency` with these `lines` at `now` the
/// most, with what it gives: a sum off counts as it is, a gift as `gift_value` says its variant
/// is worth (`None` when it cannot be given). Among equals, the first of `promotions`.
pub fn best<'a>(
    promotions: &'a [Promotion],
    currency: Currency,
    lines: &[CartLine],
    now: DateTime<Utc>,
    gift_value: impl Fn(Uuid) -> Option<i64>,
) -> Option<(&'a Promotion, Benefit)> {
    let mut best: Option<(&Promotion, Benefit, i64)> = None;
    for promotion in promotions {
        let Ok(benefit) = promotion.terms.benefit(currency, lines, now) else {
            continue;
        };
        let worth = match benefit {
            Benefit::Amount(amount) => Some(amount),
            Benefit::Gift(variant) => gift_value(variant),
        };
        if let Some(worth) = worth.filter(|w| *w > 0)
            && best.as_ref().is_none_or(|(_, _, most)| worth > *most)
        {
            best = Some((promotion, benefit, worth));
        }
    }
    best.map(|(promotion, benefit, _)| (promotion, benefit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::marketing::offers::OfferKind;

    fn promotion(name: &str, terms: TermsInput) -> Promotion {
        PromotionInput {
            name: Some(name.into()),
            terms: TermsInput {
                currency: Some("CNY".into()),
                ..terms
            },
            ..PromotionInput::default()
        }
        .apply(None, Uuid::now_v7(), Utc::now())
        .expect("valid")
    }

    fn line(total: i64) -> CartLine {
        CartLine {
            product_id: None,
            category_id: None,
            line_total: total,
        }
    }

    #[test]
    fn the_promotion_that_takes_the_most_off_applies() {
        let now = Utc::now();
        let cny = Currency::parse("currency", "CNY").expect("known");
        let tenth = promotion(
            "九折",
            TermsInput {
                kind: Some(OfferKind::Percentage),
                percent_off: Some(Some(10)),
                ..TermsInput::default()
            },
        );
        let threshold = promotion(
            "满 300 减 50",
            TermsInput {
                kind: Some(OfferKind::Threshold),
                amount_off: Some(Some(5000)),
                min_order_amount: Some(Some(30000)),
                ..TermsInput::default()
            },
        );
        let gift = promotion(
            "满 200 送杯",
            TermsInput {
                kind: Some(OfferKind::Gift),
                gift_variant_id: Some(Some(Uuid::nil())),
                min_order_amount: Some(Some(20000)),
                ..TermsInput::default()
            },
        );
        let all = [tenth, threshold, gift];
        let worth = |_| Some(3900);
        let name_of = |total: i64| {
            best(&all, cny, &[line(total)], now, worth).map(|(p, b)| (p.name.clone(), b))
        };
        assert_eq!(name_of(10000), Some(("九折".into(), Benefit::Amount(1000))));
        assert_eq!(
            name_of(25000),
            Some(("满 200 送杯".into(), Benefit::Gift(Uuid::nil())))
        );
        assert_eq!(
            name_of(40000),
            Some(("满 300 减 50".into(), Benefit::Amount(5000)))
        );
        // A gift that cannot be given counts for nothing.
        assert_eq!(
            best(&all, cny, &[line(25000)], now, |_| None).map(|(p, _)| p.name.clone()),
            Some("九折".into())
        );
        let usd = Currency::parse("currency", "USD").expect("known");
        assert!(best(&all, usd, &[line(40000)], now, worth).is_none());
    }

    #[test]
    fn a_promotion_is_checked_whole() {
        let errors = PromotionInput {
            terms: TermsInput {
                kind: Some(OfferKind::Threshold),
                currency: Some("CNY".into()),
                amount_off: Some(Some(5000)),
                ..TermsInput::default()
            },
            ..PromotionInput::default()
        }
        .apply(None, Uuid::nil(), Utc::now())
        .expect_err("two mistakes");
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "min_order_amount"]);
    }
}
