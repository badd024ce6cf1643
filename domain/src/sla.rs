//! Service level agreements: how soon a ticket is first answered and resolved, by its priority,
//! counted around the clock or in business hours (working days and hours in the workspace's time
//! zone), with the time a ticket waits on the customer left out.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::text;
use crate::{FieldError, FieldErrors};

/// The longest policy name, in characters.
pub const MAX_NAME: usize = 100;
/// The longest target: a year, in minutes.
pub const MAX_MINUTES: i64 = 525_600;
/// The fields a policy list can be sorted by.
pub const SORTABLE: &[&str] = &["created_at", "name"];

/// How soon tickets of one priority are answered and resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Minutes from opening to the first public answer by staff.
    pub first_response_minutes: i64,
    /// Minutes from opening to resolution, the time spent pending left out.
    pub resolution_minutes: i64,
}

/// A target per priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    /// For `low`.
    pub low: Target,
    /// For `normal`.
    pub normal: Target,
    /// For `high`.
    pub high: Target,
    /// For `urgent`.
    pub urgent: Target,
}

impl Targets {
    fn check(&self, errors: &mut FieldErrors) {
        for (name, target) in [
            ("low", self.low),
            ("normal", self.normal),
            ("high", self.high),
            ("urgent", self.urgent),
        ] {
            for (part, minutes) in [
                ("first_response_minutes", target.first_response_minutes),
                ("resolution_minutes", target.resolution_minutes),
            ] {
                if !(1..=MAX_MINUTES).contains(&minutes) {
                    errors.push(FieldError::new(
                        format!("targets.{name}.{part}"),
                        "out_of_range",
                        format!("must be between 1 and {MAX_MINUTES} minutes"),
                    ));
                }
            }
        }
    }
}

/// Working days and hours: when the SLA clock runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessHours {
    /// The working days, each once.
    pub days: Vec<Weekday>,
    /// When a working day starts, in the workspace's time zone.
    pub start: NaiveTime,
    /// When it ends; after `start`.
    pub end: NaiveTime,
}

/// The most days a computation walks before it gives up: ten years of calendar.
const MOST_DAYS: i64 = 3_660;

impl BusinessHours {
    fn check(&self, errors: &mut FieldErrors) {
        if self.days.is_empty() {
            errors.push(FieldError::new(
                "business_hours.days",
                "required",
                "name at least one working day",
            ));
        }
        let mut seen = Vec::new();
        for (i, day) in self.days.iter().enumerate() {
            if seen.contains(day) {
                errors.push(FieldError::new(
                    format!("business_hours.days[{i}]"),
                    "duplicate",
                    "each day once",
                ));
            }
            seen.push(*day);
        }
        if self.end <= self.start {
            errors.push(FieldError::new(
                "business_hours.end",
                "not_after_start",
                "a working day ends after it starts",
            ));
        }
    }

    /// The working window of `date` in `zone`, as instants; `None` on a day off.
    fn window(&self, date: NaiveDate, zone: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.days.contains(&date.weekday()) {
            return None;
        }
        let at = |time: NaiveTime| {
            let local = date.and_time(time);
            // A time a clock change skips is read as the first instant after it.
            (0..=180).find_map(|minutes| {
                zone.from_local_datetime(&(local + Duration::minutes(minutes)))
                    .earliest()
                    .map(|l| l.with_timezone(&Utc))
            })
        };
        Some((at(self.start)?, at(self.end)?))
    }

    /// The instant `minutes` of working time after `from`.
    pub fn add(&self, from: DateTime<Utc>, minutes: i64, zone: Tz) -> DateTime<Utc> {
        let mut left = Duration::minutes(minutes);
        let mut date = from.with_timezone(&zone).date_naive();
        for _ in 0..MOST_DAYS {
            if let Some((open, close)) = self.window(date, zone) {
                let start = from.max(open);
                if start < close {
                    let available = close - start;
                    if left <= available {
                        return start + left;
                    }
                    left -= available;
                }
            }
            date = date.succ_opt().unwrap_or(date);
        }
        from + left
    }

    /// The working minutes between `from` and `to`.
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>, zone: Tz) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = Duration::zero();
        let mut date = from.with_timezone(&zone).date_naive();
        let last = to.with_timezone(&zone).date_naive();
        for _ in 0..MOST_DAYS {
            if date > last {
                break;
            }
            if let Some((open, close)) = self.window(date, zone) {
                let (start, end) = (from.max(open), to.min(close));
                if start < end {
                    total += end - start;
                }
            }
            date = date.succ_opt().unwrap_or(date);
        }
        total.num_minutes()
    }
}

