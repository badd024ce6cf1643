//! The workspace's business settings: policies an administrator sets once and every use case
//! reads, such as how long after payment a refund may be requested, or how long finished work
//! is kept.
//!
//! Each group of settings is stored and versioned as a whole, and changed by a checked set of
//! changes in which absent parts stay as they are.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::orders::lifecycle::{DEFAULT_REFUND_WINDOW_DAYS, MAX_REFUND_WINDOW_DAYS};
use crate::return_visits::{ReturnVisitRule, check_rules};
use crate::{FieldError, FieldErrors};

/// A group of settings stored under one key.
pub trait SettingsGroup: Default + Clone + Serialize + DeserializeOwned {
    /// The key it is stored under.
    const KEY: &'static str;
    /// The audit action of a change.
    const CHANGED: &'static str;
    /// Grows by one on every change.
    fn version(&self) -> i64;
    /// The settings as changed at `now` into `version`.
    fn stamped(self, now: DateTime<Utc>, version: i64) -> Self;
}

/// A checked change of a group of settings.
pub trait SettingsChange<S> {
    /// The settings with this change applied (the stamp and version left to the caller).
    fn apply(&self, current: &S) -> S;
}

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

impl SettingsGroup for CommerceSettings {
    const KEY: &'static str = "commerce";
    const CHANGED: &'static str = "settings.commerce_changed";
    fn version(&self) -> i64 {
        self.version
    }
    fn stamped(self, now: DateTime<Utc>, version: i64) -> Self {
        CommerceSettings {
            updated_at: Some(now),
            version,
            ..self
        }
    }
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
}

impl SettingsChange<CommerceSettings> for CommerceChanges {
    fn apply(&self, current: &CommerceSettings) -> CommerceSettings {
        CommerceSettings {
            refund_window_days: self
                .refund_window_days
                .unwrap_or(current.refund_window_days),
            ..current.clone()
        }
    }
}

/// How the workspace keeps time and money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSettings {
    /// The IANA time zone "today" and "overdue" are read in (`UTC` by default).
    pub time_zone: String,
    /// The ISO 4217 code of the currency a new order, product variant, coupon or deal is in when
    /// it names none (`CNY` by default).
    #[serde(default = "default_currency")]
    pub default_currency: String,
    /// When they last changed; `None` while they hold their defaults.
    pub updated_at: Option<DateTime<Utc>>,
    /// Grows by one on every change.
    pub version: i64,
}

impl Default for WorkspaceSettings {
    fn default() -> Self {
        WorkspaceSettings {
            time_zone: "UTC".into(),
            default_currency: default_currency(),
            updated_at: None,
            version: 1,
        }
    }
}

fn default_currency() -> String {
    "CNY".into()
}

impl WorkspaceSettings {
    /// The time zone; UTC should the stored name no longer be known.
    pub fn zone(&self) -> Tz {
        self.time_zone.parse().unwrap_or(Tz::UTC)
    }
}

impl SettingsGroup for WorkspaceSettings {
    const KEY: &'static str = "workspace";
    const CHANGED: &'static str = "settings.workspace_changed";
    fn version(&self) -> i64 {
        self.version
    }
    fn stamped(self, now: DateTime<Utc>, version: i64) -> Self {
        WorkspaceSettings {
            updated_at: Some(now),
            version,
            ..self
        }
    }
}

/// A change of the workspace settings; absent parts stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkspaceChanges {
    /// The IANA time zone.
    pub time_zone: Option<String>,
    /// The default currency's ISO 4217 code.
    pub default_currency: Option<String>,
}

impl WorkspaceChanges {
    /// Checks every part, reporting every mistake; a time zone is stored as the zone names it.
    pub fn check(self) -> Result<WorkspaceChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let time_zone = match &self.time_zone {
            Some(name) => errors
                .take(time_zone("time_zone", name))
                .map(|zone| zone.name().to_owned()),
            None => None,
        };
        let default_currency = match &self.default_currency {
            Some(code) => errors
                .take(crate::values::Currency::parse("default_currency", code))
                .map(|currency| currency.code().to_owned()),
            None => None,
        };
        errors.into_result(|| WorkspaceChanges {
            time_zone,
            default_currency,
        })
    }
}

impl SettingsChange<WorkspaceSettings> for WorkspaceChanges {
    fn apply(&self, current: &WorkspaceSettings) -> WorkspaceSettings {
        WorkspaceSettings {
            time_zone: self
                .time_zone
                .clone()
                .unwrap_or_else(|| current.time_zone.clone()),
            default_currency: self
                .default_currency
                .clone()
                .unwrap_or_else(|| current.default_currency.clone()),
            ..current.clone()
        }
    }
}

/// Every IANA time zone name a workspace may take.
pub fn time_zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|zone| zone.name())
}

