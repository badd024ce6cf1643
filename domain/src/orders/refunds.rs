//! Refunds: money given back for a paid order, in part or in whole, never more than was paid less
//! what was already refunded, asked for within the refund window and then approved (optionally
//! putting units back in stock) or rejected.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{MAX_LINES, MAX_QUANTITY, MAX_TEXT_LEN};
use crate::validation::optional_text;
use crate::values::money::MAX_AMOUNT;
use crate::{FieldError, FieldErrors};

/// The most refunds (asked, approved or rejected) one order keeps.
pub const MAX_REFUNDS: usize = 50;
/// The longest reason.
pub const MAX_REASON_LEN: usize = 2000;

/// Where a refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Asked for; a decision is due.
    Requested,
    /// Money given back.
    Approved,
    /// Turned down.
    Rejected,
}

impl RefundStatus {
    /// The stored and transmitted name.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Requested => "requested",
            RefundStatus::Approved => "approved",
            RefundStatus::Rejected => "rejected",
        }
    }

    /// The status of this name, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            RefundStatus::Requested,
            RefundStatus::Approved,
            RefundStatus::Rejected,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// A refund of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refund {
    /// Identifier.
    pub id: Uuid,
    /// Money asked back, minor units of the order's currency.
    pub amount: i64,
    /// Why the customer asks.
    pub reason: Option<String>,
    /// Where it stands.
    pub status: RefundStatus,
    /// The gateway's reference of the money given back, once approved.
    pub reference: Option<String>,
    /// Why it was turned down, once rejected.
    pub rejection_reason: Option<String>,
    /// Units put back in stock on approval.
    pub restocked: i64,
    /// When it was asked for.
    pub requested_at: DateTime<Utc>,
    /// When it was approved or rejected.
    pub decided_at: Option<DateTime<Utc>>,
}

/// A refund request as sent, checked: `(amount, reason)`. Whether the amount is still refundable
/// is the order's state, checked where the order is locked.
pub fn request(amount: i64, reason: Option<&str>) -> Result<(i64, Option<String>), FieldErrors> {
    let mut errors = FieldErrors::new();
    if !(1..=MAX_AMOUNT).contains(&amount) {
        errors.push(FieldError::new(
            "amount",
            "out_of_range",
            format!("must be between 1 and {MAX_AMOUNT} (in the currency's minor unit)"),
        ));
    }
    let reason = errors
        .take(optional_text("reason", reason, MAX_REASON_LEN))
        .flatten();
    errors.into_result(|| (amount, reason))
}

/// Units of one line to put back in stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restock {
    /// The order line.
    pub line_id: Uuid,
    /// Units.
    pub quantity: i64,
}

/// An approval, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// The gateway's reference of the money given back.
    pub reference: Option<String>,
    /// Units to put back in stock, a line named more than once added up, each with the place in
    /// the request where its line was first named (for errors about it).
    pub restock: Vec<(usize, Restock)>,
}

/// An approval as sent, checked.
pub fn approval(reference: Option<&str>, restock: &[Restock]) -> Result<Approval, FieldErrors> {
    let mut errors = FieldErrors::new();
    let reference = errors
        .take(optional_text("reference", reference, MAX_TEXT_LEN))
        .flatten();
    if restock.len() > MAX_LINES {
        errors.push(FieldError::new(
            "restock",
            "out_of_range",
            format!("at most {MAX_LINES} lines"),
        ));
        return Err(errors);
    }
    let mut merged: Vec<(usize, Restock)> = Vec::with_capacity(restock.len());
    for (i, r) in restock.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(&r.quantity) {
            errors.push(FieldError::new(
                format!("restock[{i}].quantity"),
                "out_of_range",
                format!("must be between 1 and {MAX_QUANTITY}"),
            ));
            continue;
        }
        match merged.iter_mut().find(|(_, m)| m.line_id == r.line_id) {
            Some((_, earlier)) => earlier.quantity += r.quantity,
            None => merged.push((i, *r)),
        }
    }
    errors.into_result(|| Approval {
        reference,
        restock: merged,
    })
}

/// A rejection as sent, checked: its reason.
pub fn rejection(reason: Option<&str>) -> Result<Option<String>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let reason = errors
        .take(optional_text("reason", reason, MAX_REASON_LEN))
        .flatten();
    errors.into_result(|| reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_asks_for_some_money() {
        assert_eq!(
            request(500, Some(" 尺码不合适 ")),
            Ok((500, Some("尺码不合适".to_owned())))
        );
        assert_eq!(request(0, None).unwrap_err().0[0].field, "amount");
        assert_eq!(
            request(MAX_AMOUNT + 1, None).unwrap_err().0[0].code,
            "out_of_range"
        );
    }

    #[test]
    fn an_approval_adds_up_a_line_named_twice() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let restock = |line_id, quantity| Restock { line_id, quantity };
        let named = [restock(a, 1), restock(b, 1), restock(a, 2)];
        assert_eq!(
            approval(None, &named).unwrap().restock,
            [(0, restock(a, 3)), (1, restock(b, 1))]
        );
        let refused = approval(None, &[restock(a, 0)]).unwrap_err();
        assert_eq!(refused.0[0].field, "restock[0].quantity");
    }
}
