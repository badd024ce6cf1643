//! Loyalty: the points customers earn and spend, and the membership tiers they reach.

pub mod points;
pub mod tiers;
