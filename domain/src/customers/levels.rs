//! Customer levels: grades the business sets by what customers spend and how often they buy
//! (`普通会员`, `银卡`, `金卡`). A customer holds the highest-ranked level whose every threshold
//! their purchase figures reach, recomputed whenever the figures or the levels change.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Purchases;
use crate::validation::{name, optional_text};
use crate::values::money::MAX_AMOUNT;
use crate::{FieldError, FieldErrors};

/// The most levels a workspace defines.
pub const MAX_LEVELS: usize = 50;
/// The highest rank.
pub const MAX_RANK: i32 = 1000;
/// The fields a level list can be sorted by.
pub const SORTABLE: &[&str] = &["rank", "name", "created_at"];

/// A level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerLevel {
    /// Identifier.
    pub id: Uuid,
    /// Name, unique.
    pub name: String,
    /// Higher ranks win when a customer reaches several levels; unique.
    pub rank: i32,
    /// The least `total_spent` (minor units) the level asks for, if any.
    pub min_total_spent: Option<i64>,
    /// The least `orders_count` the level asks for, if any.
    pub min_orders_count: Option<i64>,
    /// What it means.
    pub description: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

impl CustomerLevel {
    /// Whether `figures` reach every threshold of the level.
    pub fn reached_by(&self, figures: &Purchases) -> bool {
        self.min_total_spent
            .is_none_or(|least| figures.total_spent >= least)
            && self
                .min_orders_count
                .is_none_or(|least| figures.orders_count >= least)
    }
}

/// The level a customer with `figures` holds: the highest-ranked one they reach, if any.
pub fn level_for(levels: &[CustomerLevel], figures: &Purchases) -> Option<Uuid> {
    levels
        .iter()
        .filter(|level| level.reached_by(figures))
        .max_by_key(|level| level.rank)
        .map(|level| level.id)
}

/// A level's definition as sent: every part of a new level, or the parts a change sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LevelInput {
    /// Name.
    pub name: Option<String>,
    /// Rank.
    pub rank: Option<i64>,
    /// Least total spent; `Some(None)` clears it.
    pub min_total_spent: Option<Option<i64>>,
    /// Least orders count; `Some(None)` clears it.
    pub min_orders_count: Option<Option<i64>>,
    /// Description; `Some(None)` clears it.
    pub description: Option<Option<String>>,
}

impl LevelInput {
    /// `current` with these parts applied (a new level when `current` is `None`), checked as a
    /// whole: a name, a rank from 0 to [`MAX_RANK`], and at least one threshold.
    pub fn apply(
        self,
        current: Option<&CustomerLevel>,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<CustomerLevel, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = match (self.name, current) {
            (Some(given), _) => errors.take(name("name", &given, 1, 100)),
            (None, Some(c)) => Some(c.name.clone()),
            (None, None) => {
                errors.push(FieldError::new("name", "required", "a level has a name"));
                None
            }
        };
        let rank = match (self.rank, current) {
            (Some(rank), _) if (0..=i64::from(MAX_RANK)).contains(&rank) => {
                i32::try_from(rank).ok()
            }
            (Some(_), _) => {
                errors.push(FieldError::new(
                    "rank",
                    "out_of_range",
                    format!("must be between 0 and {MAX_RANK}"),
                ));
                None
            }
            (None, Some(c)) => Some(c.rank),
            (None, None) => {
                errors.push(FieldError::new("rank", "required", "a level has a rank"));
                None
            }
        };
        let threshold = |errors: &mut FieldErrors,
                         field: &str,
                         given: Option<Option<i64>>,
                         kept: Option<i64>,
                         max: i64| match given {
            Some(Some(v)) if !(0..=max).contains(&v) => {
                errors.push(FieldError::new(
                    field,
                    "out_of_range",
                    format!("must be between 0 and {max}"),
                ));
                None
            }
            Some(v) => v,
            None => kept,
        };
        let min_total_spent = threshold(
            &mut errors,
            "min_total_spent",
            self.min_total_spent,
            current.and_then(|c| c.min_total_spent),
            MAX_AMOUNT,
        );
        let min_orders_count = threshold(
            &mut errors,
            "min_orders_count",
            self.min_orders_count,
            current.and_then(|c| c.min_orders_count),
            1_000_000_000,
        );
        let description = match self.description {
            Some(given) => errors
                .take(optional_text("description", given.as_deref(), 1000))
                .flatten(),
            None => current.and_then(|c| c.description.clone()),
        };
        if errors.is_empty() && min_total_spent.is_none() && min_orders_count.is_none() {
            errors.push(FieldError::new(
                "min_total_spent",
                "threshold_required",
                "a level asks for a least total spent, a least orders count, or both",
            ));
        }
        match (name, rank) {
            (Some(name), Some(rank)) if errors.is_empty() => {
                let level = CustomerLevel {
                    id,
                    name,
                    rank,
                    min_total_spent,
                    min_orders_count,
                    description,
                    created_at: current.map_or(now, |c| c.created_at),
                    updated_at: now,
                    version: current.map_or(1, |c| c.version + 1),
                };
                Ok(level)
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(rank: i32, spent: Option<i64>, orders: Option<i64>) -> CustomerLevel {
        let now = Utc::now();
        LevelInput {
            name: Some(format!("L{rank}")),
            rank: Some(i64::from(rank)),
            min_total_spent: Some(spent),
            min_orders_count: Some(orders),
            description: None,
        }
        .apply(None, Uuid::now_v7(), now)
        .unwrap()
    }

    #[test]
    fn a_customer_holds_the_highest_level_they_reach() {
        let silver = level(1, Some(100_000), None);
        let gold = level(2, Some(500_000), Some(5));
        let levels = [silver.clone(), gold.clone()];
        let figures = |spent, count| Purchases::from_sums(count, spent, None, None);
        assert_eq!(level_for(&levels, &figures(50_000, 9)), None);
        assert_eq!(level_for(&levels, &figures(600_000, 4)), Some(silver.id));
        assert_eq!(level_for(&levels, &figures(600_000, 5)), Some(gold.id));
    }

    #[test]
    fn a_level_needs_a_threshold_and_a_rank_in_range() {
        let refused = LevelInput {
            name: Some("金卡".into()),
            rank: Some(5000),
            ..LevelInput::default()
        }
        .apply(None, Uuid::now_v7(), Utc::now())
        .unwrap_err();
        assert_eq!(refused.0[0].field, "rank");
        let refused = LevelInput {
            name: Some("金卡".into()),
            rank: Some(3),
            ..LevelInput::default()
        }
        .apply(None, Uuid::now_v7(), Utc::now())
        .unwrap_err();
        assert_eq!(refused.0[0].code, "threshold_required");
    }
}
