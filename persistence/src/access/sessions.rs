//! Refresh tokens: stored hashed, rotated on every use, grouped in families so that presenting a
//! rotated token (a sign of theft) revokes every token descended from the same sign-in.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, IntoActiveModel, QueryFilter};

use crate::{Db, Result};

use super::entity::refresh_token as entity;

/// Why a refresh token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown, expired or revoked.
    Invalid,
    /// Already rotated: its whole family has now been revoked. The user it was issued to.
    Reused(Uuid),
}

/// Stores a new refresh token, starting a family or continuing one.
pub async fn issue(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    family_id: Option<Uuid>,
    token_hash: String,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        family_id: Set(family_id.unwrap_or_else(Uuid::now_v7)),
        user_id: Set(user_id),
        token_hash: Set(token_hash),
        expires_at: Set(expires_at),
        replaced_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(crate::now()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Exchanges the token with `presented_hash` for one with `next_hash`; returns the user's id.
pub async fn rotate(
    db: &Db,
    presented_hash: &str,
    next_hash: String,
    expires_at: DateTime<Utc>,
    origin: crate::audit::By<'_>,
) -> Result<std::result::Result<Uuid, Refusal>> {
    let txn = db.begin_write().await?;
    let found = crate::db::for_update(
        entity::Entity::find().filter(entity::Column::TokenHash.eq(presented_hash)),
    )
    .one(&*txn)
    .await?;
    let Some(token) = found else {
        return Ok(Err(Refusal::Invalid));
    };
    if token.replaced_at.is_some() {
        revoke_family(&*txn, token.family_id).await?;
        let user_id = token.user_id;
        crate::audit::note_in(
            &*txn,
            origin,
            crate::audit::Notice {
                action: "auth.refresh_token_reused",
                resource_type: "user",
                resource_id: Some(user_id),
                detail: serde_json::json!({
                    "family_id": token.family_id,
                    "outcome": "every token of this sign-in was revoked",
                }),
            },
        )
        .await?;
        txn.commit().await?;
        return Ok(Err(Refusal::Reused(user_id)));
    }
    if token.revoked_at.is_some() || token.expires_at <= crate::now() {
        return Ok(Err(Refusal::Invalid));
    }
    let (user_id, family_id) = (token.user_id, token.family_id);
    let mut active = token.into_active_model();
    active.replaced_at = Set(Some(crate::now()));
    active.update(&*txn).await?;
    issue(&*txn, user_id, Some(family_id), next_hash, expires_at).await?;
    txn.commit().await?;
    Ok(Ok(user_id))
}

/// Ends the sign-in the token belongs to; unknown tokens are ignored.
pub async fn revoke(db: &Db, presented_hash: &str) -> Result<()> {
    let txn = db.begin_write().await?;
    if let Some(token) = entity::Entity::find()
        .filter(entity::Column::TokenHash.eq(presented_hash))
        .one(&*txn)
        .await?
    {
        revoke_family(&*txn, token.family_id).await?;
    }
    txn.commit().await
}

async fn revoke_family(conn: &impl ConnectionTrait, family_id: Uuid) -> Result<()> {
    entity::Entity::update_many()
        .col_expr(entity::Column::RevokedAt, Expr::value(crate::now()))
        .filter(entity::Column::FamilyId.eq(family_id))
        .filter(entity::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Ends every sign-in of a user.
pub async fn revoke_all_for_user(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<()> {
    entity::Entity::update_many()
        .col_expr(entity::Column::RevokedAt, Expr::value(crate::now()))
        .filter(entity::Column::UserId.eq(user_id))
        .filter(entity::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Forgets the sign-ins that ended before `before`: every token of the sign-in expired or
/// revoked by then. A sign-in still in use keeps its rotated tokens, so that presenting one
/// again is still recognised as theft. Returns how many tokens.
pub async fn purge_ended(conn: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64> {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let live = Query::select()
        .column(entity::Column::FamilyId)
        .from(entity::Entity)
        .and_where(Expr::col(entity::Column::ExpiresAt).gte(before))
        .and_where(
            Expr::col(entity::Column::RevokedAt)
                .is_null()
                .or(Expr::col(entity::Column::RevokedAt).gte(before)),
        )
        .to_owned();
    let purged = entity::Entity::delete_many()
        .filter(entity::Column::FamilyId.not_in_subquery(live))
        .exec(conn)
        .await?;
    Ok(purged.rows_affected)
}
