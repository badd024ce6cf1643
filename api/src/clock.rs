//! The server's clock: what "now" is for rules that read it (an activity dated ahead, tasks due
//! today, reminders that fall due, how long a deal stayed in a stage). The system's, or for tests
//! one the test sets and moves, to reach a given moment (midnight in the workspace's time zone,
//! two hours later) without waiting for it.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};

/// Where "now" comes from.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// The instant a test set, shared by every clone.
    Manual(Arc<RwLock<DateTime<Utc>>>),
}

impl Clock {
    /// A clock standing at `at` until it is moved.
    pub fn at(at: DateTime<Utc>) -> Clock {
        Clock::Manual(Arc::new(RwLock::new(at)))
    }

    /// The current instant, at the precision the databases store.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => rapport_persistence::now(),
            Clock::Manual(at) => *at.read().unwrap_or_else(std::sync::PoisonError::into_inner),
        }
    }

    /// Moves a manual clock on by `by`; the system clock moves by itself.
    pub fn advance(&self, by: Duration) {
        if let Clock::Manual(at) = self {
            let mut at = at
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *at += by;
        }
    }
}
