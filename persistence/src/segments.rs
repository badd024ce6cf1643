//! Segments and the members of static segments: one transaction per change, with audit and
//! outbox rows. Who belongs to a dynamic segment is a search (`customers::search` with its
//! filter); who belongs to a static one is its rows in `segment_members`.

use rapport_domain::access::Actor;
use rapport_domain::segments::{NewSegment, Segment, SegmentChanges, SegmentKind};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use crate::customers::{self, BulkOutcome, Selection};
use crate::error::UniqueRule;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest};
use crate::{Db, Error, Result, Subset, audit, events};

/// The `segments` and `segment_members` tables.
mod entity {
    /// The `segments` table.
    pub mod segment {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "segments")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub name: String,
            #[sea_orm(column_type = "Text", nullable)]
            pub description: Option<String>,
            pub kind: String,
            #[sea_orm(column_type = "Json", nullable)]
            pub filter: Option<Json>,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub version: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// The `segment_members` table: the customers of static segments.
    pub mod member {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "segment_members")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub segment_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub customer_id: Uuid,
            pub added_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{member, segment};

impl TryFrom<segment::Model> for Segment {
    type Error = Error;
    fn try_from(m: segment::Model) -> Result<Self> {
        Ok(Segment {
            id: m.id,
            name: m.name,
            description: m.description,
            kind: SegmentKind::from_name(&m.kind)
                .ok_or_else(|| Error::Internal("stored segment kind is unknown".into()))?,
            filter: m.filter,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

fn active(s: &Segment) -> segment::ActiveModel {
    segment::ActiveModel {
        id: Set(s.id),
        name: Set(s.name.clone()),
        description: Set(s.description.clone()),
        kind: Set(s.kind.as_str().to_owned()),
        filter: Set(s.filter.clone()),
        created_at: Set(s.created_at),
        updated_at: Set(s.updated_at),
        version: Set(s.version),
    }
}

const UNIQUE: &[UniqueRule] = &[UniqueRule {
    needles: &["segments_name_unique", "segments.name"],
    code: "segment_name_taken",
    field: "name",
    message: "another segment has this name",
}];

/// A static segment's members, for a customer list to be limited to.
pub fn members(segment: Uuid) -> Subset {
    Subset(
        Query::select()
            .column(member::Column::CustomerId)
            .from(member::Entity)
            .and_where(Expr::col(member::Column::SegmentId).eq(segment))
            .to_owned(),
    )
}

/// The static segments a customer belongs to, by name, as `(id, name)`.
pub async fn of_customer(
    conn: &impl ConnectionTrait,
    customer: Uuid,
) -> Result<Vec<(Uuid, String)>> {
    use sea_orm::QueryOrder;
    let memberships: Vec<Uuid> = member::Entity::find()
        .filter(member::Column::CustomerId.eq(customer))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.segment_id)
        .collect();
    Ok(segment::Entity::find()
        .filter(segment::Column::Id.is_in(memberships))
        .order_by_asc(segment::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}

/// One page of segments, newest first.
pub async fn list(conn: &impl ConnectionTrait, request: &PageRequest) -> Result<Page<Segment>> {
    let keys = [segment::Column::CreatedAt, segment::Column::Id].map(|column| KeyColumn {
        column,
        descending: true,
    });
    page::fetch(
        conn,
        segment::Entity::find(),
        "-created_at",
        &keys,
        |m| vec![CursorValue::T(m.created_at), CursorValue::U(m.id)],
        request,
    )
    .await?
    .try_map(Segment::try_from)
}

/// The segment with this id.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<Segment> {
    segment::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .try_into()
}

/// Creates a segment.
pub async fn create(
    db: &Db,
    actor: &Actor,
    new: NewSegment,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Segment>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let segment = new.into_segment(Uuid::now_v7(), crate::now());
    active(&segment)
        .insert(&*txn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let after = serde_json::to_value(&segment)?;
    audit::record_change(
        &*txn,
        actor,
        "segment.created",
        "segment",
        segment.id,
        None,
        Some(&after),
    )
    .await?;
    idempotency::remember(&*txn, idem, 201, &segment).await?;
    txn.commit().await?;
    Ok(Outcome::Done(segment))
}

async fn load_for_change(
    conn: &impl ConnectionTrait,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Segment> {
    crate::db::lock_for_change(
        conn,
        segment::Entity::find_by_id(id),
        expected_version,
        |m| m.version,
    )
    .await?
    .try_into()
}

/// Changes a segment's name, description or (dynamic segments) filter.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    changes: SegmentChanges,
    expected_version: Option<i64>,
) -> Result<Segment> {
    let txn = db.begin_write().await?;
    let before = load_for_change(&*txn, id, expected_version).await?;
    let after = before
        .apply(changes, crate::now())
        .map_err(|errors| Error::Invalid(rapport_domain::FieldErrors(errors)))?;
    if after.version == before.version {
        return Ok(before);
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
        "segment.updated",
        "segment",
        id,
        Some(&b),
        Some(&a),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes a segment; the customers stay.
pub async fn delete(db: &Db, actor: &Actor, id: Uuid, expected_version: Option<i64>) -> Result<()> {
    let txn = db.begin_write().await?;
    let before = load_for_change(&*txn, id, expected_version).await?;
    segment::Entity::delete_by_id(id)
        .exec(&*txn)
        .await
        .map_err(|e| {
            // Care plans hold on to their segment (the only table that does).
            if crate::error::is_foreign_key_violation(&e) {
                Error::Conflict {
                    code: "segment_in_use",
                    field: None,
                    message: "care plans are for this segment; give them another segment first"
                        .into(),
                }
            } else {
                Error::from(e)
            }
        })?;
    let b = serde_json::to_value(&before)?;
    audit::record_change(
        &*txn,
        actor,
        "segment.deleted",
        "segment",
        id,
        Some(&b),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn dynamic_has_no_members() -> Error {
    Error::Conflict {
        code: "segment_is_dynamic",
        field: None,
        message: "a dynamic segment's members are whoever its filter selects; change the filter \
                  instead"
            .into(),
    }
}

/// Rows per `INSERT`, well under both databases' limits on bound parameters.
const CHUNK: usize = 1000;

/// Adds the selected customers (within `owner`'s scope) to a static segment; those already in
/// it stay as they are.
pub async fn add_customers(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    chosen: Selection<'_>,
) -> Result<BulkOutcome> {
    change_members(db, actor, owner, id, chosen, true).await
}

/// Removes the selected customers (within `owner`'s scope) from a static segment.
pub async fn remove_customers(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    chosen: Selection<'_>,
) -> Result<BulkOutcome> {
    change_members(db, actor, owner, id, chosen, false).await
}

async fn change_members(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    chosen: Selection<'_>,
    add: bool,
) -> Result<BulkOutcome> {
    let txn = db.begin_write().await?;
    // The segment's row lock puts concurrent changes to its members in line.
    let segment = load_for_change(&*txn, id, None).await?;
    if segment.kind == SegmentKind::Dynamic {
        return Err(dynamic_has_no_members());
    }
    let chosen = customers::selected_ids(&*txn, owner, chosen).await?;
    let mut members: std::collections::HashSet<Uuid> = std::collections::HashSet::new();
    for part in chosen.chunks(CHUNK) {
        let found = member::Entity::find()
            .filter(member::Column::SegmentId.eq(id))
            .filter(member::Column::CustomerId.is_in(part.iter().copied()))
            .all(&*txn)
            .await?
            .into_iter()
            .map(|m| m.customer_id);
        members.extend(found);
    }
    let changed: Vec<Uuid> = chosen
        .iter()
        .copied()
        .filter(|c| members.contains(c) != add)
        .collect();
    let now = crate::now();
    for part in changed.chunks(CHUNK) {
        if add {
            member::Entity::insert_many(part.iter().map(|customer| member::ActiveModel {
                segment_id: Set(id),
                customer_id: Set(*customer),
                added_at: Set(now),
            }))
            .exec(&*txn)
            .await?;
        } else {
            member::Entity::delete_many()
                .filter(member::Column::SegmentId.eq(id))
                .filter(member::Column::CustomerId.is_in(part.iter().copied()))
                .exec(&*txn)
                .await?;
        }
    }
    if !changed.is_empty() {
        let action = if add {
            "segment.customers_added"
        } else {
            "segment.customers_removed"
        };
        let data = json!({"segment_id": id, "customer_ids": changed});
        audit::record(
            &*txn,
            actor.into(),
            action,
            "segment",
            id,
            None,
            Some(&data),
        )
        .await?;
        events::emit(&*txn, action, "segment", id, data, None).await?;
    }
    txn.commit().await?;
    Ok(BulkOutcome {
        matched: chosen.len() as u64,
        changed: changed.len() as u64,
    })
}
