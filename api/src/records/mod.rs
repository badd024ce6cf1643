//! The audit trail and the integration event feed.

pub mod audit;
pub mod events;
