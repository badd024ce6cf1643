//! What a customer's orders add up to: kept on the customer in the same transaction as every
//! payment and refund, so that "spent over 1,000 and no order for 90 days" is one search.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A customer's purchase figures. An order counts once paid; a refund takes its money back out,
/// and an order refunded in whole no longer counts at all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchases {
    /// Paid orders not refunded in whole.
    pub orders_count: i64,
    /// What the paid orders came to, less what was refunded, in minor units.
    pub total_spent: i64,
    /// `total_spent / orders_count`, rounded down; 0 without orders.
    pub average_order_value: i64,
    /// When the first counted order was paid.
    pub first_order_at: Option<DateTime<Utc>>,
    /// When the latest counted order was paid.
    pub last_order_at: Option<DateTime<Utc>>,
}

impl Purchases {
    /// The figures from the sums over a customer's orders: the number of counted orders, the
    /// money kept, and the first and last payment of the counted ones.
    pub fn from_sums(
        orders_count: i64,
        total_spent: i64,
        first_order_at: Option<DateTime<Utc>>,
        last_order_at: Option<DateTime<Utc>>,
    ) -> Self {
        Purchases {
            orders_count,
            total_spent,
            average_order_value: total_spent.checked_div(orders_count).unwrap_or(0),
            first_order_at,
            last_order_at,
        }
    }
}

/// The figures a customer filter and sort order can name, with whether they can be absent.
pub const FIELDS: [(&str, bool); 5] = [
    ("orders_count", false),
    ("total_spent", false),
    ("average_order_value", false),
    ("first_order_at", true),
    ("last_order_at", true),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_average_is_rounded_down_and_zero_without_orders() {
        assert_eq!(
            Purchases::from_sums(3, 1000, None, None).average_order_value,
            333
        );
        assert_eq!(
            Purchases::from_sums(0, 0, None, None).average_order_value,
            0
        );
    }
}