/// A time zone by its IANA name (`Asia/Shanghai`, `UTC`).
pub fn time_zone(field: &str, name: &str) -> Result<Tz, FieldError> {
    name.parse::<Tz>().map_err(|_| {
        FieldError::new(
            field,
            "unknown_time_zone",
            "must be an IANA time zone name, such as Asia/Shanghai or UTC",
        )
    })
}

/// The most days anything is kept by a retention setting: ten years.
pub const MAX_RETENTION_DAYS: i64 = 3_650;

/// How long finished work is kept before housekeeping forgets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionSettings {
    /// Days an ended sign-in (its refresh tokens expired or revoked) is kept.
    pub sessions_days: i64,
    /// Days the file and refused rows of a finished import are kept; the import's record stays.
    pub import_files_days: i64,
    /// Days a finished job's record is kept.
    pub jobs_days: i64,
    /// When they last changed; `None` while they hold their defaults.
    pub updated_at: Option<DateTime<Utc>>,
    /// Grows by one on every change.
    pub version: i64,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            sessions_days: 30,
            import_files_days: 30,
            jobs_days: 30,
            updated_at: None,
            version: 1,
        }
    }
}

impl SettingsGroup for RetentionSettings {
    const KEY: &'static str = "retention";
    const CHANGED: &'static str = "settings.retention_changed";
    fn version(&self) -> i64 {
        self.version
    }
    fn stamped(self, now: DateTime<Utc>, version: i64) -> Self {
        RetentionSettings {
            updated_at: Some(now),
            version,
            ..self
        }
    }
}

/// A change of the retention settings; absent parts stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionChanges {
    /// Days an ended sign-in is kept.
    pub sessions_days: Option<i64>,
    /// Days a finished import's file and refused rows are kept.
    pub import_files_days: Option<i64>,
    /// Days a finished job is kept.
    pub jobs_days: Option<i64>,
}

impl RetentionChanges {
    /// Checks every part, reporting every mistake.
    pub fn check(self) -> Result<RetentionChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        for (field, days) in [
            ("sessions_days", self.sessions_days),
            ("import_files_days", self.import_files_days),
            ("jobs_days", self.jobs_days),
        ] {
            if let Some(days) = days
                && !(0..=MAX_RETENTION_DAYS).contains(&days)
            {
                errors.push(FieldError::new(
                    field,
                    "out_of_range",
                    format!("must be between 0 and {MAX_RETENTION_DAYS}"),
                ));
            }
        }
        errors.into_result(|| self)
    }
}

impl SettingsChange<RetentionSettings> for RetentionChanges {
    fn apply(&self, current: &RetentionSettings) -> RetentionSettings {
        RetentionSettings {
            sessions_days: self.sessions_days.unwrap_or(current.sessions_days),
            import_files_days: self.import_files_days.unwrap_or(current.import_files_days),
            jobs_days: self.jobs_days.unwrap_or(current.jobs_days),
            ..current.clone()
        }
    }
}

/// The most days ahead a deal's close date is reminded of, or a deal may sit in a stage.
pub const MAX_REMINDER_DAYS: i64 = 365;

/// When the owner of an open deal gets a task about it; each rule is off while `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealReminderSettings {
    /// Days before its expected close date (0: on the day) that a deal's owner gets a task to
    /// close it, once per close date.
    pub close_date_days: Option<i64>,
    /// Days a deal may sit in one stage before its owner gets a task to move it on, once per
    /// stay in a stage.
    pub stage_days: Option<i64>,
    /// When they last changed; `None` while they hold their defaults.
    pub updated_at: Option<DateTime<Utc>>,
    /// Grows by one on every change.
    pub version: i64,
}

impl Default for DealReminderSettings {
    fn default() -> Self {
        DealReminderSettings {
            close_date_days: None,
            stage_days: None,
            updated_at: None,
            version: 1,
        }
    }
}

impl SettingsGroup for DealReminderSettings {
    const KEY: &'static str = "deal_reminders";
    const CHANGED: &'static str = "settings.deal_reminders_changed";
    fn version(&self) -> i64 {
        self.version
    }
    fn stamped(self, now: DateTime<Utc>, version: i64) -> Self {
        DealReminderSettings {
            updated_at: Some(now),
            version,
            ..self
        }
    }
}

/// A change of the deal reminder settings; absent parts stay as they are, `Some(None)` turns a
/// rule off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DealReminderChanges {
    /// Days before the close date.
    pub close_date_days: Option<Option<i64>>,
    /// Days in one stage.
    pub stage_days: Option<Option<i64>>,
}

