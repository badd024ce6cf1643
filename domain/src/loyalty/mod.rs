//! Loyalty: the points customers earn and spend.

pub mod points;
