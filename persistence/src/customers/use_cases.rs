//! Creating, changing and deleting customers: one transaction each, with audit and outbox rows.

use rapport_domain::FieldError;
use rapport_domain::access::{Actor, Scope};
use rapport_domain::customers::{Customer, CustomerChanges, NewCustomer};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entity::{active_customer, customer, customer_tag};
use super::queries::scoped;
use super::unique::UNIQUE;
use crate::access;
use crate::audit;
use crate::events;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::{Db, Error, Result};

/// Checks that the owner exists and that a caller with scope `own` keeps the customer as their own.
async fn check_owner(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    scope: Scope,
    owner: Option<Uuid>,
) -> Result<()> {
    if scope == Scope::Own && owner != Some(actor.owner_id) {
        return Err(Error::Invalid(
            FieldError::new(
                "owner_id",
                "owner_out_of_scope",
                "you can only own customers yourself",
            )
            .into(),
        ));
    }
    if let Some(owner) = owner
        && !access::user_exists(conn, owner).await?
    {
        return Err(Error::Invalid(
            FieldError::new("owner_id", "unknown_user", "no user has this id").into(),
        ));
    }
    Ok(())
}

pub(crate) async fn write_tags(
    conn: &impl ConnectionTrait,
    id: Uuid,
    tags: &[String],
) -> Result<()> {
    customer_tag::Entity::delete_many()
        .filter(customer_tag::Column::CustomerId.eq(id))
        .exec(conn)
        .await?;
    if !tags.is_empty() {
        let rows = tags.iter().map(|tag| customer_tag::ActiveModel {
            tag: sea_orm::ActiveValue::Set(tag.clone()),
            customer_id: sea_orm::ActiveValue::Set(id),
        });
        customer_tag::Entity::insert_many(rows).exec(conn).await?;
    }
    Ok(())
}

/// Creates a customer. A caller whose scope is `own` becomes its owner.
pub async fn create(
    db: &Db,
    actor: &Actor,
    scope: Scope,
    new: NewCustomer,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Customer>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let customer = insert(&*txn, actor, scope, new).await?;
    idempotency::remember(&*txn, idem, 201, &customer).await?;
    txn.commit().await?;
    Ok(Outcome::Done(customer))
}

