//! The import job: reads an import's file on a blocking thread (the file comes from the
//! database in pieces), and writes its customers, products or orders. The scheduler runs it
//! when it takes an import's job, under the job's lease.
//!
//! - `all_or_nothing`: one transaction for the whole file, committed together with the job's
//!   `completed` status; a crash or a refused row leaves nothing, and an import whose node
//!   stopped is taken over and run from the start.
//! - `skip_invalid`: one transaction per batch, with the batch's refused rows and the job's
//!   counts; a job taken over resumes after the last committed batch.
//!
//! On SQLite an `all_or_nothing` import holds the single writer for its whole length: other
//! writes wait until it ends.

use std::collections::HashSet;
use std::future::Future;
use std::io::Read;

use rapport_domain::FieldError;
use rapport_domain::access::{Actor, Principal};
use rapport_domain::catalogue::batch::CheckedItem;
use rapport_domain::custom_fields::{Definition, FieldOwner};
use rapport_domain::customers::{Customer, NewCustomer};
use rapport_domain::imports::{ImportJob, ImportMode, ImportResource};
use rapport_persistence::batch::ItemOutcome;
use rapport_persistence::catalogue::batch as product_batch;
use rapport_persistence::customers::bulk;
use rapport_persistence::imports::{self, Ending, Progress, RowError};
use rapport_persistence::jobs::{Lease, taken_over};
use rapport_persistence::orders::batch as order_batch;
use rapport_persistence::{Backend, Db};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::rows::{
    Columns, CustomerRecords, OrderRecords, Piece, ProductRecords, Records, Row, RowReader,
    column_of,
};
use crate::orders::OrderItemDto;
use crate::state::AppState;

/// Records per batch: what the worker holds in memory and writes in one go.
const BATCH: usize = 2_000;
/// The most refused rows kept for an `all_or_nothing` job, which stops at the first anyway.
const MAX_KEPT_ERRORS: usize = 10_000;

/// The actor an import writes as: the one who created it.
fn actor_of(job: &ImportJob) -> Actor {
    let id = job.created_by.1.unwrap_or(job.owner_id);
    Actor {
        principal: if job.created_by.0 == "api_key" {
            Principal::ApiKey(id)
        } else {
            Principal::User(id)
        },
        owner_id: job.owner_id,
        role: String::new(),
        grants: Vec::new(),
        request_id: job.request_id.clone(),
        ip: None,
    }
}

/// The file of a job, as a reader over its pieces fetched from the database in order.
struct Pieces {
    handle: Handle,
    db: Db,
    id: Uuid,
    next: i32,
    count: i32,
    current: std::io::Cursor<Vec<u8>>,
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.current.read(buf)?;
            if n > 0 || self.next >= self.count {
                return Ok(n);
            }
            let piece = self
                .handle
                .block_on(imports::chunk(self.db.conn(), self.id, self.next))
                .map_err(std::io::Error::other)?;
            self.next += 1;
            self.current = std::io::Cursor::new(piece);
        }
    }
}

/// Rows of a batch as new customers: those the file's rules refused become row errors, and a
/// creator limited to their own customers owns every customer they import.
fn candidates(
    job: &ImportJob,
    rows: Vec<Row<NewCustomer>>,
) -> (Vec<(i64, NewCustomer)>, Vec<RowError>, Option<Columns>) {
    let columns = rows.first().map(|r| r.columns.clone());
    let mut candidates = Vec::with_capacity(rows.len());
    let mut refused = Vec::new();
    for row in rows {
        let errors = match row.record {
            Ok(mut new) => match new.owner_id {
                Some(owner) if !job.scope_all && owner != job.owner_id => vec![FieldError::new(
                    "owner_id",
                    "owner_out_of_scope",
                    "you can only own customers yourself",
                )],
                _ => {
                    if !job.scope_all {
                        new.owner_id = Some(job.owner_id);
                    }
                    candidates.push((row.number, new));
                    continue;
                }
            },
            Err(errors) => errors,
        };
        refused.extend(errors.into_iter().map(|e| RowError {
            row: row.number,
            field: e.field,
            code: e.code.to_owned(),
            message: e.message,
        }));
    }
    (candidates, refused, columns)
}

