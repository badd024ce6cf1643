//! Staff accounts.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rapport_domain::access::{Actor, Grant};
use rapport_domain::values::{Email, Phone};
use sea_orm::entity::prelude::*;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, FromQueryResult, IntoActiveModel, JoinType, PaginatorTrait,
    QueryFilter, QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::roles;
use crate::audit::{self, By};
use crate::error::UniqueRule;
use crate::events;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest};
use crate::{Db, Error, Result};

use super::entity::user as entity;

/// Whether a user may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Signs in and works.
    Active,
    /// Locked out; existing tokens stop working on the next request.
    Disabled,
}

impl UserStatus {
    fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
    }
}

/// A staff member, without their password hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Identifier.
    pub id: Uuid,
    /// Sign-in address, unique regardless of case.
    pub email: String,
    /// Name shown to colleagues.
    pub display_name: String,
    /// Phone.
    pub phone: Option<String>,
    /// Role's id.
    pub role_id: Uuid,
    /// Role's name.
    pub role: String,
    /// Active or disabled.
    pub status: UserStatus,
    /// Last successful sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

fn to_user(m: entity::Model, role: String) -> User {
    User {
        id: m.id,
        email: m.email,
        display_name: m.display_name,
        phone: m.phone,
        role_id: m.role_id,
        role,
        status: if m.status == "active" {
            UserStatus::Active
        } else {
            UserStatus::Disabled
        },
        last_login_at: m.last_login_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

async fn with_role(conn: &impl ConnectionTrait, m: entity::Model) -> Result<User> {
    let role = roles::get(conn, m.role_id).await?;
    Ok(to_user(m, role.name))
}

const UNIQUE: &[UniqueRule] = &[UniqueRule {
    needles: &["users_email", "users.email"],
    code: "email_taken",
    field: "email",
    message: "a user with this email already exists",
}];

/// A user about to be created.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Email.
    pub email: Email,
    /// Display name.
    pub display_name: String,
    /// Phone.
    pub phone: Option<Phone>,
    /// Role name.
    pub role: String,
    /// Argon2id hash of the password.
    pub password_hash: String,
}

/// A partial change to a user.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// Display name.
    pub display_name: Option<String>,
    /// Phone.
    pub phone: Option<Option<Phone>>,
    /// Role name.
    pub role: Option<String>,
    /// Status.
    pub status: Option<UserStatus>,
}

/// The role named `name`; 422 `unknown_role` on `role` when there is none.
async fn role_named(conn: &impl ConnectionTrait, name: &str) -> Result<roles::Role> {
    match roles::get_by_name(conn, name).await {
        Err(Error::NotFound) => Err(Error::Invalid(
            rapport_domain::FieldError::new(
                "role",
                "unknown_role",
                format!("no role is named `{name}`"),
            )
            .into(),
        )),
        found => found,
    }
}

/// Checks, before a password is hashed for a new account, that the role exists and is within the
/// actor's reach; [`create`] checks again in its transaction.
pub async fn check_role_for_new_account(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    name: &str,
) -> Result<()> {
    let role = role_named(conn, name).await?;
    super::reach::within_reach(actor, &role.grants, &format!("the role `{}`", role.name))
}

/// Refuses when the account's current role grants more than the actor holds: nobody changes,
/// disables, demotes or resets the password of someone who holds more than they do.
async fn within_reach_of(conn: &impl ConnectionTrait, actor: &Actor, role_id: Uuid) -> Result<()> {
    let role = roles::get(conn, role_id).await?;
    super::reach::within_reach(
        actor,
        &role.grants,
        &format!("this account's role `{}`", role.name),
    )
}

/// Creates a user.
pub async fn create(
    db: &Db,
    by: By<'_>,
    new: NewUser,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<User>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let role = role_named(&*txn, &new.role).await?;
    if let By::Actor(actor) = by {
        super::reach::within_reach(actor, &role.grants, &format!("the role `{}`", role.name))?;
    }
    let now = crate::now();
    let model = entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(new.email.as_str().to_owned()),
        display_name: Set(new.display_name),
        phone: Set(new.phone.map(String::from)),
        role_id: Set(role.id),
        status: Set(UserStatus::Active.as_str().to_owned()),
        password_hash: Set(new.password_hash),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&*txn)
    .await
    .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let user = with_role(&*txn, model).await?;
    let after = serde_json::to_value(&user)?;
    audit::record(
        &*txn,
        by,
        "user.created",
        "user",
        user.id,
        None,
        Some(&after),
    )
    .await?;
    events::emit(&*txn, "user.created", "user", user.id, after, None).await?;
    idempotency::remember(&*txn, idem, 201, &user).await?;
    txn.commit().await?;
    Ok(Outcome::Done(user))
}

