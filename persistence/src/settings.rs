//! Workspace-wide settings kept in the database: the server's own (its signing secret) and the
//! business's (commerce, retention), each group stored under its key.

use rapport_domain::access::Actor;
use rapport_domain::settings::{SettingsChange, SettingsGroup};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use serde_json::Value;

use crate::{Db, Result};

/// The `settings` table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        #[sea_orm(column_type = "Json")]
        pub value: Json,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The value of `key`, if set.
pub async fn get(conn: &impl ConnectionTrait, key: &str) -> Result<Option<Value>> {
    Ok(entity::Entity::find_by_id(key.to_owned())
        .one(conn)
        .await?
        .map(|m| m.value))
}

/// Sets `key` to `value` unless it is set already, and returns the value that holds afterwards.
/// Concurrent first starts agree on one value.
pub async fn get_or_insert(conn: &impl ConnectionTrait, key: &str, value: Value) -> Result<Value> {
    entity::Entity::insert(entity::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value),
        updated_at: Set(crate::now()),
    })
    .on_conflict_do_nothing()
    .exec(conn)
    .await?;
    get(conn, key)
        .await?
        .ok_or_else(|| crate::Error::Internal(format!("setting {key} vanished")))
}

/// A group of settings: their stored value, or the defaults.
pub async fn load<S: SettingsGroup>(conn: &impl ConnectionTrait) -> Result<S> {
    match get(conn, S::KEY).await? {
        Some(value) => Ok(serde_json::from_value(value)?),
        None => Ok(S::default()),
    }
}

/// Changes a group of settings at `expected_version` (when given), in one transaction with
/// their audit record. The settings belong to the workspace: their record id is the nil UUID.
pub async fn change<S: SettingsGroup>(
    db: &Db,
    actor: &Actor,
    change: &impl SettingsChange<S>,
    expected_version: Option<i64>,
) -> Result<S> {
    let txn = db.begin_write().await?;
    get_or_insert(&*txn, S::KEY, serde_json::to_value(S::default())?).await?;
    let row = crate::db::lock_for_change(
        &*txn,
        entity::Entity::find().filter(entity::Column::Key.eq(S::KEY)),
        expected_version,
        |m| m.value["version"].as_i64().unwrap_or(1),
    )
    .await?;
    let before: S = serde_json::from_value(row.value)?;
    let now = crate::now();
    let after = change.apply(&before).stamped(now, before.version() + 1);
    let value = serde_json::to_value(&after)?;
    entity::ActiveModel {
        key: Set(S::KEY.to_owned()),
        value: Set(value.clone()),
        updated_at: Set(now),
    }
    .update(&*txn)
    .await?;
    let before = serde_json::to_value(&before)?;
    crate::audit::record_change(
        &*txn,
        actor,
        S::CHANGED,
        "settings",
        Uuid::nil(),
        Some(&before),
        Some(&value),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
