//! A customer's privacy: every marketing-consent decision kept with its time and channel, one
//! document with everything held about a customer, and anonymisation that wipes their personal
//! data everywhere it was copied (contacts, the audit trail, the event feed, stored idempotent
//! answers, who received their orders and where) while their orders and aggregates stay.

use chrono::{DateTime, Utc};
use rapport_domain::access::{Actor, Scope};
use rapport_domain::customers::privacy::scrub;
use rapport_domain::customers::{Contact, Customer};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};
use uuid::Uuid;

pub use super::consent::ConsentRecord;
use super::consent::{entity, keep_consent};
use super::entity::{active_contact, contact, customer_tag};
use super::queries;
use super::use_cases::load_for_change;
use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest};
use crate::{Backend, Db, Error, Result, audit, events};

/// A customer's decision about marketing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentDecision {
    /// Opted in or out.
    pub opted_in: bool,
    /// Where they decided.
    pub channel: String,
    /// When they decided.
    pub occurred_at: DateTime<Utc>,
}

/// Records a consent decision: the customer's current consent becomes it, and it joins the
/// history. `expected_version` is the caller's `If-Match`.
pub async fn record_consent(
    db: &Db,
    actor: &Actor,
    scope: Scope,
    id: Uuid,
    decision: ConsentDecision,
    expected_version: Option<i64>,
) -> Result<Customer> {
    let txn = db.begin_write().await?;
    let before = load_for_change(&*txn, actor.owner_filter(scope), id, expected_version).await?;
    let after = before.with_consent(
        decision.opted_in,
        decision.channel,
        decision.occurred_at,
        crate::now(),
    );
    super::use_cases::write_change(&*txn, actor, &before, &after).await?;
    keep_consent(&*txn, actor, &after).await?;
    txn.commit().await?;
    Ok(after)
}

/// A customer's consent decisions, newest first.
pub async fn consent_history(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
    request: &PageRequest,
) -> Result<Page<ConsentRecord>> {
    queries::get(conn, owner, id).await?;
    let keys = [entity::Column::OccurredAt, entity::Column::Id].map(|column| KeyColumn {
        column,
        descending: true,
    });
    let page = page::fetch(
        conn,
        page::Pin::new(entity::Column::CustomerId.into_expr(), id)
            .narrow(entity::Entity::find(), &keys),
        "-occurred_at",
        &keys,
        |m| vec![CursorValue::T(m.occurred_at), CursorValue::U(m.id)],
        request,
    )
    .await?;
    page.try_map(|m| Ok::<_, Error>(ConsentRecord::from(m)))
}

/// Everything Rapport holds about one customer, as plain values.
#[derive(Debug, Clone)]
pub struct CustomerData {
    /// The customer.
    pub customer: Customer,
    /// Their contacts.
    pub contacts: Vec<Contact>,
    /// Every consent decision, oldest first.
    pub consent: Vec<ConsentRecord>,
    /// The audit trail of the customer and their contacts, oldest first.
    pub audit: Vec<audit::AuditEvent>,
    /// The events about the customer and their contacts, in feed order.
    pub events: Vec<events::Event>,
}

/// Everything held about the customer `id`, if the scope reaches them.
pub async fn export(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
) -> Result<CustomerData> {
    let customer = queries::get(conn, owner, id).await?;
    let contacts: Vec<Contact> = contact::Entity::find()
        .filter(contact::Column::CustomerId.eq(id))
        .order_by_asc(contact::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(Contact::try_from)
        .collect::<Result<_>>()?;
    let consent = entity::Entity::find()
        .filter(entity::Column::CustomerId.eq(id))
        .order_by_asc(entity::Column::OccurredAt)
        .order_by_asc(entity::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(ConsentRecord::from)
        .collect();
    let mut records: Vec<Uuid> = vec![id];
    records.extend(contacts.iter().map(|c| c.id));
    let audit = audit::about(conn, &records).await?;
    let events = events::about(conn, &records).await?;
    Ok(CustomerData {
        customer,
        contacts,
        consent,
        audit,
        events,
    })
}

/// Removes personal data from the JSON columns of every row of `table` about `records`.
async fn scrub_rows(
    conn: &impl ConnectionTrait,
    table: &str,
    key: &str,
    columns: &[&str],
    records: &[Uuid],
) -> Result<()> {
    use sea_orm::{DbBackend, Statement};
    let backend = conn.get_database_backend();
    for record in records {
        let select = format!(
            "SELECT {key}, {} FROM {table} WHERE resource_id = {}",
            columns.join(", "),
            if backend == DbBackend::Postgres {
                "$1"
            } else {
                "?"
            }
        );
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                select,
                [(*record).into()],
            ))
            .await?;
        for row in rows {
            for column in columns {
                let value: Option<Value> = row.try_get("", column)?;
                let Some(mut value) = value else { continue };
                scrub(&mut value);
                let update = match backend {
                    DbBackend::Postgres => {
                        format!("UPDATE {table} SET {column} = $1 WHERE {key} = $2")
                    }
                    _ => format!("UPDATE {table} SET {column} = ? WHERE {key} = ?"),
                };
                let row_key: sea_orm::Value = if key == "seq" {
                    row.try_get::<i64>("", key)?.into()
                } else {
                    row.try_get::<Uuid>("", key)?.into()
                };
                conn.execute_raw(Statement::from_sql_and_values(
                    backend,
                    update,
                    [value.into(), row_key],
                ))
                .await?;
            }
        }
    }
    Ok(())
}

