//! Integrators' API keys: shown once, stored as a SHA-256 hash, bound to a role, with expiry,
//! revocation and the time of last use.

use chrono::{DateTime, Duration, Utc};
use rapport_domain::access::{Actor, Grant, ceiling};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, IntoActiveModel, QueryFilter};
use serde::{Deserialize, Serialize};

use super::{roles, users};
use crate::audit;
use crate::events;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest};
use crate::{Db, Error, Result};

use super::entity::api_key as entity;

/// An API key, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    /// Identifier.
    pub id: Uuid,
    /// What the key is for.
    pub name: String,
    /// The key's first characters, to recognise it in lists.
    pub prefix: String,
    /// Role name.
    pub role: String,
    /// The user who created it; records it creates count as theirs for scope `own`.
    pub created_by: Uuid,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last successful use (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

async fn view(conn: &impl ConnectionTrait, m: entity::Model) -> Result<ApiKey> {
    let role = roles::get(conn, m.role_id).await?.name;
    Ok(ApiKey {
        id: m.id,
        name: m.name,
        prefix: m.prefix,
        role,
        created_by: m.created_by,
        expires_at: m.expires_at,
        last_used_at: m.last_used_at,
        revoked_at: m.revoked_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

/// A key about to be created; the caller made the secret and hashed it.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// Name.
    pub name: String,
    /// Role name.
    pub role: String,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// The visible prefix.
    pub prefix: String,
    /// SHA-256 of the whole key.
    pub key_hash: String,
}

/// Creates a key.
pub async fn create(
    db: &Db,
    actor: &Actor,
    new: NewApiKey,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<ApiKey>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let role_id = match roles::get_by_name(&*txn, &new.role).await {
        Ok(role) => {
            super::reach::within_reach(actor, &role.grants, &format!("the role `{}`", role.name))?;
            role.id
        }
        Err(Error::NotFound) => {
            return Err(Error::Invalid(
                rapport_domain::FieldError::new(
                    "role",
                    "unknown_role",
                    format!("no role is named `{}`", new.role),
                )
                .into(),
            ));
        }
        Err(e) => return Err(e),
    };
    let now = crate::now();
    let model = entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(new.name),
        prefix: Set(new.prefix),
        key_hash: Set(new.key_hash),
        role_id: Set(role_id),
        created_by: Set(actor.owner_id),
        expires_at: Set(new.expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&*txn)
    .await?;
    let key = view(&*txn, model).await?;
    let after = serde_json::to_value(&key)?;
    audit::record(
        &*txn,
        actor.into(),
        "api_key.created",
        "api_key",
        key.id,
        None,
        Some(&after),
    )
    .await?;
    events::emit(&*txn, "api_key.created", "api_key", key.id, after, None).await?;
    idempotency::remember(&*txn, idem, 201, &key).await?;
    txn.commit().await?;
    Ok(Outcome::Done(key))
}

/// Every key not revoked, newest first.
pub async fn list(conn: &impl ConnectionTrait, request: &PageRequest) -> Result<Page<ApiKey>> {
    use entity::Column;
    let keys = [
        KeyColumn {
            column: Column::CreatedAt,
            descending: true,
        },
        KeyColumn {
            column: Column::Id,
            descending: true,
        },
    ];
    let page = page::fetch(
        conn,
        entity::Entity::find().filter(entity::Column::RevokedAt.is_null()),
        "-created_at",
        &keys,
        |m| vec![CursorValue::T(m.created_at), CursorValue::U(m.id)],
        request,
    )
    .await?;
    let mut items = Vec::with_capacity(page.items.len());
    for m in page.items {
        items.push(view(conn, m).await?);
    }
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
        has_more: page.has_more,
        total: page.total,
    })
}

/// The key with this id, unless it was revoked.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<ApiKey> {
    let model = entity::Entity::find_by_id(id)
        .filter(entity::Column::RevokedAt.is_null())
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    view(conn, model).await
}

/// Revokes a key: it stops working at once and is gone from the API (a second revocation finds
/// nothing); the audit trail keeps its record.
pub async fn revoke(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<ApiKey> {
    let txn = db.begin_write().await?;
    let model = crate::db::lock_for_change(
        &*txn,
        entity::Entity::find_by_id(id).filter(entity::Column::RevokedAt.is_null()),
        expected_version,
        |m| m.version,
    )
    .await?;
    let role = roles::get(&*txn, model.role_id).await?;
    super::reach::within_reach(
        actor,
        &role.grants,
        &format!("this key's role `{}`", role.name),
    )?;
    let before = view(&*txn, model.clone()).await?;
    let version = model.version;
    let mut active = model.into_active_model();
    let now = crate::now();
    active.revoked_at = Set(Some(now));
    active.updated_at = Set(now);
    active.version = Set(version + 1);
    let key = view(&*txn, active.update(&*txn).await?).await?;
    let (b, a) = (serde_json::to_value(&before)?, serde_json::to_value(&key)?);
    audit::record(
        &*txn,
        actor.into(),
        "api_key.revoked",
        "api_key",
        id,
        Some(&b),
        Some(&a),
    )
    .await?;
    events::emit(&*txn, "api_key.revoked", "api_key", id, a, None).await?;
    txn.commit().await?;
    Ok(key)
}

/// What a request authenticated by an API key acts as.
#[derive(Debug, Clone)]
pub struct KeyStanding {
    /// The key.
    pub key_id: Uuid,
    /// The creator, whose records count as the key's own.
    pub owner_id: Uuid,
    /// Role name.
    pub role: String,
    /// What the role grants.
    pub grants: Vec<Grant>,
}

/// The key with this hash, if it is valid now (not revoked, not expired, its creator active).
/// Notes its use, at most once a minute so that reads do not all become writes.
pub async fn authenticate(
    conn: &impl ConnectionTrait,
    key_hash: &str,
) -> Result<Option<KeyStanding>> {
    let Some(model) = entity::Entity::find()
        .filter(entity::Column::KeyHash.eq(key_hash))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let now = crate::now();
    if model.revoked_at.is_some() || model.expires_at.is_some_and(|at| at <= now) {
        return Ok(None);
    }
    let Some(creator) = users::standing(conn, model.created_by)
        .await?
        .filter(|s| s.active)
    else {
        return Ok(None);
    };
    if model
        .last_used_at
        .is_none_or(|at| now - at > Duration::minutes(1))
    {
        entity::Entity::update_many()
            .col_expr(entity::Column::LastUsedAt, Expr::value(now))
            .filter(entity::Column::Id.eq(model.id))
            .exec(conn)
            .await?;
    }
    let role = roles::get(conn, model.role_id).await?;
    Ok(Some(KeyStanding {
        key_id: model.id,
        owner_id: model.created_by,
        role: role.name,
        // A key never does more than its creator may do now: a creator who lost a permission
        // since makes the key lose it too.
        grants: ceiling::intersection(&creator.grants, &role.grants),
    }))
}
