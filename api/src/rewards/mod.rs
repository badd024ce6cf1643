//! Rewards over HTTP: the catalogue of what points buy, and exchanges of points for its rewards.

pub mod catalogue;
pub mod exchanges;

pub use exchanges::RewardExchangeView;
