//! Workspace-wide settings kept in the database.

use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use serde_json::Value;

use crate::Result;

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
