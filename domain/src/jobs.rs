//! Jobs: the background and timed work of every node, kept in one table.
//!
//! A job is `queued` to run at a time, `running` under a node's lease while that node works on
//! it, and ends `succeeded` or `failed`. A node that stops renewing its lease loses the job to
//! another node, which runs it again; a job that fails is tried again later, each wait longer
//! than the one before, until its attempts run out. Periodic work (housekeeping) is a job per
//! period, named by its period, so that however many nodes plan it, it runs once.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Reads an import's file and writes its rows.
    Import,
    /// Forgets what has outlived its retention: expired idempotency records, ended sign-ins,
    /// finished import files and their refused rows, finished jobs.
    Housekeeping,
    /// Sends the task reminders that fell due (`task.reminder_due`).
    TaskReminders,
    /// Gives the owners of open deals the tasks the deal reminder settings call for.
    DealReminders,
    /// Runs every active care plan that has not run today.
    CarePlans,
    /// Records the tickets' SLA breaches that fell due (`ticket.sla_breached`), each once.
    SlaBreaches,
    /// Makes the return visits the rules call for (a task or a ticket), each occasion once.
    ReturnVisits,
    /// Expires the points that were earned and not spent in time.
    PointsExpiry,
    /// Gives every member the tier their standing within the tier window reaches.
    TierReview,
    /// Starts the scheduled campaigns whose start came and completes those whose end came.
    Campaigns,
}

names!(JobKind {
    Import => "import",
    Housekeeping => "housekeeping",
    TaskReminders => "task_reminders",
    DealReminders => "deal_reminders",
    CarePlans => "care_plans",
    SlaBreaches => "sla_breaches",
    ReturnVisits => "return_visits",
    PointsExpiry => "points_expiry",
    TierReview => "tier_review",
    Campaigns => "campaigns",
});

impl JobKind {
    /// How often a periodic kind runs; `None` for work that is queued when it arises.
    pub fn period(self) -> Option<Duration> {
        match self {
            JobKind::Import => None,
            JobKind::Housekeeping => Some(Duration::hours(1)),
            JobKind::TaskReminders => Some(Duration::minutes(1)),
            JobKind::DealReminders => Some(Duration::minutes(15)),
            // Hourly, so that a plan runs soon after midnight in the workspace's time zone;
            // each plan runs once a day.
            JobKind::CarePlans => Some(Duration::hours(1)),
            JobKind::SlaBreaches => Some(Duration::minutes(1)),
            JobKind::ReturnVisits => Some(Duration::minutes(15)),
            JobKind::PointsExpiry => Some(Duration::hours(1)),
            JobKind::TierReview => Some(Duration::days(1)),
            JobKind::Campaigns => Some(Duration::minutes(1)),
        }
    }

    /// The most times a job of this kind is taken up before it counts as failed.
    pub fn max_attempts(self) -> i32 {
        match self {
            JobKind::Import => 3,
            JobKind::Housekeeping
            | JobKind::TaskReminders
            | JobKind::DealReminders
            | JobKind::CarePlans
            | JobKind::SlaBreaches
            | JobKind::ReturnVisits
            | JobKind::PointsExpiry
            | JobKind::TierReview
            | JobKind::Campaigns => 5,
        }
    }

    /// Whether an administrator may queue one by hand (it needs nothing but its kind).
    pub fn runs_on_request(self) -> bool {
        self.period().is_some()
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for its time (`run_at`) and a node to take it.
    Queued,
    /// A node is working on it under a lease.
    Running,
    /// Done.
    Succeeded,
    /// Given up: its attempts ran out.
    Failed,
}

names!(JobStatus { Queued => "queued", Running => "running", Succeeded => "succeeded", Failed => "failed" });

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Identifier.
    pub id: Uuid,
    /// What it does.
    pub kind: JobKind,
    /// The name that makes it one of a kind (`housekeeping@2026-12-05T10:00:00Z`): a second job
    /// under the same key is not queued.
    pub key: Option<String>,
    /// What it works on, as its kind reads it.
    pub payload: serde_json::Value,
    /// Where it stands.
    pub status: JobStatus,
    /// When it may run (next).
    pub run_at: DateTime<Utc>,
    /// Times a node took it.
    pub attempts: i32,
    /// Times it may be taken before it fails.
    pub max_attempts: i32,
    /// The node working on it, while running.
    pub claimed_by: Option<String>,
    /// Until when that node holds it without renewing.
    pub lease_until: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// What the last attempt reported (counts of what it did).
    pub result: Option<serde_json::Value>,
    /// When it was first taken.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Job {
    /// Whether this take is past the job's last allowed attempt: a node stopped working on it
    /// too often, and it is to be given up rather than run.
    pub fn exhausted(&self) -> bool {
        self.attempts > self.max_attempts
    }
}