/// The user with this id, when the actor may manage them (their role grants nothing the actor
/// lacks): 404 or 403 `privilege_escalation` before any costly work on their behalf.
pub async fn get_within_reach(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<User> {
    let model = entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    within_reach_of(conn, actor, model.role_id).await?;
    with_role(conn, model).await
}

/// The user with this id.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<User> {
    let model = entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    with_role(conn, model).await
}

/// Every user, oldest first.
pub async fn list(conn: &impl ConnectionTrait, request: &PageRequest) -> Result<Page<User>> {
    use entity::Column;
    let keys = [
        KeyColumn {
            column: Column::CreatedAt,
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
        "created_at",
        &keys,
        |m| vec![CursorValue::T(m.created_at), CursorValue::U(m.id)],
        request,
    )
    .await?;
    let roles: Vec<roles::Role> = super::entity::role::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(roles::Role::try_from)
        .collect::<Result<_>>()?;
    page.try_map(|m| {
        let role = roles
            .iter()
            .find(|r| r.id == m.role_id)
            .map(|r| r.name.clone())
            .unwrap_or_default();
        Ok(to_user(m, role))
    })
}

/// Changes a user; `expected_version` is the caller's `If-Match`.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    changes: UserChanges,
    expected_version: Option<i64>,
) -> Result<User> {
    let txn = db.begin_write().await?;
    let model = crate::db::lock_for_change(
        &*txn,
        entity::Entity::find_by_id(id),
        expected_version,
        |m| m.version,
    )
    .await?;
    within_reach_of(&*txn, actor, model.role_id).await?;
    let before = with_role(&*txn, model.clone()).await?;
    let mut active = model.clone().into_active_model();
    if let Some(name) = changes.display_name {
        active.display_name = Set(name);
    }
    if let Some(phone) = changes.phone {
        active.phone = Set(phone.map(String::from));
    }
    if let Some(role) = changes.role {
        let new_role = role_named(&*txn, &role).await?;
        super::reach::within_reach(
            actor,
            &new_role.grants,
            &format!("the role `{}`", new_role.name),
        )?;
        let new_role = new_role.id;
        if new_role != model.role_id && actor.principal.id() == id {
            return Err(Error::Conflict {
                code: "cannot_change_own_role",
                field: Some("role"),
                message: "you cannot change your own role; ask another administrator".into(),
            });
        }
        active.role_id = Set(new_role);
    }
    if let Some(status) = changes.status {
        if status == UserStatus::Disabled && actor.principal.id() == id {
            return Err(Error::Conflict {
                code: "cannot_disable_self",
                field: Some("status"),
                message: "you cannot disable your own account".into(),
            });
        }
        active.status = Set(status.as_str().to_owned());
    }
    if !active.is_changed() {
        return Ok(before);
    }
    active.updated_at = Set(crate::now());
    active.version = Set(model.version + 1);
    let updated = with_role(&*txn, active.update(&*txn).await?).await?;
    let (b, a) = (
        serde_json::to_value(&before)?,
        serde_json::to_value(&updated)?,
    );
    audit::record(
        &*txn,
        actor.into(),
        "user.updated",
        "user",
        id,
        Some(&b),
        Some(&a),
    )
    .await?;
    events::emit(
        &*txn,
        "user.updated",
        "user",
        id,
        a,
        Some(audit::diff(Some(&b), None)),
    )
    .await?;
    crate::changes::commit(db, txn).await?;
    Ok(updated)
}

/// Replaces a user's password hash and ends every session they had.
pub async fn set_password(db: &Db, by: By<'_>, id: Uuid, password_hash: String) -> Result<()> {
    let txn = db.begin_write().await?;
    let model = entity::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or(Error::NotFound)?;
    if let By::Actor(actor) = by {
        within_reach_of(&*txn, actor, model.role_id).await?;
    }
    let version = model.version;
    let mut active = model.into_active_model();
    active.password_hash = Set(password_hash);
    active.updated_at = Set(crate::now());
    active.version = Set(version + 1);
    active.update(&*txn).await?;
    super::sessions::revoke_all_for_user(&*txn, id).await?;
    audit::record(&*txn, by, "user.password_reset", "user", id, None, None).await?;
    txn.commit().await?;
    Ok(())
}