impl DealReminderChanges {
    /// Checks every part, reporting every mistake.
    pub fn check(self) -> Result<DealReminderChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        for (field, days, least) in [
            ("close_date_days", self.close_date_days, 0),
            ("stage_days", self.stage_days, 1),
        ] {
            if let Some(Some(days)) = days
                && !(least..=MAX_REMINDER_DAYS).contains(&days)
            {
                errors.push(FieldError::new(
                    field,
                    "out_of_range",
                    format!("must be between {least} and {MAX_REMINDER_DAYS}, or null for none"),
                ));
            }
        }
        errors.into_result(|| self)
    }
}

impl SettingsChange<DealReminderSettings> for DealReminderChanges {
    fn apply(&self, current: &DealReminderSettings) -> DealReminderSettings {
        DealReminderSettings {
            close_date_days: self.close_date_days.unwrap_or(current.close_date_days),
            stage_days: self.stage_days.unwrap_or(current.stage_days),
            ..current.clone()
        }
    }
}

/// How new tickets find their agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketAssignmentSettings {
    /// Whether a ticket opened with no assignee goes to the active service agent (a staff member
    /// whose role works its own tickets) with the fewest open tickets.
    pub automatic: bool,
    /// When they last changed; `None` while they hold their defaults.
    pub updated_at: Option<DateTime<Utc>>,
    /// Grows by one on every change.
    pub version: i64,
}

impl Default for TicketAssignmentSettings {
    fn default() -> Self {
        TicketAssignmentSettings {
            automatic: false,
            updated_at: None,
            version: 1,
        }
    }
}

impl SettingsGroup for TicketAssignmentSettings {
    const KEY: &'static str = "ticket_assignment";
    const CHANGED: &'static str = "settings.ticket_assignment_changed";
    fn version(&self) -> i64 {
        self.version
    }
    fn stamped(self, now: DateTime<Utc>, version: i64) -> Self {
        TicketAssignmentSettings {
            updated_at: Some(now),
            version,
            ..self
        }
    }
}

/// A change of the ticket assignment settings; absent parts stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketAssignmentChanges {
    /// Automatic assignment on or off.
    pub automatic: Option<bool>,
}

impl SettingsChange<TicketAssignmentSettings> for TicketAssignmentChanges {
    fn apply(&self, current: &TicketAssignmentSettings) -> TicketAssignmentSettings {
        TicketAssignmentSettings {
            automatic: self.automatic.unwrap_or(current.automatic),
            ..current.clone()
        }
    }
}

/// When customers are called back after they were served or their order reached them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnVisitSettings {
    /// The rules; none by default.
    pub rules: Vec<ReturnVisitRule>,
    /// When they last changed; `None` while they hold their defaults.
    pub updated_at: Option<DateTime<Utc>>,
    /// Grows by one on every change.
    pub version: i64,
}

impl Default for ReturnVisitSettings {
    fn default() -> Self {
        ReturnVisitSettings {
            rules: Vec::new(),
            updated_at: None,
            version: 1,
        }
    }
}

impl SettingsGroup for ReturnVisitSettings {
    const KEY: &'static str = "return_visits";
    const CHANGED: &'static str = "settings.return_visits_changed";
    fn version(&self) -> i64 {
        self.version
    }
    fn stamped(self, now: DateTime<Utc>, version: i64) -> Self {
        ReturnVisitSettings {
            updated_at: Some(now),
            version,
            ..self
        }
    }
}

/// A change of the return visit rules: the rules replaced as a whole, when given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReturnVisitChanges {
    /// The new rules.
    pub rules: Option<Vec<ReturnVisitRule>>,
}

impl ReturnVisitChanges {
    /// Checks the rules (see [`check_rules`]).
    pub fn check(self) -> Result<ReturnVisitChanges, FieldErrors> {
        if let Some(rules) = &self.rules {
            check_rules(rules)?;
        }
        Ok(self)
    }
}

impl SettingsChange<ReturnVisitSettings> for ReturnVisitChanges {
    fn apply(&self, current: &ReturnVisitSettings) -> ReturnVisitSettings {
        ReturnVisitSettings {
            rules: self.rules.clone().unwrap_or_else(|| current.rules.clone()),
            ..current.clone()
        }
    }
}

/// How customers earn points and how long they keep them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoyaltySettings {
    /// Points a paid order earns per whole unit of `points_currency` it comes to (0: none).
    pub points_per_unit: i64,
    /// The currency whose orders earn points.
    pub points_currency: String,
    /// Days after which earned points expire; `None`: never.
    pub points_expire_days: Option<i64>,
    /// The days back over which points earned and money spent qualify a member for a tier;
    /// `None`: since they joined.
    #[serde(default = "default_tier_window_days")]
    pub tier_window_days: Option<i64>,
    /// When they last changed; `None` while they hold their defaults.
    pub updated_at: Option<DateTime<Utc>>,
    /// Grows by one on every change.
    pub version: i64,
}