/// Stores a new customer in the caller's transaction: the row, its tags, the audit event and the
/// `customer.created` event. A caller whose scope is `own` becomes its owner.
pub(crate) async fn insert(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    scope: Scope,
    mut new: NewCustomer,
) -> Result<Customer> {
    if scope == Scope::Own && new.owner_id.is_none() {
        new.owner_id = Some(actor.owner_id);
    }
    check_owner(conn, actor, scope, new.owner_id).await?;
    let customer = new.into_customer(Uuid::now_v7(), crate::now());
    active_customer(&customer)
        .insert(conn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    write_tags(conn, customer.id, &customer.tags).await?;
    super::consent::keep_consent(conn, actor, &customer).await?;
    let after = serde_json::to_value(&customer)?;
    audit::record(
        conn,
        actor.into(),
        "customer.created",
        "customer",
        customer.id,
        None,
        Some(&after),
    )
    .await?;
    events::emit(
        conn,
        "customer.created",
        "customer",
        customer.id,
        after,
        None,
    )
    .await?;
    Ok(customer)
}

/// Applies `changes` to the locked customer `before` in the caller's transaction, checking a
/// new owner; the customer as it is now.
pub(crate) async fn change(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    scope: Scope,
    before: &Customer,
    changes: CustomerChanges,
) -> Result<Customer> {
    let owner_changed = changes
        .owner_id
        .is_some_and(|owner| owner != before.owner_id);
    let after = before.apply(changes, crate::now());
    if after.version == before.version {
        return Ok(after);
    }
    if owner_changed {
        check_owner(conn, actor, scope, after.owner_id).await?;
    }
    write_change(conn, actor, before, &after).await?;
    Ok(after)
}

/// Loads a customer for change, locking its row, and checks `If-Match`.
pub(crate) async fn load_for_change(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Customer> {
    match crate::db::lock_for_change(
        conn,
        scoped(owner).filter(customer::Column::Id.eq(id)),
        expected_version,
        |m| m.version,
    )
    .await
    {
        Ok(model) => model.try_into(),
        Err(Error::NotFound) => Err(super::queries::unreached(conn, owner, id).await),
        Err(e) => Err(e),
    }
}

/// Applies a partial change; `expected_version` is the caller's `If-Match`.
pub async fn update(
    db: &Db,
    actor: &Actor,
    scope: Scope,
    id: Uuid,
    changes: CustomerChanges,
    expected_version: Option<i64>,
) -> Result<Customer> {
    let txn = db.begin_write().await?;
    let before = load_for_change(&*txn, actor.owner_filter(scope), id, expected_version).await?;
    let after = change(&*txn, actor, scope, &before, changes).await?;
    if after.version != before.version {
        txn.commit().await?;
    }
    Ok(after)
}

/// Stores a customer changed in memory from `before` to `after`: the row, its tags, the audit
/// event and the `customer.updated` event, in the caller's transaction.
pub(crate) async fn write_change(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    before: &Customer,
    after: &Customer,
) -> Result<()> {
    active_customer(after)
        .update(conn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    if after.tags != before.tags {
        write_tags(conn, after.id, &after.tags).await?;
    }
    let (b, a) = (serde_json::to_value(before)?, serde_json::to_value(after)?);
    let changed = audit::diff(Some(&b), Some(&a));
    audit::record(
        conn,
        actor.into(),
        "customer.updated",
        "customer",
        after.id,
        Some(&b),
        Some(&a),
    )
    .await?;
    let previous = changed.as_object().map(|fields| {
        fields
            .iter()
            .map(|(k, v)| (k.clone(), v["before"].clone()))
            .collect::<serde_json::Map<_, _>>()
    });
    events::emit(
        conn,
        "customer.updated",
        "customer",
        after.id,
        a,
        previous.map(serde_json::Value::Object),
    )
    .await
}

/// Deletes a customer with its contacts and tags.
pub async fn delete(
    db: &Db,
    actor: &Actor,
    scope: Scope,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<()> {
    let txn = db.begin_write().await?;
    let before = load_for_change(&*txn, actor.owner_filter(scope), id, expected_version).await?;
    customer::Entity::delete_by_id(id)
        .exec(&*txn)
        .await
        .map_err(|e| {
            // Orders hold on to their customer (the only table that does).
            if crate::error::is_foreign_key_violation(&e) {
                Error::Conflict {
                    code: "has_orders",
                    field: None,
                    message: "the customer has orders, which keep their customer; anonymise the \
                              customer instead"
                        .into(),
                }
            } else {
                Error::from(e)
            }
        })?;
    let b = serde_json::to_value(&before)?;
    audit::record(
        &*txn,
        actor.into(),
        "customer.deleted",
        "customer",
        id,
        Some(&b),
        None,
    )
    .await?;
    events::emit(&*txn, "customer.deleted", "customer", id, b, None).await?;
    txn.commit().await?;
    Ok(())
}

/// Computes the derived text (`folded`, `name_key`) of customers stored before it existed (or
/// loaded without it), in batches; returns how many were filled. Start-up runs it before serving.
/// A stored row that does not read as a customer (written around the API) is skipped with a
/// warning naming its id, and keeps no derived text.
pub async fn fill_derived_text(db: &Db) -> Result<u64> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{QueryOrder, QuerySelect, Value};
    let mut filled = 0;
    let mut after: Option<Uuid> = None;
    loop {
        let txn = db.begin_write().await?;
        let mut pending = customer::Entity::find().filter(customer::Column::Folded.is_null());
        if let Some(last) = after {
            pending = pending.filter(customer::Column::Id.gt(last));
        }
        let rows = pending
            .order_by_asc(customer::Column::Id)
            .limit(500)
            .all(&*txn)
            .await?;
        let Some(last) = rows.last().map(|row| row.id) else {
            return Ok(filled);
        };
        after = Some(last);
        for row in rows {
            let id = row.id;
            let customer = match Customer::try_from(row) {
                Ok(customer) => customer,
                Err(e) => {
                    tracing::warn!(customer_id = %id, error = %e, "a stored customer does not read: its search text stays empty");
                    continue;
                }
            };
            customer::Entity::update_many()
                .col_expr(
                    customer::Column::Folded,
                    Expr::val(Value::from(super::entity::folded(&customer))),
                )
                .col_expr(
                    customer::Column::NameKey,
                    Expr::val(rapport_domain::customers::merge::name_key(&customer.name)),
                )
                .filter(customer::Column::Id.eq(id))
                .exec(&*txn)
                .await?;
            filled += 1;
        }
        txn.commit().await?;
    }
}
