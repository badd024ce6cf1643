//! Tasks: what a staff member has to do and by when (call a customer back, send a quote, attend to
//! a care occasion), with a reminder at a time of its own. A task is `open` until it is `done` or
//! `cancelled`, and either can be reopened. "My overdue tasks" and "due today" are read in the
//! workspace's time zone.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::FieldErrors;
use crate::validation::{optional_text, text};

/// The longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// The longest description or outcome, in characters.
pub const MAX_DESCRIPTION: usize = 20_000;
/// The fields a task list can be sorted by.
pub const SORTABLE: &[&str] = &["due_at", "created_at", "priority"];

/// How urgent a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskPriority {
    /// When there is time.
    Low,
    /// As usual.
    Normal,
    /// Before the usual.
    High,
    /// Before anything else.
    Urgent,
}

names!(TaskPriority { Low => "low", Normal => "normal", High => "high", Urgent => "urgent" });

impl TaskPriority {
    /// Its rank, for sorting: low 1 to urgent 4.
    pub fn rank(self) -> i16 {
        match self {
            TaskPriority::Low => 1,
            TaskPriority::Normal => 2,
            TaskPriority::High => 3,
            TaskPriority::Urgent => 4,
        }
    }

    /// The priority of this rank.
    pub fn of_rank(rank: i16) -> Option<TaskPriority> {
        TaskPriority::ALL.iter().copied().find(|p| p.rank() == rank)
    }
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// To do.
    Open,
    /// Done.
    Done,
    /// No longer to do.
    Cancelled,
}

names!(TaskStatus { Open => "open", Done => "done", Cancelled => "cancelled" });

impl TaskStatus {
    /// Whether a task in this status may move to `next`: an open task is done or cancelled, and
    /// either is reopened.
    pub fn can_become(self, next: TaskStatus) -> bool {
        use TaskStatus::*;
        matches!(
            (self, next),
            (Open, Done) | (Open, Cancelled) | (Done, Open) | (Cancelled, Open)
        )
    }
}

/// A task as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Identifier.
    pub id: Uuid,
    /// What is to be done.
    pub title: String,
    /// How, or why.
    pub description: Option<String>,
    /// By when.
    pub due_at: Option<DateTime<Utc>>,
    /// When to remind the assignee (`task.reminder_due`).
    pub remind_at: Option<DateTime<Utc>>,
    /// When the reminder went out; cleared when `remind_at` changes.
    pub reminded_at: Option<DateTime<Utc>>,
    /// How urgent.
    pub priority: TaskPriority,
    /// Where it stands.
    pub status: TaskStatus,
    /// Who is to do it.
    pub assignee_id: Option<Uuid>,
    /// The customer it is for.
    pub customer_id: Option<Uuid>,
    /// The order it is about.
    pub order_id: Option<Uuid>,
    /// The deal it is about.
    pub deal_id: Option<Uuid>,
    /// What came of it, when done.
    pub outcome: Option<String>,
    /// When it was done or cancelled.
    pub completed_at: Option<DateTime<Utc>>,
    /// The staff member who created it.
    pub created_by: Option<Uuid>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// A task to create, as sent; [`NewTask::check`] checks it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Due.
    pub due_at: Option<DateTime<Utc>>,
    /// Reminder.
    pub remind_at: Option<DateTime<Utc>>,
    /// Priority; `normal` when absent.
    pub priority: Option<TaskPriority>,
    /// Assignee; the creating user when absent.
    pub assignee_id: Option<Uuid>,
    /// Customer.
    pub customer_id: Option<Uuid>,
    /// Order.
    pub order_id: Option<Uuid>,
    /// Deal.
    pub deal_id: Option<Uuid>,
}

/// A partial change: `None` leaves a part alone, `Some(None)` clears an optional part.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskChanges {
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<Option<String>>,
    /// Due.
    pub due_at: Option<Option<DateTime<Utc>>>,
    /// Reminder.
    pub remind_at: Option<Option<DateTime<Utc>>>,
    /// Priority.
    pub priority: Option<TaskPriority>,
    /// Status, along [`TaskStatus::can_become`].
    pub status: Option<TaskStatus>,
    /// Assignee.
    pub assignee_id: Option<Option<Uuid>>,
    /// Customer.
    pub customer_id: Option<Option<Uuid>>,
    /// Order.
    pub order_id: Option<Option<Uuid>>,
    /// Deal.
    pub deal_id: Option<Option<Uuid>>,
    /// What came of it.
    pub outcome: Option<Option<String>>,
}