/// [`candidates`], then the rules only the database knows ([`imports::check_batch`]).
async fn checked(
    txn: &rapport_persistence::WriteTxn,
    job: &ImportJob,
    rows: Vec<Row<NewCustomer>>,
) -> rapport_persistence::Result<(Vec<Customer>, Vec<RowError>)> {
    let (candidates, mut refused, columns) = candidates(job, rows);
    let (customers, taken) = imports::check_batch(&**txn, candidates).await?;
    refused.extend(taken.into_iter().map(|mut e| {
        if let Some(columns) = &columns {
            e.field = column_of(columns, e.field);
        }
        e
    }));
    refused.sort_by_key(|e| e.row);
    Ok((customers, refused))
}

/// How a job's rows are written: a batch in the caller's transaction, all of it, or when
/// `write` is false only checked (once a row of an `all_or_nothing` job is refused nothing will
/// be written); what was written and the refused rows.
trait Writer: Sync {
    /// A row's record.
    type Record: Send + 'static;
    fn write(
        &self,
        txn: &rapport_persistence::WriteTxn,
        rows: Vec<Row<Self::Record>>,
        write: bool,
    ) -> impl Future<Output = rapport_persistence::Result<(i64, Vec<RowError>)>> + Send;
}

/// Customer rows, each a new customer, inserted in bulk.
struct CustomerWriter<'a> {
    db: &'a Db,
    job: &'a ImportJob,
    actor: Actor,
}

impl Writer for CustomerWriter<'_> {
    type Record = NewCustomer;

    async fn write(
        &self,
        txn: &rapport_persistence::WriteTxn,
        rows: Vec<Row<NewCustomer>>,
        write: bool,
    ) -> rapport_persistence::Result<(i64, Vec<RowError>)> {
        let (customers, refused) = checked(txn, self.job, rows).await?;
        if !write {
            return Ok((0, refused));
        }
        bulk::insert_all(&**txn, self.db.backend(), &self.actor, &customers).await?;
        Ok((customers.len() as i64, refused))
    }
}

/// A product row's field as the file names it: the row is its item's one variant.
fn product_column(columns: &Columns, field: &str) -> String {
    let field = field
        .strip_prefix("variants[0].")
        .or_else(|| field.strip_prefix("variants."))
        .unwrap_or(field);
    column_of(columns, field.to_owned())
}

/// Product rows, each an item of a product batch in a savepoint of its own.
struct ProductWriter {
    actor: Actor,
}

impl Writer for ProductWriter {
    type Record = CheckedItem;

    async fn write(
        &self,
        txn: &rapport_persistence::WriteTxn,
        rows: Vec<Row<CheckedItem>>,
        write: bool,
    ) -> rapport_persistence::Result<(i64, Vec<RowError>)> {
        let mut refused = Vec::new();
        let mut items = Vec::with_capacity(rows.len());
        let mut numbers = Vec::with_capacity(rows.len());
        let mut columns = None;
        for row in rows {
            columns.get_or_insert_with(|| row.columns.clone());
            match row.record {
                Ok(item) => {
                    numbers.push(row.number);
                    items.push(item);
                }
                Err(errors) => refused.extend(errors.into_iter().map(|e| RowError {
                    row: row.number,
                    field: e.field,
                    code: e.code.to_owned(),
                    message: e.message,
                })),
            }
        }
        if !write {
            return Ok((0, refused));
        }
        let columns = columns.unwrap_or_default();
        let outcomes = product_batch::write_each(txn, &self.actor, &items).await?;
        let mut written = 0;
        for (number, outcome) in numbers.into_iter().zip(outcomes) {
            match outcome {
                ItemOutcome::Failed(errors) => {
                    refused.extend(errors.into_iter().map(|e| RowError {
                        row: number,
                        field: product_column(&columns, &e.field),
                        code: e.code.to_owned(),
                        message: e.message,
                    }))
                }
                _ => written += 1,
            }
        }
        refused.sort_by_key(|e| e.row);
        Ok((written, refused))
    }
}

/// Order rows, one line each: the rows of an order (consecutive, sharing its external id, never
/// split between pieces) are written together as an item of `POST /orders/batch`.
struct OrderWriter {
    actor: Actor,
    /// The customers the job's creator reaches: theirs only, or all.
    owner: Option<Uuid>,
    definitions: Vec<Definition>,
    /// The order the previous piece ended with: a piece that goes on with it holds an order of
    /// more lines than an order has.
    last: std::sync::Mutex<Option<String>>,
}