impl Default for LoyaltySettings {
    fn default() -> Self {
        LoyaltySettings {
            points_per_unit: 1,
            points_currency: "CNY".into(),
            points_expire_days: None,
            tier_window_days: default_tier_window_days(),
            updated_at: None,
            version: 1,
        }
    }
}

/// A year: what a tier asks for is earned or spent within the last 365 days.
fn default_tier_window_days() -> Option<i64> {
    Some(365)
}

impl SettingsGroup for LoyaltySettings {
    const KEY: &'static str = "loyalty";
    const CHANGED: &'static str = "settings.loyalty_changed";
    fn version(&self) -> i64 {
        self.version
    }
    fn stamped(self, now: DateTime<Utc>, version: i64) -> Self {
        LoyaltySettings {
            updated_at: Some(now),
            version,
            ..self
        }
    }
}

/// A change of the loyalty settings; absent parts stay, `Some(None)` clears the expiry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoyaltyChanges {
    /// Points per whole unit.
    pub points_per_unit: Option<i64>,
    /// The currency whose orders earn points.
    pub points_currency: Option<String>,
    /// Days after which earned points expire.
    pub points_expire_days: Option<Option<i64>>,
    /// The days back over which members qualify for tiers.
    pub tier_window_days: Option<Option<i64>>,
}

impl LoyaltyChanges {
    /// Checks every part, reporting every mistake.
    pub fn check(self) -> Result<LoyaltyChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        if let Some(per_unit) = self.points_per_unit
            && !(0..=1000).contains(&per_unit)
        {
            errors.push(FieldError::new(
                "points_per_unit",
                "out_of_range",
                "must be between 0 and 1000",
            ));
        }
        if let Some(currency) = &self.points_currency {
            errors.take(crate::values::Currency::parse("points_currency", currency));
        }
        if let Some(Some(days)) = self.points_expire_days
            && !(1..=3650).contains(&days)
        {
            errors.push(FieldError::new(
                "points_expire_days",
                "out_of_range",
                "must be between 1 and 3650",
            ));
        }
        if let Some(Some(days)) = self.tier_window_days
            && !(1..=3650).contains(&days)
        {
            errors.push(FieldError::new(
                "tier_window_days",
                "out_of_range",
                "must be between 1 and 3650",
            ));
        }
        errors.into_result(|| self)
    }
}

impl SettingsChange<LoyaltySettings> for LoyaltyChanges {
    fn apply(&self, current: &LoyaltySettings) -> LoyaltySettings {
        LoyaltySettings {
            points_per_unit: self.points_per_unit.unwrap_or(current.points_per_unit),
            points_currency: self
                .points_currency
                .clone()
                .unwrap_or_else(|| current.points_currency.clone()),
            points_expire_days: self
                .points_expire_days
                .unwrap_or(current.points_expire_days),
            tier_window_days: self.tier_window_days.unwrap_or(current.tier_window_days),
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

    #[test]
    fn retention_is_zero_to_ten_years_and_every_mistake_is_named() {
        let refused = RetentionChanges {
            sessions_days: Some(-1),
            import_files_days: Some(MAX_RETENTION_DAYS + 1),
            jobs_days: Some(0),
        }
        .check()
        .unwrap_err();
        let fields: Vec<&str> = refused.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["sessions_days", "import_files_days"]);
        let kept = RetentionChanges {
            jobs_days: Some(7),
            ..RetentionChanges::default()
        }
        .check()
        .unwrap()
        .apply(&RetentionSettings::default());
        assert_eq!((kept.jobs_days, kept.sessions_days), (7, 30));
    }

    #[test]
    fn a_time_zone_is_an_iana_name() {
        let refused = WorkspaceChanges {
            time_zone: Some("Mars/Olympus".into()),
            ..WorkspaceChanges::default()
        }
        .check()
        .unwrap_err();
        assert_eq!(refused.0[0].code, "unknown_time_zone");
        let zone = WorkspaceChanges {
            time_zone: Some("Asia/Shanghai".into()),
            ..WorkspaceChanges::default()
        }
        .check()
        .unwrap()
        .apply(&WorkspaceSettings::default());
        assert_eq!(zone.zone(), Tz::Asia__Shanghai);
        assert_eq!(WorkspaceSettings::default().zone(), Tz::UTC);
    }

    #[test]
    fn a_default_currency_is_an_iso_code_and_settings_stored_before_it_read_cny() {
        let refused = WorkspaceChanges {
            default_currency: Some("yuan".into()),
            ..WorkspaceChanges::default()
        }
        .check()
        .unwrap_err();
        assert_eq!(refused.0[0].code, "invalid_currency");
        let stored: WorkspaceSettings = serde_json::from_value(
            serde_json::json!({"time_zone": "UTC", "updated_at": null, "version": 3}),
        )
        .unwrap();
        assert_eq!(stored.default_currency, "CNY");
    }
}
