//! Custom field definitions: one transaction per change, with audit and outbox rows, announced
//! like access changes ([`crate::changes`]) so that every process stops using the
//! definitions it remembers. Stored records are never rewritten here; see
//! [`rapport_domain::custom_fields`] for what a deleted definition leaves behind. Each definition
//! brings the index its filters use ([`super::values`]).

use rapport_domain::access::Actor;
use rapport_domain::custom_fields::{
    Definition, DefinitionChanges, DefinitionInput, FieldOwner, FieldType, MAX_DEFINITIONS,
};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use super::values;
use crate::db::Serial;
use crate::error::UniqueRule;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest};
use crate::{Db, Error, Result, WriteTxn, audit};

/// The `custom_field_definitions` table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "custom_field_definitions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub owner: String,
        pub key: String,
        pub label: String,
        pub field_type: String,
        #[sea_orm(column_type = "Json")]
        pub options: Json,
        pub required: bool,
        #[sea_orm(column_type = "Text", nullable)]
        pub description: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::Column;

impl TryFrom<entity::Model> for Definition {
    type Error = Error;
    fn try_from(m: entity::Model) -> Result<Self> {
        let corrupt =
            |what: &str| Error::Internal(format!("stored custom field {what} is unknown"));
        Ok(Definition {
            id: m.id,
            owner: FieldOwner::from_name(&m.owner).ok_or_else(|| corrupt("owner"))?,
            key: m.key,
            label: m.label,
            field_type: FieldType::from_name(&m.field_type).ok_or_else(|| corrupt("type"))?,
            options: serde_json::from_value(m.options)?,
            required: m.required,
            description: m.description,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

fn active(d: &Definition) -> Result<entity::ActiveModel> {
    Ok(entity::ActiveModel {
        id: Set(d.id),
        owner: Set(d.owner.as_str().to_owned()),
        key: Set(d.key.clone()),
        label: Set(d.label.clone()),
        field_type: Set(d.field_type.as_str().to_owned()),
        options: Set(serde_json::to_value(&d.options)?),
        required: Set(d.required),
        description: Set(d.description.clone()),
        created_at: Set(d.created_at),
        updated_at: Set(d.updated_at),
        version: Set(d.version),
    })
}

const UNIQUE: &[UniqueRule] = &[UniqueRule {
    needles: &[
        "custom_field_definitions_owner_key",
        "custom_field_definitions.owner",
    ],
    code: "key_taken",
    field: "key",
    message: "this kind of record already has a custom field with this key",
}];

/// Every definition of one kind of record, by key: what a write of such a record is checked
/// against.
pub async fn for_owner(conn: &impl ConnectionTrait, owner: FieldOwner) -> Result<Vec<Definition>> {
    entity::Entity::find()
        .filter(Column::Owner.eq(owner.as_str()))
        .order_by_asc(Column::Key)
        .all(conn)
        .await?
        .into_iter()
        .map(Definition::try_from)
        .collect()
}

/// One page of definitions, by kind of record and key; of one kind when `owner` is given.
pub async fn list(
    conn: &impl ConnectionTrait,
    owner: Option<FieldOwner>,
    request: &PageRequest,
) -> Result<Page<Definition>> {
    let mut select = entity::Entity::find();
    if let Some(owner) = owner {
        select = select.filter(Column::Owner.eq(owner.as_str()));
    }
    let keys = [Column::Owner, Column::Key, Column::Id].map(|column| KeyColumn {
        column,
        descending: false,
    });
    page::fetch(
        conn,
        select,
        "owner,key",
        &keys,
        |m| {
            vec![
                CursorValue::S(m.owner.clone()),
                CursorValue::S(m.key.clone()),
                CursorValue::U(m.id),
            ]
        },
        request,
    )
    .await?
    .try_map(Definition::try_from)
}

/// The definition with this id.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<Definition> {
    entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .try_into()
}

/// Defines a custom field; at most [`MAX_DEFINITIONS`] per kind of record.
pub async fn create(
    db: &Db,
    actor: &Actor,
    input: DefinitionInput,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Definition>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    crate::db::serialise(&*txn, Serial::CustomFieldDefinitions).await?;
    let defined = entity::Entity::find()
        .filter(Column::Owner.eq(input.owner.as_str()))
        .count(&*txn)
        .await?;
    if defined >= MAX_DEFINITIONS as u64 {
        return Err(Error::Conflict {
            code: "too_many_custom_fields",
            field: None,
            message: format!(
                "a kind of record has at most {MAX_DEFINITIONS} custom fields; delete one first"
            ),
        });
    }
    let definition = input.into_definition(Uuid::now_v7(), crate::now());
    active(&definition)?
        .insert(&*txn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    values::create_index(&*txn, db.backend(), &definition).await?;
    let after = serde_json::to_value(&definition)?;
    audit::record_change(
        &*txn,
        actor,
        "custom_field.created",
        "custom_field",
        definition.id,
        None,
        Some(&after),
    )
    .await?;
    idempotency::remember(&*txn, idem, 201, &definition).await?;
    crate::changes::commit(db, txn).await?;
    Ok(Outcome::Done(definition))
}

/// Loads a definition for change, after any other change to definitions, locking its row, and
/// checks `If-Match`.
async fn load_for_change(
    txn: &WriteTxn,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Definition> {
    crate::db::serialise(&**txn, Serial::CustomFieldDefinitions).await?;
    crate::db::lock_for_change(
        &**txn,
        entity::Entity::find_by_id(id),
        expected_version,
        |m| m.version,
    )
    .await?
    .try_into()
}

/// Changes a definition's label, options, required flag or description.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    changes: DefinitionChanges,
    expected_version: Option<i64>,
) -> Result<Definition> {
    let txn = db.begin_write().await?;
    let before = load_for_change(&txn, id, expected_version).await?;
    let after = before
        .apply(changes, crate::now())
        .map_err(|errors| Error::Invalid(rapport_domain::FieldErrors(errors)))?;
    if after.version == before.version {
        return Ok(before);
    }
    active(&after)?.update(&*txn).await?;
    let (b, a) = (
        serde_json::to_value(&before)?,
        serde_json::to_value(&after)?,
    );
    audit::record_change(
        &*txn,
        actor,
        "custom_field.updated",
        "custom_field",
        id,
        Some(&b),
        Some(&a),
    )
    .await?;
    crate::changes::commit(db, txn).await?;
    Ok(after)
}

/// Deletes a definition. Values stored under its key stay on their records.
pub async fn delete(db: &Db, actor: &Actor, id: Uuid, expected_version: Option<i64>) -> Result<()> {
    let txn = db.begin_write().await?;
    let before = load_for_change(&txn, id, expected_version).await?;
    entity::Entity::delete_by_id(id).exec(&*txn).await?;
    values::drop_index(&*txn, id).await?;
    let b = serde_json::to_value(&before)?;
    audit::record_change(
        &*txn,
        actor,
        "custom_field.deleted",
        "custom_field",
        id,
        Some(&b),
        None,
    )
    .await?;
    crate::changes::commit(db, txn).await?;
    Ok(())
}

/// Creates every missing index behind the definitions.
pub async fn ensure_indexes(db: &crate::Db) -> Result<()> {
    let txn = db.begin_write().await?;
    crate::db::serialise(&*txn, Serial::CustomFieldDefinitions).await?;
    for owner in FieldOwner::ALL.iter().copied() {
        for definition in for_owner(&*txn, owner).await? {
            values::create_index(&*txn, db.backend(), &definition).await?;
        }
    }
    txn.commit().await
}
