use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use rapport_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ActiveModelTrait, ConnectOptions, ConnectionTrait, Database, DatabaseBackend,
    DatabaseConnection, DatabaseTransaction, EntityTrait, Iterable, SqliteTransactionMode,
    Statement, TransactionOptions, TransactionTrait, Value,
};
use serde_json::{Map, Value as Json};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::Result;

/// A counter of the changes this process made or heard of.
#[derive(Debug)]
pub struct Generation {
    value: AtomicU64,
    trusted: AtomicBool,
}

impl Generation {
    pub(crate) fn new(trusted: bool) -> Arc<Self> {
        Arc::new(Self {
            value: AtomicU64::new(0),
            trusted: AtomicBool::new(trusted),
        })
    }

    /// The current generation, or `None` when changes made elsewhere could go unnoticed.
    pub fn current(&self) -> Option<u64> {
        let value = self.value.load(Ordering::Acquire);
        self.trusted.load(Ordering::Acquire).then_some(value)
    }

    /// Counts a change: every answer from an earlier generation is stale.
    pub fn bump(&self) {
        self.value.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn set_trusted(&self, trusted: bool) {
        self.bump();
        self.trusted.store(trusted, Ordering::Release);
    }
}

/// Which database engine is behind a [`Db`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL: production.
    Postgres,
    /// SQLite: the embedded default.
    Sqlite,
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Most connections in the pool.
    pub max_connections: u32,
    /// How long a request waits for a connection, or on SQLite for another process's lock,
    /// before the database counts as unavailable.
    pub acquire_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// The database: a connection pool plus, on SQLite, the gate that lets one writer in at a time.
///
/// SQLite allows one writer; a transaction that reads and then writes fails at once with
/// `SQLITE_BUSY` when another writer committed in between. Serialising write transactions inside
/// the process (SQLite is the single-node embedded mode) removes that failure while reads stay
/// concurrent under WAL. On PostgreSQL the gate is absent and row locks do the work.
#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    write_gate: Option<Arc<Mutex<()>>>,
    changes: Arc<Generation>,
    chat: Arc<tokio::sync::Notify>,
}

/// A transaction that may write. Dropping it without [`WriteTxn::commit`] rolls it back.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _gate: Option<OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &Self::Target {
        &self.txn
    }
}

impl WriteTxn {
    /// Makes every write of the transaction durable.
    pub async fn commit(self) -> Result<()> {
        self.txn.commit().await?;
        Ok(())
    }
}

impl From<Backend> for DatabaseBackend {
    fn from(backend: Backend) -> Self {
        match backend {
            Backend::Postgres => DatabaseBackend::Postgres,
            Backend::Sqlite => DatabaseBackend::Sqlite,
        }
    }
}

impl Backend {
    /// The engine behind a connection or transaction.
    pub fn of(conn: &impl ConnectionTrait) -> Self {
        match conn.get_database_backend() {
            DatabaseBackend::Sqlite => Backend::Sqlite,
            _ => Backend::Postgres,
        }
    }
}

