//! Loyalty over HTTP: points, membership tiers, members, and the settings that rule them.

pub mod membership;
pub mod points;
pub mod settings;
pub mod tiers;

pub use points::PointsEntryView;