impl NewTask {
    /// Checks every part, reporting every mistake; texts are trimmed.
    pub fn check(self) -> Result<NewTask, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = errors
            .take(text("title", &self.title, 1, MAX_TITLE))
            .unwrap_or_default();
        let description = errors
            .take(optional_text(
                "description",
                self.description.as_deref(),
                MAX_DESCRIPTION,
            ))
            .flatten();
        errors.into_result(|| NewTask {
            title,
            description,
            ..self
        })
    }

    /// The stored task this becomes, created by `creator` (its assignee unless it names one) at
    /// `now`.
    pub fn into_task(self, creator: Option<Uuid>, now: DateTime<Utc>) -> Task {
        Task {
            id: Uuid::now_v7(),
            title: self.title,
            description: self.description,
            due_at: self.due_at,
            remind_at: self.remind_at,
            reminded_at: None,
            priority: self.priority.unwrap_or(TaskPriority::Normal),
            status: TaskStatus::Open,
            assignee_id: self.assignee_id.or(creator),
            customer_id: self.customer_id,
            order_id: self.order_id,
            deal_id: self.deal_id,
            outcome: None,
            completed_at: None,
            created_by: creator,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

/// Why a change cannot apply to a task as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidTransition {
    /// Where the task stands.
    pub from: TaskStatus,
    /// Where the change would take it.
    pub to: TaskStatus,
}

impl TaskChanges {
    /// Checks every part that is present, reporting every mistake.
    pub fn check(self) -> Result<TaskChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = match &self.title {
            Some(title) => errors.take(text("title", title, 1, MAX_TITLE)),
            None => None,
        };
        let description = match &self.description {
            Some(d) => errors.take(optional_text("description", d.as_deref(), MAX_DESCRIPTION)),
            None => None,
        };
        let outcome = match &self.outcome {
            Some(o) => errors.take(optional_text("outcome", o.as_deref(), MAX_DESCRIPTION)),
            None => None,
        };
        errors.into_result(|| TaskChanges {
            title,
            description,
            outcome,
            ..self
        })
    }

    /// The task with these changes applied at `now` (the version left to the caller): a status
    /// change follows [`TaskStatus::can_become`] (sending the current status again changes
    /// nothing), done or cancelled stamps `completed_at` and reopening clears it, and a new
    /// reminder time is reminded of anew.
    pub fn apply(&self, current: &Task, now: DateTime<Utc>) -> Result<Task, InvalidTransition> {
        let mut task = Task {
            title: self.title.clone().unwrap_or_else(|| current.title.clone()),
            description: self
                .description
                .clone()
                .unwrap_or_else(|| current.description.clone()),
            due_at: self.due_at.unwrap_or(current.due_at),
            remind_at: self.remind_at.unwrap_or(current.remind_at),
            priority: self.priority.unwrap_or(current.priority),
            assignee_id: self.assignee_id.unwrap_or(current.assignee_id),
            customer_id: self.customer_id.unwrap_or(current.customer_id),
            order_id: self.order_id.unwrap_or(current.order_id),
            deal_id: self.deal_id.unwrap_or(current.deal_id),
            outcome: self
                .outcome
                .clone()
                .unwrap_or_else(|| current.outcome.clone()),
            ..current.clone()
        };
        if task.remind_at != current.remind_at {
            task.reminded_at = None;
        }
        if let Some(next) = self.status
            && next != current.status
        {
            if !current.status.can_become(next) {
                return Err(InvalidTransition {
                    from: current.status,
                    to: next,
                });
            }
            task.status = next;
            task.completed_at = (next != TaskStatus::Open).then_some(now);
        }
        Ok(task)
    }
}

/// Which tasks a list shows by their due time, read in the workspace's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Due {
    /// Open, and due before now.
    Overdue,
    /// Open, and due during today's date.
    Today,
    /// Open, and due after today.
    Later,
}

names!(Due { Overdue => "overdue", Today => "today", Later => "later" });

impl Due {
    /// The due times `[from, to)` this window holds at `now` in `zone`; an open end is `None`.
    pub fn window(
        self,
        now: DateTime<Utc>,
        zone: Tz,
    ) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let (start, end) = day_of(now, zone);
        match self {
            Due::Overdue => (None, Some(now)),
            Due::Today => (Some(start), Some(end)),
            Due::Later => (Some(end), None),
        }
    }
}

/// The start and end (exclusive) of the day `now` falls on in `zone`, as instants. A day that
/// begins in a gap of the zone's clock (a change to summer time at midnight) begins when the
/// clock resumes.
pub fn day_of(now: DateTime<Utc>, zone: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let date = now.with_timezone(&zone).date_naive();
    let next = date.succ_opt().unwrap_or(date);
    (start_of_day(date, zone), start_of_day(next, zone))
}