impl Db {
    /// Connects to `url` (`postgres://…` or `sqlite://…`). SQLite files are created when missing
    /// and run with WAL, `synchronous=FULL` and foreign keys on.
    pub async fn connect(url: &str, options: &DbOptions) -> Result<Self> {
        let lock_timeout = options.acquire_timeout;
        let mut connect = ConnectOptions::new(url.to_owned());
        connect
            .max_connections(options.max_connections)
            .min_connections(1)
            .acquire_timeout(options.acquire_timeout)
            .connect_timeout(options.acquire_timeout)
            // Ping a pooled connection before use only when it sat idle for a while: a ping on
            // every checkout is a second round trip for every query.
            .test_before_acquire_if_idle_for(Duration::from_secs(30))
            // A server that does not answer yet does not stop Rapport from starting: the pool
            // connects when first used, and keeps trying.
            .connect_lazy(true)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(move |opts| {
                opts.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(lock_timeout)
                    // What is deleted or overwritten is zeroed on disk, not left in free pages.
                    .pragma("secure_delete", "ON")
                    .statement_cache_capacity(256)
            });
        let conn = Database::connect(connect).await?;
        let is_sqlite = conn.get_database_backend() == DatabaseBackend::Sqlite;
        let write_gate = is_sqlite.then(|| Arc::new(Mutex::new(())));
        // SQLite: one process, every change is seen. PostgreSQL: trusted once listening.
        let changes = Generation::new(is_sqlite);
        Ok(Self {
            conn,
            write_gate,
            changes,
            chat: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<()> {
        Migrator::up(&self.conn, None).await?;
        Ok(())
    }

    /// The names of migrations not yet applied.
    pub async fn pending_migrations(&self) -> Result<Vec<String>> {
        let pending = Migrator::get_pending_migrations(&self.conn).await?;
        Ok(pending.iter().map(|m| m.name().to_owned()).collect())
    }

    /// This process's count of changes to what is remembered (see [`crate::changes`]).
    pub fn changes(&self) -> Arc<Generation> {
        Arc::clone(&self.changes)
    }

    /// Woken whenever a chat message may have been stored, by this process or (on PostgreSQL,
    /// see [`crate::changes::listen`]) another: the stream of messages looks for new ones then.
    pub fn chat_posted(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.chat)
    }

    /// The engine behind this pool.
    pub fn backend(&self) -> Backend {
        Backend::of(&self.conn)
    }

    /// The pool, for reads.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Begins a transaction that may write.
    pub async fn begin_write(&self) -> Result<WriteTxn> {
        let gate = match &self.write_gate {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        };
        // On SQLite the write lock is taken at BEGIN, where a busy connection is waited for. A
        // deferred transaction would take it at its first write, after reading, and would fail at
        // once if a transaction just refused still held it until its rollback ran.
        let mode = gate.is_some().then_some(SqliteTransactionMode::Immediate);
        let txn = self
            .conn
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: mode,
                ..TransactionOptions::default()
            })
            .await?;
        Ok(WriteTxn { txn, _gate: gate })
    }

    /// Writes erased data out of SQLite's write-ahead log, whose older page images would still
    /// hold it, and empties the log (`secure_delete` zeroes it in the database file itself).
    /// Nothing to do on PostgreSQL.
    pub async fn flush_erased(&self) -> Result<()> {
        if self.backend() == Backend::Sqlite {
            self.conn
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await?;
        }
        Ok(())
    }

    /// Answers when the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        self.conn.ping().await?;
        Ok(())
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<()> {
        self.conn.close().await?;
        Ok(())
    }
}

/// The current time at the precision both databases store (microseconds), so a value read back
/// compares equal to the value written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Kinds of change that happen one transaction at a time across every process, whatever rows
/// they touch. Each names a PostgreSQL advisory lock (an arbitrary constant); SQLite's write gate
/// already lets one writer in at a time.
#[derive(Debug, Clone, Copy)]
#[repr(i64)]
pub(crate) enum Serial {
    /// Appending to the event feed, so that its positions commit in order.
    EventFeed = 7428001,
    /// Changing custom field definitions, so that their count limit holds.
    CustomFieldDefinitions = 7262617701,
    /// Changing the category tree, so that two moves cannot make a cycle between them.
    CategoryTree = 7262617702,
    /// Changing the customer levels (exclusive) against assigning a customer their level
    /// (shared): an assignment never reads levels a change is about to replace.
    CustomerLevels = 7262617703,
    /// Choosing the agent a new ticket goes to, so that tickets opened at once spread evenly.
    TicketAssignment = 7262617704,
    /// Changing the membership tiers (exclusive) against reviewing a member's tier (shared).
    MembershipTiers = 7262617705,
}

