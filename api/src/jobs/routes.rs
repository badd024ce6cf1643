//! Jobs over HTTP, for administrators: what ran, when and how (`GET /jobs`), and a periodic job
//! run now (`POST /jobs`).

use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get, post};
use chrono::{DateTime, Utc};
use rapport_domain::jobs::{Job, JobKind, JobStatus, NewJob};
use rapport_persistence::jobs::{self, JobFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{ValidJson, ValidQuery, page_request};
use crate::problem::ApiError;
use crate::respond::{PageOf, page};
use crate::state::AppState;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKindDto {
    /// Reads an import's file and writes its rows (`payload.id` names the import).
    Import,
    /// Hourly: forgets expired idempotency records, ended sign-ins, finished import files and
    /// their refused rows, and finished jobs, after the periods of `/api/v1/settings/retention`.
    Housekeeping,
    /// Every minute: sends the task reminders that fell due (`task.reminder_due`, once each).
    TaskReminders,
    /// Every quarter hour: gives the owners of open deals a task when the close date comes near
    /// or a deal sat too long in its stage, after `/api/v1/settings/deal-reminders` (once per
    /// close date and per stay in a stage).
    DealReminders,
    /// Hourly: runs each active care plan once a day, soon after midnight in the workspace's
    /// time zone (`POST /api/v1/care-plans/{id}/run` runs one now).
    CarePlans,
    /// Every minute: records the tickets' SLA breaches that fell due (`ticket.sla_breached`,
    /// once each).
    SlaBreaches,
    /// Every quarter hour: makes the return visits `/api/v1/settings/return-visits` calls for, a
    /// task or a `return_visit` ticket, once per occasion.
    ReturnVisits,
    /// Hourly: expires the points earned and not spent within `points_expire_days` of
    /// `/api/v1/settings/loyalty` (`points.expire`, the points that expire first spent first).
    PointsExpiry,
    /// Daily: gives every member the tier their standing within `tier_window_days` of
    /// `/api/v1/settings/loyalty` reaches, so that standing earned before the window falls away
    /// (`customer.tier_changed`).
    TierReview,
    /// Every minute: starts the scheduled campaigns whose `starts_at` came and completes those
    /// whose `ends_at` came (`campaign.active`, `campaign.completed`).
    Campaigns,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatusDto {
    /// Waiting for `run_at` and a node to take it.
    Queued,
    /// A node is working on it, holding it until `lease_until` unless it renews.
    Running,
    /// Done: `result` says what it did.
    Succeeded,
    /// Given up after `max_attempts`: `last_error` says why.
    Failed,
}

mirror!(JobKindDto <=> JobKind { Import, Housekeeping, TaskReminders, DealReminders, CarePlans, SlaBreaches, ReturnVisits, PointsExpiry, TierReview, Campaigns });
mirror!(JobStatusDto <=> JobStatus { Queued, Running, Succeeded, Failed });

/// A job: one piece of background or timed work, and how its attempts went.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c8-5555-7000-8000-000000000001", "kind": "housekeeping",
    "key": "housekeeping@2026-12-05T10:00:00Z", "payload": {}, "status": "succeeded",
    "run_at": "2026-12-05T10:00:00Z", "attempts": 1, "max_attempts": 5, "claimed_by": null,
    "lease_until": null, "last_error": null,
    "result": {"idempotency_records": 120, "session_tokens": 14, "import_files": 2, "jobs": 30},
    "started_at": "2026-12-05T10:00:01Z", "finished_at": "2026-12-05T10:00:02Z",
    "created_at": "2026-12-05T10:00:00Z", "updated_at": "2026-12-05T10:00:02Z"
}))]
pub struct JobView {
    /// Identifier.
    pub id: Uuid,
    /// What it does.
    pub kind: JobKindDto,
    /// The name that makes it one of a kind: a periodic job is named after its period, so that
    /// however many nodes plan it, it runs once.
    pub key: Option<String>,
    /// What it works on.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Where it stands.
    pub status: JobStatusDto,
    /// When it may run (next): after a failed attempt, later each time (10 s doubling, at most
    /// an hour).
    pub run_at: DateTime<Utc>,
    /// Times a node took it.
    pub attempts: i32,
    /// Times it may be taken before it fails.
    pub max_attempts: i32,
    /// The node working on it, while running.
    pub claimed_by: Option<String>,
    /// Until when that node holds it without renewing; past it, another node takes it over.
    pub lease_until: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// What it did, as counts.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// When a node first took it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Queued.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Job> for JobView {
    fn from(j: Job) -> Self {
        JobView {
            id: j.id,
            kind: j.kind.into(),
            key: j.key,
            payload: j.payload,
            status: j.status.into(),
            run_at: j.run_at,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            claimed_by: j.claimed_by,
            lease_until: j.lease_until,
            last_error: j.last_error,
            result: j.result,
            started_at: j.started_at,
            finished_at: j.finished_at,
            created_at: j.created_at,
            updated_at: j.updated_at,
        }
    }
}

