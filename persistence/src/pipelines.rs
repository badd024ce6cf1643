//! Pipelines and their stages: created and changed whole (a stage sent with its id is kept, one
//! left out is removed unless deals are in it), and each stage's open deals summed.

use std::collections::HashMap;

use rapport_domain::access::Actor;
use rapport_domain::pipelines::{Pipeline, Stage};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use crate::error::UniqueRule;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest};
use crate::{Db, Error, Result, audit};

/// The pipeline tables.
mod entity {
    /// `pipelines`.
    pub mod pipeline {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "pipelines")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub name: String,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub version: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// `pipeline_stages`.
    pub mod stage {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "pipeline_stages")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub pipeline_id: Uuid,
            pub name: String,
            pub probability: i16,
            pub position: i16,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{pipeline, stage};

const UNIQUE: &[UniqueRule] = &[UniqueRule {
    needles: &["pipelines_name_unique", "pipelines.name"],
    code: "pipeline_name_taken",
    field: "name",
    message: "another pipeline has this name",
}];

/// The deals table, named here without reaching into the deals area.
fn deals_column(name: &str) -> Expr {
    Expr::col((Alias::new("deals"), Alias::new(name)))
}

async fn stages_of(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Stage>>> {
    let mut by_pipeline: HashMap<Uuid, Vec<Stage>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_pipeline);
    }
    for m in stage::Entity::find()
        .filter(stage::Column::PipelineId.is_in(ids.iter().copied()))
        .order_by_asc(stage::Column::PipelineId)
        .order_by_asc(stage::Column::Position)
        .all(conn)
        .await?
    {
        by_pipeline.entry(m.pipeline_id).or_default().push(Stage {
            id: m.id,
            name: m.name,
            probability: m.probability,
            position: m.position,
        });
    }
    Ok(by_pipeline)
}

fn pipeline_of(m: pipeline::Model, stages: Vec<Stage>) -> Pipeline {
    Pipeline {
        id: m.id,
        name: m.name,
        stages,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

async fn write_stages(
    conn: &impl ConnectionTrait,
    pipeline_id: Uuid,
    stages: &[Stage],
) -> Result<()> {
    for s in stages {
        let row = stage::ActiveModel {
            id: Set(s.id),
            pipeline_id: Set(pipeline_id),
            name: Set(s.name.clone()),
            probability: Set(s.probability),
            position: Set(s.position),
        };
        if stage::Entity::find_by_id(s.id).one(conn).await?.is_some() {
            row.update(conn).await?;
        } else {
            row.insert(conn).await?;
        }
    }
    Ok(())
}

/// `stages` with an id each: a new one (the nil id) gets one; any other must be one of `known`.
fn with_ids(stages: Vec<Stage>, known: &[Uuid]) -> Result<Vec<Stage>> {
    stages
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            if s.id.is_nil() {
                Ok(Stage {
                    id: Uuid::now_v7(),
                    ..s
                })
            } else if known.contains(&s.id) {
                Ok(s)
            } else {
                Err(Error::field(
                    format!("stages[{i}].id"),
                    "unknown_stage",
                    "no stage of this pipeline has this id",
                ))
            }
        })
        .collect()
}