/// Waits until no other transaction does this kind of change, and holds the turn until this
/// transaction ends.
pub(crate) async fn serialise(conn: &impl ConnectionTrait, serial: Serial) -> Result<()> {
    if Backend::of(conn) == Backend::Postgres {
        execute(
            conn,
            &format!("SELECT pg_advisory_xact_lock({})", serial as i64),
        )
        .await?;
    }
    Ok(())
}

/// Waits until no transaction holds `serial` exclusively, and holds it shared until this
/// transaction ends: shared holders run side by side, an exclusive one waits for them all.
pub(crate) async fn serialise_shared(conn: &impl ConnectionTrait, serial: Serial) -> Result<()> {
    if Backend::of(conn) == Backend::Postgres {
        execute(
            conn,
            &format!("SELECT pg_advisory_xact_lock_shared({})", serial as i64),
        )
        .await?;
    }
    Ok(())
}

/// Locks the selected rows until the transaction ends where the database has row locks
/// (PostgreSQL); on SQLite the write gate already excludes other writers.
pub(crate) fn for_update<E: sea_orm::EntityTrait>(
    select: sea_orm::Select<E>,
) -> sea_orm::Select<E> {
    use sea_orm::QuerySelect;
    select.lock_exclusive()
}

/// Loads the one row `select` finds for change, locked until the transaction ends, and checks the
/// caller's `If-Match` against its version: 404 when there is no row, 412 when the version differs.
pub(crate) async fn lock_for_change<E: sea_orm::EntityTrait>(
    conn: &impl ConnectionTrait,
    select: sea_orm::Select<E>,
    expected_version: Option<i64>,
    version: impl Fn(&E::Model) -> i64,
) -> Result<E::Model> {
    let model = for_update(select)
        .one(conn)
        .await?
        .ok_or(crate::Error::NotFound)?;
    let current = version(&model);
    if expected_version.is_some_and(|v| v != current) {
        return Err(crate::Error::PreconditionFailed { current });
    }
    Ok(model)
}

/// The error for a record a scoped query did not find: [`crate::Error::BeyondScope`] when it
/// exists beyond the owner's scope (`unscoped` finds it), so that the caller gets the same 404 but
/// the refusal is audited; [`crate::Error::NotFound`] when it does not exist at all.
pub(crate) async fn unreached<E: sea_orm::EntityTrait>(
    conn: &impl ConnectionTrait,
    owner: Option<uuid::Uuid>,
    unscoped: sea_orm::Select<E>,
    kind: &'static str,
    id: uuid::Uuid,
) -> crate::Error
where
    E::Model: Sync,
{
    use sea_orm::PaginatorTrait;
    if owner.is_none() {
        return crate::Error::NotFound;
    }
    match unscoped.count(conn).await {
        Ok(0) => crate::Error::NotFound,
        Ok(_) => crate::Error::BeyondScope { kind, id },
        Err(e) => e.into(),
    }
}

/// The record with this `id` (its column `id_column`) that `scoped` finds, or why there is none
/// (see [`unreached`]).
pub(crate) async fn reached<E: sea_orm::EntityTrait>(
    conn: &impl ConnectionTrait,
    owner: Option<uuid::Uuid>,
    scoped: sea_orm::Select<E>,
    id_column: E::Column,
    kind: &'static str,
    id: uuid::Uuid,
) -> Result<E::Model>
where
    E::Model: Sync,
{
    use sea_orm::{ColumnTrait, QueryFilter};
    match scoped.filter(id_column.eq(id)).one(conn).await? {
        Some(model) => Ok(model),
        None => Err(unreached(conn, owner, E::find().filter(id_column.eq(id)), kind, id).await),
    }
}

/// [`reached`], locked for a change at `expected_version` (see [`lock_for_change`]).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn lock_reached<E: sea_orm::EntityTrait>(
    conn: &impl ConnectionTrait,
    owner: Option<uuid::Uuid>,
    scoped: sea_orm::Select<E>,
    id_column: E::Column,
    kind: &'static str,
    id: uuid::Uuid,
    expected_version: Option<i64>,
    version: impl Fn(&E::Model) -> i64,
) -> Result<E::Model>
where
    E::Model: Sync,
{
    use sea_orm::{ColumnTrait, QueryFilter};
    let select = scoped.filter(id_column.eq(id));
    match lock_for_change(conn, select, expected_version, version).await {
        Err(crate::Error::NotFound) => {
            Err(unreached(conn, owner, E::find().filter(id_column.eq(id)), kind, id).await)
        }
        other => other,
    }
}