/// Which jobs, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobListQuery {
    /// Of this kind only.
    pub kind: Option<JobKindDto>,
    /// In this status only.
    pub status: Option<JobStatusDto>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// List jobs.
///
/// Newest first: every node's background and timed work (imports, housekeeping), with its
/// attempts, the node holding it, what it did or why it failed. Finished jobs are kept for
/// `jobs_days` of `/api/v1/settings/retention`.
#[utoipa::path(
    tag = "jobs",
    operation_id = "list_jobs",
    params(JobListQuery),
    responses((status = 200, description = "One page of jobs", body = PageOf<JobView>)),
    security(("bearer" = []))
)]
#[get("/jobs")]
pub async fn list_jobs(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<JobListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let filter = JobFilter {
        kind: q.kind.map(Into::into),
        status: q.status.map(Into::into),
    };
    let list = jobs::list(state.db.conn(), &filter, &request).await?;
    Ok(page(&PageOf::from_page(list, JobView::from)))
}

/// Get a job.
#[utoipa::path(
    tag = "jobs",
    operation_id = "get_job",
    params(("id" = Uuid, Path, description = "Job id")),
    responses((status = 200, description = "The job", body = JobView)),
    security(("bearer" = []))
)]
#[get("/jobs/{id}")]
pub async fn get_job(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let job = jobs::get(state.db.conn(), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(JobView::from(job)))
}

/// A periodic kind of job, which may be run by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodicJobKind {
    /// Forget what has outlived its retention, now.
    Housekeeping,
    /// Send the task reminders that fell due, now.
    TaskReminders,
    /// Give deal owners the tasks the deal reminder settings call for, now.
    DealReminders,
    /// Run the care plans that have not run today, now.
    CarePlans,
    /// Record the SLA breaches that fell due, now.
    SlaBreaches,
    /// Make the return visits that fell due, now.
    ReturnVisits,
    /// Expire the points whose time has come, now.
    PointsExpiry,
    /// Review every member's tier, now.
    TierReview,
    /// Start and complete the campaigns whose time came, now.
    Campaigns,
}

impl From<PeriodicJobKind> for JobKind {
    fn from(kind: PeriodicJobKind) -> Self {
        match kind {
            PeriodicJobKind::Housekeeping => JobKind::Housekeeping,
            PeriodicJobKind::TaskReminders => JobKind::TaskReminders,
            PeriodicJobKind::DealReminders => JobKind::DealReminders,
            PeriodicJobKind::CarePlans => JobKind::CarePlans,
            PeriodicJobKind::SlaBreaches => JobKind::SlaBreaches,
            PeriodicJobKind::ReturnVisits => JobKind::ReturnVisits,
            PeriodicJobKind::PointsExpiry => JobKind::PointsExpiry,
            PeriodicJobKind::TierReview => JobKind::TierReview,
            PeriodicJobKind::Campaigns => JobKind::Campaigns,
        }
    }
}

/// A periodic job to run now.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "housekeeping"}))]
pub struct RunJob {
    /// Which.
    pub kind: PeriodicJobKind,
}

/// Run a periodic job now.
///
/// Queues a run of a periodic kind (housekeeping, task reminders) due now, besides its regular runs: the first
/// node free takes it. Follow it with `GET /api/v1/jobs/{id}`.
#[utoipa::path(
    tag = "jobs",
    operation_id = "run_job",
    request_body = RunJob,
    responses((status = 202, description = "Queued", body = JobView,
        headers(("Location" = String, description = "The job")))),
    security(("bearer" = []))
)]
#[post("/jobs")]
pub async fn run_job(
    state: Data<AppState>,
    auth: Auth,
    body: ValidJson<RunJob>,
) -> Result<HttpResponse, ApiError> {
    let kind: JobKind = body.value()?.kind.into();
    let job = jobs::run_now(
        &state.db,
        &auth.actor,
        NewJob::on_request(kind, rapport_persistence::now()),
    )
    .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/jobs/{}", job.id),
        ))
        .json(JobView::from(job)))
}
