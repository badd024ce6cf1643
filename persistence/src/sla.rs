//! Service level agreement policies: creating, changing, reading and removing them, each in one
//! transaction with its audit and feed event. At most one is active (a partial unique index):
//! making one active makes the one before it inactive, in the same transaction.

use rapport_domain::access::Actor;
use rapport_domain::sla::{NewPolicy, PolicyChanges, SlaPolicy};
use rapport_domain::sort::SortOrder;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::UniqueRule;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, Page, PageRequest, SortField};
use crate::{Db, Error, Result, audit};

/// The `sla_policies` table.
mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sla_policies")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub active: bool,
        pub business_hours: Option<Json>,
        pub targets: Json,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity, Model};

const UNIQUE: &[UniqueRule] = &[UniqueRule {
    needles: &["sla_policies_name", "sla_policies.name"],
    code: "sla_policy_name_taken",
    field: "name",
    message: "another SLA policy has this name",
}];

impl TryFrom<Model> for SlaPolicy {
    type Error = Error;
    fn try_from(m: Model) -> Result<Self> {
        Ok(SlaPolicy {
            id: m.id,
            name: m.name,
            active: m.active,
            business_hours: match m.business_hours {
                Some(hours) if !serde_json::Value::is_null(&hours) => {
                    Some(serde_json::from_value(hours)?)
                }
                _ => None,
            },
            targets: serde_json::from_value(m.targets)?,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

fn active_model(p: &SlaPolicy) -> Result<ActiveModel> {
    Ok(ActiveModel {
        id: Set(p.id),
        name: Set(p.name.clone()),
        active: Set(p.active),
        business_hours: Set(match &p.business_hours {
            Some(hours) => Some(serde_json::to_value(hours)?),
            None => None,
        }),
        targets: Set(serde_json::to_value(p.targets)?),
        created_at: Set(p.created_at),
        updated_at: Set(p.updated_at),
        version: Set(p.version),
    })
}

/// Makes every policy but `id` inactive, so that `id` may become the active one.
async fn deactivate_others(conn: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Active, Expr::val(false))
        .col_expr(Column::UpdatedAt, Expr::val(crate::now()))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .filter(Column::Active.eq(true))
        .filter(Column::Id.ne(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Creates a policy by `actor`; an active one replaces the one active before.
pub async fn create(
    db: &Db,
    actor: &Actor,
    new: NewPolicy,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<SlaPolicy>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let policy = new.into_policy(Uuid::now_v7(), crate::now());
    if policy.active {
        deactivate_others(&*txn, policy.id).await?;
    }
    active_model(&policy)?
        .insert(&*txn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let after = serde_json::to_value(&policy)?;
    audit::record_change(
        &*txn,
        actor,
        "sla_policy.created",
        "sla_policy",
        policy.id,
        None,
        Some(&after),
    )
    .await?;
    idempotency::remember(&*txn, idem, 201, &policy).await?;
    txn.commit().await?;
    Ok(Outcome::Done(policy))
}

/// The policy with this id.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<SlaPolicy> {
    Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .try_into()
}

/// The policy new tickets take, if one is active.
pub async fn active(conn: &impl ConnectionTrait) -> Result<Option<SlaPolicy>> {
    match Entity::find()
        .filter(Column::Active.eq(true))
        .one(conn)
        .await?
    {
        Some(model) => Ok(Some(model.try_into()?)),
        None => Ok(None),
    }
}

/// The policy with this id, if it is still there.
pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<SlaPolicy>> {
    match Entity::find_by_id(id).one(conn).await? {
        Some(model) => Ok(Some(model.try_into()?)),
        None => Ok(None),
    }
}

/// Changes a policy at `expected_version` (when given); made active, it replaces the one active
/// before.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    changes: PolicyChanges,
    expected_version: Option<i64>,
) -> Result<SlaPolicy> {
    let txn = db.begin_write().await?;
    let row = crate::db::lock_for_change(
        &*txn,
        Entity::find().filter(Column::Id.eq(id)),
        expected_version,
        |m| m.version,
    )
    .await?;
    let before = SlaPolicy::try_from(row)?;
    let mut after = changes.apply(&before);
    if after == before {
        return Ok(before);
    }
    if after.active && !before.active {
        deactivate_others(&*txn, id).await?;
    }
    after.updated_at = crate::now();
    after.version += 1;
    active_model(&after)?
        .update(&*txn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let (b, a) = (
        serde_json::to_value(&before)?,
        serde_json::to_value(&after)?,
    );
    audit::record_change(
        &*txn,
        actor,
        "sla_policy.updated",
        "sla_policy",
        id,
        Some(&b),
        Some(&a),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Removes a policy at `expected_version` (when given). Its tickets keep their due times.
pub async fn delete(db: &Db, actor: &Actor, id: Uuid, expected_version: Option<i64>) -> Result<()> {
    let txn = db.begin_write().await?;
    audit::delete_recorded::<_, SlaPolicy>(
        &*txn,
        actor,
        Entity::find().filter(Column::Id.eq(id)),
        id,
        expected_version,
        |m| m.version,
        "sla_policy",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

const FIELDS: &[SortField<Entity>] = &[
    SortField {
        name: "created_at",
        column: Column::CreatedAt,
        value: |m| CursorValue::T(m.created_at),
    },
    SortField {
        name: "name",
        column: Column::Name,
        value: |m| CursorValue::S(m.name.clone()),
    },
];

const ID: SortField<Entity> = SortField {
    name: "id",
    column: Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// One page of policies.
pub async fn list(
    conn: &impl ConnectionTrait,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<SlaPolicy>> {
    page::fetch_ordered(conn, Entity::find(), order, FIELDS, &ID, None, request)
        .await?
        .try_map(SlaPolicy::try_from)
}