/// Rows per statement: well under both databases' limits on bound parameters (a customer row
/// binds 30).
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

/// A bound value as JSON, the way `jsonb_populate_recordset` reads it into its column.
fn json_of(value: Value) -> Json {
    match value {
        Value::Bool(v) => v.map_or(Json::Null, Json::from),
        Value::Int(v) => v.map_or(Json::Null, Json::from),
        Value::BigInt(v) => v.map_or(Json::Null, Json::from),
        Value::String(v) => v.map_or(Json::Null, Json::from),
        Value::Uuid(v) => v.map_or(Json::Null, |id| Json::from(id.hyphenated().to_string())),
        Value::ChronoDate(v) => {
            v.map_or(Json::Null, |d| Json::from(d.format("%Y-%m-%d").to_string()))
        }
        Value::ChronoDateTimeUtc(v) => v.map_or(Json::Null, |t| {
            Json::from(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        }),
        Value::Json(v) => v.map_or(Json::Null, |j| *j),
        other => Json::from(other.to_string()),
    }
}

/// Inserts `rows` of entity `E` in the caller's transaction, the columns set in the first row.
pub(crate) async fn insert_rows<E, A>(
    conn: &impl ConnectionTrait,
    backend: Backend,
    rows: Vec<A>,
) -> Result<()>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E> + Clone + Send,
{
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let columns: Vec<E::Column> = E::Column::iter()
        .filter(|c| first.get(*c).is_set())
        .collect();
    match backend {
        Backend::Postgres => {
            let names: Vec<String> = columns
                .iter()
                .map(|c| format!("\"{}\"", sea_orm::IdenStatic::as_str(c)))
                .collect();
            let table = sea_orm::IdenStatic::as_str(&E::default());
            let records: Vec<Json> = rows
                .into_iter()
                .map(|row| {
                    let mut record = Map::new();
                    for column in &columns {
                        if let Some(value) = row.get(*column).into_value() {
                            record.insert(
                                sea_orm::IdenStatic::as_str(column).to_owned(),
                                json_of(value),
                            );
                        }
                    }
                    Json::Object(record)
                })
                .collect();
            let list = names.join(", ");
            let sql = format!(
                "INSERT INTO \"{table}\" ({list}) SELECT {list} FROM jsonb_populate_recordset(NULL::\"{table}\", $1)"
            );
            conn.execute_raw(Statement::from_sql_and_values(
                sea_orm::DatabaseBackend::Postgres,
                sql,
                [Value::Json(Some(Box::new(Json::Array(records))))],
            ))
            .await?;
        }
        Backend::Sqlite => {
            // SQLite binds at most 32,766 values a statement; chunks of powers of two keep the
            // shapes of statement a connection prepares to a handful.
            let most = (32_766 / columns.len().max(1)).clamp(1, 512);
            let mut rest = rows.as_slice();
            while !rest.is_empty() {
                let size = if rest.len() >= most {
                    most.next_power_of_two() / if most.is_power_of_two() { 1 } else { 2 }
                } else {
                    1 << (usize::BITS - 1 - rest.len().leading_zeros())
                };
                let (part, tail) = rest.split_at(size.min(rest.len()));
                E::insert_many(part.to_vec())
                    .exec_without_returning(conn)
                    .await?;
                rest = tail;
            }
        }
    }
    Ok(())
}

/// Runs a statement on whichever connection or transaction is given.
pub(crate) async fn execute(conn: &impl ConnectionTrait, sql: &str) -> Result<()> {
    conn.execute_unprepared(sql).await?;
    Ok(())
}
