//! Care plans: the occasions on which staff attend to customers (a birthday, a date of the year or
//! an anniversary, a regular return visit, a customer gone quiet), for the customers of a segment.
//! Each occasion of each customer is one participation, made once however often the plan runs;
//! it becomes a task for a staff member and/or a `care.due` event, and is closed by what came of
//! it (done, declined, no answer), recorded as a `care` activity.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::tasks::{NewTask, TaskPriority, start_of_day};
use crate::validation::{name, optional_text};
use crate::{FieldError, FieldErrors};

/// The longest plan name, in characters.
pub const MAX_NAME: usize = 100;
/// The most days before an occasion that it is attended to.
pub const MAX_DAYS_BEFORE: i16 = 60;
/// The longest interval of a recurring plan, in days.
pub const MAX_INTERVAL_DAYS: i16 = 3_650;
/// The longest interval of a recurring plan, in months.
pub const MAX_INTERVAL_MONTHS: i16 = 120;
/// The longest a customer may be quiet before an inactivity plan attends to them, in days.
pub const MAX_INACTIVE_DAYS: i16 = 3_650;
/// The longest feedback, in characters.
pub const MAX_FEEDBACK: usize = 10_000;

/// What a plan's occasions are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CareKind {
    /// The customer's birthday.
    Birthday,
    /// A date of the year (a holiday), or the anniversary of one of the customer's dates.
    FixedDate,
    /// Every so many days or months from the customer's first order (or from when they came).
    Recurring,
    /// No order and no activity for so many days.
    Inactivity,
}

names!(CareKind {
    Birthday => "birthday",
    FixedDate => "fixed_date",
    Recurring => "recurring",
    Inactivity => "inactivity",
});

/// How staff attend to the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CareManner {
    /// A phone call.
    Call,
    /// A text message.
    Sms,
    /// An e-mail.
    Email,
    /// A visit.
    Visit,
    /// A gift.
    Gift,
    /// A WeChat message.
    Wechat,
}

names!(CareManner {
    Call => "call",
    Sms => "sms",
    Email => "email",
    Visit => "visit",
    Gift => "gift",
    Wechat => "wechat",
});

impl CareManner {
    /// What the task asks staff to do, before the customer's name.
    fn verb(self) -> &'static str {
        match self {
            CareManner::Call => "Call",
            CareManner::Sms => "Text",
            CareManner::Email => "E-mail",
            CareManner::Visit => "Visit",
            CareManner::Gift => "Send a gift to",
            CareManner::Wechat => "Message on WeChat",
        }
    }
}

/// Whether a plan runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Runs daily.
    Active,
    /// Does not run.
    Paused,
}

names!(PlanStatus { Active => "active", Paused => "paused" });

/// What came of a participation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipationStatus {
    /// Not yet attended to.
    Pending,
    /// Attended to.
    Done,
    /// The customer declined.
    Declined,
    /// The customer did not answer.
    NoAnswer,
}

names!(ParticipationStatus {
    Pending => "pending",
    Done => "done",
    Declined => "declined",
    NoAnswer => "no_answer",
});

/// A date of the customer's whose anniversaries a `fixed_date` plan attends to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DateField {
    /// When the customer was created.
    CreatedAt,
    /// When they first paid an order.
    FirstOrderAt,
    /// A custom field of type `date` (`custom_fields.<key>`).
    Custom(String),
}

impl DateField {
    /// The field by its name: `created_at`, `first_order_at` or `custom_fields.<key>`.
    pub fn parse(field: &str, raw: &str) -> Result<DateField, FieldError> {
        match raw {
            "created_at" => Ok(DateField::CreatedAt),
            "first_order_at" => Ok(DateField::FirstOrderAt),
            _ => match raw.strip_prefix("custom_fields.") {
                Some(key)
                    if !key.is_empty()
                        && key.len() <= 64
                        && key.starts_with(|c: char| c.is_ascii_lowercase())
                        && key
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') =>
                {
                    Ok(DateField::Custom(key.to_owned()))
                }
                _ => Err(FieldError::new(
                    field,
                    "unknown_date_field",
                    "must be created_at, first_order_at or custom_fields.<key> of a date field",
                )),
            },
        }
    }

