//! Creating many customers in one statement per table, as imports do: the rows, their tags, their
//! first consent decisions, and each customer's audit event and `customer.created` event, exactly
//! as creating them one by one would leave them.
//!
//! On PostgreSQL each table gets one `INSERT … SELECT … FROM jsonb_populate_recordset($1)` per
//! batch: one parameter however many rows, so the statement is prepared once and parsed in C at
//! nearly the speed of `COPY`. On SQLite, multi-row `INSERT`s in chunks whose sizes are powers of
//! two, so the statements a connection keeps prepared stay few whatever the batch sizes.

use std::collections::HashSet;

use rapport_domain::access::Actor;
use rapport_domain::customers::Customer;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, Iterable, QueryFilter,
    QuerySelect, Statement, Value,
};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::entity::{active_customer, customer, customer_tag};
use super::privacy::entity as consent;
use crate::{Backend, Result, audit, events};

/// Rows per statement: well under both databases' limits on bound parameters (a customer row
/// binds 30).
const ROWS_PER_STATEMENT: usize = 500;

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

/// Inserts `customers` (already valid, with their ids) in the caller's transaction.
pub async fn insert_all(
    conn: &impl ConnectionTrait,
    backend: Backend,
    actor: &Actor,
    customers: &[Customer],
) -> Result<()> {
    if customers.is_empty() {
        return Ok(());
    }
    insert_rows(
        conn,
        backend,
        customers.iter().map(active_customer).collect(),
    )
    .await?;
    let tags: Vec<customer_tag::ActiveModel> = customers
        .iter()
        .flat_map(|c| {
            c.tags.iter().map(|tag| customer_tag::ActiveModel {
                tag: Set(tag.clone()),
                customer_id: Set(c.id),
            })
        })
        .collect();
    insert_rows(conn, backend, tags).await?;
    let now = crate::now();
    let decisions: Vec<consent::ActiveModel> = customers
        .iter()
        .filter_map(|c| {
            let given = &c.marketing_consent;
            Some(consent::ActiveModel {
                id: Set(Uuid::now_v7()),
                customer_id: Set(c.id),
                opted_in: Set(given.opted_in),
                channel: Set(given.channel.clone()?),
                occurred_at: Set(given.updated_at?),
                recorded_at: Set(now),
                actor_type: Set(actor.principal.kind().to_owned()),
                actor_id: Set(Some(actor.principal.id())),
                request_id: Set(actor.request_id.clone()),
            })
        })
        .collect();
    insert_rows(conn, backend, decisions).await?;
    let mut trail = Vec::with_capacity(customers.len());
    let mut feed = Vec::with_capacity(customers.len());
    for c in customers {
        let after = serde_json::to_value(c)?;
        trail.push(audit::entry(
            actor.into(),
            "customer.created",
            "customer",
            c.id,
            None,
            Some(&after),
        ));
        feed.push((c.id, after));
    }
    insert_rows(conn, backend, trail).await?;
    events::emit_many(conn, backend, "customer.created", "customer", feed).await
}

/// Which of these emails, phone numbers and (source, external id) keys other customers have.
#[derive(Debug, Default)]
pub struct Taken {
    /// Emails in use.
    pub emails: HashSet<String>,
    /// Phone numbers in use.
    pub phones: HashSet<String>,
    /// External ids in use, with their source (`""` for none).
    pub external_ids: HashSet<(String, String)>,
}

/// The unique values among those given that customers already hold.
pub async fn taken(
    conn: &impl ConnectionTrait,
    emails: &[String],
    phones: &[String],
    external_ids: &[(String, String)],
) -> Result<Taken> {
    let mut found = Taken::default();
    for part in emails.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<Option<String>> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Email)
            .filter(customer::Column::Email.is_in(part.iter().cloned()))
            .into_tuple()
            .all(conn)
            .await?;
        found.emails.extend(rows.into_iter().flatten());
    }
    for part in phones.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<Option<String>> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Phone)
            .filter(customer::Column::Phone.is_in(part.iter().cloned()))
            .into_tuple()
            .all(conn)
            .await?;
        found.phones.extend(rows.into_iter().flatten());
    }
    for part in external_ids.chunks(ROWS_PER_STATEMENT) {
        let ids: Vec<String> = part.iter().map(|(_, id)| id.clone()).collect();
        let rows: Vec<(Option<String>, Option<String>)> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Source)
            .column(customer::Column::ExternalId)
            .filter(customer::Column::ExternalId.is_in(ids))
            .into_tuple()
            .all(conn)
            .await?;
        found.external_ids.extend(
            rows.into_iter()
                .filter_map(|(source, id)| Some((source.unwrap_or_default(), id?))),
        );
    }
    Ok(found)
}

/// Which of these users exist.
pub async fn existing_users(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashSet<Uuid>> {
    use crate::access::users::entity as user;
    let wanted: HashSet<Uuid> = ids.iter().copied().collect();
    let mut found = HashSet::new();
    let wanted: Vec<Uuid> = wanted.into_iter().collect();
    for part in wanted.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<Uuid> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(user::Column::Id.is_in(part.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}
