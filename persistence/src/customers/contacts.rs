//! The people behind company customers; at most one of them is primary.

use rapport_domain::access::{Actor, Scope};
use rapport_domain::customers::{Contact, ContactChanges, CustomerKind, NewContact};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entity::{active_contact, contact};
use super::queries;
use super::use_cases::load_for_change;
use crate::audit;
use crate::events;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest};
use crate::{Db, Error, Result};

async fn find(conn: &impl ConnectionTrait, customer_id: Uuid, id: Uuid) -> Result<contact::Model> {
    contact::Entity::find()
        .filter(contact::Column::CustomerId.eq(customer_id))
        .filter(contact::Column::Id.eq(id))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// A customer's contacts, oldest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    customer_id: Uuid,
    request: &PageRequest,
) -> Result<Page<Contact>> {
    queries::get(conn, owner, customer_id).await?;
    let keys = [contact::Column::CreatedAt, contact::Column::Id].map(|column| KeyColumn {
        column,
        descending: false,
    });
    let select = page::Pin::new(contact::Column::CustomerId.into_expr(), customer_id)
        .narrow(contact::Entity::find(), &keys);
    let page = page::fetch(
        conn,
        select,
        "created_at",
        &keys,
        |m| vec![CursorValue::T(m.created_at), CursorValue::U(m.id)],
        request,
    )
    .await?;
    page.try_map(Contact::try_from)
}

/// One contact of a customer the scope reaches.
pub async fn get(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    customer_id: Uuid,
    id: Uuid,
) -> Result<Contact> {
    queries::get(conn, owner, customer_id).await?;
    find(conn, customer_id, id).await?.try_into()
}

/// Makes every other contact of the customer non-primary, so `id` can be the one.
async fn demote_others(conn: &impl ConnectionTrait, customer_id: Uuid, id: Uuid) -> Result<()> {
    contact::Entity::update_many()
        .col_expr(contact::Column::IsPrimary, Expr::value(false))
        .col_expr(
            contact::Column::Version,
            Expr::col(contact::Column::Version).add(1),
        )
        .col_expr(contact::Column::UpdatedAt, Expr::value(crate::now()))
        .filter(contact::Column::CustomerId.eq(customer_id))
        .filter(contact::Column::IsPrimary.eq(true))
        .filter(contact::Column::Id.ne(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Adds a contact to a company customer. Contact writes lock the customer's row, so two concurrent
/// "make primary" requests cannot both succeed.
pub async fn create(
    db: &Db,
    actor: &Actor,
    scope: Scope,
    customer_id: Uuid,
    new: NewContact,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Contact>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let customer = load_for_change(&*txn, actor.owner_filter(scope), customer_id, None).await?;
    if customer.kind != CustomerKind::Company {
        return Err(Error::Conflict {
            code: "contacts_require_company",
            field: None,
            message: "only company customers have contacts".into(),
        });
    }
    let contact = new.into_contact(Uuid::now_v7(), customer_id, crate::now());
    if contact.is_primary {
        demote_others(&*txn, customer_id, contact.id).await?;
    }
    active_contact(&contact).insert(&*txn).await?;
    let after = serde_json::to_value(&contact)?;
    audit::record(
        &*txn,
        actor.into(),
        "contact.created",
        "contact",
        contact.id,
        None,
        Some(&after),
    )
    .await?;
    events::emit(&*txn, "contact.created", "contact", contact.id, after, None).await?;
    idempotency::remember(&*txn, idem, 201, &contact).await?;
    txn.commit().await?;
    Ok(Outcome::Done(contact))
}

/// Changes a contact; `expected_version` is the caller's `If-Match`.
pub async fn update(
    db: &Db,
    actor: &Actor,
    scope: Scope,
    customer_id: Uuid,
    id: Uuid,
    changes: ContactChanges,
    expected_version: Option<i64>,
) -> Result<Contact> {
    let txn = db.begin_write().await?;
    load_for_change(&*txn, actor.owner_filter(scope), customer_id, None).await?;
    let before: Contact = find(&*txn, customer_id, id).await?.try_into()?;
    if expected_version.is_some_and(|v| v != before.version) {
        return Err(Error::PreconditionFailed {
            current: before.version,
        });
    }
    let after = before.apply(changes, crate::now());
    if after.version == before.version {
        return Ok(before);
    }
    if after.is_primary && !before.is_primary {
        demote_others(&*txn, customer_id, id).await?;
    }
    active_contact(&after).update(&*txn).await?;
    let (b, a) = (
        serde_json::to_value(&before)?,
        serde_json::to_value(&after)?,
    );
    audit::record(
        &*txn,
        actor.into(),
        "contact.updated",
        "contact",
        id,
        Some(&b),
        Some(&a),
    )
    .await?;
    events::emit(&*txn, "contact.updated", "contact", id, a, None).await?;
    txn.commit().await?;
    Ok(after)
}

/// Removes a contact.
pub async fn delete(
    db: &Db,
    actor: &Actor,
    scope: Scope,
    customer_id: Uuid,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<()> {
    let txn = db.begin_write().await?;
    load_for_change(&*txn, actor.owner_filter(scope), customer_id, None).await?;
    let before: Contact = find(&*txn, customer_id, id).await?.try_into()?;
    if expected_version.is_some_and(|v| v != before.version) {
        return Err(Error::PreconditionFailed {
            current: before.version,
        });
    }
    contact::Entity::delete_by_id(id).exec(&*txn).await?;
    let b = serde_json::to_value(&before)?;
    audit::record(
        &*txn,
        actor.into(),
        "contact.deleted",
        "contact",
        id,
        Some(&b),
        None,
    )
    .await?;
    events::emit(&*txn, "contact.deleted", "contact", id, b, None).await?;
    txn.commit().await?;
    Ok(())
}