/// Creates a pipeline with its stages.
pub async fn create(
    db: &Db,
    actor: &Actor,
    name: String,
    stages: Vec<Stage>,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Pipeline>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let now = crate::now();
    let id = Uuid::now_v7();
    pipeline::ActiveModel {
        id: Set(id),
        name: Set(name.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&*txn)
    .await
    .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let stages = with_ids(stages, &[])?;
    write_stages(&*txn, id, &stages).await?;
    let created = Pipeline {
        id,
        name,
        stages,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let after = serde_json::to_value(&created)?;
    audit::record_change(
        &*txn,
        actor,
        "pipeline.created",
        "pipeline",
        id,
        None,
        Some(&after),
    )
    .await?;
    idempotency::remember(&*txn, idem, 201, &created).await?;
    txn.commit().await?;
    Ok(Outcome::Done(created))
}

/// The pipeline with this id.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<Pipeline> {
    let m = pipeline::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let stages = stages_of(conn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok(pipeline_of(m, stages))
}

/// One page of pipelines, by name.
pub async fn list(conn: &impl ConnectionTrait, request: &PageRequest) -> Result<Page<Pipeline>> {
    let keys = [pipeline::Column::Name, pipeline::Column::Id].map(|column| KeyColumn {
        column,
        descending: false,
    });
    let page = page::fetch(
        conn,
        pipeline::Entity::find(),
        "name",
        &keys,
        |m| vec![CursorValue::S(m.name.clone()), CursorValue::U(m.id)],
        request,
    )
    .await?;
    let ids: Vec<Uuid> = page.items.iter().map(|m| m.id).collect();
    let mut stages = stages_of(conn, &ids).await?;
    page.try_map(|m| {
        let own = stages.remove(&m.id).unwrap_or_default();
        Ok::<_, Error>(pipeline_of(m, own))
    })
}

/// How many deals are in each of `stages`.
async fn deals_in(conn: &impl ConnectionTrait, stages: &[Uuid]) -> Result<u64> {
    if stages.is_empty() {
        return Ok(0);
    }
    let count = Query::select()
        .expr(Func::count(deals_column("id")))
        .from(Alias::new("deals"))
        .and_where(deals_column("stage_id").is_in(stages.iter().copied()))
        .to_owned();
    let row = conn.query_one(&count).await?;
    Ok(row
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

/// Changes a pipeline at `expected_version` (when given): a new name, and (when sent) its
/// stages, which replace the old ones: a stage sent with its id is kept (renamed, re-ranked),
/// one left out is removed (409 `stage_in_use` while deals are in it), a stage named by an id
/// not of this pipeline is refused.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    name: Option<String>,
    stages: Option<Vec<Stage>>,
    expected_version: Option<i64>,
) -> Result<Pipeline> {
    let txn = db.begin_write().await?;
    let row = crate::db::lock_for_change(
        &*txn,
        pipeline::Entity::find().filter(pipeline::Column::Id.eq(id)),
        expected_version,
        |m| m.version,
    )
    .await?;
    let before_stages = stages_of(&*txn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    let before = pipeline_of(row.clone(), before_stages.clone());
    let mut after = before.clone();
    if let Some(name) = name {
        after.name = name;
    }
    if let Some(stages) = stages {
        let known: Vec<Uuid> = before_stages.iter().map(|s| s.id).collect();
        let stages = with_ids(stages, &known)?;
        let removed: Vec<Uuid> = known
            .iter()
            .copied()
            .filter(|k| !stages.iter().any(|s| s.id == *k))
            .collect();
        let in_use = deals_in(&*txn, &removed).await?;
        if in_use > 0 {
            return Err(Error::Conflict {
                code: "stage_in_use",
                field: Some("stages"),
                message: format!(
                    "{in_use} deals are in the stages left out; move them to another stage first"
                ),
            });
        }
        if !removed.is_empty() {
            stage::Entity::delete_many()
                .filter(stage::Column::Id.is_in(removed))
                .exec(&*txn)
                .await?;
        }
        // Positions are unique per pipeline only by convention; writing them in order is enough.
        write_stages(&*txn, id, &stages).await?;
        after.stages = stages;
    }
    if after == before {
        return Ok(before);
    }
    after.updated_at = crate::now();
    after.version += 1;
    let mut active: pipeline::ActiveModel = row.into();
    active.name = Set(after.name.clone());
    active.updated_at = Set(after.updated_at);
    active.version = Set(after.version);
    active
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
        "pipeline.updated",
        "pipeline",
        id,
        Some(&b),
        Some(&a),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes a pipeline at `expected_version` (when given); 409 `pipeline_in_use` while it has
/// deals.
pub async fn delete(db: &Db, actor: &Actor, id: Uuid, expected_version: Option<i64>) -> Result<()> {
    let txn = db.begin_write().await?;
    let row = crate::db::lock_for_change(
        &*txn,
        pipeline::Entity::find().filter(pipeline::Column::Id.eq(id)),
        expected_version,
        |m| m.version,
    )
    .await?;
    let stages = stages_of(&*txn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    let ids: Vec<Uuid> = stages.iter().map(|s| s.id).collect();
    let in_use = deals_in(&*txn, &ids).await?;
    if in_use > 0 {
        return Err(Error::Conflict {
            code: "pipeline_in_use",
            field: None,
            message: format!("{in_use} deals are in this pipeline; delete or move them first"),
        });
    }
    let before = serde_json::to_value(pipeline_of(row, stages))?;
    pipeline::Entity::delete_by_id(id).exec(&*txn).await?;
    audit::record_change(
        &*txn,
        actor,
        "pipeline.deleted",
        "pipeline",
        id,
        Some(&before),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A stage's open deals in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageTotal {
    /// The stage.
    pub stage_id: Uuid,
    /// The currency.
    pub currency: String,
    /// How many open deals.
    pub count: i64,
    /// Their amounts, summed.
    pub amount: i64,
}

/// The open deals of each stage of pipeline `id`, per currency; those `owner` owns when given.
pub async fn totals(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
) -> Result<Vec<StageTotal>> {
    let mut sums = Query::select();
    sums.column((Alias::new("deals"), Alias::new("stage_id")))
        .column((Alias::new("deals"), Alias::new("currency")))
        .expr(Func::count(deals_column("id")))
        // A sum of bigints is numeric on PostgreSQL; the cast reads it back as one.
        .expr(Func::cast_as(
            Func::coalesce([
                Expr::from(Func::sum(deals_column("amount"))),
                Expr::val(0i64),
            ]),
            Alias::new("BIGINT"),
        ))
        .from(Alias::new("deals"))
        .and_where(deals_column("pipeline_id").eq(id))
        .and_where(deals_column("status").eq("open"))
        .group_by_col((Alias::new("deals"), Alias::new("stage_id")))
        .group_by_col((Alias::new("deals"), Alias::new("currency")));
    if let Some(owner) = owner {
        sums.and_where(deals_column("owner_id").eq(owner));
    }
    let mut totals = Vec::new();
    for row in conn.query_all(&sums).await? {
        totals.push(StageTotal {
            stage_id: row.try_get_by_index(0)?,
            currency: row.try_get_by_index(1)?,
            count: row.try_get_by_index(2)?,
            amount: row.try_get_by_index(3)?,
        });
    }
    totals.sort_by(|a, b| (a.stage_id, &a.currency).cmp(&(b.stage_id, &b.currency)));
    Ok(totals)
}

/// Whether a pipeline exists: for the deals area, which names pipelines.
pub async fn exists(conn: &impl ConnectionTrait, id: Uuid) -> Result<bool> {
    Ok(pipeline::Entity::find_by_id(id).count(conn).await? > 0)
}
