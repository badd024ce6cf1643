//! Loyalty: customers' points.

pub mod points;

pub use points::{earn_for_order, reverse_for_order, spend as spend_points};