/// Wipes the customer's personal data, and their contacts', everywhere it was copied, in one
/// transaction: the customer keeps a placeholder name and everything that is not personal (kind,
/// stage, tags, owner, segments, consent history, orders and aggregates, when each activity
/// happened and each task was due, without what was written down about them); audit events
/// and feed events about them keep what happened and lose who it was about; answers stored for
/// idempotent retries that hold them are forgotten.
pub async fn anonymise(
    db: &Db,
    actor: &Actor,
    scope: Scope,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Customer> {
    let txn = db.begin_write().await?;
    let before = load_for_change(&*txn, actor.owner_filter(scope), id, expected_version).await?;
    let now = crate::now();
    let after = before.anonymised(now);
    super::entity::active_customer(&after).update(&*txn).await?;
    super::membership::forget(&*txn, id).await?;
    let contacts: Vec<Contact> = contact::Entity::find()
        .filter(contact::Column::CustomerId.eq(id))
        .all(&*txn)
        .await?
        .into_iter()
        .map(Contact::try_from)
        .collect::<Result<_>>()?;
    for c in &contacts {
        active_contact(&c.anonymised(now)).update(&*txn).await?;
    }
    let mut records: Vec<Uuid> = vec![id];
    records.extend(contacts.iter().map(|c| c.id));
    records.extend(forget_deliveries(&*txn, id).await?);
    records.extend(forget_notes(&*txn, id).await?);
    scrub_rows(&*txn, "audit_events", "id", &["changes"], &records).await?;
    scrub_rows(&*txn, "events", "seq", &["data", "previous"], &records).await?;
    forget_stored_answers(&*txn, db.backend(), &records).await?;
    let tags: Vec<String> = customer_tag::Entity::find()
        .filter(customer_tag::Column::CustomerId.eq(id))
        .all(&*txn)
        .await?
        .into_iter()
        .map(|t| t.tag)
        .collect();
    let data = json!({"id": id, "anonymised_at": after.anonymised_at, "tags": tags});
    audit::record(
        &*txn,
        actor.into(),
        "customer.anonymized",
        "customer",
        id,
        None,
        Some(&data),
    )
    .await?;
    events::emit(&*txn, "customer.anonymized", "customer", id, data, None).await?;
    txn.commit().await?;
    // The erasure is done; the log's old copies of it go too, as soon as no reader holds them.
    if let Err(e) = db.flush_erased().await {
        tracing::warn!(error = %e, "erased data may remain in the write-ahead log until its next checkpoint");
    }
    Ok(after)
}

/// Clears who received the customer's orders and where they went; the orders' ids, whose copies
/// in the audit trail and the feed are to be scrubbed too.
async fn forget_deliveries(conn: &impl ConnectionTrait, customer_id: Uuid) -> Result<Vec<Uuid>> {
    use sea_orm::sea_query::{Alias, Query};
    let backend = conn.get_database_backend();
    let of_customer = || Expr::col(Alias::new("customer_id")).eq(customer_id);
    let select = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new("orders"))
        .and_where(of_customer())
        .to_owned();
    let mut orders = Vec::new();
    for row in conn.query_all_raw(backend.build(&select)).await? {
        orders.push(row.try_get_by_index::<Uuid>(0)?);
    }
    let mut update = Query::update();
    update.table(Alias::new("orders")).and_where(of_customer());
    for column in DELIVERY_COLUMNS {
        update.value(Alias::new(column), Expr::val(Option::<String>::None));
    }
    conn.execute_raw(backend.build(&update)).await?;
    Ok(orders)
}