/// A refusal of every row of an order.
fn refuse_rows(rows: &[(i64, Columns)], field: &str, code: &str, message: &str) -> Vec<RowError> {
    rows.iter()
        .map(|(row, _)| RowError {
            row: *row,
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.to_owned(),
        })
        .collect()
}

/// An order's errors at the rows they belong to, named by the file's columns: a line's
/// (`lines[k].quantity`) at the row that holds it (`line.quantity`), the order's own at its first
/// row.
fn at_rows(rows: &[(i64, Columns)], errors: Vec<FieldError>) -> Vec<RowError> {
    errors
        .into_iter()
        .map(|e| {
            let (k, field) = match e
                .field
                .strip_prefix("lines[")
                .and_then(|rest| rest.split_once(']'))
            {
                Some((k, rest)) => (k.parse::<usize>().unwrap_or(0), format!("line{rest}")),
                None => (0, e.field.clone()),
            };
            let (row, columns) = rows.get(k).or(rows.first()).cloned().unwrap_or_default();
            RowError {
                row,
                field: column_of(&columns, field),
                code: e.code.to_owned(),
                message: e.message,
            }
        })
        .collect()
}

impl Writer for OrderWriter {
    type Record = OrderItemDto;

    async fn write(
        &self,
        txn: &rapport_persistence::WriteTxn,
        rows: Vec<Row<OrderItemDto>>,
        write: bool,
    ) -> rapport_persistence::Result<(i64, Vec<RowError>)> {
        let mut groups: Vec<Vec<Row<OrderItemDto>>> = Vec::new();
        for row in rows {
            match groups.last_mut() {
                Some(group) if row.group.is_some() && group[0].group == row.group => {
                    group.push(row);
                }
                _ => groups.push(vec![row]),
            }
        }
        let continued = {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            let first = groups.first().and_then(|g| g[0].group.clone());
            let continued = first.is_some() && first == *last;
            *last = groups.last().and_then(|g| g[0].group.clone());
            continued
        };
        let skus: Vec<String> = groups
            .iter()
            .flatten()
            .filter_map(|r| r.record.as_ref().ok())
            .flat_map(|dto| dto.lines.iter().flatten())
            .filter_map(|line| line.sku.clone())
            .collect();
        let skus = rapport_persistence::catalogue::variant_ids_by_sku(&**txn, &skus).await?;
        let mut refused = Vec::new();
        let mut items = Vec::new();
        let mut members = Vec::new();
        for (g, group) in groups.into_iter().enumerate() {
            let rows_of: Vec<(i64, Columns)> = group
                .iter()
                .map(|r| (r.number, r.columns.clone()))
                .collect();
            if (g == 0 && continued) || group.len() > rapport_domain::orders::MAX_LINES {
                refused.extend(refuse_rows(
                    &rows_of,
                    "",
                    "too_many_lines",
                    "an order has at most 200 lines",
                ));
                continue;
            }
            if group.iter().any(|r| r.record.is_err()) {
                // A refused row refuses its order: written without it, the order would be
                // another one.
                for row in group {
                    match row.record {
                        Err(errors) => refused.extend(errors.into_iter().map(|e| RowError {
                            row: row.number,
                            field: e.field,
                            code: e.code.to_owned(),
                            message: e.message,
                        })),
                        Ok(_) => refused.push(RowError {
                            row: row.number,
                            field: String::new(),
                            code: "order_refused".into(),
                            message: "another row of this order was refused".into(),
                        }),
                    }
                }
                continue;
            }
            let mut records = group.into_iter().filter_map(|r| r.record.ok());
            let Some(mut order) = records.next() else {
                continue;
            };
            let mut lines = order.lines.take().unwrap_or_default();
            lines.extend(records.flat_map(|r| r.lines.unwrap_or_default()));
            order.lines = Some(lines);
            match order.check(&skus, &self.definitions) {
                Ok(item) => {
                    items.push(item);
                    members.push(rows_of);
                }
                Err(errors) => refused.extend(at_rows(&rows_of, errors.0)),
            }
        }
        if !write {
            refused.sort_by_key(|e| e.row);
            return Ok((0, refused));
        }
        let outcomes = order_batch::write_each(txn, &self.actor, self.owner, &items).await?;
        let mut written = 0;
        for (rows_of, outcome) in members.into_iter().zip(outcomes) {
            match outcome {
                ItemOutcome::Failed(errors) => refused.extend(at_rows(&rows_of, errors)),
                _ => written += rows_of.len() as i64,
            }
        }
        refused.sort_by_key(|e| e.row);
        Ok((written, refused))
    }
}

