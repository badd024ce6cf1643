//! The scheduler: each node's one loop over the jobs table. It plans the periodic jobs of the
//! current period (one job per period, whichever node plans it first), takes the next job due,
//! keeps its lease alive while the job's kind works on it, and records how it ended: succeeded,
//! queued again after a growing wait, or given up once its attempts ran out.

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use actix_web::web::Data;
use chrono::Duration;
use rapport_domain::jobs::{Job, JobKind, NewJob};
use rapport_domain::settings::{DealReminderSettings, ReturnVisitSettings, WorkspaceSettings};
use rapport_persistence::jobs::{self, Lease};
use rapport_persistence::{Db, WriteTxn};
use serde_json::Value;
use uuid::Uuid;

use crate::state::AppState;

/// How long an idle node waits before looking for work again.
const IDLE: StdDuration = StdDuration::from_secs(1);

/// Starts this node's scheduler, unless the configuration turns it off.
pub fn start(state: Data<AppState>) {
    if !state.config.scheduler {
        return;
    }
    let worker = format!("node-{}", Uuid::now_v7().simple());
    tokio::spawn(async move {
        let mut planned = HashMap::new();
        loop {
            if let Err(e) = plan_periodic(&state.db, &mut planned).await {
                tracing::warn!(error = %e, "periodic jobs could not be planned; trying again shortly");
            }
            match run_one(&state, &worker).await {
                Ok(true) => {}
                Ok(false) => tokio::time::sleep(IDLE).await,
                Err(e) => {
                    tracing::error!(error = %e, "the scheduler failed; trying again shortly");
                    tokio::time::sleep(IDLE * 5).await;
                }
            }
        }
    });
}

/// Queues the run of each periodic kind for the current period, once per period per node; the
/// job's key makes it one across nodes.
async fn plan_periodic(
    db: &Db,
    planned: &mut HashMap<JobKind, String>,
) -> rapport_persistence::Result<()> {
    let now = rapport_persistence::now();
    for &kind in JobKind::ALL {
        let Some(period) = kind.period() else {
            continue;
        };
        let job = NewJob::for_period(kind, period, now);
        let key = job.key.clone().unwrap_or_default();
        if planned.get(&kind) == Some(&key) {
            continue;
        }
        if !jobs::exists(db.conn(), &key).await? {
            let txn = db.begin_write().await?;
            jobs::enqueue(&*txn, job).await?;
            txn.commit().await?;
        }
        planned.insert(kind, key);
    }
    Ok(())
}

fn lease_length(state: &AppState) -> Duration {
    Duration::seconds(i64::try_from(state.config.job_lease).unwrap_or(60))
}

/// Takes and runs one job; false when none was due.
async fn run_one(state: &Data<AppState>, worker: &str) -> rapport_persistence::Result<bool> {
    let length = lease_length(state);
    let Some(job) = jobs::claim(&state.db, worker, length).await? else {
        return Ok(false);
    };
    let lease = Lease {
        job: job.id,
        worker: worker.to_owned(),
        length,
    };
    if job.exhausted() {
        let reason = format!("stopped {} times before finishing", job.max_attempts);
        tracing::warn!(job = %job.id, kind = job.kind.as_str(), "{reason}; given up");
        let txn = state.db.begin_write().await?;
        give_up(&txn, &job, &reason).await?;
        jobs::give_up(&*txn, job.id, worker, &reason).await?;
        txn.commit().await?;
        return Ok(true);
    }
    tracing::info!(job = %job.id, kind = job.kind.as_str(), attempt = job.attempts, "job started");
    let heartbeat = tokio::spawn(keep_alive(state.db.clone(), lease.clone()));
    let outcome = work(state, &lease, &job).await;
    heartbeat.abort();
    match outcome {
        Ok(result) => {
            let txn = state.db.begin_write().await?;
            jobs::succeed(&*txn, job.id, worker, result).await?;
            txn.commit().await?;
            tracing::info!(job = %job.id, kind = job.kind.as_str(), "job succeeded");
        }
        Err(e) => {
            let error = e.to_string();
            let txn = state.db.begin_write().await?;
            let after = jobs::fail(&*txn, &job, worker, &error).await?;
            if after == Some(rapport_domain::jobs::JobStatus::Failed) {
                give_up(&txn, &job, &error).await?;
            }
            txn.commit().await?;
            tracing::error!(job = %job.id, kind = job.kind.as_str(), error = %error,
                status = after.map(|s| s.as_str()), "job attempt failed");
        }
    }
    Ok(true)
}

