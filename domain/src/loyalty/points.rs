//! Points: a ledger per customer whose sum is the balance, never below zero. Points are earned
//! when an order is paid (by the workspace's rule), reversed in proportion when it is refunded,
//! adjusted and redeemed by staff, and expire a set time after they were earned. A deduction takes
//! from the points that expire first, so what expires is exactly what was earned and not spent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{optional_text, text};
use crate::{FieldError, FieldErrors};

/// The most points one entry moves, and the most a balance holds.
pub const MAX_POINTS: i64 = 1_000_000_000;
/// The newest entries `GET /customers/{id}/points` shows.
pub const RECENT: u64 = 20;

/// What moved the points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Earned by a paid order.
    Earn,
    /// Spent by the customer.
    Redeem,
    /// Added or taken by staff, with a reason.
    Adjust,
    /// Earned points not spent in time.
    Expire,
    /// Taken back because the order that earned them was refunded.
    Reverse,
}

names!(EntryKind {
    Earn => "earn",
    Redeem => "redeem",
    Adjust => "adjust",
    Expire => "expire",
    Reverse => "reverse",
});

/// One line of a customer's points ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointsEntry {
    /// Identifier.
    pub id: Uuid,
    /// Whose points.
    pub customer_id: Uuid,
    /// What moved them.
    pub kind: EntryKind,
    /// Points added (positive) or taken (negative).
    pub points: i64,
    /// The balance after this entry.
    pub balance_after: i64,
    /// Why.
    pub reason: Option<String>,
    /// The order that earned or gave them back.
    pub order_id: Option<Uuid>,
    /// When points added here expire, if they do.
    pub expires_at: Option<DateTime<Utc>>,
    /// When.
    pub created_at: DateTime<Utc>,
}

fn points(field: &str, value: i64, signed: bool) -> Result<i64, FieldError> {
    let fits = if signed {
        value != 0 && value.abs() <= MAX_POINTS
    } else {
        (1..=MAX_POINTS).contains(&value)
    };
    if fits {
        Ok(value)
    } else if signed {
        Err(FieldError::new(
            field,
            "out_of_range",
            format!("must be between -{MAX_POINTS} and {MAX_POINTS}, and not 0"),
        ))
    } else {
        Err(FieldError::new(
            field,
            "out_of_range",
            format!("must be between 1 and {MAX_POINTS}"),
        ))
    }
}

/// An adjustment by staff: points added (positive) or taken (negative), and why (required).
pub fn adjustment(value: i64, reason: &str) -> Result<(i64, String), FieldErrors> {
    let mut errors = FieldErrors::new();
    let value = errors.take(points("points", value, true));
    let reason = errors.take(text("reason", reason, 1, 200));
    match (value, reason) {
        (Some(value), Some(reason)) if errors.is_empty() => Ok((value, reason)),
        _ => Err(errors),
    }
}

/// A redemption: the points spent, and what for.
pub fn redemption(value: i64, reason: Option<&str>) -> Result<(i64, Option<String>), FieldErrors> {
    let mut errors = FieldErrors::new();
    let value = errors.take(points("points", value, false));
    let reason = errors.take(optional_text("reason", reason, 200)).flatten();
    match value {
        Some(value) if errors.is_empty() => Ok((value, reason)),
        _ => Err(errors),
    }
}

/// The points an order of `total` minor units (of a currency with `exponent` decimals) earns at
/// `per_unit` points per whole unit, rounded down.
pub fn earned(total: i64, exponent: u16, per_unit: i64) -> i64 {
    let unit = 10_i128.pow(u32::from(exponent));
    let points = i128::from(total) * i128::from(per_unit) / unit;
    i64::try_from(points).unwrap_or(MAX_POINTS).min(MAX_POINTS)
}

/// The points still to take back from an order that earned `earned` when `refunded` of its
/// `total` has been refunded and `reversed` taken back already: in proportion, rounded down, so
/// a full refund takes back all.
pub fn to_reverse(earned: i64, total: i64, refunded: i64, reversed: i64) -> i64 {
    if total <= 0 {
        return 0;
    }
    let owed = i128::from(earned) * i128::from(refunded.min(total)) / i128::from(total);
    (i64::try_from(owed).unwrap_or(earned) - reversed).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_earned_per_whole_unit_rounded_down() {
        assert_eq!(earned(35_599, 2, 1), 355);
        assert_eq!(earned(35_599, 2, 3), 1067);
        assert_eq!(earned(1_000, 0, 1), 1000);
        assert_eq!(earned(0, 2, 5), 0);
    }

    #[test]
    fn a_refund_takes_back_its_share() {
        assert_eq!(to_reverse(355, 35_500, 17_750, 0), 177);
        assert_eq!(to_reverse(355, 35_500, 35_500, 177), 178);
        assert_eq!(to_reverse(355, 35_500, 35_500, 355), 0);
    }

    #[test]
    fn entries_are_checked() {
        assert!(adjustment(0, "x").is_err());
        assert!(adjustment(-5, " ").is_err());
        assert_eq!(adjustment(-5, "补偿"), Ok((-5, "补偿".into())));
        assert!(redemption(-1, None).is_err());
    }
}