/// Runs attempt `attempt` at import `id` to its end, under `lease`; what it came to.
pub async fn run(
    state: &AppState,
    lease: &Lease,
    id: Uuid,
    attempt: i32,
) -> rapport_persistence::Result<serde_json::Value> {
    let Some(import) = imports::begin(&state.db, id, attempt).await? else {
        return Ok(serde_json::json!({ "import_id": id, "already_ended": true }));
    };
    tracing::info!(import = %id, attempt, "import started");
    write_file(state, lease, &import).await?;
    let ended = imports::get(state.db.conn(), None, id).await?;
    tracing::info!(import = %id, status = ended.status.as_str(), "import ended");
    Ok(serde_json::json!({
        "import_id": id,
        "status": ended.status.as_str(),
        "created_rows": ended.created_rows,
        "failed_rows": ended.failed_rows,
    }))
}

/// Reads an import's file and writes its rows, to the import's end.
async fn write_file(
    state: &AppState,
    lease: &Lease,
    job: &ImportJob,
) -> rapport_persistence::Result<()> {
    let db = state.db.clone();
    let actor = actor_of(job);
    match job.resource {
        ImportResource::Customers => {
            let definitions =
                rapport_persistence::custom_fields::for_owner(db.conn(), FieldOwner::Customer)
                    .await?;
            let records = CustomerRecords::new(&definitions, chrono::Utc::now().date_naive());
            let writer = CustomerWriter {
                db: &db,
                job,
                actor,
            };
            read_and_write(state, lease, job, records, &writer).await
        }
        ImportResource::Orders => {
            let definitions =
                rapport_persistence::custom_fields::for_owner(db.conn(), FieldOwner::Order).await?;
            let records = OrderRecords::new(&definitions);
            let writer = OrderWriter {
                actor,
                owner: (!job.scope_all).then_some(job.owner_id),
                definitions,
                last: std::sync::Mutex::new(None),
            };
            read_and_write(state, lease, job, records, &writer).await
        }
        ImportResource::Products => {
            let definitions =
                rapport_persistence::custom_fields::for_owner(db.conn(), FieldOwner::Product)
                    .await?;
            let writer = ProductWriter { actor };
            read_and_write(
                state,
                lease,
                job,
                ProductRecords::new(&definitions),
                &writer,
            )
            .await
        }
    }
}

/// Reads a job's file on a blocking thread and writes its rows with `write`, to the job's end.
async fn read_and_write<R: Records, W: Writer<Record = R::Record>>(
    state: &AppState,
    lease: &Lease,
    job: &ImportJob,
    records: R,
    writer: &W,
) -> rapport_persistence::Result<()> {
    let db = state.db.clone();
    let reader = RowReader::new(job.format, job.mapping.clone(), records);
    let count = imports::chunk_count(db.conn(), job.id).await?;
    let pieces = Pieces {
        handle: Handle::current(),
        db: db.clone(),
        id: job.id,
        next: 0,
        count,
        current: std::io::Cursor::new(Vec::new()),
    };
    let skip = match job.mode {
        ImportMode::AllOrNothing => 0,
        ImportMode::SkipInvalid => job.processed_rows,
    };
    let (tx, rx) = mpsc::channel::<Piece<R::Record>>(2);
    let reading = tokio::task::spawn_blocking(move || {
        reader.read(pieces, skip, BATCH, |piece| tx.blocking_send(piece).is_ok())
    });
    let written = match job.mode {
        ImportMode::AllOrNothing => all_or_nothing(state, lease, job, rx, writer).await,
        ImportMode::SkipInvalid => skip_invalid(state, lease, job, rx, writer).await,
    };
    let total = reading.await.map_err(|e| {
        rapport_persistence::Error::Internal(format!("the file reader stopped: {e}"))
    })?;
    let txn = db.begin_write().await?;
    match written? {
        Written::Finished(ending) => {
            let ending = match ending {
                Ending::Completed { .. } => Ending::Completed { total_rows: total },
                failed => failed,
            };
            imports::finish(&*txn, job.id, ending).await?;
            if !lease.renew(&txn).await? {
                return Err(taken_over());
            }
            txn.commit().await?;
        }
        Written::Committed => {}
    }
    Ok(())
}