/// When an SLA clock counts: around the clock, or in business hours.
fn add(
    hours: Option<&BusinessHours>,
    from: DateTime<Utc>,
    minutes: i64,
    zone: Tz,
) -> DateTime<Utc> {
    match hours {
        Some(hours) => hours.add(from, minutes, zone),
        None => from + Duration::minutes(minutes),
    }
}

/// A service level agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// Identifier.
    pub id: Uuid,
    /// What it is called.
    pub name: String,
    /// Whether new tickets take it: at most one policy is.
    pub active: bool,
    /// When its clock runs; around the clock when absent.
    pub business_hours: Option<BusinessHours>,
    /// Its targets by priority.
    pub targets: Targets,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// A policy as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPolicy {
    /// Name.
    pub name: String,
    /// Whether it is the active one.
    pub active: bool,
    /// Business hours.
    pub business_hours: Option<BusinessHours>,
    /// Targets.
    pub targets: Targets,
}

/// A partial change: `None` leaves a part alone; `Some(None)` for business hours counts around
/// the clock.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PolicyChanges {
    /// Name.
    pub name: Option<String>,
    /// Active.
    pub active: Option<bool>,
    /// Business hours.
    pub business_hours: Option<Option<BusinessHours>>,
    /// Targets, replaced as a whole.
    pub targets: Option<Targets>,
}

impl NewPolicy {
    /// Checks every part, reporting every mistake.
    pub fn check(self) -> Result<NewPolicy, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors
            .take(text("name", &self.name, 1, MAX_NAME))
            .unwrap_or_default();
        if let Some(hours) = &self.business_hours {
            hours.check(&mut errors);
        }
        self.targets.check(&mut errors);
        errors.into_result(|| NewPolicy { name, ..self })
    }

    /// The policy this makes at `now`.
    pub fn into_policy(self, id: Uuid, now: DateTime<Utc>) -> SlaPolicy {
        SlaPolicy {
            id,
            name: self.name,
            active: self.active,
            business_hours: self.business_hours,
            targets: self.targets,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

impl PolicyChanges {
    /// Checks every part given, reporting every mistake.
    pub fn check(self) -> Result<PolicyChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self
            .name
            .as_deref()
            .and_then(|n| errors.take(text("name", n, 1, MAX_NAME)));
        if let Some(Some(hours)) = &self.business_hours {
            hours.check(&mut errors);
        }
        if let Some(targets) = &self.targets {
            targets.check(&mut errors);
        }
        errors.into_result(|| PolicyChanges { name, ..self })
    }

    /// The policy with these changes applied (version and time left to the caller).
    pub fn apply(&self, current: &SlaPolicy) -> SlaPolicy {
        SlaPolicy {
            name: self.name.clone().unwrap_or_else(|| current.name.clone()),
            active: self.active.unwrap_or(current.active),
            business_hours: self
                .business_hours
                .clone()
                .unwrap_or_else(|| current.business_hours.clone()),
            targets: self.targets.unwrap_or(current.targets),
            ..current.clone()
        }
    }
}

/// A ticket's SLA clock: its policy, when it is due, and what it has been through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaClock {
    /// The policy the ticket took when it was opened (`None` once that policy was deleted: the
    /// due times then stay as they are, but for the time spent pending).
    pub policy_id: Option<Uuid>,
    /// When the first answer is due.
    pub first_response_due_at: DateTime<Utc>,
    /// When resolution is due, the time spent pending added.
    pub resolution_due_at: DateTime<Utc>,
    /// Since when the ticket waits on the customer, while it does.
    pub paused_since: Option<DateTime<Utc>>,
    /// The (working) minutes it has waited on the customer so far.
    pub paused_minutes: i64,
    /// When a missed first answer was recorded.
    pub first_response_breached_at: Option<DateTime<Utc>>,
    /// When a missed resolution was recorded.
    pub resolution_breached_at: Option<DateTime<Utc>>,
}

impl SlaPolicy {
    /// The clock of a ticket held to `target` opened at `opened`, read in `zone`.
    pub fn clock(&self, target: Target, opened: DateTime<Utc>, zone: Tz) -> SlaClock {
        let mut clock = SlaClock {
            policy_id: Some(self.id),
            first_response_due_at: opened,
            resolution_due_at: opened,
            paused_since: None,
            paused_minutes: 0,
            first_response_breached_at: None,
            resolution_breached_at: None,
        };
        self.set_due(&mut clock, target, opened, zone);
        clock
    }

