//! Imports: their records, their files in chunks, and the rows they refused. An import whose
//! file is in is queued as a job of the jobs table (in the same transaction), which any node
//! may take; the import's record follows the job's attempts.

use chrono::Utc;
use rapport_domain::FieldError;
use rapport_domain::access::{Actor, Scope};
use rapport_domain::imports::{
    ImportFormat, ImportJob, ImportMode, ImportResource, ImportStatus, NewImport,
};
use rapport_domain::jobs::{JobKind, NewJob};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest};
use crate::{Db, Error, Result, audit, events, jobs};

/// The import tables.
pub mod entity {
    /// `import_jobs`.
    pub mod job {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "import_jobs")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub resource_type: String,
            pub format: String,
            pub mode: String,
            #[sea_orm(column_type = "Json")]
            pub mapping: Json,
            pub status: String,
            pub file_bytes: i64,
            pub processed_rows: i64,
            pub created_rows: i64,
            pub failed_rows: i64,
            pub total_rows: Option<i64>,
            pub attempts: i32,
            #[sea_orm(column_type = "Text", nullable)]
            pub error: Option<String>,
            pub owner_id: Uuid,
            pub scope: String,
            pub actor_type: String,
            pub actor_id: Option<Uuid>,
            pub request_id: String,
            pub started_at: Option<DateTimeUtc>,
            pub finished_at: Option<DateTimeUtc>,
            pub file_purged_at: Option<DateTimeUtc>,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub version: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// `import_chunks`: a job's file, in order.
    pub mod chunk {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "import_chunks")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub import_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub seq: i32,
            pub data: Vec<u8>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// `import_errors`: the rows a job refused, and why.
    pub mod row_error {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "import_errors")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub import_id: Uuid,
            pub row: i64,
            pub field: String,
            pub code: String,
            #[sea_orm(column_type = "Text")]
            pub message: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{chunk, job, row_error};

fn corrupt(what: &str) -> Error {
    Error::Internal(format!("stored import {what} is unknown"))
}

impl TryFrom<job::Model> for ImportJob {
    type Error = Error;
    fn try_from(m: job::Model) -> Result<Self> {
        Ok(ImportJob {
            id: m.id,
            resource: ImportResource::from_name(&m.resource_type)
                .ok_or_else(|| corrupt("resource"))?,
            format: ImportFormat::from_name(&m.format).ok_or_else(|| corrupt("format"))?,
            mode: ImportMode::from_name(&m.mode).ok_or_else(|| corrupt("mode"))?,
            mapping: serde_json::from_value(m.mapping)?,
            status: ImportStatus::from_name(&m.status).ok_or_else(|| corrupt("status"))?,
            file_bytes: m.file_bytes,
            processed_rows: m.processed_rows,
            created_rows: m.created_rows,
            failed_rows: m.failed_rows,
            total_rows: m.total_rows,
            attempts: m.attempts,
            error: m.error,
            owner_id: m.owner_id,
            scope_all: m.scope == "all",
            created_by: (m.actor_type, m.actor_id),
            request_id: m.request_id,
            started_at: m.started_at,
            finished_at: m.finished_at,
            file_purged_at: m.file_purged_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// A refused row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The row's number in the file, the first data row being 1.
    pub row: i64,
    /// The field, or `""` for the row as a whole.
    pub field: String,
    /// The rule that broke.
    pub code: String,
    /// Why.
    pub message: String,
}

/// A caller with scope `own` sees and runs their own imports only.
fn scoped(owner: Option<Uuid>) -> sea_orm::Select<job::Entity> {
    let select = job::Entity::find();
    match owner {
        Some(owner) => select.filter(job::Column::OwnerId.eq(owner)),
        None => select,
    }
}

/// A new job, waiting for its file.
pub async fn create(
    db: &Db,
    actor: &Actor,
    scope: Scope,
    new: NewImport,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<ImportJob>> {
    let NewImport {
        resource,
        format,
        mode,
        mapping,
    } = new;
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay::<Uuid>(&*txn, idem).await? {
        let previous = get(&*txn, None, previous).await?;
        return Ok(Outcome::Replayed(previous));
    }
    let now = crate::now();
    let model = job::ActiveModel {
        id: Set(Uuid::now_v7()),
        resource_type: Set(resource.as_str().into()),
        format: Set(format.as_str().into()),
        mode: Set(mode.as_str().into()),
        mapping: Set(serde_json::to_value(&mapping)?),
        status: Set(ImportStatus::AwaitingFile.as_str().into()),
        file_bytes: Set(0),
        processed_rows: Set(0),
        created_rows: Set(0),
        failed_rows: Set(0),
        total_rows: Set(None),
        attempts: Set(0),
        error: Set(None),
        owner_id: Set(actor.owner_id),
        scope: Set(if scope == Scope::All { "all" } else { "own" }.into()),
        actor_type: Set(actor.principal.kind().into()),
        actor_id: Set(Some(actor.principal.id())),
        request_id: Set(actor.request_id.clone()),
        started_at: Set(None),
        finished_at: Set(None),
        file_purged_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&*txn)
    .await?;
    let job = ImportJob::try_from(model)?;
    let after = serde_json::json!({"id": job.id, "resource_type": resource.as_str(), "format": format.as_str(), "mode": mode.as_str(), "mapping": job.mapping});
    audit::record(
        &*txn,
        actor.into(),
        "import.created",
        "import",
        job.id,
        None,
        Some(&after),
    )
    .await?;
    idempotency::remember(&*txn, idem, 201, &job.id).await?;
    txn.commit().await?;
    Ok(Outcome::Done(job))
}

/// The job with this id, if the scope reaches it.
pub async fn get(conn: &impl ConnectionTrait, owner: Option<Uuid>, id: Uuid) -> Result<ImportJob> {
    match scoped(owner)
        .filter(job::Column::Id.eq(id))
        .one(conn)
        .await?
    {
        Some(model) => model.try_into(),
        None => Err(unreached(conn, owner, id).await),
    }
}

async fn unreached(conn: &impl ConnectionTrait, owner: Option<Uuid>, id: Uuid) -> Error {
    let unscoped = job::Entity::find().filter(job::Column::Id.eq(id));
    crate::db::unreached(conn, owner, unscoped, "import", id).await
}

/// One page of jobs, newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    request: &PageRequest,
) -> Result<Page<ImportJob>> {
    let keys = [job::Column::CreatedAt, job::Column::Id].map(|column| KeyColumn {
        column,
        descending: true,
    });
    // Pinned to the owner, so that a scoped list reads `(owner_id, created_at, id)`.
    let select = match owner {
        Some(owner) => page::Pin::new(job::Column::OwnerId.into_expr(), owner)
            .narrow(job::Entity::find(), &keys),
        None => job::Entity::find(),
    };
    page::fetch(
        conn,
        select,
        "-created_at",
        &keys,
        |m| vec![CursorValue::T(m.created_at), CursorValue::U(m.id)],
        request,
    )
    .await?
    .try_map(ImportJob::try_from)
}

/// The rows a job refused, in file order.
pub async fn row_errors(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
    request: &PageRequest,
) -> Result<Page<RowError>> {
    get(conn, owner, id).await?;
    let keys = [row_error::Column::Row, row_error::Column::Id].map(|column| KeyColumn {
        column,
        descending: false,
    });
    page::fetch(
        conn,
        page::Pin::new(row_error::Column::ImportId.into_expr(), id)
            .narrow(row_error::Entity::find(), &keys),
        "row",
        &keys,
        |m| vec![CursorValue::I(m.row), CursorValue::U(m.id)],
        request,
    )
    .await?
    .try_map(|m| {
        Ok::<_, Error>(RowError {
            row: m.row,
            field: m.field,
            code: m.code,
            message: m.message,
        })
    })
}

fn invalid_transition(from: ImportStatus, to: ImportStatus) -> Error {
    Error::Conflict {
        code: "invalid_transition",
        field: None,
        message: format!(
            "an import that is {} cannot become {}",
            from.as_str(),
            to.as_str()
        ),
    }
}

/// Locks a job within the scope for a change of status, checking the transition.
async fn lock_for(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
    next: ImportStatus,
) -> Result<job::Model> {
    let Some(model) = crate::db::for_update(scoped(owner).filter(job::Column::Id.eq(id)))
        .one(conn)
        .await?
    else {
        return Err(unreached(conn, owner, id).await);
    };
    let status = ImportStatus::from_name(&model.status).ok_or_else(|| corrupt("status"))?;
    if !status.can_become(next) {
        return Err(invalid_transition(status, next));
    }
    Ok(model)
}

/// Checks that a job within the scope can take its file now.
pub async fn expect_file(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
) -> Result<ImportJob> {
    let job = get(conn, owner, id).await?;
    if job.status != ImportStatus::AwaitingFile {
        return Err(invalid_transition(job.status, ImportStatus::Queued));
    }
    Ok(job)
}

/// Stores one piece of a job's file; pieces are numbered from 0 in order. A piece stored again
/// (an upload sent anew) replaces the old one.
pub async fn store_chunk(db: &Db, id: Uuid, seq: i32, data: Vec<u8>) -> Result<()> {
    let txn = db.begin_write().await?;
    chunk::Entity::delete_many()
        .filter(chunk::Column::ImportId.eq(id))
        .filter(chunk::Column::Seq.gte(seq))
        .exec(&*txn)
        .await?;
    chunk::ActiveModel {
        import_id: Set(id),
        seq: Set(seq),
        data: Set(data),
    }
    .insert(&*txn)
    .await?;
    txn.commit().await
}

/// Ends an upload of `bytes` in `chunks` pieces: the job is queued for a worker.
pub async fn finish_upload(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    chunks: i32,
    bytes: i64,
) -> Result<ImportJob> {
    let txn = db.begin_write().await?;
    let model = lock_for(&*txn, owner, id, ImportStatus::Queued).await?;
    chunk::Entity::delete_many()
        .filter(chunk::Column::ImportId.eq(id))
        .filter(chunk::Column::Seq.gte(chunks))
        .exec(&*txn)
        .await?;
    let version = model.version;
    let mut active: job::ActiveModel = model.into();
    active.status = Set(ImportStatus::Queued.as_str().into());
    active.file_bytes = Set(bytes);
    active.updated_at = Set(crate::now());
    active.version = Set(version + 1);
    let job = ImportJob::try_from(active.update(&*txn).await?)?;
    jobs::enqueue(&*txn, NewJob::for_record(JobKind::Import, id, crate::now())).await?;
    let data = serde_json::json!({"id": id, "file_bytes": bytes});
    audit::record(
        &*txn,
        actor.into(),
        "import.queued",
        "import",
        id,
        None,
        Some(&data),
    )
    .await?;
    txn.commit().await?;
    Ok(job)
}

/// Forgets a partly stored file, after an upload failed.
pub async fn drop_file(db: &Db, id: Uuid) -> Result<()> {
    let txn = db.begin_write().await?;
    chunk::Entity::delete_many()
        .filter(chunk::Column::ImportId.eq(id))
        .exec(&*txn)
        .await?;
    txn.commit().await
}

/// Queues a failed job again, to run it from the start of its file.
pub async fn retry(db: &Db, actor: &Actor, owner: Option<Uuid>, id: Uuid) -> Result<ImportJob> {
    let txn = db.begin_write().await?;
    let model = lock_for(&*txn, owner, id, ImportStatus::Queued).await?;
    if model.file_purged_at.is_some() {
        return Err(Error::Conflict {
            code: "file_purged",
            field: None,
            message: "the import's file was forgotten after its retention; upload it anew".into(),
        });
    }
    row_error::Entity::delete_many()
        .filter(row_error::Column::ImportId.eq(id))
        .exec(&*txn)
        .await?;
    let version = model.version;
    let mut active: job::ActiveModel = model.into();
    active.status = Set(ImportStatus::Queued.as_str().into());
    active.processed_rows = Set(0);
    active.created_rows = Set(0);
    active.failed_rows = Set(0);
    active.total_rows = Set(None);
    active.error = Set(None);
    active.finished_at = Set(None);
    active.attempts = Set(0);
    active.updated_at = Set(crate::now());
    active.version = Set(version + 1);
    let job = ImportJob::try_from(active.update(&*txn).await?)?;
    jobs::enqueue(&*txn, NewJob::for_record(JobKind::Import, id, crate::now())).await?;
    audit::record(
        &*txn,
        actor.into(),
        "import.retried",
        "import",
        id,
        None,
        Some(&serde_json::json!({"id": id})),
    )
    .await?;
    txn.commit().await?;
    Ok(job)
}

/// Starts attempt `attempt` at an import, for the job that runs it: the import is running, and
/// an `all_or_nothing` import starts over (nothing of an earlier attempt stayed). `None` when
/// the import has ended already (an earlier attempt finished it, and its node stopped before
/// it could say so).
pub async fn begin(db: &Db, id: Uuid, attempt: i32) -> Result<Option<ImportJob>> {
    let txn = db.begin_write().await?;
    let Some(model) = crate::db::for_update(job::Entity::find_by_id(id))
        .one(&*txn)
        .await?
    else {
        return Ok(None);
    };
    let status = ImportStatus::from_name(&model.status).ok_or_else(|| corrupt("status"))?;
    if !matches!(status, ImportStatus::Queued | ImportStatus::Running) {
        return Ok(None);
    }
    let now = crate::now();
    let version = model.version;
    let mode = ImportMode::from_name(&model.mode).ok_or_else(|| corrupt("mode"))?;
    let first = model.started_at.is_none();
    let mut active: job::ActiveModel = model.into();
    active.status = Set(ImportStatus::Running.as_str().into());
    active.attempts = Set(attempt);
    if first {
        active.started_at = Set(Some(now));
    }
    if mode == ImportMode::AllOrNothing {
        active.processed_rows = Set(0);
        active.created_rows = Set(0);
        active.failed_rows = Set(0);
        row_error::Entity::delete_many()
            .filter(row_error::Column::ImportId.eq(id))
            .exec(&*txn)
            .await?;
    }
    active.updated_at = Set(now);
    active.version = Set(version + 1);
    let import = ImportJob::try_from(active.update(&*txn).await?)?;
    txn.commit().await?;
    Ok(Some(import))
}

/// Records how far a running import got.
pub async fn note_progress(conn: &impl ConnectionTrait, id: Uuid, processed: i64) -> Result<()> {
    job::Entity::update_many()
        .col_expr(job::Column::ProcessedRows, Expr::val(processed))
        .col_expr(job::Column::UpdatedAt, Expr::val(crate::now()))
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Status.eq(ImportStatus::Running.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Fails an import that has not ended, in the caller's transaction (the one that gives its job
/// up); one that has ended stays as it is.
pub async fn give_up(conn: &impl ConnectionTrait, id: Uuid, error: &str) -> Result<()> {
    let open = job::Entity::find_by_id(id)
        .filter(job::Column::Status.is_in([
            ImportStatus::Queued.as_str(),
            ImportStatus::Running.as_str(),
        ]))
        .one(conn)
        .await?;
    if open.is_none() {
        return Ok(());
    }
    finish(
        conn,
        id,
        Ending::Failed {
            error: error.to_owned(),
        },
    )
    .await
}

/// Forgets the files and refused rows of imports that ended before `before`, at most `limit` of
/// them; returns how many imports.
pub async fn purge_files(
    conn: &impl ConnectionTrait,
    before: chrono::DateTime<Utc>,
    limit: u64,
) -> Result<u64> {
    let ended: Vec<Uuid> = job::Entity::find()
        .select_only()
        .column(job::Column::Id)
        .filter(job::Column::Status.is_in([
            ImportStatus::Completed.as_str(),
            ImportStatus::Failed.as_str(),
        ]))
        .filter(job::Column::FinishedAt.lt(before))
        .filter(job::Column::FilePurgedAt.is_null())
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await?;
    if ended.is_empty() {
        return Ok(0);
    }
    chunk::Entity::delete_many()
        .filter(chunk::Column::ImportId.is_in(ended.clone()))
        .exec(conn)
        .await?;
    row_error::Entity::delete_many()
        .filter(row_error::Column::ImportId.is_in(ended.clone()))
        .exec(conn)
        .await?;
    job::Entity::update_many()
        .col_expr(job::Column::FilePurgedAt, Expr::val(crate::now()))
        .filter(job::Column::Id.is_in(ended.clone()))
        .exec(conn)
        .await?;
    Ok(ended.len() as u64)
}

/// How many pieces a job's file has.
pub async fn chunk_count(conn: &impl ConnectionTrait, id: Uuid) -> Result<i32> {
    let count = chunk::Entity::find()
        .filter(chunk::Column::ImportId.eq(id))
        .count(conn)
        .await?;
    Ok(i32::try_from(count).unwrap_or(i32::MAX))
}

/// Piece `seq` of a job's file.
pub async fn chunk(conn: &impl ConnectionTrait, id: Uuid, seq: i32) -> Result<Vec<u8>> {
    chunk::Entity::find_by_id((id, seq))
        .one(conn)
        .await?
        .map(|c| c.data)
        .ok_or_else(|| Error::Internal(format!("import {id} has no piece {seq}")))
}

/// Keeps refused rows, in the caller's transaction.
pub async fn keep_row_errors(
    conn: &impl ConnectionTrait,
    id: Uuid,
    errors: Vec<RowError>,
) -> Result<()> {
    let rows: Vec<row_error::ActiveModel> = errors
        .into_iter()
        .map(|e| row_error::ActiveModel {
            id: Set(Uuid::now_v7()),
            import_id: Set(id),
            row: Set(e.row),
            field: Set(storable(&e.field, 200)),
            code: Set(storable(&e.code, 64)),
            message: Set(storable(&e.message, 2000)),
        })
        .collect();
    for part in rows.chunks(1000) {
        row_error::Entity::insert_many(part.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// At most `max` characters of `text`, with NUL (which no PostgreSQL text holds) shown as U+FFFD:
/// a refused row's field and message can quote what the file held.
fn storable(text: &str, max: usize) -> String {
    text.chars()
        .take(max)
        .map(|c| if c == '\0' { '\u{fffd}' } else { c })
        .collect()
}

/// Counts to add to a job after a batch.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    /// Rows read in the batch.
    pub processed: i64,
    /// Customers created by it.
    pub created: i64,
    /// Rows it refused.
    pub failed: i64,
}

/// Adds a batch's counts to the job, in the caller's transaction (the batch's own, so the counts
/// and the rows commit together and a job taken over resumes after the last committed batch).
pub async fn add_progress(conn: &impl ConnectionTrait, id: Uuid, progress: Progress) -> Result<()> {
    job::Entity::update_many()
        .col_expr(
            job::Column::ProcessedRows,
            Expr::col(job::Column::ProcessedRows).add(progress.processed),
        )
        .col_expr(
            job::Column::CreatedRows,
            Expr::col(job::Column::CreatedRows).add(progress.created),
        )
        .col_expr(
            job::Column::FailedRows,
            Expr::col(job::Column::FailedRows).add(progress.failed),
        )
        .col_expr(job::Column::UpdatedAt, Expr::val(crate::now()))
        .filter(job::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// How a job ended.
#[derive(Debug, Clone)]
pub enum Ending {
    /// Every row was read.
    Completed {
        /// Rows in the file.
        total_rows: i64,
    },
    /// The job stopped.
    Failed {
        /// Why.
        error: String,
    },
}

/// Records how a job ended, with its audit and outbox events, in the caller's transaction (for
/// an all-or-nothing job, the one that wrote its customers, so both commit or neither).
pub async fn finish(conn: &impl ConnectionTrait, id: Uuid, ending: Ending) -> Result<()> {
    let now = crate::now();
    let (status, error, total) = match &ending {
        Ending::Completed { total_rows } => (ImportStatus::Completed, None, Some(*total_rows)),
        Ending::Failed { error } => (ImportStatus::Failed, Some(error.clone()), None),
    };
    let mut update = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::val(status.as_str()))
        .col_expr(job::Column::Error, Expr::val(error.clone()))
        .col_expr(job::Column::FinishedAt, Expr::val(now))
        .col_expr(job::Column::UpdatedAt, Expr::val(now))
        .col_expr(job::Column::Version, Expr::col(job::Column::Version).add(1));
    if let Some(total) = total {
        update = update
            .col_expr(job::Column::TotalRows, Expr::val(total))
            .col_expr(job::Column::ProcessedRows, Expr::val(total));
    }
    update.filter(job::Column::Id.eq(id)).exec(conn).await?;
    let model = job::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let data = serde_json::json!({
        "id": id, "status": status.as_str(), "error": error,
        "created_rows": model.created_rows, "failed_rows": model.failed_rows, "total_rows": model.total_rows,
    });
    let action = match status {
        ImportStatus::Completed => "import.completed",
        _ => "import.failed",
    };
    audit::record(
        conn,
        audit::By::System,
        action,
        "import",
        id,
        None,
        Some(&data),
    )
    .await?;
    events::emit(conn, action, "import", id, data, None).await
}

/// A job's rows refused for a rule that holds for the whole file, as a row error at row 0.
pub fn file_error(error: &FieldError) -> RowError {
    RowError {
        row: 0,
        field: error.field.clone(),
        code: error.code.to_owned(),
        message: error.message.clone(),
    }
}

/// The rules only the database knows, for a batch of new customers read from rows: unique
/// email, phone and (source, external id), across the whole file too (rows written earlier are
/// in the database, rows of this batch are compared with each other), and owners that exist.
/// The customers that pass, with their ids, and the rows refused.
pub async fn check_batch(
    conn: &impl ConnectionTrait,
    candidates: Vec<(i64, rapport_domain::customers::NewCustomer)>,
) -> Result<(Vec<rapport_domain::customers::Customer>, Vec<RowError>)> {
    use std::collections::HashSet;
    let emails: Vec<String> = candidates
        .iter()
        .filter_map(|(_, c)| c.email.as_ref().map(|e| e.as_str().to_owned()))
        .collect();
    let phones: Vec<String> = candidates
        .iter()
        .filter_map(|(_, c)| c.phone.as_ref().map(|p| p.as_str().to_owned()))
        .collect();
    let keys: Vec<(String, String)> = candidates
        .iter()
        .filter_map(|(_, c)| Some((c.source.clone().unwrap_or_default(), c.external_id.clone()?)))
        .collect();
    let owners: Vec<Uuid> = candidates.iter().filter_map(|(_, c)| c.owner_id).collect();
    let taken = crate::customers::taken(conn, &emails, &phones, &keys).await?;
    let known_owners = crate::access::existing_users(conn, &owners).await?;
    let (mut emails, mut phones, mut keys) = (HashSet::new(), HashSet::new(), HashSet::new());
    let now = crate::now();
    let mut customers = Vec::with_capacity(candidates.len());
    let mut refused = Vec::new();
    for (row, new) in candidates {
        let mut errors: Vec<(&str, &str, &str)> = Vec::new();
        if let Some(email) = &new.email
            && (taken.emails.contains(email.as_str()) || !emails.insert(email.as_str().to_owned()))
        {
            errors.push(("email", "email_taken", "another customer has this email"));
        }
        if let Some(phone) = &new.phone
            && (taken.phones.contains(phone.as_str()) || !phones.insert(phone.as_str().to_owned()))
        {
            errors.push((
                "phone",
                "phone_taken",
                "another customer has this phone number",
            ));
        }
        if let Some(external_id) = &new.external_id {
            let key = (new.source.clone().unwrap_or_default(), external_id.clone());
            if taken.external_ids.contains(&key) || !keys.insert(key) {
                errors.push((
                    "external_id",
                    "external_id_taken",
                    "another customer from this source has this external id",
                ));
            }
        }
        if let Some(owner) = new.owner_id
            && !known_owners.contains(&owner)
        {
            errors.push(("owner_id", "unknown_user", "no user has this id"));
        }
        if errors.is_empty() {
            customers.push(new.into_customer(Uuid::now_v7(), now));
        } else {
            refused.extend(errors.into_iter().map(|(field, code, message)| RowError {
                row,
                field: field.to_owned(),
                code: code.to_owned(),
                message: message.to_owned(),
            }));
        }
    }
    Ok((customers, refused))
}