/// A job to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// What it does.
    pub kind: JobKind,
    /// The name that makes it one of a kind, if any.
    pub key: Option<String>,
    /// What it works on.
    pub payload: serde_json::Value,
    /// When it may run.
    pub run_at: DateTime<Utc>,
}

impl NewJob {
    /// The job that works on one record (an import). It needs no key: it is queued in the
    /// transaction that moves the record to waiting, under the record's lock, and each time the
    /// record waits again (a retry) it gets a job of its own.
    pub fn for_record(kind: JobKind, id: Uuid, now: DateTime<Utc>) -> NewJob {
        NewJob {
            kind,
            key: None,
            payload: serde_json::json!({ "id": id }),
            run_at: now,
        }
    }

    /// The run of a periodic kind for the period `now` falls in, named after the period's start
    /// so that every node that plans it plans the same job.
    pub fn for_period(kind: JobKind, period: Duration, now: DateTime<Utc>) -> NewJob {
        let start = period_start(now, period);
        NewJob {
            kind,
            key: Some(format!(
                "{}@{}",
                kind.as_str(),
                start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )),
            payload: serde_json::json!({}),
            run_at: start,
        }
    }

    /// A run of `kind` asked for by hand, now; it shares no key.
    pub fn on_request(kind: JobKind, now: DateTime<Utc>) -> NewJob {
        NewJob {
            kind,
            key: None,
            payload: serde_json::json!({}),
            run_at: now,
        }
    }
}

/// The start of the period of length `period` that `at` falls in, periods counted from the Unix
/// epoch.
pub fn period_start(at: DateTime<Utc>, period: Duration) -> DateTime<Utc> {
    let step = period.num_seconds().max(1);
    let seconds = at.timestamp().div_euclid(step) * step;
    DateTime::from_timestamp(seconds, 0).unwrap_or(at)
}

/// How long a job waits before its next attempt after `attempts` failed ones: 10 seconds, then
/// doubling, at most an hour.
pub fn retry_delay(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(12);
    Duration::seconds((10_i64 << doublings).min(3_600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn every_node_names_a_period_alike() {
        let one = NewJob::for_period(
            JobKind::Housekeeping,
            Duration::hours(1),
            at("2026-12-05T10:59:59Z"),
        );
        let two = NewJob::for_period(
            JobKind::Housekeeping,
            Duration::hours(1),
            at("2026-12-05T10:00:00Z"),
        );
        assert_eq!(
            one.key.as_deref(),
            Some("housekeeping@2026-12-05T10:00:00Z")
        );
        assert_eq!(one.key, two.key);
        assert_eq!(one.run_at, at("2026-12-05T10:00:00Z"));
        let next = NewJob::for_period(
            JobKind::Housekeeping,
            Duration::hours(1),
            at("2026-12-05T11:00:00Z"),
        );
        assert_ne!(one.key, next.key);
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        assert_eq!(retry_delay(1), Duration::seconds(10));
        assert_eq!(retry_delay(2), Duration::seconds(20));
        assert_eq!(retry_delay(3), Duration::seconds(40));
        assert_eq!(retry_delay(40), Duration::hours(1));
        assert_eq!(retry_delay(0), Duration::seconds(10));
    }

    #[test]
    fn a_take_past_the_last_attempt_is_exhausted() {
        let job = Job {
            id: Uuid::nil(),
            kind: JobKind::Import,
            key: None,
            payload: serde_json::json!({}),
            status: JobStatus::Running,
            run_at: at("2026-12-05T10:00:00Z"),
            attempts: 3,
            max_attempts: 3,
            claimed_by: None,
            lease_until: None,
            last_error: None,
            result: None,
            started_at: None,
            finished_at: None,
            created_at: at("2026-12-05T10:00:00Z"),
            updated_at: at("2026-12-05T10:00:00Z"),
        };
        assert!(!job.exhausted());
        assert!(Job { attempts: 4, ..job }.exhausted());
    }
}
