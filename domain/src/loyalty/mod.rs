//! Loyalty: the points customers earn and spend, the rewards they spend them on, and the
//! membership tiers they reach.

pub mod points;
pub mod rewards;
pub mod tiers;
