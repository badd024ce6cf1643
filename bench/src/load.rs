//! Writing the generated data: owners through the application's own use case, customers through
//! the fastest path each database offers (COPY on PostgreSQL, multi-row INSERTs on SQLite).

use std::fmt::Display;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveTime, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rapport_api::auth::password;
use rapport_domain::customers::Customer;
use rapport_domain::values::Email;
use rapport_persistence::access::{roles, users};
use rapport_persistence::audit::{self, By};
use rapport_persistence::customers::entity::{
    active_customer, customer, customer_tag, folded, search_text,
};
use rapport_persistence::events;
use rapport_persistence::{Backend, Db, DbOptions};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sqlx::postgres::PgPoolCopyExt;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QuerySelect, TransactionTrait,
};
use serde_json::Value;
use tokio::sync::{Mutex, mpsc};
use uuid::Uuid;

use crate::data::Generator;
use crate::{IdsArgs, SeedArgs};

type Result<T> = std::result::Result<T, String>;

fn err<E: Display>(context: &str) -> impl Fn(E) -> String + '_ {
    move |e| format!("{context}: {e}")
}

/// SQLite's default limit of bind parameters in one statement.
const SQLITE_MAX_VARIABLES: usize = 32_766;
/// Columns of `customers`.
const CUSTOMER_COLUMNS: usize = 30;

const COPY_CUSTOMERS: &str = "COPY customers (id, kind, name, email, phone, gender, birthday, \
    address_country, address_province, address_city, address_district, address_street, \
    address_postal_code, source, lifecycle_stage, tags, owner_id, external_id, consent_opted_in, \
    consent_channel, consent_updated_at, notes, custom_fields, search_text, folded, name_key, \
    created_at, updated_at, version) FROM STDIN";
const COPY_TAGS: &str = "COPY customer_tags (tag, customer_id) FROM STDIN";
const COPY_AUDIT: &str = "COPY audit_events (id, occurred_at, actor_type, actor_id, action, \
    resource_type, resource_id, changes, request_id, ip) FROM STDIN";
const COPY_EVENTS: &str = "COPY events (id, type, resource_type, resource_id, occurred_at, data, \
    previous) FROM STDIN";

