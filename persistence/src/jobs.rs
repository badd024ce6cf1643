//! The jobs table: every node's background and timed work. A node claims the next job due (or
//! one whose node stopped renewing its lease) with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so
//! any number of nodes take jobs side by side and each job is worked on by one at a time. Every
//! change a node makes to a job it claimed names the node, so a node that lost its lease changes
//! nothing.

use chrono::{DateTime, Duration, Utc};
use rapport_domain::jobs::{Job, JobKind, JobStatus, NewJob, retry_delay};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest};
use crate::{Backend, Db, Error, Result, WriteTxn};

/// The `jobs` table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "jobs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: String,
        pub key: Option<String>,
        #[sea_orm(column_type = "Json")]
        pub payload: Json,
        pub status: String,
        pub run_at: DateTimeUtc,
        pub attempts: i32,
        pub max_attempts: i32,
        pub claimed_by: Option<String>,
        pub lease_until: Option<DateTimeUtc>,
        #[sea_orm(column_type = "Text", nullable)]
        pub last_error: Option<String>,
        #[sea_orm(column_type = "Json", nullable)]
        pub result: Option<Json>,
        pub started_at: Option<DateTimeUtc>,
        pub finished_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{Column, Entity};

fn corrupt(what: &str) -> Error {
    Error::Internal(format!("stored job {what} is unknown"))
}

