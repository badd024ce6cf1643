//! Roles: the six built-in ones and those an admin defines.

use chrono::{DateTime, Utc};
use rapport_domain::access::{BuiltInRole, Grant, ceiling};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryFilter};

use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest};
use crate::{Error, Result};

use super::entity::role as entity;

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

/// Creates the built-in roles that do not exist yet, and brings those that do up to what this
/// version grants them (a new resource's permissions, say), moving their version on when they change.
pub async fn ensure_built_ins(conn: &impl ConnectionTrait) -> Result<()> {
    use sea_orm::{ActiveModelTrait, IntoActiveModel};
    for role in BuiltInRole::ALL {
        let now = crate::now();
        let permissions = serde_json::to_value(role.grants())?;
        let existing = entity::Entity::find()
            .filter(entity::Column::Name.eq(role.name()))
            .one(conn)
            .await?;
        match existing {
            Some(model) if model.built_in => {
                if model.permissions != permissions || model.description != role.description() {
                    let version = model.version + 1;
                    let mut active = model.into_active_model();
                    active.permissions = Set(permissions);
                    active.description = Set(role.description().to_owned());
                    active.updated_at = Set(now);
                    active.version = Set(version);
                    active.update(conn).await?;
                }
            }
            Some(_) => {}
            None => {
                entity::Entity::insert(entity::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    name: Set(role.name().to_owned()),
                    description: Set(role.description().to_owned()),
                    built_in: Set(true),
                    permissions: Set(permissions),
                    created_at: Set(now),
                    updated_at: Set(now),
                    version: Set(1),
                })
                .on_conflict_do_nothing_on([entity::Column::Name])
                .exec(conn)
                .await?;
            }
        }
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
    // No role has a name that is not a role name; the database never sees such text (PostgreSQL
    // refuses a NUL in it outright).
    if rapport_domain::access::RoleName::parse("role", name).is_err() {
        return Err(Error::NotFound);
    }
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

const UNIQUE: &[crate::error::UniqueRule] = &[crate::error::UniqueRule {
    needles: &["roles_name", "roles.name"],
    code: "role_name_taken",
    field: "name",
    message: "a role with this name exists",
}];

/// A custom role about to be created.
#[derive(Debug, Clone)]
pub struct NewRole {
    /// Unique name.
    pub name: rapport_domain::access::RoleName,
    /// What it is for.
    pub description: String,
    /// What it grants.
    pub grants: Vec<Grant>,
}

/// A change to a custom role.
#[derive(Debug, Clone, Default)]
pub struct RoleChanges {
    /// Description.
    pub description: Option<String>,
    /// Grants, replaced as a whole.
    pub grants: Option<Vec<Grant>>,
}

fn built_in() -> Error {
    Error::Conflict {
        code: "built_in_role",
        field: None,
        message: "built-in roles cannot be changed or deleted".into(),
    }
}

/// Creates a custom role.
pub async fn create(
    db: &crate::Db,
    actor: &rapport_domain::access::Actor,
    new: NewRole,
    idem: Option<&crate::idempotency::IdempotencyKey>,
) -> Result<crate::idempotency::Outcome<Role>> {
    use crate::idempotency::{self, Outcome};
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    super::reach::within_reach(actor, &new.grants, "the new role")?;
    let now = crate::now();
    let model = entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(new.name.as_str().to_owned()),
        description: Set(new.description),
        built_in: Set(false),
        permissions: Set(serde_json::to_value(&new.grants)?),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&*txn)
    .await
    .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let role = Role::try_from(model)?;
    let after = serde_json::to_value(&role)?;
    crate::audit::record(
        &*txn,
        actor.into(),
        "role.created",
        "role",
        role.id,
        None,
        Some(&after),
    )
    .await?;
    crate::events::emit(&*txn, "role.created", "role", role.id, after, None).await?;
    idempotency::remember(&*txn, idem, 201, &role).await?;
    txn.commit().await?;
    Ok(Outcome::Done(role))
}

/// Changes a custom role; users and keys holding it get the new grants on their next request.
pub async fn update(
    db: &crate::Db,
    actor: &rapport_domain::access::Actor,
    id: Uuid,
    changes: RoleChanges,
    expected_version: Option<i64>,
) -> Result<Role> {
    use sea_orm::IntoActiveModel;
    let txn = db.begin_write().await?;
    let model = crate::db::lock_for_change(
        &*txn,
        entity::Entity::find_by_id(id),
        expected_version,
        |m| m.version,
    )
    .await?;
    if model.built_in {
        return Err(built_in());
    }
    let before = Role::try_from(model.clone())?;
    super::reach::within_reach(
        actor,
        &before.grants,
        &format!("the role `{}`", before.name),
    )?;
    let mut active = model.clone().into_active_model();
    if let Some(description) = changes.description {
        active.description = Set(description);
    }
    if let Some(grants) = changes.grants {
        super::reach::within_reach(
            actor,
            &grants,
            &format!("the changed role `{}`", before.name),
        )?;
        if actor.role == before.name {
            let added = ceiling::beyond(&before.grants, &grants);
            if !added.is_empty() {
                return Err(Error::Forbidden {
                    code: "privilege_escalation",
                    message: format!(
                        "you hold the role `{}` yourself and cannot add {} to it; ask someone who holds more",
                        before.name,
                        ceiling::Listed(&added, &before.grants)
                    ),
                });
            }
        }
        active.permissions = Set(serde_json::to_value(&grants)?);
    }
    if !active.is_changed() {
        return Ok(before);
    }
    active.updated_at = Set(crate::now());
    active.version = Set(model.version + 1);
    let role = Role::try_from(active.update(&*txn).await?)?;
    let (b, a) = (serde_json::to_value(&before)?, serde_json::to_value(&role)?);
    crate::audit::record(
        &*txn,
        actor.into(),
        "role.updated",
        "role",
        id,
        Some(&b),
        Some(&a),
    )
    .await?;
    crate::events::emit(&*txn, "role.updated", "role", id, a, None).await?;
    crate::changes::commit(db, txn).await?;
    Ok(role)
}

/// Deletes a custom role that no user or API key holds.
pub async fn delete(
    db: &crate::Db,
    actor: &rapport_domain::access::Actor,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<()> {
    use sea_orm::PaginatorTrait;
    let txn = db.begin_write().await?;
    let model = crate::db::lock_for_change(
        &*txn,
        entity::Entity::find_by_id(id),
        expected_version,
        |m| m.version,
    )
    .await?;
    if model.built_in {
        return Err(built_in());
    }
    let role = Role::try_from(model.clone())?;
    super::reach::within_reach(actor, &role.grants, &format!("the role `{}`", role.name))?;
    let holders = super::entity::user::Entity::find()
        .filter(super::entity::user::Column::RoleId.eq(id))
        .count(&*txn)
        .await?
        + super::entity::api_key::Entity::find()
            .filter(super::entity::api_key::Column::RoleId.eq(id))
            .count(&*txn)
            .await?;
    if holders > 0 {
        return Err(Error::Conflict {
            code: "role_in_use",
            field: None,
            message: format!(
                "{holders} users or API keys hold this role; give them another role first"
            ),
        });
    }
    let before = serde_json::to_value(role)?;
    entity::Entity::delete_by_id(id).exec(&*txn).await?;
    crate::audit::record(
        &*txn,
        actor.into(),
        "role.deleted",
        "role",
        id,
        Some(&before),
        None,
    )
    .await?;
    crate::events::emit(&*txn, "role.deleted", "role", id, before, None).await?;
    crate::changes::commit(db, txn).await?;
    Ok(())
}