/// `seed`: migrate, make sure the administrator and owners exist, load the customers.
pub async fn seed(args: SeedArgs) -> Result<()> {
    if args.customers > Generator::CAPACITY {
        return Err(format!(
            "at most {} customers keep emails and phones unique",
            Generator::CAPACITY
        ));
    }
    let jobs = args.jobs.max(1);
    let options = DbOptions {
        max_connections: u32::try_from(jobs + 2).unwrap_or(4),
        acquire_timeout: Duration::from_secs(60),
    };
    let db = Db::connect(&args.database_url, &options)
        .await
        .map_err(err("connect"))?;
    db.migrate().await.map_err(err("migrate"))?;
    roles::ensure_built_ins(db.conn())
        .await
        .map_err(err("roles"))?;
    ensure_admin(&db, &args).await?;
    let owners = ensure_owners(&db, args.owners, &args.owner_password).await?;

    let existing = customer::Entity::find()
        .count(db.conn())
        .await
        .map_err(err("count customers"))?;
    if existing > 0 && !args.append {
        return Err(format!(
            "the database already holds {existing} customers; pass --append to add more"
        ));
    }
    if existing + args.customers > Generator::CAPACITY {
        return Err("too many customers for unique emails and phones".into());
    }
    let until = args
        .until
        .unwrap_or_else(|| Utc::now().date_naive())
        .and_time(NaiveTime::MIN)
        .and_utc();
    println!(
        "Seeding {} customers (seed {}, created before {}, {} owners{}) into a {} database",
        args.customers,
        args.seed,
        until.format("%Y-%m-%d"),
        owners.len(),
        if args.history {
            ", with audit and outbox rows"
        } else {
            ""
        },
        match db.backend() {
            Backend::Postgres => "PostgreSQL",
            Backend::Sqlite => "SQLite",
        }
    );

    let started = Instant::now();
    let (sender, receiver) = mpsc::channel::<Vec<Customer>>(jobs * 2);
    let generator = {
        let (total, chunk, sample, seed) =
            (args.customers, args.chunk.max(1), args.sample, args.seed);
        let mut generator = Generator::new(seed, owners, until, total, existing);
        tokio::task::spawn_blocking(move || {
            let mut reservoir = Reservoir::new(sample, seed);
            let mut batch = Vec::with_capacity(chunk);
            for i in 0..total {
                let c = generator.customer(i);
                reservoir.offer(c.id);
                batch.push(c);
                if batch.len() == chunk {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(chunk));
                    if sender.blocking_send(full).is_err() {
                        break;
                    }
                }
            }
            if !batch.is_empty() {
                let _ = sender.blocking_send(batch);
            }
            reservoir.into_sample()
        })
    };
    let progress = Progress::new(args.customers);
    let written = match db.backend() {
        Backend::Postgres => {
            copy_postgres(db.conn(), receiver, jobs, args.history, &progress).await
        }
        Backend::Sqlite => insert_sqlite(db.conn(), receiver, args.history, &progress).await,
    }?;
    let sample = generator.await.map_err(err("generator"))?;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "Loaded {} customers and {} tag rows{} in {:.1} s: {:.0} customers/s",
        written.customers,
        written.tags,
        if args.history {
            format!(
                ", {} audit and {} outbox rows",
                written.customers, written.customers
            )
        } else {
            String::new()
        },
        elapsed,
        count_f64(written.customers) / elapsed.max(1e-9)
    );

    let analyse = Instant::now();
    if db.backend() == Backend::Postgres {
        // Autovacuum would do this soon after a bulk load; doing it now gives every run the same
        // statistics and visibility map.
        let tables = if args.history {
            "customers, customer_tags, users, audit_events, events"
        } else {
            "customers, customer_tags, users"
        };
        db.conn()
            .execute_unprepared(&format!("VACUUM (ANALYZE) {tables}"))
            .await
            .map_err(err("vacuum"))?;
        println!(
            "VACUUM (ANALYZE) took {:.1} s",
            analyse.elapsed().as_secs_f64()
        );
    }
    if let Some(path) = &args.ids_out {
        write_ids(path, &sample)?;
        println!("Wrote {} customer ids to {}", sample.len(), path.display());
    }
    db.close().await.map_err(err("close"))?;
    Ok(())
}

/// `ids`: a random sample of the customers present.
pub async fn ids(args: IdsArgs) -> Result<()> {
    let db = Db::connect(&args.database_url, &DbOptions::default())
        .await
        .map_err(err("connect"))?;
    let all: Vec<Uuid> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .into_tuple()
        .all(db.conn())
        .await
        .map_err(err("read ids"))?;
    let total = all.len();
    let mut reservoir = Reservoir::new(args.count, args.seed);
    for id in all {
        reservoir.offer(id);
    }
    let sample = reservoir.into_sample();
    write_ids(&args.out, &sample)?;
    println!(
        "Wrote {} customer ids, a sample of {total} customers, to {}",
        sample.len(),
        args.out.display()
    );
    Ok(())
}

fn write_ids(path: &Path, ids: &[Uuid]) -> Result<()> {
    let mut text = String::with_capacity(ids.len() * 37);
    for id in ids {
        text.push_str(&id.hyphenated().to_string());
        text.push('\n');
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err("create the ids folder"))?;
    }
    std::fs::write(path, text).map_err(err("write the ids"))
}

/// Creates the first administrator on a database without users, as the server's first start does.
async fn ensure_admin(db: &Db, args: &SeedArgs) -> Result<()> {
    if users::count(db.conn()).await.map_err(err("count users"))? > 0 {
        return Ok(());
    }
    let password_text = args.admin_password.as_deref().ok_or(
        "the database has no user yet: set RAPPORT_ADMIN_PASSWORD (or --admin-password) so the \
         first administrator can be created with a password the load scripts know",
    )?;
    password::check_new("admin password", password_text).map_err(|e| e.message)?;
    let email = Email::parse("admin email", &args.admin_email).map_err(|e| e.message)?;
    let new = users::NewUser {
        email,
        display_name: "Administrator".into(),
        phone: None,
        role: "admin".into(),
        password_hash: password::hash(password_text)?,
    };
    users::create(db, By::System, new, None)
        .await
        .map_err(err("create the administrator"))?;
    println!("Created the first administrator: {}", args.admin_email);
    Ok(())
}