/// What writing a job's rows came to.
enum Written {
    /// The job's end still has to be recorded.
    Finished(Ending),
    /// The end was recorded with the rows, in their transaction.
    Committed,
}

async fn all_or_nothing<W: Writer>(
    state: &AppState,
    lease: &Lease,
    job: &ImportJob,
    mut rx: mpsc::Receiver<Piece<W::Record>>,
    writer: &W,
) -> rapport_persistence::Result<Written> {
    let db = &state.db;
    let txn = db.begin_write().await?;
    let mut refused: Vec<RowError> = Vec::new();
    let mut refused_rows = HashSet::new();
    let mut processed = 0;
    let mut created = 0;
    while let Some(piece) = rx.recv().await {
        match piece {
            Piece::Rows(rows) => {
                processed += rows.len() as i64;
                // Once a row is refused nothing will be written: the rest are only checked.
                let (written, errors) = writer.write(&txn, rows, refused.is_empty()).await?;
                created += written;
                refused_rows.extend(errors.iter().map(|e| e.row));
                if refused.len() < MAX_KEPT_ERRORS {
                    refused.extend(errors);
                }
                // Progress for those who watch, on a connection of its own: on PostgreSQL only,
                // since on SQLite this transaction holds the one writer.
                if db.backend() == Backend::Postgres {
                    let progress = db.begin_write().await?;
                    if !lease.renew(&progress).await? {
                        return Err(taken_over());
                    }
                    imports::note_progress(&*progress, job.id, processed).await?;
                    progress.commit().await?;
                }
            }
            Piece::FileError(error) => {
                refused.push(imports::file_error(&error));
                break;
            }
        }
    }
    drop(rx);
    if refused.is_empty() {
        imports::add_progress(
            &*txn,
            job.id,
            Progress {
                processed: 0,
                created,
                failed: 0,
            },
        )
        .await?;
        imports::finish(
            &*txn,
            job.id,
            Ending::Completed {
                total_rows: processed,
            },
        )
        .await?;
        if !lease.renew(&txn).await? {
            return Err(taken_over());
        }
        txn.commit().await?;
        return Ok(Written::Committed);
    }
    drop(txn);
    let txn = db.begin_write().await?;
    let failed = refused_rows.len() as i64;
    let error = if refused.iter().any(|e| e.row == 0) {
        "the file cannot be read; nothing was written".to_owned()
    } else {
        format!("{failed} rows were refused; nothing was written")
    };
    imports::keep_row_errors(&*txn, job.id, refused).await?;
    imports::add_progress(
        &*txn,
        job.id,
        Progress {
            processed: 0,
            created: 0,
            failed,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Written::Finished(Ending::Failed { error }))
}

async fn skip_invalid<W: Writer>(
    state: &AppState,
    lease: &Lease,
    job: &ImportJob,
    mut rx: mpsc::Receiver<Piece<W::Record>>,
    writer: &W,
) -> rapport_persistence::Result<Written> {
    let db = &state.db;
    let mut processed = job.processed_rows;
    while let Some(piece) = rx.recv().await {
        match piece {
            Piece::Rows(rows) => {
                let batch = rows.len() as i64;
                let txn = db.begin_write().await?;
                let (created, refused) = writer.write(&txn, rows, true).await?;
                let failed = refused.iter().map(|e| e.row).collect::<HashSet<_>>().len() as i64;
                imports::keep_row_errors(&*txn, job.id, refused).await?;
                imports::add_progress(
                    &*txn,
                    job.id,
                    Progress {
                        processed: batch,
                        created,
                        failed,
                    },
                )
                .await?;
                processed += batch;
                imports::note_progress(&*txn, job.id, processed).await?;
                if !lease.renew(&txn).await? {
                    return Err(taken_over());
                }
                txn.commit().await?;
            }
            Piece::FileError(error) => {
                let txn = db.begin_write().await?;
                imports::keep_row_errors(&*txn, job.id, vec![imports::file_error(&error)]).await?;
                txn.commit().await?;
                return Ok(Written::Finished(Ending::Failed {
                    error: format!(
                        "the file cannot be read past row {processed}: {}",
                        error.message
                    ),
                }));
            }
        }
    }
    Ok(Written::Finished(Ending::Completed {
        total_rows: processed,
    }))
}