/// What sign-in needs to know about an account.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user.
    pub user: User,
    /// The stored Argon2id hash.
    pub password_hash: String,
}

/// The account signing in with this email, if any.
pub async fn find_credentials(
    conn: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<Credentials>> {
    let Some(model) = entity::Entity::find()
        .filter(entity::Column::Email.eq(email.as_str()))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let password_hash = model.password_hash.clone();
    Ok(Some(Credentials {
        user: with_role(conn, model).await?,
        password_hash,
    }))
}

/// Notes a successful sign-in.
pub async fn record_login(conn: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    entity::Entity::update_many()
        .col_expr(entity::Column::LastLoginAt, Expr::value(crate::now()))
        .filter(entity::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// A user's standing as checked on every request: active or not, and what their role grants now.
#[derive(Debug, Clone)]
pub struct Standing {
    /// The user.
    pub user_id: Uuid,
    /// Whether they may act.
    pub active: bool,
    /// The role's name.
    pub role: String,
    /// What the role grants.
    pub grants: Vec<Grant>,
}

/// The user's current status and role, so a disabled account or a changed role counts at once.
/// One indexed read per request: the user joined to their role, three columns.
pub async fn standing(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<Standing>> {
    #[derive(Debug, FromQueryResult)]
    struct Row {
        status: String,
        role: String,
        permissions: Json,
    }
    let role_of_user = entity::Entity::belongs_to(super::entity::role::Entity)
        .from(entity::Column::RoleId)
        .to(super::entity::role::Column::Id)
        .into();
    let Some(row) = entity::Entity::find_by_id(id)
        .select_only()
        .column(entity::Column::Status)
        .column_as(super::entity::role::Column::Name, "role")
        .column(super::entity::role::Column::Permissions)
        .join(JoinType::InnerJoin, role_of_user)
        .into_model::<Row>()
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Standing {
        user_id: id,
        active: row.status == "active",
        role: row.role,
        grants: serde_json::from_value(row.permissions)?,
    }))
}

/// How many users exist.
pub async fn count(conn: &impl ConnectionTrait) -> Result<u64> {
    Ok(entity::Entity::find().count(conn).await?)
}

/// The user with this email.
pub async fn get_by_email(conn: &impl ConnectionTrait, email: &Email) -> Result<User> {
    let model = entity::Entity::find()
        .filter(entity::Column::Email.eq(email.as_str()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    with_role(conn, model).await
}

/// Which of these users exist, for records that name their owners.
pub async fn existing(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashSet<Uuid>> {
    let wanted: HashSet<Uuid> = ids.iter().copied().collect();
    let mut found = HashSet::new();
    let wanted: Vec<Uuid> = wanted.into_iter().collect();
    for part in wanted.chunks(crate::db::ROWS_PER_STATEMENT) {
        let rows: Vec<Uuid> = entity::Entity::find()
            .select_only()
            .column(entity::Column::Id)
            .filter(entity::Column::Id.is_in(part.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// The active staff members whose role holds `permission` at exactly `scope`, by id: those
/// automatic assignment may choose (for tickets, the agents who work their own).
pub async fn holding(
    conn: &impl ConnectionTrait,
    permission: rapport_domain::access::Permission,
    scope: rapport_domain::access::Scope,
) -> Result<Vec<Uuid>> {
    use sea_orm::QueryOrder;
    let roles: Vec<Uuid> = super::entity::role::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(super::roles::Role::try_from)
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|role| {
            role.grants
                .iter()
                .any(|g| g.permission == permission && g.scope == scope)
        })
        .map(|role| role.id)
        .collect();
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    Ok(entity::Entity::find()
        .filter(entity::Column::RoleId.is_in(roles))
        .filter(entity::Column::Status.eq(UserStatus::Active.as_str()))
        .order_by_asc(entity::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect())
}

/// Whether a user with this id exists.
pub async fn exists(conn: &impl ConnectionTrait, id: Uuid) -> Result<bool> {
    Ok(entity::Entity::find_by_id(id).count(conn).await? > 0)
}

/// The staff member a record names in `field`, when they exist (a 422 at `field` otherwise).
pub async fn named(conn: &impl ConnectionTrait, field: &str, id: Uuid) -> Result<Uuid> {
    if exists(conn, id).await? {
        Ok(id)
    } else {
        Err(crate::Error::field(
            field,
            "not_found",
            "no staff member has this id",
        ))
    }
}
