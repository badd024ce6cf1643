//! `Idempotency-Key`: the key's record is written in the same transaction as the work it guards, so
//! a crash or a retry can never make one request run twice.
//!
//! The first request inserts the key and, before committing, the result. A concurrent request with
//! the same key waits on the key's unique index (PostgreSQL) or the write gate (SQLite) until the
//! first commits, and then replays its result; if the first rolled back, it does the work itself.

use chrono::Duration;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryFilter, TryInsertResult};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Error, Result};

/// How long a key is remembered.
pub const RETENTION_HOURS: i64 = 24;

/// The `idempotency_keys` table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub principal: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub request_hash: String,
        pub response_status: i16,
        #[sea_orm(column_type = "Json")]
        pub response_body: Json,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A request's idempotency key, scoped to the principal that sent it.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    /// `user:<id>` or `api_key:<id>`.
    pub principal: String,
    /// The caller's key.
    pub key: String,
    /// A hash of the method, path and body, to recognise a different request under the same key.
    pub request_hash: String,
}

/// The result of a write that may have been a replay.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<T> {
    /// The work was done now.
    Done(T),
    /// The work had been done by an earlier request with the same key; this is its result.
    Replayed(T),
}

impl<T> Outcome<T> {
    /// The result, whichever way it came.
    pub fn into_inner(self) -> T {
        match self {
            Outcome::Done(v) | Outcome::Replayed(v) => v,
        }
    }

    /// True for a replay.
    pub fn is_replay(&self) -> bool {
        matches!(self, Outcome::Replayed(_))
    }
}

const IN_PROGRESS: i16 = 0;

/// Claims `key` inside the caller's transaction. Returns the stored result when the key was
/// already used for the same request, and fails when it was used for a different one.
pub async fn claim<T: DeserializeOwned>(
    conn: &impl ConnectionTrait,
    key: &IdempotencyKey,
) -> Result<Option<T>> {
    use entity::Column;
    let expired = crate::now() - Duration::hours(RETENTION_HOURS);
    entity::Entity::delete_many()
        .filter(Column::Principal.eq(key.principal.clone()))
        .filter(Column::Key.eq(key.key.clone()))
        .filter(Column::CreatedAt.lt(expired))
        .exec(conn)
        .await?;
    let inserted = entity::Entity::insert(entity::ActiveModel {
        principal: Set(key.principal.clone()),
        key: Set(key.key.clone()),
        request_hash: Set(key.request_hash.clone()),
        response_status: Set(IN_PROGRESS),
        response_body: Set(serde_json::Value::Null),
        created_at: Set(crate::now()),
    })
    .on_conflict_do_nothing()
    .exec(conn)
    .await?;
    if matches!(inserted, TryInsertResult::Inserted(_)) {
        return Ok(None);
    }
    let stored = entity::Entity::find_by_id((key.principal.clone(), key.key.clone()))
        .one(conn)
        .await?
        .ok_or_else(|| Error::Internal("idempotency key vanished".into()))?;
    if stored.request_hash != key.request_hash {
        return Err(Error::IdempotencyKeyReused);
    }
    if stored.response_status == IN_PROGRESS {
        return Err(Error::Conflict {
            code: "idempotency_key_in_use",
            field: None,
            message: "a request with this idempotency key is still running".into(),
        });
    }
    Ok(Some(serde_json::from_value(stored.response_body)?))
}

/// Stores the result of the work under `key`, in the same transaction as the work.
pub async fn complete<T: Serialize>(
    conn: &impl ConnectionTrait,
    key: &IdempotencyKey,
    status: u16,
    result: &T,
) -> Result<()> {
    use entity::Column;
    entity::Entity::update_many()
        .col_expr(
            Column::ResponseStatus,
            Expr::value(i16::try_from(status).unwrap_or(i16::MAX)),
        )
        .col_expr(
            Column::ResponseBody,
            Expr::value(serde_json::to_value(result)?),
        )
        .filter(Column::Principal.eq(key.principal.clone()))
        .filter(Column::Key.eq(key.key.clone()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Forgets keys older than the retention period; returns how many.
pub async fn purge_expired(conn: &impl ConnectionTrait) -> Result<u64> {
    let expired = crate::now() - Duration::hours(RETENTION_HOURS);
    let result = entity::Entity::delete_many()
        .filter(entity::Column::CreatedAt.lt(expired))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// [`claim`] when the request came with a key: the earlier result to replay, if any.
pub async fn replay<T: DeserializeOwned>(
    conn: &impl ConnectionTrait,
    key: Option<&IdempotencyKey>,
) -> Result<Option<T>> {
    match key {
        Some(key) => claim(conn, key).await,
        None => Ok(None),
    }
}

/// [`complete`] when the request came with a key.
pub async fn remember<T: Serialize>(
    conn: &impl ConnectionTrait,
    key: Option<&IdempotencyKey>,
    status: u16,
    result: &T,
) -> Result<()> {
    match key {
        Some(key) => complete(conn, key, status, result).await,
        None => Ok(()),
    }
}