/// What staff wrote down about the customer, in their activities and tasks (a call's notes, a
/// task's description and outcome), in the leads converted into them (who the lead was), in
/// their care occasions (their feedback), in their tickets (what they asked, what was
/// answered, what they said of it) and in their conversations (what was said), is wiped; what
/// happened, and when, stays. The ids of those records, whose copies in the audit trail and the
/// feed are to be scrubbed too.
async fn forget_notes(conn: &impl ConnectionTrait, customer_id: Uuid) -> Result<Vec<Uuid>> {
    use sea_orm::sea_query::{Alias, Query};
    let backend = conn.get_database_backend();
    let mut ids = Vec::new();
    for (table, title, texts) in [
        ("activities", Some("subject"), &["body"][..]),
        ("tasks", Some("title"), &["description", "outcome"]),
        (
            "leads",
            Some("name"),
            &["company", "email", "phone", "notes", "disqualified_reason"],
        ),
        ("care_participations", None, &["feedback"]),
        (
            "tickets",
            Some("subject"),
            &["description", "satisfaction_comment"],
        ),
        ("conversations", None, &["subject"]),
    ] {
        let of_customer = || Expr::col(Alias::new("customer_id")).eq(customer_id);
        let select = Query::select()
            .column(Alias::new("id"))
            .from(Alias::new(table))
            .and_where(of_customer())
            .to_owned();
        for row in conn.query_all_raw(backend.build(&select)).await? {
            ids.push(row.try_get_by_index::<Uuid>(0)?);
        }
        let mut update = Query::update();
        update.table(Alias::new(table)).and_where(of_customer());
        if let Some(title) = title {
            update.value(Alias::new(title), Expr::val(ERASED));
        }
        for column in texts {
            update.value(Alias::new(*column), Expr::val(Option::<String>::None));
        }
        conn.execute_raw(backend.build(&update)).await?;
    }
    // What was said on their tickets and in their conversations, which name the customer
    // through their parent.
    for (table, parent_column, parent) in [
        ("ticket_comments", "ticket_id", "tickets"),
        ("conversation_messages", "conversation_id", "conversations"),
    ] {
        let of_theirs = || {
            Expr::col(Alias::new(parent_column)).in_subquery(
                Query::select()
                    .column(Alias::new("id"))
                    .from(Alias::new(parent))
                    .and_where(Expr::col(Alias::new("customer_id")).eq(customer_id))
                    .to_owned(),
            )
        };
        let said = Query::select()
            .column(Alias::new("id"))
            .from(Alias::new(table))
            .and_where(of_theirs())
            .to_owned();
        for row in conn.query_all_raw(backend.build(&said)).await? {
            ids.push(row.try_get_by_index::<Uuid>(0)?);
        }
        let erase = Query::update()
            .table(Alias::new(table))
            .value(Alias::new("body"), Expr::val(ERASED))
            .and_where(of_theirs())
            .to_owned();
        conn.execute_raw(backend.build(&erase)).await?;
    }
    Ok(ids)
}

/// What an erased activity's subject, task's title, lead's name, ticket's subject, comment or
/// chat message reads.
const ERASED: &str = "(erased)";

/// The columns of `orders` that say who received an order and where.
const DELIVERY_COLUMNS: [&str; 8] = [
    "recipient_name",
    "recipient_phone",
    "ship_to_country",
    "ship_to_province",
    "ship_to_city",
    "ship_to_district",
    "ship_to_street",
    "ship_to_postal_code",
];

/// Deletes the stored answers of idempotent requests that hold one of `records`: they would
/// replay personal data.
async fn forget_stored_answers(
    conn: &impl ConnectionTrait,
    backend: Backend,
    records: &[Uuid],
) -> Result<()> {
    use crate::idempotency::entity as keys;
    let id = match backend {
        Backend::Postgres => Expr::cust("(\"response_body\" ->> 'id')"),
        Backend::Sqlite => Expr::cust("json_extract(\"response_body\", '$.id')"),
    };
    let customer_id = match backend {
        Backend::Postgres => Expr::cust("(\"response_body\" ->> 'customer_id')"),
        Backend::Sqlite => Expr::cust("json_extract(\"response_body\", '$.customer_id')"),
    };
    let texts: Vec<String> = records.iter().map(|r| r.hyphenated().to_string()).collect();
    keys::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(id.is_in(texts.clone()))
                .add(customer_id.is_in(texts)),
        )
        .exec(conn)
        .await?;
    Ok(())
}
