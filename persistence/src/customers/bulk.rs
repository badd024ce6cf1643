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
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::entity::consent_record as consent;
use super::entity::{active_customer, customer, customer_tag};
use crate::db::{ROWS_PER_STATEMENT, insert_rows};
use crate::{Backend, Result, audit, events};

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
        feed.push((c.id, after, None));
    }
    insert_rows(conn, backend, trail).await?;
    events::emit_many(conn, "customer.created", "customer", feed).await
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
