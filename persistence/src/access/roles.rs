//! Roles: the six built-in ones and those an admin defines.

use chrono::{DateTime, Utc};
use rapport_domain::access::{BuiltInRole, Grant};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryFilter};

use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest};
use crate::{Error, Result};

/// The `roles` table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "roles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub name: String,
        pub description: String,
        pub built_in: bool,
        #[sea_orm(column_type = "Json")]
        pub permissions: Json,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A role and what it grants.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Role {
    /// Identifier.
    pub id: Uuid,
    /// Unique name.
    pub name: String,
    /// What the role is for.
    pub description: String,
    /// Built-in roles cannot be changed or deleted.
    pub built_in: bool,
    /// Permissions with their scopes.
    pub grants: Vec<Grant>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

impl TryFrom<entity::Model> for Role {
    type Error = Error;
    fn try_from(m: entity::Model) -> Result<Self> {
        Ok(Role {
            id: m.id,
            name: m.name,
            description: m.description,
            built_in: m.built_in,
            grants: serde_json::from_value(m.permissions)?,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// Creates the built-in roles that do not exist yet.
pub async fn ensure_built_ins(conn: &impl ConnectionTrait) -> Result<()> {
    for role in BuiltInRole::ALL {
        let now = crate::now();
        entity::Entity::insert(entity::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(role.name().to_owned()),
            description: Set(role.description().to_owned()),
            built_in: Set(true),
            permissions: Set(serde_json::to_value(role.grants())?),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        })
        .on_conflict_do_nothing_on([entity::Column::Name])
        .exec(conn)
        .await?;
    }
    Ok(())
}

/// The role with this id.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<Role> {
    entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .try_into()
}

/// The role with this name.
pub async fn get_by_name(conn: &impl ConnectionTrait, name: &str) -> Result<Role> {
    entity::Entity::find()
        .filter(entity::Column::Name.eq(name))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .try_into()
}

/// Every role, by name.
pub async fn list(conn: &impl ConnectionTrait, request: &PageRequest) -> Result<Page<Role>> {
    use entity::Column;
    let keys = [
        KeyColumn {
            column: Column::Name,
            descending: false,
        },
        KeyColumn {
            column: Column::Id,
            descending: false,
        },
    ];
    let page = page::fetch(
        conn,
        entity::Entity::find(),
        "name",
        &keys,
        |m| vec![CursorValue::S(m.name.clone()), CursorValue::U(m.id)],
        request,
    )
    .await?;
    page.try_map(Role::try_from)
}