    /// Its name.
    pub fn as_string(&self) -> String {
        match self {
            DateField::CreatedAt => "created_at".into(),
            DateField::FirstOrderAt => "first_order_at".into(),
            DateField::Custom(key) => format!("custom_fields.{key}"),
        }
    }
}

/// How often a recurring plan comes round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Every {
    /// Every so many days.
    Days(i16),
    /// Every so many months.
    Months(i16),
}

/// When a plan's occasions fall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Schedule {
    /// The customer's birthday, attended to `days_before` it.
    Birthday {
        /// Days ahead.
        days_before: i16,
    },
    /// A date of the year (`month`, `day`), attended to `days_before` it.
    DateOfYear {
        /// 1 to 12.
        month: u32,
        /// 1 to 31, a day the month has (29 February falls on the 28th in other years).
        day: u32,
        /// Days ahead.
        days_before: i16,
    },
    /// The anniversaries of one of the customer's dates, attended to `days_before` each.
    Anniversary {
        /// Whose anniversaries.
        field: DateField,
        /// Days ahead.
        days_before: i16,
    },
    /// Every so often from the customer's first order (or from when they came), attended to
    /// `days_before` each.
    Recurring {
        /// How often.
        every: Every,
        /// Days ahead.
        days_before: i16,
    },
    /// When the customer has had no order and no activity for `days`.
    Inactivity {
        /// Days of quiet.
        days: i16,
    },
}

/// The customer's dates a schedule reads, each as a date of the workspace's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerDates {
    /// Their birthday.
    pub birthday: Option<NaiveDate>,
    /// When they were created.
    pub created_on: NaiveDate,
    /// When they first paid an order.
    pub first_order_on: Option<NaiveDate>,
    /// When they last paid an order.
    pub last_order_on: Option<NaiveDate>,
    /// When the latest activity with them happened.
    pub last_activity_on: Option<NaiveDate>,
    /// Their custom fields' values.
    pub custom_fields: Map<String, Value>,
}

impl CustomerDates {
    /// A customer's dates, read in `zone`.
    pub fn of(c: &crate::customers::Customer, zone: Tz) -> CustomerDates {
        let on = |t: DateTime<Utc>| t.with_timezone(&zone).date_naive();
        CustomerDates {
            birthday: c.birthday,
            created_on: on(c.created_at),
            first_order_on: c.purchases.first_order_at.map(on),
            last_order_on: c.purchases.last_order_at.map(on),
            last_activity_on: c.last_activity_at.map(on),
            custom_fields: c.custom_fields.clone(),
        }
    }

    fn date(&self, field: &DateField) -> Option<NaiveDate> {
        match field {
            DateField::CreatedAt => Some(self.created_on),
            DateField::FirstOrderAt => self.first_order_on,
            DateField::Custom(key) => self
                .custom_fields
                .get(key)
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok()),
        }
    }
}

/// The date `month`-`day` falls on in `year`: 29 February is the 28th in other years.
fn in_year(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day).or_else(|| {
        (month == 2 && day == 29)
            .then(|| NaiveDate::from_ymd_opt(year, 2, 28))
            .flatten()
    })
}

/// The first `month`-`day` on or after `today`.
fn next_yearly(today: NaiveDate, month: u32, day: u32) -> Option<NaiveDate> {
    (today.year()..=today.year() + 1)
        .filter_map(|year| in_year(year, month, day))
        .find(|date| *date >= today)
}

