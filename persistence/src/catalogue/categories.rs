//! The category tree: one transaction per change, with its audit and outbox rows. Every change to
//! the tree takes its turn ([`Serial::CategoryTree`]), so two moves can never make a cycle between
//! them and a parent cannot go while a child is added under it.

use std::collections::HashMap;

use rapport_domain::access::Actor;
use rapport_domain::catalogue::categories::{
    Category, CategoryChanges, MAX_DEPTH, Misplacement, NewCategory, check_placement,
};
use rapport_domain::sort::SortOrder;
use rapport_domain::{FieldError, FieldErrors};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::db::Serial;
use crate::error::UniqueRule;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, Page, PageRequest, Pin, SortField};
use crate::{Db, Error, Result, audit};

use super::entity::category as entity;
use entity::Column;

impl From<entity::Model> for Category {
    fn from(m: entity::Model) -> Self {
        Category {
            id: m.id,
            name: m.name,
            description: m.description,
            parent_id: m.parent_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

fn active(c: &Category) -> entity::ActiveModel {
    entity::ActiveModel {
        id: Set(c.id),
        name: Set(c.name.clone()),
        description: Set(c.description.clone()),
        parent_id: Set(c.parent_id),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
        version: Set(c.version),
    }
}

const UNIQUE: &[UniqueRule] = &[UniqueRule {
    needles: &[
        "categories_sibling_name_unique",
        "categories_top_level_name_unique",
        "categories.parent_id, categories.name",
        "categories.name",
    ],
    code: "category_name_taken",
    field: "name",
    message: "another category under the same parent has this name",
}];

const FIELDS: &[SortField<entity::Entity>] = &[
    SortField {
        name: "name",
        column: Column::Name,
        value: |m| CursorValue::S(m.name.clone()),
    },
    SortField {
        name: "created_at",
        column: Column::CreatedAt,
        value: |m| CursorValue::T(m.created_at),
    },
    SortField {
        name: "updated_at",
        column: Column::UpdatedAt,
        value: |m| CursorValue::T(m.updated_at),
    },
];

const ID: SortField<entity::Entity> = SortField {
    name: "id",
    column: Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// Which categories a list holds: both parts apply together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Placement {
    /// Only the children of this category.
    pub under: Option<Uuid>,
    /// Only the top-level categories.
    pub top_level: bool,
}

/// One page of categories.
pub async fn list(
    conn: &impl ConnectionTrait,
    placement: Placement,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<Category>> {
    let mut select = entity::Entity::find();
    if placement.top_level {
        select = select.filter(Column::ParentId.is_null());
    }
    let by_name = order.0.first().is_some_and(|k| k.field == "name");
    let pin = match placement.under {
        // The children of one parent, by name, are one range of `categories_parent_name`.
        Some(parent) if by_name => Some(Pin::new(Column::ParentId.into_expr(), parent)),
        Some(parent) => {
            select = select.filter(Column::ParentId.eq(parent));
            None
        }
        None => None,
    };
    let page = page::fetch_ordered(conn, select, order, FIELDS, &ID, pin.as_ref(), request).await?;
    page.try_map(|m| Ok(Category::from(m)))
}

/// The category with this id.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<Category> {
    entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(Category::from)
        .ok_or(Error::NotFound)
}

/// A category on the way from the top of the tree to another one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStep {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
}

/// The path of each of `categories` through the tree: from its top-level ancestor down to the
/// category itself. One query per level of the tree, whatever the number of categories.
pub async fn paths(
    conn: &impl ConnectionTrait,
    categories: &[Category],
) -> Result<HashMap<Uuid, Vec<PathStep>>> {
    let mut known: HashMap<Uuid, (Option<Uuid>, String)> = categories
        .iter()
        .map(|c| (c.id, (c.parent_id, c.name.clone())))
        .collect();
    for _ in 0..MAX_DEPTH {
        let missing: Vec<Uuid> = known
            .values()
            .filter_map(|(parent, _)| *parent)
            .filter(|parent| !known.contains_key(parent))
            .collect();
        if missing.is_empty() {
            break;
        }
        let found = entity::Entity::find()
            .filter(Column::Id.is_in(missing))
            .all(conn)
            .await?;
        known.extend(found.into_iter().map(|m| (m.id, (m.parent_id, m.name))));
    }
    Ok(categories
        .iter()
        .map(|c| {
            let mut path = Vec::new();
            let mut at = Some(c.id);
            while let Some(id) = at.filter(|_| path.len() < MAX_DEPTH) {
                let Some((parent, name)) = known.get(&id) else {
                    break;
                };
                path.push(PathStep {
                    id,
                    name: name.clone(),
                });
                at = *parent;
            }
            path.reverse();
            (c.id, path)
        })
        .collect())
}

fn unknown_parent() -> Error {
    Error::Invalid(FieldErrors::from(FieldError::new(
        "parent_id",
        "not_found",
        "no category has this id",
    )))
}

/// The chain of `parent` and its ancestors, the parent first: 422 when there is no such category.
async fn chain_of(conn: &impl ConnectionTrait, parent: Uuid) -> Result<Vec<Uuid>> {
    let mut chain = Vec::new();
    let mut at = Some(parent);
    // A tree no deeper than MAX_DEPTH ends within that many steps; one more tells "too deep".
    while let Some(id) = at.filter(|_| chain.len() <= MAX_DEPTH) {
        let parent_of: Option<Option<Uuid>> = entity::Entity::find_by_id(id)
            .select_only()
            .column(Column::ParentId)
            .into_tuple()
            .one(conn)
            .await?;
        let Some(next) = parent_of else {
            return Err(if chain.is_empty() {
                unknown_parent()
            } else {
                Error::Internal("a category's parent is missing".into())
            });
        };
        chain.push(id);
        at = next;
    }
    Ok(chain)
}

/// How many levels the subtree of `id` spans, 1 for a leaf.
async fn height(conn: &impl ConnectionTrait, id: Uuid) -> Result<usize> {
    let mut level = vec![id];
    let mut height = 1;
    while height <= MAX_DEPTH {
        level = entity::Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::ParentId.is_in(level))
            .into_tuple()
            .all(conn)
            .await?;
        if level.is_empty() {
            break;
        }
        height += 1;
    }
    Ok(height)
}

/// Checks that `moving` (with its subtree) may sit under `parent`.
async fn check_parent(
    conn: &impl ConnectionTrait,
    moving: Option<Uuid>,
    parent: Option<Uuid>,
) -> Result<()> {
    let Some(parent) = parent else {
        return Ok(());
    };
    let chain = chain_of(conn, parent).await?;
    let height = match moving {
        Some(id) => height(conn, id).await?,
        None => 1,
    };
    check_placement(moving, &chain, height).map_err(|misplacement| match misplacement {
        Misplacement::Cycle => Error::Conflict {
            code: "category_cycle",
            field: Some("parent_id"),
            message: "a category cannot sit under itself or one of its own subcategories".into(),
        },
        Misplacement::TooDeep => Error::Invalid(FieldErrors::from(Misplacement::too_deep())),
    })
}

/// Creates a category, at the top or under a parent.
pub async fn create(
    db: &Db,
    actor: &Actor,
    new: NewCategory,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Category>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    crate::db::serialise(&*txn, Serial::CategoryTree).await?;
    check_parent(&*txn, None, new.parent_id).await?;
    let category = new.into_category(Uuid::now_v7(), crate::now());
    active(&category)
        .insert(&*txn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let after = serde_json::to_value(&category)?;
    audit::record_change(
        &*txn,
        actor,
        "category.created",
        "category",
        category.id,
        None,
        Some(&after),
    )
    .await?;
    idempotency::remember(&*txn, idem, 201, &category).await?;
    txn.commit().await?;
    Ok(Outcome::Done(category))
}

async fn load_for_change(
    conn: &impl ConnectionTrait,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Category> {
    crate::db::lock_for_change(
        conn,
        entity::Entity::find_by_id(id),
        expected_version,
        |m| m.version,
    )
    .await
    .map(Category::from)
}

/// Renames, describes or moves a category; a move takes its subcategories along.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    changes: CategoryChanges,
    expected_version: Option<i64>,
) -> Result<Category> {
    let txn = db.begin_write().await?;
    crate::db::serialise(&*txn, Serial::CategoryTree).await?;
    let before = load_for_change(&*txn, id, expected_version).await?;
    let after = before.apply(changes, crate::now());
    if after.version == before.version {
        return Ok(before);
    }
    if after.parent_id != before.parent_id {
        check_parent(&*txn, Some(id), after.parent_id).await?;
    }
    active(&after)
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
        "category.updated",
        "category",
        id,
        Some(&b),
        Some(&a),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

fn in_use(message: String) -> Error {
    Error::Conflict {
        code: "category_in_use",
        field: None,
        message,
    }
}

/// Deletes a category that has no subcategories and no products.
pub async fn delete(db: &Db, actor: &Actor, id: Uuid, expected_version: Option<i64>) -> Result<()> {
    use sea_orm::PaginatorTrait;
    let txn = db.begin_write().await?;
    crate::db::serialise(&*txn, Serial::CategoryTree).await?;
    let before = load_for_change(&*txn, id, expected_version).await?;
    let children = entity::Entity::find()
        .filter(Column::ParentId.eq(id))
        .count(&*txn)
        .await?;
    if children > 0 {
        return Err(in_use(format!(
            "the category has {children} subcategories; move or delete them first"
        )));
    }
    let products = super::references::products_naming(&*txn, Some(id), None).await?;
    if products > 0 {
        return Err(in_use(format!(
            "{products} products are in the category; move them first"
        )));
    }
    entity::Entity::delete_by_id(id).exec(&*txn).await?;
    let b = serde_json::to_value(&before)?;
    audit::record_change(
        &*txn,
        actor,
        "category.deleted",
        "category",
        id,
        Some(&b),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
