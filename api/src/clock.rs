//! The server's clock: what "now" is for rules that read it (an activity dated ahead, tasks due
//! today, reminders that fall due). The system's, or one fixed instant for tests that need a
//! given moment, such as midnight in the workspace's time zone, without waiting for it.

use chrono::{DateTime, Utc};

/// Where "now" comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// Always this instant.
    Fixed(DateTime<Utc>),
}

impl Clock {
    /// The current instant, at the precision the databases store.
    pub fn now(self) -> DateTime<Utc> {
        match self {
            Clock::System => rapport_persistence::now(),
            Clock::Fixed(at) => at,
        }
    }
}
