//! The states an order moves through and the actions that move it:
//! `pending → paid → shipped → delivered → completed`, `pending → cancelled`, and
//! `paid|shipped|delivered → refund_requested`, from where an approved refund that leaves nothing
//! to refund ends at `refunded` and every other decision returns the order to how far it had got.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed, not paid; the only state in which the order itself can be changed.
    Pending,
    /// Paid: stock taken.
    Paid,
    /// Handed to a carrier.
    Shipped,
    /// Received by the customer.
    Delivered,
    /// Done.
    Completed,
    /// Called off before payment.
    Cancelled,
    /// The customer asked for money back; a decision is due.
    RefundRequested,
    /// Every unit of money paid has been given back.
    Refunded,
}

impl OrderStatus {
    /// Every status.
    pub const ALL: [OrderStatus; 8] = [
        OrderStatus::Pending,
        OrderStatus::Paid,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
        OrderStatus::RefundRequested,
        OrderStatus::Refunded,
    ];

    /// The stored and transmitted name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::RefundRequested => "refund_requested",
            OrderStatus::Refunded => "refunded",
        }
    }

    /// The status of this name, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// How far a paid order got on its way to the customer: where it returns once a refund request is
/// decided and money remains to refund.
pub fn fulfilment(shipped: bool, delivered: bool) -> OrderStatus {
    match (shipped, delivered) {
        (_, true) => OrderStatus::Delivered,
        (true, false) => OrderStatus::Shipped,
        (false, false) => OrderStatus::Paid,
    }
}

/// What can be done to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderAction {
    /// Record the payment.
    Pay,
    /// Hand it to a carrier.
    Ship,
    /// Record that the customer received it.
    Deliver,
    /// Close it.
    Complete,
    /// Call it off before payment.
    Cancel,
    /// Ask for money back.
    RequestRefund,
    /// Approve the refund asked for.
    Refund,
    /// Turn the refund asked for down.
    RejectRefund,
}

impl OrderAction {
    /// Every action.
    pub const ALL: [OrderAction; 8] = [
        OrderAction::Pay,
        OrderAction::Ship,
        OrderAction::Deliver,
        OrderAction::Complete,
        OrderAction::Cancel,
        OrderAction::RequestRefund,
        OrderAction::Refund,
        OrderAction::RejectRefund,
    ];

    /// The status the action leads to from `from`, or `None` where it is not allowed. `resumed`
    /// is where the order returns after a refund decision that leaves money to refund (see
    /// [`fulfilment`]); `settled` says whether an approved refund leaves nothing to refund.
    pub fn next(
        self,
        from: OrderStatus,
        resumed: OrderStatus,
        settled: bool,
    ) -> Option<OrderStatus> {
        use OrderStatus::*;
        match (self, from) {
            (OrderAction::Pay, Pending) => Some(Paid),
            (OrderAction::Cancel, Pending) => Some(Cancelled),
            (OrderAction::Ship, Paid) => Some(Shipped),
            (OrderAction::Deliver, Shipped) => Some(Delivered),
            (OrderAction::Complete, Delivered) => Some(Completed),
            (OrderAction::RequestRefund, Paid | Shipped | Delivered) => Some(RefundRequested),
            (OrderAction::Refund, RefundRequested) if settled => Some(Refunded),
            (OrderAction::Refund | OrderAction::RejectRefund, RefundRequested) => Some(resumed),
            _ => None,
        }
    }

    /// What the action does, for messages: "an order that is pending cannot be shipped".
    pub fn done(self) -> &'static str {
        match self {
            OrderAction::Pay => "be paid",
            OrderAction::Ship => "be shipped",
            OrderAction::Deliver => "be delivered",
            OrderAction::Complete => "be completed",
            OrderAction::Cancel => "be cancelled",
            OrderAction::RequestRefund => "have a refund requested",
            OrderAction::Refund => "have a refund approved",
            OrderAction::RejectRefund => "have a refund rejected",
        }
    }

    /// The event the action records (`order.paid`).
    pub fn event(self) -> &'static str {
        match self {
            OrderAction::Pay => "order.paid",
            OrderAction::Ship => "order.shipped",
            OrderAction::Deliver => "order.delivered",
            OrderAction::Complete => "order.completed",
            OrderAction::Cancel => "order.cancelled",
            OrderAction::RequestRefund => "order.refund_requested",
            OrderAction::Refund => "order.refunded",
            OrderAction::RejectRefund => "order.refund_rejected",
        }
    }
}

/// The default number of days after payment within which a refund can be requested.
pub const DEFAULT_REFUND_WINDOW_DAYS: i64 = 30;
/// The longest refund window, in days.
pub const MAX_REFUND_WINDOW_DAYS: i64 = 3650;

/// Whether a refund may still be requested at `now` for an order paid at `paid_at`, with a window
/// of `days` days.
pub fn refund_window_open(paid_at: DateTime<Utc>, now: DateTime<Utc>, days: i64) -> bool {
    now <= paid_at + Duration::days(days.clamp(0, MAX_REFUND_WINDOW_DAYS))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The transitions that exist, with the order shipped but not delivered and money left.
    fn allowed(action: OrderAction, from: OrderStatus) -> Option<OrderStatus> {
        action.next(from, OrderStatus::Shipped, false)
    }

    #[test]
    fn only_the_listed_transitions_exist() {
        use OrderAction::*;
        use OrderStatus::*;
        let expected = [
            (Pay, Pending, Paid),
            (Cancel, Pending, Cancelled),
            (Ship, Paid, Shipped),
            (Deliver, Shipped, Delivered),
            (Complete, Delivered, Completed),
            (RequestRefund, Paid, RefundRequested),
            (RequestRefund, Shipped, RefundRequested),
            (RequestRefund, Delivered, RefundRequested),
            (Refund, RefundRequested, Shipped),
            (RejectRefund, RefundRequested, Shipped),
        ];
        for action in OrderAction::ALL {
            for from in OrderStatus::ALL {
                let listed = expected
                    .iter()
                    .find(|(a, f, _)| *a == action && *f == from)
                    .map(|(_, _, to)| *to);
                assert_eq!(allowed(action, from), listed, "{action:?} from {from:?}");
            }
        }
    }

    #[test]
    fn a_refund_that_leaves_nothing_ends_the_order_and_a_partial_one_resumes_it() {
        let requested = OrderStatus::RefundRequested;
        assert_eq!(
            OrderAction::Refund.next(requested, OrderStatus::Delivered, true),
            Some(OrderStatus::Refunded)
        );
        assert_eq!(
            OrderAction::Refund.next(requested, OrderStatus::Delivered, false),
            Some(OrderStatus::Delivered)
        );
        assert_eq!(
            OrderAction::RejectRefund.next(requested, OrderStatus::Paid, true),
            Some(OrderStatus::Paid)
        );
        assert_eq!(fulfilment(false, false), OrderStatus::Paid);
        assert_eq!(fulfilment(true, false), OrderStatus::Shipped);
        assert_eq!(fulfilment(true, true), OrderStatus::Delivered);
    }

    #[test]
    fn the_refund_window_counts_from_payment() {
        let paid = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(refund_window_open(paid, paid + Duration::days(30), 30));
        assert!(!refund_window_open(
            paid,
            paid + Duration::days(30) + Duration::seconds(1),
            30
        ));
        assert!(!refund_window_open(paid, paid + Duration::seconds(1), 0));
    }
}