impl TryFrom<entity::Model> for Job {
    type Error = Error;
    fn try_from(m: entity::Model) -> Result<Self> {
        Ok(Job {
            id: m.id,
            kind: JobKind::from_name(&m.kind).ok_or_else(|| corrupt("kind"))?,
            key: m.key,
            payload: m.payload,
            status: JobStatus::from_name(&m.status).ok_or_else(|| corrupt("status"))?,
            run_at: m.run_at,
            attempts: m.attempts,
            max_attempts: m.max_attempts,
            claimed_by: m.claimed_by,
            lease_until: m.lease_until,
            last_error: m.last_error,
            result: m.result,
            started_at: m.started_at,
            finished_at: m.finished_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// Queues a job in the caller's transaction. `None` when a job under the same key is already
/// there (it was queued before, by this node or another).
pub async fn enqueue(conn: &impl ConnectionTrait, new: NewJob) -> Result<Option<Job>> {
    let now = crate::now();
    let id = Uuid::now_v7();
    let inserted = Entity::insert(entity::ActiveModel {
        id: Set(id),
        kind: Set(new.kind.as_str().into()),
        key: Set(new.key),
        payload: Set(new.payload),
        status: Set(JobStatus::Queued.as_str().into()),
        run_at: Set(new.run_at),
        attempts: Set(0),
        max_attempts: Set(new.kind.max_attempts()),
        claimed_by: Set(None),
        lease_until: Set(None),
        last_error: Set(None),
        result: Set(None),
        started_at: Set(None),
        finished_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict_do_nothing_on([Column::Key])
    .exec(conn)
    .await?;
    match inserted {
        sea_orm::TryInsertResult::Inserted(_) => get(conn, id).await.map(Some),
        _ => Ok(None),
    }
}

/// A node's hold on a job it claimed: renewed while the job runs, and checked in the
/// transaction of every change the job's work commits, so that a node that lost the job (its
/// lease ran out and another node took it) commits nothing.
#[derive(Debug, Clone)]
pub struct Lease {
    /// The job held.
    pub job: Uuid,
    /// The node holding it.
    pub worker: String,
    /// How long a renewal holds.
    pub length: Duration,
}

impl Lease {
    /// Renews the hold in `txn`; false when the job is no longer this node's, and whatever
    /// `txn` did must be rolled back.
    pub async fn renew(&self, txn: &WriteTxn) -> Result<bool> {
        renew(&**txn, self.job, &self.worker, self.length).await
    }
}

/// The error of work whose job another node took over.
pub fn taken_over() -> Error {
    Error::Internal("another node took the job over".into())
}

/// Whether a job under `key` exists, whatever its status.
pub async fn exists(conn: &impl ConnectionTrait, key: &str) -> Result<bool> {
    Ok(Entity::find()
        .filter(Column::Key.eq(key))
        .one(conn)
        .await?
        .is_some())
}

/// What a node may take at `now`: a queued job that is due, or a running one whose lease ran
/// out.
fn claimable(now: DateTime<Utc>) -> sea_orm::Select<Entity> {
    Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(Column::Status.eq(JobStatus::Queued.as_str()))
                        .add(Column::RunAt.lte(now)),
                )
                .add(
                    Condition::all()
                        .add(Column::Status.eq(JobStatus::Running.as_str()))
                        .add(Column::LeaseUntil.lt(now)),
                ),
        )
        .order_by_asc(Column::RunAt)
        .order_by_asc(Column::Id)
        .limit(1)
}

/// Takes the next job due for `worker`, until `lease` from now, counting the attempt. A job
/// taken past its last attempt is returned all the same ([`Job::exhausted`]): its kind gives it
/// up, under the lease, so that what it leaves behind is cleaned up once.
pub async fn claim(db: &Db, worker: &str, lease: Duration) -> Result<Option<Job>> {
    // An idle node asks often: a plain read first, so asking takes no writer or lock.
    if claimable(crate::now()).one(db.conn()).await?.is_none() {
        return Ok(None);
    }
    let txn = db.begin_write().await?;
    let now = crate::now();
    let next = match db.backend() {
        Backend::Postgres => claimable(now).lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        ),
        Backend::Sqlite => claimable(now),
    };
    let Some(model) = next.one(&*txn).await? else {
        return Ok(None);
    };
    let first = model.started_at.is_none();
    let attempts = model.attempts + 1;
    let mut active: entity::ActiveModel = model.into();
    active.status = Set(JobStatus::Running.as_str().into());
    active.attempts = Set(attempts);
    active.claimed_by = Set(Some(worker.to_owned()));
    active.lease_until = Set(Some(now + lease));
    if first {
        active.started_at = Set(Some(now));
    }
    active.updated_at = Set(now);
    let job = Job::try_from(active.update(&*txn).await?)?;
    txn.commit().await?;
    Ok(Some(job))
}

/// The jobs `worker` holds: those running under its name.
fn held(id: Uuid, worker: &str) -> Condition {
    Condition::all()
        .add(Column::Id.eq(id))
        .add(Column::ClaimedBy.eq(worker))
        .add(Column::Status.eq(JobStatus::Running.as_str()))
}

/// Renews `worker`'s lease on a job; false when the job is no longer the worker's (its lease ran
/// out and another node took it).
pub async fn renew(
    conn: &impl ConnectionTrait,
    id: Uuid,
    worker: &str,
    lease: Duration,
) -> Result<bool> {
    let result = Entity::update_many()
        .col_expr(Column::LeaseUntil, Expr::val(Utc::now() + lease))
        .col_expr(Column::UpdatedAt, Expr::val(crate::now()))
        .filter(held(id, worker))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Ends a job `worker` holds as `status`, with what it reported or why it stopped; false when
/// the job is no longer the worker's.
async fn end(
    conn: &impl ConnectionTrait,
    id: Uuid,
    worker: &str,
    status: JobStatus,
    result: Option<serde_json::Value>,
    error: Option<String>,
) -> Result<bool> {
    let now = crate::now();
    let mut update = Entity::update_many()
        .col_expr(Column::Status, Expr::val(status.as_str()))
        .col_expr(Column::FinishedAt, Expr::val(now))
        .col_expr(Column::ClaimedBy, Expr::val(Option::<String>::None))
        .col_expr(Column::LeaseUntil, Expr::val(Option::<DateTime<Utc>>::None))
        .col_expr(Column::UpdatedAt, Expr::val(now));
    if let Some(result) = result {
        update = update.col_expr(Column::Result, Expr::val(result));
    }
    if let Some(error) = error {
        update = update.col_expr(Column::LastError, Expr::val(error));
    }
    let done = update.filter(held(id, worker)).exec(conn).await?;
    Ok(done.rows_affected == 1)
}

/// Records that a job `worker` holds succeeded, with what it did (counts, as its kind reports
/// them); false when the job is no longer the worker's.
pub async fn succeed(
    conn: &impl ConnectionTrait,
    id: Uuid,
    worker: &str,
    result: serde_json::Value,
) -> Result<bool> {
    end(conn, id, worker, JobStatus::Succeeded, Some(result), None).await
}

/// Gives a job `worker` holds up: it fails for good, with `error`.
pub async fn give_up(
    conn: &impl ConnectionTrait,
    id: Uuid,
    worker: &str,
    error: &str,
) -> Result<bool> {
    end(
        conn,
        id,
        worker,
        JobStatus::Failed,
        None,
        Some(storable(error)),
    )
    .await
}

/// Records that an attempt at a job `worker` holds failed with `error`: it is queued again after
/// [`retry_delay`], or fails for good when it was its last attempt. Returns where the job
/// stands, `None` when it is no longer the worker's.
pub async fn fail(
    conn: &impl ConnectionTrait,
    job: &Job,
    worker: &str,
    error: &str,
) -> Result<Option<JobStatus>> {
    if job.attempts >= job.max_attempts {
        let ended = give_up(conn, job.id, worker, error).await?;
        return Ok(ended.then_some(JobStatus::Failed));
    }
    let now = crate::now();
    let again = Entity::update_many()
        .col_expr(Column::Status, Expr::val(JobStatus::Queued.as_str()))
        .col_expr(Column::RunAt, Expr::val(now + retry_delay(job.attempts)))
        .col_expr(Column::ClaimedBy, Expr::val(Option::<String>::None))
        .col_expr(Column::LeaseUntil, Expr::val(Option::<DateTime<Utc>>::None))
        .col_expr(Column::LastError, Expr::val(storable(error)))
        .col_expr(Column::UpdatedAt, Expr::val(now))
        .filter(held(job.id, worker))
        .exec(conn)
        .await?;
    Ok((again.rows_affected == 1).then_some(JobStatus::Queued))
}

/// An error as stored: at most 2,000 characters.
fn storable(error: &str) -> String {
    error.chars().take(2_000).collect()
}

/// The job with this id.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<Job> {
    Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .try_into()
}

/// Which jobs a list shows.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Of this kind only.
    pub kind: Option<JobKind>,
    /// In this status only.
    pub status: Option<JobStatus>,
}

/// One page of jobs, newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &JobFilter,
    request: &PageRequest,
) -> Result<Page<Job>> {
    let keys = [Column::CreatedAt, Column::Id].map(|column| KeyColumn {
        column,
        descending: true,
    });
    let mut select = match filter.kind {
        // Pinned to the kind, so that the list reads `(kind, created_at, id)`.
        Some(kind) => {
            page::Pin::new(Column::Kind.into_expr(), kind.as_str()).narrow(Entity::find(), &keys)
        }
        None => Entity::find(),
    };
    if let Some(status) = filter.status {
        select = select.filter(Column::Status.eq(status.as_str()));
    }
    page::fetch(
        conn,
        select,
        "-created_at",
        &keys,
        |m| vec![CursorValue::T(m.created_at), CursorValue::U(m.id)],
        request,
    )
    .await?
    .try_map(Job::try_from)
}

/// Forgets jobs that ended before `before`; returns how many.
pub async fn purge_finished(conn: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64> {
    let purged = Entity::delete_many()
        .filter(Column::Status.is_in([JobStatus::Succeeded.as_str(), JobStatus::Failed.as_str()]))
        .filter(Column::FinishedAt.lt(before))
        .exec(conn)
        .await?;
    Ok(purged.rows_affected)
}

/// Queues a job asked for by `actor`, with its audit record.
pub async fn run_now(db: &Db, actor: &rapport_domain::access::Actor, new: NewJob) -> Result<Job> {
    let txn = db.begin_write().await?;
    let job = enqueue(&*txn, new)
        .await?
        .ok_or_else(|| Error::Internal("a job run on request was not queued".into()))?;
    let after = serde_json::json!({"id": job.id, "kind": job.kind.as_str(), "run_at": job.run_at});
    crate::audit::record(
        &*txn,
        actor.into(),
        "job.queued",
        "job",
        job.id,
        None,
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(job)
}
