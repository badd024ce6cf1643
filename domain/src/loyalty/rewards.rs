//! Rewards: what customers exchange their points for, a gift handed over or a coupon put in
//! their wallet, each at a points cost and, when stock is counted, while it lasts. Whether stock
//! and points are left is settled where they are kept, in one transaction; what a reward is and
//! whether it is offered is decided here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::loyalty::points::MAX_POINTS;
use crate::validation::{name, optional_text};
use crate::{FieldError, FieldErrors};

/// The most units of stock a reward counts.
pub const MAX_STOCK: i64 = 1_000_000_000;
/// The fields a reward list can be sorted by.
pub const SORTABLE: &[&str] = &["created_at", "name", "points_cost"];

/// What a reward gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardKind {
    /// Something handed over or sent (perhaps a variant of the catalogue), marked fulfilled when
    /// it is.
    Gift,
    /// A coupon put in the customer's wallet at once.
    Coupon,
}

names!(RewardKind { Gift => "gift", Coupon => "coupon" });

/// Whether a reward can be exchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardStatus {
    /// Offered.
    Active,
    /// Not offered until made active again.
    Paused,
}

names!(RewardStatus { Active => "active", Paused => "paused" });

/// A reward of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reward {
    /// Identifier.
    pub id: Uuid,
    /// What it is called.
    pub name: String,
    /// What it is.
    pub description: Option<String>,
    /// What it gives.
    pub kind: RewardKind,
    /// The variant of the catalogue given (`gift`, optional).
    pub variant_id: Option<Uuid>,
    /// The coupon given (`coupon`).
    pub coupon_id: Option<Uuid>,
    /// Points one costs.
    pub points_cost: i64,
    /// Units left; `None` when stock is not counted.
    pub stock: Option<i64>,
    /// Exchanges made.
    pub exchanged_count: i64,
    /// Whether it is offered.
    pub status: RewardStatus,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change, an exchange's included (it takes stock).
    pub version: i64,
}

/// A reward as sent: every part of a new one, or the parts a change sets (`Some(None)` clears).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RewardInput {
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<Option<String>>,
    /// Kind.
    pub kind: Option<RewardKind>,
    /// Gift variant.
    pub variant_id: Option<Option<Uuid>>,
    /// Coupon.
    pub coupon_id: Option<Option<Uuid>>,
    /// Points cost.
    pub points_cost: Option<i64>,
    /// Stock.
    pub stock: Option<Option<i64>>,
    /// Status.
    pub status: Option<RewardStatus>,
}

impl RewardInput {
    /// `current` with these parts applied (a new reward when `current` is `None`), checked as a
    /// whole: a name, a cost, a coupon for a coupon reward and none for a gift, a variant only
    /// for a gift, stock counted from zero.
    pub fn apply(
        self,
        current: Option<&Reward>,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Reward, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = match (self.name, current) {
            (Some(n), _) => errors.take(name("name", &n, 1, 100)),
            (None, Some(c)) => Some(c.name.clone()),
            (None, None) => {
                errors.push(FieldError::new("name", "required", "a reward needs a name"));
                None
            }
        };
        let description = match self.description {
            Some(d) => errors
                .take(optional_text("description", d.as_deref(), 2000))
                .flatten(),
            None => current.and_then(|c| c.description.clone()),
        };
        let kind = self.kind.or(current.map(|c| c.kind));
        if kind.is_none() {
            errors.push(FieldError::new("kind", "required", "a reward needs a kind"));
        }
        let points_cost = match (self.points_cost, current) {
            (Some(p), _) if (1..=MAX_POINTS).contains(&p) => Some(p),
            (Some(_), _) => {
                errors.push(FieldError::new(
                    "points_cost",
                    "out_of_range",
                    format!("must be between 1 and {MAX_POINTS}"),
                ));
                None
            }
            (None, Some(c)) => Some(c.points_cost),
            (None, None) => {
                errors.push(FieldError::new(
                    "points_cost",
                    "required",
                    "a reward needs the points it costs",
                ));
                None
            }
        };
        let stock = self.stock.unwrap_or(current.and_then(|c| c.stock));
        if stock.is_some_and(|s| !(0..=MAX_STOCK).contains(&s)) {
            errors.push(FieldError::new(
                "stock",
                "out_of_range",
                format!("must be between 0 and {MAX_STOCK}, or null when not counted"),
            ));
        }
        let variant_id = self
            .variant_id
            .unwrap_or(current.and_then(|c| c.variant_id));
        let coupon_id = self.coupon_id.unwrap_or(current.and_then(|c| c.coupon_id));
        match kind {
            Some(RewardKind::Coupon) => {
                if coupon_id.is_none() {
                    errors.push(FieldError::new(
                        "coupon_id",
                        "required",
                        "a coupon reward names the coupon it gives",
                    ));
                }
                if variant_id.is_some() {
                    errors.push(FieldError::new(
                        "variant_id",
                        "not_allowed",
                        "only a gift names a variant",
                    ));
                }
            }
            Some(RewardKind::Gift) if coupon_id.is_some() => {
                errors.push(FieldError::new(
                    "coupon_id",
                    "not_allowed",
                    "only a coupon reward names a coupon",
                ));
            }
            _ => {}
        }
        let status = self
            .status
            .or(current.map(|c| c.status))
            .unwrap_or(RewardStatus::Active);
        match (name, kind, points_cost) {
            (Some(name), Some(kind), Some(points_cost)) if errors.is_empty() => Ok(Reward {
                id,
                name,
                description,
                kind,
                variant_id,
                coupon_id,
                points_cost,
                stock,
                exchanged_count: current.map_or(0, |c| c.exchanged_count),
                status,
                created_at: current.map_or(now, |c| c.created_at),
                updated_at: now,
                version: current.map_or(1, |c| c.version + 1),
            }),
            _ => Err(errors),
        }
    }
}