/// The instant `date` begins in `zone`. A day that begins in a gap of the zone's clock (a change
/// to summer time at midnight) begins when the clock resumes.
pub fn start_of_day(date: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    (0..=180)
        .find_map(|minutes| {
            zone.from_local_datetime(&(midnight + Duration::minutes(minutes)))
                .earliest()
        })
        .map(|local| local.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn task() -> Task {
        NewTask {
            title: " Call back ".into(),
            description: None,
            due_at: Some(at("2026-12-05T10:00:00Z")),
            remind_at: Some(at("2026-12-05T09:00:00Z")),
            priority: None,
            assignee_id: None,
            customer_id: None,
            order_id: None,
            deal_id: None,
        }
        .check()
        .unwrap()
        .into_task(Some(Uuid::max()), at("2026-12-01T00:00:00Z"))
    }

    #[test]
    fn a_new_task_is_open_normal_and_its_creators() {
        let task = task();
        assert_eq!(task.title, "Call back");
        assert_eq!(
            (task.status, task.priority),
            (TaskStatus::Open, TaskPriority::Normal)
        );
        assert_eq!(task.assignee_id, Some(Uuid::max()));
    }

    #[test]
    fn done_and_cancelled_are_stamped_and_reopened_only_to_open() {
        let now = at("2026-12-05T11:00:00Z");
        let done = TaskChanges {
            status: Some(TaskStatus::Done),
            outcome: Some(Some("Ordered again".into())),
            ..TaskChanges::default()
        }
        .apply(&task(), now)
        .unwrap();
        assert_eq!(
            (done.status, done.completed_at),
            (TaskStatus::Done, Some(now))
        );
        let refused = TaskChanges {
            status: Some(TaskStatus::Cancelled),
            ..TaskChanges::default()
        }
        .apply(&done, now)
        .unwrap_err();
        assert_eq!(
            (refused.from, refused.to),
            (TaskStatus::Done, TaskStatus::Cancelled)
        );
        let reopened = TaskChanges {
            status: Some(TaskStatus::Open),
            ..TaskChanges::default()
        }
        .apply(&done, now)
        .unwrap();
        assert_eq!(reopened.completed_at, None);
        let same = TaskChanges {
            status: Some(TaskStatus::Done),
            ..TaskChanges::default()
        }
        .apply(&done, now)
        .unwrap();
        assert_eq!(same, done, "the current status again changes nothing");
    }

    #[test]
    fn a_new_reminder_time_is_reminded_of_anew() {
        let mut reminded = task();
        reminded.reminded_at = Some(at("2026-12-05T09:00:01Z"));
        let later = TaskChanges {
            remind_at: Some(Some(at("2026-12-06T09:00:00Z"))),
            ..TaskChanges::default()
        }
        .apply(&reminded, at("2026-12-05T12:00:00Z"))
        .unwrap();
        assert_eq!(later.reminded_at, None);
        let untouched = TaskChanges {
            title: Some("Call back soon".into()),
            ..TaskChanges::default()
        }
        .apply(&reminded, at("2026-12-05T12:00:00Z"))
        .unwrap();
        assert_eq!(untouched.reminded_at, reminded.reminded_at);
    }

    #[test]
    fn today_is_the_workspaces_date() {
        let shanghai: Tz = "Asia/Shanghai".parse().unwrap();
        // 00:30 on 6 December in Shanghai is still 5 December in UTC.
        let now = at("2026-12-05T16:30:00Z");
        assert_eq!(
            Due::Today.window(now, shanghai),
            (
                Some(at("2026-12-05T16:00:00Z")),
                Some(at("2026-12-06T16:00:00Z"))
            )
        );
        assert_eq!(
            Due::Today.window(now, Tz::UTC),
            (
                Some(at("2026-12-05T00:00:00Z")),
                Some(at("2026-12-06T00:00:00Z"))
            )
        );
        assert_eq!(Due::Overdue.window(now, shanghai), (None, Some(now)));
        assert_eq!(
            Due::Later.window(now, shanghai),
            (Some(at("2026-12-06T16:00:00Z")), None)
        );
    }

    #[test]
    fn a_day_that_begins_in_a_clock_gap_begins_when_the_clock_resumes() {
        // Santiago moved its clocks from 00:00 to 01:00 on 7 September 2025.
        let santiago: Tz = "America/Santiago".parse().unwrap();
        let (start, end) = day_of(at("2025-09-07T12:00:00Z"), santiago);
        assert_eq!(start, at("2025-09-07T04:00:00Z"), "01:00 at UTC-3");
        assert_eq!(end, at("2025-09-08T03:00:00Z"));
    }
}