/// Renews a lease at a third of its length while the job runs. A renewal that fails is tried
/// again at the next beat; one the job is no longer held for ends the beats.
async fn keep_alive(db: Db, lease: Lease) {
    let beat = (lease.length / 3)
        .to_std()
        .unwrap_or(StdDuration::from_secs(20))
        .max(StdDuration::from_millis(200));
    loop {
        tokio::time::sleep(beat).await;
        let renewed = async {
            let txn = db.begin_write().await?;
            let held = lease.renew(&txn).await?;
            txn.commit().await?;
            Ok::<_, rapport_persistence::Error>(held)
        }
        .await;
        match renewed {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => tracing::warn!(job = %lease.job, error = %e, "a lease could not be renewed"),
        }
    }
}

/// The record a job works on, as its payload names it.
fn record_of(job: &Job) -> rapport_persistence::Result<Uuid> {
    job.payload["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| {
            rapport_persistence::Error::Internal(format!("job {} names no record", job.id))
        })
}

/// Runs a job by its kind; what it did, as counts.
async fn work(
    state: &Data<AppState>,
    lease: &Lease,
    job: &Job,
) -> rapport_persistence::Result<Value> {
    match job.kind {
        JobKind::Import => crate::imports::run(state, lease, record_of(job)?, job.attempts).await,
        JobKind::Housekeeping => housekeeping(&state.db).await,
        JobKind::TaskReminders => {
            let sent = rapport_persistence::tasks::send_due_reminders(&state.db, state.clock.now())
                .await?;
            Ok(serde_json::json!({ "reminders": sent }))
        }
        JobKind::DealReminders => {
            let conn = state.db.conn();
            let rules: DealReminderSettings = rapport_persistence::settings::load(conn).await?;
            let workspace: WorkspaceSettings = rapport_persistence::settings::load(conn).await?;
            let made = rapport_persistence::tasks::remind_of_deals(
                &state.db,
                &rules,
                state.clock.now(),
                workspace.zone(),
            )
            .await?;
            Ok(serde_json::json!({ "tasks": made }))
        }
        JobKind::SlaBreaches => {
            let recorded =
                rapport_persistence::tickets::record_breaches(&state.db, state.clock.now()).await?;
            Ok(serde_json::json!({ "breaches": recorded }))
        }
        JobKind::ReturnVisits => {
            let rules: ReturnVisitSettings =
                rapport_persistence::settings::load(state.db.conn()).await?;
            let made = rapport_persistence::return_visits::make_due(
                &state.db,
                &rules.rules,
                state.clock.now(),
            )
            .await?;
            Ok(serde_json::json!({ "visits": made }))
        }
        JobKind::PointsExpiry => {
            let expired =
                rapport_persistence::loyalty::points::expire_due(&state.db, state.clock.now())
                    .await?;
            Ok(serde_json::json!({ "points": expired }))
        }
        JobKind::TierReview => {
            let moved = rapport_persistence::customers::tiers::review_all(
                &state.db,
                rapport_persistence::audit::By::System,
                state.clock.now(),
            )
            .await?;
            Ok(serde_json::json!({ "members_moved": moved }))
        }
        JobKind::Campaigns => {
            let moved =
                rapport_persistence::marketing::campaigns::run_due(&state.db, state.clock.now())
                    .await?;
            Ok(serde_json::json!({ "campaigns_moved": moved }))
        }
        JobKind::CarePlans => {
            let made = crate::care::run_due(state, state.clock.now())
                .await
                .map_err(|e| rapport_persistence::Error::Internal(e.detail))?;
            Ok(serde_json::to_value(made)?)
        }
    }
}

/// One round of housekeeping; what it forgot.
async fn housekeeping(db: &Db) -> rapport_persistence::Result<Value> {
    let purged = rapport_persistence::housekeeping::run(db).await?;
    Ok(serde_json::json!({
        "idempotency_records": purged.idempotency_records,
        "session_tokens": purged.session_tokens,
        "import_files": purged.import_files,
        "jobs": purged.jobs,
    }))
}

/// Cleans up after a job given up, in the transaction that gives it up.
async fn give_up(txn: &WriteTxn, job: &Job, reason: &str) -> rapport_persistence::Result<()> {
    match job.kind {
        JobKind::Import => {
            rapport_persistence::imports::give_up(&**txn, record_of(job)?, reason).await
        }
        JobKind::Housekeeping
        | JobKind::TaskReminders
        | JobKind::DealReminders
        | JobKind::CarePlans
        | JobKind::SlaBreaches
        | JobKind::ReturnVisits
        | JobKind::PointsExpiry
        | JobKind::TierReview
        | JobKind::Campaigns => Ok(()),
    }
}