impl Schedule {
    /// The occasion of this customer that is due on `today`, if any: the next occasion when it is
    /// at most `days_before` ahead, or, for inactivity, the day their quiet reached its length.
    /// However often this is asked, one occasion keeps its date, so that it is recorded once.
    pub fn occasion(&self, customer: &CustomerDates, today: NaiveDate) -> Option<NaiveDate> {
        let ahead = |occasion: NaiveDate, days_before: i16| {
            (occasion <= today + Duration::days(i64::from(days_before))).then_some(occasion)
        };
        match self {
            Schedule::Birthday { days_before } => {
                let born = customer.birthday?;
                let next = next_yearly(today, born.month(), born.day())?;
                (next > born)
                    .then_some(next)
                    .and_then(|o| ahead(o, *days_before))
            }
            Schedule::DateOfYear {
                month,
                day,
                days_before,
            } => ahead(next_yearly(today, *month, *day)?, *days_before),
            Schedule::Anniversary { field, days_before } => {
                let since = customer.date(field)?;
                let next = next_yearly(today, since.month(), since.day())?;
                // The date itself is no anniversary.
                (next.year() > since.year())
                    .then_some(next)
                    .and_then(|o| ahead(o, *days_before))
            }
            Schedule::Recurring { every, days_before } => {
                let from = customer.first_order_on.unwrap_or(customer.created_on);
                let next = next_recurrence(from, *every, today)?;
                ahead(next, *days_before)
            }
            Schedule::Inactivity { days } => {
                let last = [customer.last_order_on, customer.last_activity_on]
                    .into_iter()
                    .flatten()
                    .chain([customer.created_on])
                    .max()?;
                let quiet = last + Duration::days(i64::from(*days));
                (quiet <= today).then_some(quiet)
            }
        }
    }
}

/// The first recurrence of `every` after `from` that falls on or after `today`.
fn next_recurrence(from: NaiveDate, every: Every, today: NaiveDate) -> Option<NaiveDate> {
    match every {
        Every::Days(days) => {
            let step = i64::from(days.max(1));
            let elapsed = (today - from).num_days();
            let k = if elapsed <= 0 {
                1
            } else {
                (elapsed + step - 1) / step
            };
            Some(from + Duration::days(k.max(1) * step))
        }
        Every::Months(months) => {
            let step = u32::try_from(months.max(1)).ok()?;
            let elapsed =
                (today.year() - from.year()) * 12 + today.month() as i32 - from.month() as i32;
            let mut k = u32::try_from(elapsed.max(1)).ok()?.div_ceil(step).max(1);
            loop {
                let date = from.checked_add_months(Months::new(k * step))?;
                if date >= today {
                    return Some(date);
                }
                k += 1;
            }
        }
    }
}

/// What a plan does for each occasion, besides recording it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareAction {
    /// A task for a staff member.
    pub makes_task: bool,
    /// Who gets the task; the customer's owner when `None`.
    pub assignee_id: Option<Uuid>,
    /// A `care.due` event, for an SMS or e-mail sender reading the feed or a webhook.
    pub emits_event: bool,
}

/// A care plan as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarePlan {
    /// Identifier.
    pub id: Uuid,
    /// What it is called; unique.
    pub name: String,
    /// When its occasions fall.
    pub schedule: Schedule,
    /// Whose occasions: the segment's customers, or every customer when `None`.
    pub segment_id: Option<Uuid>,
    /// How staff attend to the customer.
    pub manner: CareManner,
    /// What it does for each occasion.
    pub action: CareAction,
    /// Whether it runs.
    pub status: PlanStatus,
    /// The last day it ran on.
    pub last_run_on: Option<NaiveDate>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

impl CarePlan {
    /// Its kind.
    pub fn kind(&self) -> CareKind {
        match self.schedule {
            Schedule::Birthday { .. } => CareKind::Birthday,
            Schedule::DateOfYear { .. } | Schedule::Anniversary { .. } => CareKind::FixedDate,
            Schedule::Recurring { .. } => CareKind::Recurring,
            Schedule::Inactivity { .. } => CareKind::Inactivity,
        }
    }