/// The ids of `count` `sales` users, `sales001@bench.example.cn` and on, creating those absent.
async fn ensure_owners(db: &Db, count: u32, password_text: &str) -> Result<Vec<Uuid>> {
    password::check_new("owner password", password_text).map_err(|e| e.message)?;
    let mut hash: Option<String> = None;
    let mut ids = Vec::with_capacity(count as usize);
    let mut created = 0;
    for i in 1..=count {
        let email = Email::parse("owner email", &format!("sales{i:03}@bench.example.cn"))
            .map_err(|e| e.message)?;
        match users::get_by_email(db.conn(), &email).await {
            Ok(user) => ids.push(user.id),
            Err(rapport_persistence::Error::NotFound) => {
                // One Argon2 hash serves every owner: they share the password, and each hash
                // carries its own salt anyway.
                let password_hash = match &hash {
                    Some(h) => h.clone(),
                    None => {
                        let h = password::hash(password_text)?;
                        hash = Some(h.clone());
                        h
                    }
                };
                let new = users::NewUser {
                    email,
                    display_name: format!("Sales {i:03}"),
                    phone: None,
                    role: "sales".into(),
                    password_hash,
                };
                let user = users::create(db, By::System, new, None)
                    .await
                    .map_err(err("create an owner"))?
                    .into_inner();
                ids.push(user.id);
                created += 1;
            }
            Err(e) => return Err(format!("look up an owner: {e}")),
        }
    }
    if count > 0 {
        println!("Owners: {count} sales users ({created} created now)");
    }
    Ok(ids)
}

/// A uniform random sample of a stream, the same for the same seed and stream.
struct Reservoir {
    size: usize,
    seen: u64,
    items: Vec<Uuid>,
    rng: StdRng,
}

impl Reservoir {
    fn new(size: usize, seed: u64) -> Self {
        Self {
            size,
            seen: 0,
            items: Vec::with_capacity(size),
            rng: StdRng::seed_from_u64(seed ^ 0x05ee_d1d5),
        }
    }

    fn offer(&mut self, id: Uuid) {
        self.seen += 1;
        if self.items.len() < self.size {
            self.items.push(id);
        } else if self.size > 0 {
            let j = self.rng.random_range(0..self.seen);
            if let Ok(j) = usize::try_from(j)
                && j < self.size
            {
                self.items[j] = id;
            }
        }
    }

    fn into_sample(mut self) -> Vec<Uuid> {
        self.items.shuffle(&mut self.rng);
        self.items
    }
}

#[allow(clippy::cast_precision_loss)] // a row count, shown as a rate
fn count_f64(n: u64) -> f64 {
    n as f64
}

/// Prints how far the load is, about every tenth.
struct Progress {
    total: u64,
    done: std::sync::atomic::AtomicU64,
    started: Instant,
}

