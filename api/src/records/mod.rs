//! The audit trail and the integration event feed.
//!
//! Other areas show audit events and events as these views.

pub mod audit;
pub mod events;

pub use audit::AuditEventView;
pub use events::EventView;