    /// The task that attends to `customer` (named `customer_name`, owned by `owner`) on
    /// `occasion`, made `today` in `zone`: due by the end of the occasion's day.
    pub fn task(
        &self,
        customer_id: Uuid,
        customer_name: &str,
        owner: Option<Uuid>,
        occasion: NaiveDate,
        today: NaiveDate,
        zone: Tz,
    ) -> NewTask {
        let quote = |text: &str, most: usize| -> String {
            if text.chars().count() > most {
                text.chars().take(most).chain(['…']).collect()
            } else {
                text.to_owned()
            }
        };
        let day = occasion.max(today);
        NewTask {
            title: format!(
                "{} {}: {} ({occasion})",
                self.manner.verb(),
                quote(customer_name, 60),
                quote(&self.name, 60)
            ),
            description: Some(format!(
                "Care plan “{}”, for the occasion of {occasion}. Record what came of it and the customer's feedback when you complete this task.",
                self.name
            )),
            due_at: Some(start_of_day(day.succ_opt().unwrap_or(day), zone) - Duration::seconds(1)),
            remind_at: None,
            priority: Some(TaskPriority::Normal),
            assignee_id: self.action.assignee_id.or(owner),
            customer_id: Some(customer_id),
            order_id: None,
            deal_id: None,
        }
    }
}

/// A care plan as sent; [`NewPlan::check`] checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    /// Name.
    pub name: String,
    /// Schedule.
    pub schedule: Schedule,
    /// Segment.
    pub segment_id: Option<Uuid>,
    /// Manner.
    pub manner: CareManner,
    /// Action.
    pub action: CareAction,
    /// Status; active when absent.
    pub status: Option<PlanStatus>,
}

/// Checks a schedule's numbers, naming each mistake at its field.
pub fn check_schedule(errors: &mut FieldErrors, schedule: &Schedule) {
    let mut range = |field: &str, value: i64, least: i64, most: i64| {
        if !(least..=most).contains(&value) {
            errors.push(FieldError::new(
                field,
                "out_of_range",
                format!("must be between {least} and {most}"),
            ));
        }
    };
    match schedule {
        Schedule::Birthday { days_before } | Schedule::Anniversary { days_before, .. } => {
            range(
                "days_before",
                i64::from(*days_before),
                0,
                i64::from(MAX_DAYS_BEFORE),
            );
        }
        Schedule::DateOfYear {
            month,
            day,
            days_before,
        } => {
            range(
                "days_before",
                i64::from(*days_before),
                0,
                i64::from(MAX_DAYS_BEFORE),
            );
            range("month", i64::from(*month), 1, 12);
            if (1..=12).contains(month) && in_year(2024, *month, *day).is_none() {
                errors.push(FieldError::new(
                    "day",
                    "out_of_range",
                    "must be a day the month has",
                ));
            }
        }
        Schedule::Recurring { every, days_before } => {
            range(
                "days_before",
                i64::from(*days_before),
                0,
                i64::from(MAX_DAYS_BEFORE),
            );
            match every {
                Every::Days(days) => {
                    range(
                        "every_days",
                        i64::from(*days),
                        1,
                        i64::from(MAX_INTERVAL_DAYS),
                    );
                }
                Every::Months(months) => range(
                    "every_months",
                    i64::from(*months),
                    1,
                    i64::from(MAX_INTERVAL_MONTHS),
                ),
            }
        }
        Schedule::Inactivity { days } => {
            range(
                "inactive_days",
                i64::from(*days),
                1,
                i64::from(MAX_INACTIVE_DAYS),
            );
        }
    }
}

fn check_action(errors: &mut FieldErrors, action: &CareAction) {
    if !action.makes_task && !action.emits_event {
        errors.push(FieldError::new(
            "makes_task",
            "no_action",
            "a plan makes a task, emits care.due, or both",
        ));
    }
}

impl NewPlan {
    /// Checks every part, reporting every mistake.
    pub fn check(self) -> Result<NewPlan, FieldErrors> {
        let mut errors = FieldErrors::new();
        let plan_name = errors
            .take(name("name", &self.name, 1, MAX_NAME))
            .unwrap_or_default();
        check_schedule(&mut errors, &self.schedule);
        check_action(&mut errors, &self.action);
        errors.into_result(|| NewPlan {
            name: plan_name,
            ..self
        })
    }