/// One exchange of points for a reward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RewardExchange {
    /// Identifier.
    pub id: Uuid,
    /// Who exchanged.
    pub customer_id: Uuid,
    /// The reward; `None` once the reward is deleted.
    pub reward_id: Option<Uuid>,
    /// The reward's name when exchanged.
    pub reward_name: String,
    /// What it gave.
    pub kind: RewardKind,
    /// Points spent.
    pub points: i64,
    /// The ledger's entry that spent them.
    pub points_entry_id: Uuid,
    /// The coupon put in the wallet (`coupon`).
    pub issued_coupon_id: Option<Uuid>,
    /// The code of that coupon.
    pub coupon_code: Option<String>,
    /// When a gift was handed over or sent.
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// The note made when it was (a tracking number, say).
    pub fulfilment_note: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Why a reward cannot be exchanged now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// It is paused.
    Paused,
    /// Its stock is used up.
    OutOfStock,
}

impl Reward {
    /// Whether it can be exchanged, stock and status alone (points are the customer's).
    pub fn available(&self) -> Result<(), Unavailable> {
        if self.status == RewardStatus::Paused {
            Err(Unavailable::Paused)
        } else if self.stock == Some(0) {
            Err(Unavailable::OutOfStock)
        } else {
            Ok(())
        }
    }
}

/// A fulfilment note: at most 200 characters.
pub fn fulfilment_note(raw: Option<&str>) -> Result<Option<String>, FieldErrors> {
    optional_text("note", raw, 200).map_err(FieldErrors::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kind: RewardKind) -> RewardInput {
        RewardInput {
            name: Some("保温杯".into()),
            kind: Some(kind),
            points_cost: Some(500),
            stock: Some(Some(10)),
            ..RewardInput::default()
        }
    }

    #[test]
    fn a_new_reward_is_checked_whole() {
        let now = Utc::now();
        let gift = input(RewardKind::Gift)
            .apply(None, Uuid::nil(), now)
            .expect("a gift needs no coupon");
        assert_eq!((gift.stock, gift.status), (Some(10), RewardStatus::Active));
        let errors = RewardInput {
            points_cost: Some(0),
            stock: Some(Some(-1)),
            ..input(RewardKind::Coupon)
        }
        .apply(None, Uuid::nil(), now)
        .expect_err("three mistakes");
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["points_cost", "stock", "coupon_id"]);
    }

    #[test]
    fn a_change_keeps_what_it_does_not_name() {
        let now = Utc::now();
        let gift = input(RewardKind::Gift)
            .apply(None, Uuid::nil(), now)
            .expect("valid");
        let changed = RewardInput {
            stock: Some(None),
            ..RewardInput::default()
        }
        .apply(Some(&gift), gift.id, now)
        .expect("valid");
        assert_eq!(
            (changed.stock, changed.points_cost, changed.version),
            (None, 500, 2)
        );
        assert_eq!(changed.available(), Ok(()));
        let empty = Reward {
            stock: Some(0),
            ..changed.clone()
        };
        assert_eq!(empty.available(), Err(Unavailable::OutOfStock));
        let gift_with_coupon = RewardInput {
            coupon_id: Some(Some(Uuid::nil())),
            ..RewardInput::default()
        }
        .apply(Some(&gift), gift.id, now);
        assert!(gift_with_coupon.is_err());
    }
}
