//! The workspace's business settings: policies an administrator sets once and every use case
//! reads, such as how long after payment a refund may be requested.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::orders::lifecycle::{DEFAULT_REFUND_WINDOW_DAYS, MAX_REFUND_WINDOW_DAYS};
use crate::{FieldError, FieldErrors};

/// How the workspace sells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommerceSettings {
    /// Days after payment within which a refund can be requested.
    pub refund_window_days: i64,
    /// When they last changed; `None` while they hold their defaults.
    pub updated_at: Option<DateTime<Utc>>,
    /// Grows by one on every change.
    pub version: i64,
}

impl Default for CommerceSettings {
    fn default() -> Self {
        CommerceSettings {
            refund_window_days: DEFAULT_REFUND_WINDOW_DAYS,
            updated_at: None,
            version: 1,
        }
    }
}

/// A change of the commerce settings; absent parts stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommerceChanges {
    /// Days after payment within which a refund can be requested.
    pub refund_window_days: Option<i64>,
}

impl CommerceChanges {
    /// Checks every part, reporting every mistake.
    pub fn check(self) -> Result<CommerceChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        if let Some(days) = self.refund_window_days
            && !(0..=MAX_REFUND_WINDOW_DAYS).contains(&days)
        {
            errors.push(FieldError::new(
                "refund_window_days",
                "out_of_range",
                format!("must be between 0 and {MAX_REFUND_WINDOW_DAYS}"),
            ));
        }
        errors.into_result(|| self)
    }

    /// The settings with these changes applied (the stamp and version left to the caller).
    pub fn apply(&self, current: &CommerceSettings) -> CommerceSettings {
        CommerceSettings {
            refund_window_days: self
                .refund_window_days
                .unwrap_or(current.refund_window_days),
            ..current.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_at_most_ten_years() {
        let refused = CommerceChanges {
            refund_window_days: Some(MAX_REFUND_WINDOW_DAYS + 1),
        }
        .check()
        .unwrap_err();
        assert_eq!(refused.0[0].field, "refund_window_days");
        let changes = CommerceChanges {
            refund_window_days: Some(7),
        }
        .check()
        .unwrap();
        assert_eq!(
            changes
                .apply(&CommerceSettings::default())
                .refund_window_days,
            7
        );
    }
}