    /// The plan this makes at `now`.
    pub fn into_plan(self, id: Uuid, now: DateTime<Utc>) -> CarePlan {
        CarePlan {
            id,
            name: self.name,
            schedule: self.schedule,
            segment_id: self.segment_id,
            manner: self.manner,
            action: self.action,
            status: self.status.unwrap_or(PlanStatus::Active),
            last_run_on: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

/// A partial change of a plan: `None` leaves a part alone. The schedule changes whole.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanChanges {
    /// Name.
    pub name: Option<String>,
    /// Schedule.
    pub schedule: Option<Schedule>,
    /// Segment; `Some(None)`: every customer.
    pub segment_id: Option<Option<Uuid>>,
    /// Manner.
    pub manner: Option<CareManner>,
    /// Makes a task.
    pub makes_task: Option<bool>,
    /// The task's assignee; `Some(None)`: the customer's owner.
    pub assignee_id: Option<Option<Uuid>>,
    /// Emits `care.due`.
    pub emits_event: Option<bool>,
    /// Status.
    pub status: Option<PlanStatus>,
}

impl PlanChanges {
    /// Checks the parts that need no plan.
    pub fn check(self) -> Result<PlanChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let plan_name = match &self.name {
            Some(n) => errors.take(name("name", n, 1, MAX_NAME)),
            None => None,
        };
        if let Some(schedule) = &self.schedule {
            check_schedule(&mut errors, schedule);
        }
        errors.into_result(|| PlanChanges {
            name: plan_name,
            ..self
        })
    }

    /// The plan with these changes applied (the stamp and version left to the caller).
    pub fn apply(&self, current: &CarePlan) -> Result<CarePlan, FieldErrors> {
        let plan = CarePlan {
            name: self.name.clone().unwrap_or_else(|| current.name.clone()),
            schedule: self
                .schedule
                .clone()
                .unwrap_or_else(|| current.schedule.clone()),
            segment_id: self.segment_id.unwrap_or(current.segment_id),
            manner: self.manner.unwrap_or(current.manner),
            action: CareAction {
                makes_task: self.makes_task.unwrap_or(current.action.makes_task),
                assignee_id: self.assignee_id.unwrap_or(current.action.assignee_id),
                emits_event: self.emits_event.unwrap_or(current.action.emits_event),
            },
            status: self.status.unwrap_or(current.status),
            ..current.clone()
        };
        let mut errors = FieldErrors::new();
        check_action(&mut errors, &plan.action);
        errors.into_result(|| plan)
    }
}

/// One customer's participation in one occasion of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participation {
    /// Identifier.
    pub id: Uuid,
    /// The plan.
    pub plan_id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The occasion's date.
    pub occasion: NaiveDate,
    /// What came of it.
    pub status: ParticipationStatus,
    /// The task that attends to it.
    pub task_id: Option<Uuid>,
    /// The `care` activity that recorded what came of it.
    pub activity_id: Option<Uuid>,
    /// What the customer said.
    pub feedback: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// What came of a participation, as staff record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Done, declined or no answer.
    pub status: ParticipationStatus,
    /// What the customer said.
    pub feedback: Option<String>,
}