    /// Sets `clock`'s due times for a ticket held to `target` opened at `opened`, with the time
    /// it has waited on the customer so far.
    pub fn set_due(&self, clock: &mut SlaClock, target: Target, opened: DateTime<Utc>, zone: Tz) {
        let hours = self.business_hours.as_ref();
        clock.first_response_due_at = add(hours, opened, target.first_response_minutes, zone);
        clock.resolution_due_at = add(
            hours,
            opened,
            target.resolution_minutes + clock.paused_minutes,
            zone,
        );
    }

    /// The working minutes between two instants under this policy.
    pub fn minutes_between(&self, from: DateTime<Utc>, to: DateTime<Utc>, zone: Tz) -> i64 {
        match &self.business_hours {
            Some(hours) => hours.between(from, to, zone),
            None => (to - from).num_minutes().max(0),
        }
    }
}

impl SlaClock {
    /// Stops the resolution clock at `now`: the ticket waits on the customer.
    pub fn pause(&mut self, now: DateTime<Utc>) {
        self.paused_since = Some(now);
    }

    /// Starts the resolution clock again at `now`, counting the (working) time it waited under
    /// `policy` (the one the ticket took, if it is still there; without it the due time moves
    /// by the time itself).
    pub fn resume(&mut self, policy: Option<&SlaPolicy>, now: DateTime<Utc>, zone: Tz) {
        let since = self.paused_since.take().unwrap_or(now);
        let waited = match policy {
            Some(policy) => policy.minutes_between(since, now, zone),
            None => (now - since).num_minutes().max(0),
        };
        self.paused_minutes += waited;
        if policy.is_none() {
            self.resolution_due_at += Duration::minutes(waited);
        }
    }

    /// Whether the resolution clock stands still: the ticket waits on the customer.
    pub fn is_paused(&self) -> bool {
        self.paused_since.is_some()
    }
}

/// Which promise a breach broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Breach {
    /// The first answer came late, or not yet.
    FirstResponse,
    /// Resolution came late, or not yet.
    Resolution,
}

names!(Breach { FirstResponse => "first_response", Resolution => "resolution" });

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn office() -> BusinessHours {
        BusinessHours {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
        }
    }

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    #[test]
    fn working_time_runs_over_the_weekend_to_monday() {
        // Friday 17:00 in Shanghai.
        let friday = at("2026-12-04T09:00:00Z");
        assert_eq!(
            office().add(friday, 120, SHANGHAI),
            at("2026-12-07T02:00:00Z")
        );
        assert_eq!(
            office().add(friday, 480, SHANGHAI),
            at("2026-12-07T08:00:00Z")
        );
        // Saturday 10:00 counts from Monday 09:00.
        let saturday = at("2026-12-05T02:00:00Z");
        assert_eq!(
            office().add(saturday, 120, SHANGHAI),
            at("2026-12-07T03:00:00Z")
        );
        // The last minute of a day ends the day, not the next morning.
        assert_eq!(
            office().add(friday, 60, SHANGHAI),
            at("2026-12-04T10:00:00Z")
        );
    }

    #[test]
    fn working_minutes_between_two_instants_leave_out_nights_and_weekends() {
        let monday_ten = at("2026-12-07T02:00:00Z");
        let tuesday_ten = at("2026-12-08T02:00:00Z");
        assert_eq!(office().between(monday_ten, tuesday_ten, SHANGHAI), 540);
        let friday = at("2026-12-04T09:00:00Z");
        assert_eq!(office().between(friday, monday_ten, SHANGHAI), 120);
        assert_eq!(office().between(tuesday_ten, monday_ten, SHANGHAI), 0);
    }

    #[test]
    fn a_policy_names_every_mistake() {
        let target = Target {
            first_response_minutes: 0,
            resolution_minutes: 60,
        };
        let errors = NewPolicy {
            name: " ".into(),
            active: true,
            business_hours: Some(BusinessHours {
                days: vec![Weekday::Mon, Weekday::Mon],
                start: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
                end: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            }),
            targets: Targets {
                low: target,
                normal: target,
                high: target,
                urgent: target,
            },
        }
        .check()
        .unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "business_hours.days[1]",
                "business_hours.end",
                "targets.low.first_response_minutes",
                "targets.normal.first_response_minutes",
                "targets.high.first_response_minutes",
                "targets.urgent.first_response_minutes",
            ]
        );
    }
}