impl Progress {
    fn new(total: u64) -> Self {
        Self {
            total,
            done: std::sync::atomic::AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    fn add(&self, rows: u64) {
        use std::sync::atomic::Ordering;
        let before = self.done.fetch_add(rows, Ordering::Relaxed);
        let after = before + rows;
        let step = (self.total / 10).max(1);
        if after / step > before / step && after < self.total {
            let secs = self.started.elapsed().as_secs_f64();
            eprintln!(
                "  {after} / {} customers, {:.0}/s",
                self.total,
                count_f64(after) / secs.max(1e-9)
            );
        }
    }
}

/// What a load wrote.
#[derive(Debug, Default, Clone, Copy)]
struct Written {
    customers: u64,
    tags: u64,
}

/// The audit event and the outbox event the API writes when it creates this customer.
fn history_of(c: &Customer) -> Result<(audit::entity::ActiveModel, events::entity::ActiveModel)> {
    let after = serde_json::to_value(c).map_err(err("serialise"))?;
    let audit_row = audit::entity::ActiveModel {
        id: Set(v7_at(c.created_at, c.id)),
        occurred_at: Set(c.created_at),
        actor_type: Set("system".into()),
        actor_id: Set(None),
        action: Set("customer.created".into()),
        resource_type: Set("customer".into()),
        resource_id: Set(Some(c.id)),
        changes: Set(audit::diff(None, Some(&after))),
        request_id: Set("system".into()),
        ip: Set(None),
        detail: Set(None),
    };
    let event_row = events::entity::ActiveModel {
        seq: NotSet,
        id: Set(v7_at(c.created_at, audit_row_salt(c.id))),
        r#type: Set("customer.created".into()),
        resource_type: Set("customer".into()),
        resource_id: Set(c.id),
        occurred_at: Set(c.created_at),
        data: Set(after),
        previous: Set(None),
    };
    Ok((audit_row, event_row))
}

/// A UUID v7 at `at` whose random part is taken from `salt`, so reruns give the same ids.
fn v7_at(at: DateTime<Utc>, salt: Uuid) -> Uuid {
    let bytes = salt.as_bytes();
    let mut random = [0u8; 10];
    random.copy_from_slice(&bytes[6..16]);
    random[0] ^= 0x5a;
    uuid::Builder::from_unix_timestamp_millis(
        u64::try_from(at.timestamp_millis()).unwrap_or_default(),
        &random,
    )
    .into_uuid()
}

fn audit_row_salt(id: Uuid) -> Uuid {
    let mut bytes = *id.as_bytes();
    bytes[15] ^= 0xa5;
    bytes[9] ^= 0x3c;
    Uuid::from_bytes(bytes)
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: COPY … FROM STDIN in text format, `jobs` streams at once.

async fn copy_postgres(
    conn: &DatabaseConnection,
    receiver: mpsc::Receiver<Vec<Customer>>,
    jobs: usize,
    history: bool,
    progress: &Progress,
) -> Result<Written> {
    let receiver = Arc::new(Mutex::new(receiver));
    let workers = (0..jobs).map(|_| {
        let receiver = receiver.clone();
        async move {
            let mut written = Written::default();
            loop {
                let Some(batch) = receiver.lock().await.recv().await else {
                    break;
                };
                let tags = copy_batch(conn, &batch, history).await?;
                written.customers += batch.len() as u64;
                written.tags += tags;
                progress.add(batch.len() as u64);
            }
            Ok::<_, String>(written)
        }
    });
    let mut total = Written::default();
    for w in futures_util::future::try_join_all(workers).await? {
        total.customers += w.customers;
        total.tags += w.tags;
    }
    Ok(total)
}

async fn copy_batch(conn: &DatabaseConnection, batch: &[Customer], history: bool) -> Result<u64> {
    let mut rows = Vec::with_capacity(batch.len() * 512);
    let mut tags = Vec::new();
    let mut tag_rows = 0;
    let (mut audit_rows, mut event_rows) = (Vec::new(), Vec::new());
    for c in batch {
        customer_row(&mut rows, c);
        for tag in &c.tags {
            text(&mut tags, tag);
            tags.push(b'\t');
            uuid_field(&mut tags, c.id);
            tags.push(b'\n');
            tag_rows += 1;
        }
        if history {
            let (a, e) = history_of(c)?;
            audit_row(&mut audit_rows, &a);
            event_row(&mut event_rows, &e);
        }
    }
    let pool = conn.get_postgres_connection_pool();
    for (statement, data) in [
        (COPY_CUSTOMERS, rows),
        (COPY_TAGS, tags),
        (COPY_AUDIT, audit_rows),
        (COPY_EVENTS, event_rows),
    ] {
        if data.is_empty() {
            continue;
        }
        let mut copy = pool.copy_in_raw(statement).await.map_err(err("COPY"))?;
        copy.send(data).await.map_err(err("COPY data"))?;
        copy.finish().await.map_err(err("COPY end"))?;
    }
    Ok(tag_rows)
}

/// One field of COPY's text format, escaped.
fn text(buf: &mut Vec<u8>, value: &str) {
    for &b in value.as_bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

fn opt_text(buf: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(v) => text(buf, v),
        None => buf.extend_from_slice(b"\\N"),
    }
}

fn uuid_field(buf: &mut Vec<u8>, id: Uuid) {
    let mut encoded = Uuid::encode_buffer();
    buf.extend_from_slice(id.hyphenated().encode_lower(&mut encoded).as_bytes());
}

fn time_field(buf: &mut Vec<u8>, at: DateTime<Utc>) {
    let _ = write!(buf, "{}", at.format("%Y-%m-%d %H:%M:%S%.6f+00"));
}

/// JSON as the API's statements leave it in a `json` column.
fn json_field(buf: &mut Vec<u8>, value: &Value) {
    text(buf, &crate::jsonb::render(value));
}

fn customer_row(buf: &mut Vec<u8>, c: &Customer) {
    let tab = |buf: &mut Vec<u8>| buf.push(b'\t');
    uuid_field(buf, c.id);
    tab(buf);
    text(buf, c.kind.as_str());
    tab(buf);
    text(buf, &c.name);
    tab(buf);
    opt_text(buf, c.email.as_ref().map(Email::as_str));
    tab(buf);
    opt_text(buf, c.phone.as_ref().map(|p| p.as_str()));
    tab(buf);
    opt_text(buf, c.gender.map(|g| g.as_str()));
    tab(buf);
    match c.birthday {
        Some(d) => {
            let _ = write!(buf, "{}", d.format("%Y-%m-%d"));
        }
        None => buf.extend_from_slice(b"\\N"),
    }
    for part in [
        &c.address.country,
        &c.address.province,
        &c.address.city,
        &c.address.district,
        &c.address.street,
        &c.address.postal_code,
        &c.source,
    ] {
        tab(buf);
        opt_text(buf, part.as_deref());
    }
    tab(buf);
    text(buf, c.lifecycle_stage.as_str());
    tab(buf);
    json_field(buf, &Value::from(c.tags.clone()));
    tab(buf);
    match c.owner_id {
        Some(owner) => uuid_field(buf, owner),
        None => buf.extend_from_slice(b"\\N"),
    }
    tab(buf);
    opt_text(buf, c.external_id.as_deref());
    tab(buf);
    buf.push(if c.marketing_consent.opted_in {
        b't'
    } else {
        b'f'
    });
    tab(buf);
    opt_text(buf, c.marketing_consent.channel.as_deref());
    tab(buf);
    match c.marketing_consent.updated_at {
        Some(at) => time_field(buf, at),
        None => buf.extend_from_slice(b"\\N"),
    }
    tab(buf);
    opt_text(buf, c.notes.as_deref());
    tab(buf);
    json_field(buf, &Value::Object(c.custom_fields.clone()));
    tab(buf);
    text(buf, &search_text(c));
    tab(buf);
    json_field(buf, &folded(c));
    tab(buf);
    text(buf, &rapport_domain::customers::merge::name_key(&c.name));
    tab(buf);
    time_field(buf, c.created_at);
    tab(buf);
    time_field(buf, c.updated_at);
    tab(buf);
    let _ = write!(buf, "{}", c.version);
    buf.push(b'\n');
}

/// Takes a value that [`history_of`] set.
fn set<T: Clone + Into<sea_orm::Value>>(value: &sea_orm::ActiveValue<T>) -> Option<T> {
    match value {
        sea_orm::ActiveValue::Set(v) | sea_orm::ActiveValue::Unchanged(v) => Some(v.clone()),
        sea_orm::ActiveValue::NotSet => None,
    }
}

fn audit_row(buf: &mut Vec<u8>, a: &audit::entity::ActiveModel) {
    let tab = |buf: &mut Vec<u8>| buf.push(b'\t');
    if let Some(id) = set(&a.id) {
        uuid_field(buf, id);
    }
    tab(buf);
    if let Some(at) = set(&a.occurred_at) {
        time_field(buf, at);
    }
    tab(buf);
    text(buf, &set(&a.actor_type).unwrap_or_default());
    tab(buf);
    match set(&a.actor_id).flatten() {
        Some(id) => uuid_field(buf, id),
        None => buf.extend_from_slice(b"\\N"),
    }
    for field in [&a.action, &a.resource_type] {
        tab(buf);
        text(buf, &set(field).unwrap_or_default());
    }
    tab(buf);
    match set(&a.resource_id).flatten() {
        Some(id) => uuid_field(buf, id),
        None => buf.extend_from_slice(b"\\N"),
    }
    tab(buf);
    json_field(buf, &set(&a.changes).unwrap_or_default());
    tab(buf);
    text(buf, &set(&a.request_id).unwrap_or_default());
    tab(buf);
    opt_text(buf, set(&a.ip).flatten().as_deref());
    buf.push(b'\n');
}

fn event_row(buf: &mut Vec<u8>, e: &events::entity::ActiveModel) {
    let tab = |buf: &mut Vec<u8>| buf.push(b'\t');
    if let Some(id) = set(&e.id) {
        uuid_field(buf, id);
    }
    for field in [&e.r#type, &e.resource_type] {
        tab(buf);
        text(buf, &set(field).unwrap_or_default());
    }
    tab(buf);
    if let Some(id) = set(&e.resource_id) {
        uuid_field(buf, id);
    }
    tab(buf);
    if let Some(at) = set(&e.occurred_at) {
        time_field(buf, at);
    }
    tab(buf);
    json_field(buf, &set(&e.data).unwrap_or_default());
    tab(buf);
    match set(&e.previous).flatten() {
        Some(previous) => json_field(buf, &previous),
        None => buf.extend_from_slice(b"\\N"),
    }
    buf.push(b'\n');
}

// ---------------------------------------------------------------------------------------------
// SQLite: the application's own column encoding (sea-orm), many rows per INSERT, one transaction
// per batch.

async fn insert_sqlite(
    conn: &DatabaseConnection,
    mut receiver: mpsc::Receiver<Vec<Customer>>,
    history: bool,
    progress: &Progress,
) -> Result<Written> {
    let per_statement = SQLITE_MAX_VARIABLES / CUSTOMER_COLUMNS;
    let mut written = Written::default();
    while let Some(batch) = receiver.recv().await {
        let txn = conn.begin().await.map_err(err("begin"))?;
        for part in batch.chunks(per_statement) {
            customer::Entity::insert_many(part.iter().map(active_customer))
                .exec_without_returning(&txn)
                .await
                .map_err(err("insert customers"))?;
        }
        let tag_rows: Vec<customer_tag::ActiveModel> = batch
            .iter()
            .flat_map(|c| {
                c.tags.iter().map(|tag| customer_tag::ActiveModel {
                    tag: Set(tag.clone()),
                    customer_id: Set(c.id),
                })
            })
            .collect();
        for part in tag_rows.chunks(SQLITE_MAX_VARIABLES / 2) {
            customer_tag::Entity::insert_many(part.iter().cloned())
                .exec_without_returning(&txn)
                .await
                .map_err(err("insert tags"))?;
        }
        if history {
            let mut audits = Vec::with_capacity(batch.len());
            let mut outbox = Vec::with_capacity(batch.len());
            for c in &batch {
                let (a, e) = history_of(c)?;
                audits.push(a);
                outbox.push(e);
            }
            for part in audits.chunks(SQLITE_MAX_VARIABLES / 10) {
                audit::entity::Entity::insert_many(part.iter().cloned())
                    .exec_without_returning(&txn)
                    .await
                    .map_err(err("insert audit events"))?;
            }
            for part in outbox.chunks(SQLITE_MAX_VARIABLES / 7) {
                events::entity::Entity::insert_many(part.iter().cloned())
                    .exec_without_returning(&txn)
                    .await
                    .map_err(err("insert outbox events"))?;
            }
        }
        txn.commit().await.map_err(err("commit"))?;
        written.customers += batch.len() as u64;
        written.tags += tag_rows.len() as u64;
        progress.add(batch.len() as u64);
    }
    Ok(written)
}