impl Outcome {
    /// Checks the outcome: a pending one is no outcome.
    pub fn check(self) -> Result<Outcome, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.status == ParticipationStatus::Pending {
            errors.push(FieldError::new(
                "status",
                "not_an_outcome",
                "an outcome is done, declined or no_answer",
            ));
        }
        let feedback = errors
            .take(optional_text(
                "feedback",
                self.feedback.as_deref(),
                MAX_FEEDBACK,
            ))
            .flatten();
        errors.into_result(|| Outcome { feedback, ..self })
    }

    /// The subject of the `care` activity that records it, for `plan`.
    pub fn subject(&self, plan: &str) -> String {
        let what = match self.status {
            ParticipationStatus::Done => "done",
            ParticipationStatus::Declined => "declined",
            ParticipationStatus::NoAnswer => "no answer",
            ParticipationStatus::Pending => "pending",
        };
        let plan: String = plan.chars().take(150).collect();
        format!("{plan}: {what}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn dates() -> CustomerDates {
        CustomerDates {
            birthday: Some(d("1990-12-08")),
            created_on: d("2024-03-01"),
            first_order_on: Some(d("2024-03-10")),
            last_order_on: Some(d("2026-09-01")),
            last_activity_on: Some(d("2026-10-15")),
            custom_fields: serde_json::json!({"wedding": "2020-12-06"})
                .as_object()
                .cloned()
                .unwrap(),
        }
    }

    #[test]
    fn a_birthday_is_due_days_before_and_keeps_its_date() {
        let plan = Schedule::Birthday { days_before: 3 };
        assert_eq!(plan.occasion(&dates(), d("2026-12-04")), None);
        assert_eq!(
            plan.occasion(&dates(), d("2026-12-05")),
            Some(d("2026-12-08"))
        );
        assert_eq!(
            plan.occasion(&dates(), d("2026-12-08")),
            Some(d("2026-12-08"))
        );
        assert_eq!(plan.occasion(&dates(), d("2026-12-09")), None);
        let leap = CustomerDates {
            birthday: Some(d("2000-02-29")),
            ..dates()
        };
        assert_eq!(
            Schedule::Birthday { days_before: 0 }.occasion(&leap, d("2027-02-28")),
            Some(d("2027-02-28"))
        );
    }

    #[test]
    fn dates_of_the_year_anniversaries_and_recurrences() {
        let christmas = Schedule::DateOfYear {
            month: 12,
            day: 25,
            days_before: 1,
        };
        assert_eq!(
            christmas.occasion(&dates(), d("2026-12-24")),
            Some(d("2026-12-25"))
        );
        assert_eq!(christmas.occasion(&dates(), d("2026-12-23")), None);
        let wedding = Schedule::Anniversary {
            field: DateField::Custom("wedding".into()),
            days_before: 0,
        };
        assert_eq!(
            wedding.occasion(&dates(), d("2026-12-06")),
            Some(d("2026-12-06"))
        );
        let quarterly = Schedule::Recurring {
            every: Every::Months(3),
            days_before: 0,
        };
        // From the first order on 2024-03-10: …, 2026-09-10, 2026-12-10.
        assert_eq!(
            quarterly.occasion(&dates(), d("2026-12-10")),
            Some(d("2026-12-10"))
        );
        assert_eq!(quarterly.occasion(&dates(), d("2026-12-09")), None);
        let fortnightly = Schedule::Recurring {
            every: Every::Days(14),
            days_before: 2,
        };
        // 2024-03-10 + 14k: 2026-12-13 is the 72nd.
        assert_eq!(
            fortnightly.occasion(&dates(), d("2026-12-11")),
            Some(d("2026-12-13"))
        );
    }

    #[test]
    fn quiet_customers_are_attended_to_once_per_stretch_of_quiet() {
        let quiet = Schedule::Inactivity { days: 30 };
        assert_eq!(quiet.occasion(&dates(), d("2026-11-13")), None);
        assert_eq!(
            quiet.occasion(&dates(), d("2026-11-14")),
            Some(d("2026-11-14"))
        );
        assert_eq!(
            quiet.occasion(&dates(), d("2027-01-01")),
            Some(d("2026-11-14"))
        );
    }

    #[test]
    fn a_plan_does_something() {
        let plan = NewPlan {
            name: "生日关怀".into(),
            schedule: Schedule::Birthday { days_before: 99 },
            segment_id: None,
            manner: CareManner::Call,
            action: CareAction {
                makes_task: false,
                assignee_id: None,
                emits_event: false,
            },
            status: None,
        };
        let errors = plan.check().unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["days_before", "makes_task"]);
    }
}
