//! Pipeline handlers and what goes over the wire for them: the ordered stages deals move through,
//! and what each stage holds.

use std::collections::BTreeMap;

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use chrono::{DateTime, Utc};
use rapport_domain::FieldErrors;
use rapport_domain::pipelines::{Pipeline, Stage, StageInput, check_name, check_stages};
use rapport_persistence::pipelines as store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// A stage of a new pipeline.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStageDto {
    /// Name, 1 to 100 characters, unique within the pipeline.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The chance, in percent, that a deal in this stage is won.
    #[serde(deserialize_with = "crate::extract::whole")]
    #[schema(minimum = 0, maximum = 100)]
    pub probability: i64,
}

/// A stage of a changed pipeline: one kept names its id, a new one names none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageDto {
    /// The stage kept; absent for a new stage.
    pub id: Option<Uuid>,
    /// Name, 1 to 100 characters, unique within the pipeline.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The chance, in percent, that a deal in this stage is won.
    #[serde(deserialize_with = "crate::extract::whole")]
    #[schema(minimum = 0, maximum = 100)]
    pub probability: i64,
}

/// A probability as the domain holds it; one out of range stays out of range.
fn percent(value: i64) -> i16 {
    i16::try_from(value).unwrap_or(i16::MAX)
}

/// A new pipeline.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "企业团购",
    "stages": [
        {"name": "初步接洽", "probability": 10}, {"name": "需求确认", "probability": 30},
        {"name": "报价", "probability": 60}, {"name": "谈判", "probability": 80}
    ]
}))]
pub struct CreatePipeline {
    /// Name, 1 to 100 characters, unique.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Its stages in order, 1 to 20.
    #[schema(min_items = 1, max_items = 20)]
    pub stages: Vec<NewStageDto>,
}

/// Changes to a pipeline: absent parts stay. `stages` replaces the stages: name a stage's `id`
/// to keep it, leave it out to remove it (409 `stage_in_use` while deals are in it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "企业团购（华东）"}))]
pub struct UpdatePipeline {
    /// Name, 1 to 100 characters, unique.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Every stage, in order, 1 to 20.
    #[schema(min_items = 1, max_items = 20)]
    pub stages: Option<Vec<StageDto>>,
}

/// A stage.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageView {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// The chance, in percent, that a deal in it is won.
    pub probability: i16,
    /// Its place, from 0.
    pub position: i16,
}

impl From<Stage> for StageView {
    fn from(s: Stage) -> Self {
        StageView {
            id: s.id,
            name: s.name,
            probability: s.probability,
            position: s.position,
        }
    }
}

/// A pipeline.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c9-1111-7000-8000-000000000001", "name": "企业团购",
    "stages": [
        {"id": "0193a5c9-1111-7000-8000-000000000002", "name": "初步接洽", "probability": 10, "position": 0},
        {"id": "0193a5c9-1111-7000-8000-000000000003", "name": "报价", "probability": 60, "position": 1}
    ],
    "created_at": "2026-12-05T08:00:00Z", "updated_at": "2026-12-05T08:00:00Z", "version": 1
}))]
pub struct PipelineView {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Its stages, in order.
    pub stages: Vec<StageView>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<Pipeline> for PipelineView {
    fn from(p: Pipeline) -> Self {
        PipelineView {
            id: p.id,
            name: p.name,
            stages: p.stages.into_iter().map(StageView::from).collect(),
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        }
    }
}

/// Which page of pipelines.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PipelineListQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// List pipelines.
///
/// By name, each with its stages.
#[utoipa::path(
    tag = "deals",
    operation_id = "list_pipelines",
    params(PipelineListQuery),
    responses((status = 200, description = "One page of pipelines", body = PageOf<PipelineView>)),
    security(("bearer" = []))
)]
#[get("/pipelines")]
pub async fn list_pipelines(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<PipelineListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let list = store::list(state.db.conn(), &request).await?;
    Ok(page(&PageOf::from_page(list, PipelineView::from)))
}

/// Create a pipeline.
///
/// Names are unique (409 `pipeline_name_taken`).
#[utoipa::path(
    tag = "deals",
    operation_id = "create_pipeline",
    request_body = CreatePipeline,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = PipelineView,
            headers(("Location" = String, description = "The pipeline's URL"), ("ETag" = String, description = "The version"))),
        (status = 409, description = "`pipeline_name_taken`: another pipeline has this name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/pipelines")]
pub async fn create_pipeline(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreatePipeline>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let (name, stages) = body.checked(|dto| {
        let mut errors = FieldErrors::new();
        let name = errors.take(check_name(&dto.name));
        let stages = check_stages(
            dto.stages
                .into_iter()
                .map(|s| StageInput {
                    id: None,
                    name: s.name,
                    probability: percent(s.probability),
                })
                .collect(),
        );
        let stages = errors.take_all(stages.map_err(|more| more.0));
        errors.into_result(|| (name.unwrap_or_default(), stages.unwrap_or_default()))
    })?;
    let outcome = store::create(&state.db, &auth.actor, name, stages, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let pipeline = outcome.into_inner();
    let location = format!("/api/v1/pipelines/{}", pipeline.id);
    let version = pipeline.version;
    Ok(created(
        &PipelineView::from(pipeline),
        location,
        version,
        replayed,
    ))
}

/// Get a pipeline.
#[utoipa::path(
    tag = "deals",
    operation_id = "get_pipeline",
    params(("id" = Uuid, Path, description = "Pipeline id")),
    responses((status = 200, description = "The pipeline", body = PipelineView,
        headers(("ETag" = String, description = "The version, for If-Match")))),
    security(("bearer" = []))
)]
#[get("/pipelines/{id:[0-9a-fA-F-]+}")]
pub async fn get_pipeline(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let pipeline = store::get(state.db.conn(), id.into_inner()).await?;
    let version = pipeline.version;
    Ok(ok_versioned(&PipelineView::from(pipeline), version))
}

/// Change a pipeline.
///
/// With `If-Match: "<version>"` the change applies only to that version.
#[utoipa::path(
    tag = "deals",
    operation_id = "update_pipeline",
    request_body = UpdatePipeline,
    params(
        ("id" = Uuid, Path, description = "Pipeline id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed pipeline", body = PipelineView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`pipeline_name_taken`: another pipeline has this name; `stage_in_use`: deals are in a stage left out", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/pipelines/{id:[0-9a-fA-F-]+}")]
pub async fn update_pipeline(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdatePipeline>,
) -> Result<HttpResponse, ApiError> {
    let (name, stages) = body.checked(|dto| {
        let mut errors = FieldErrors::new();
        let name = match &dto.name {
            Some(n) => errors.take(check_name(n)),
            None => None,
        };
        let stages = match dto.stages {
            Some(stages) => {
                let inputs = stages
                    .into_iter()
                    .map(|s| StageInput {
                        id: s.id,
                        name: s.name,
                        probability: percent(s.probability),
                    })
                    .collect();
                errors.take_all(check_stages(inputs).map_err(|more| more.0))
            }
            None => None,
        };
        errors.into_result(|| (name, stages))
    })?;
    let pipeline = store::update(
        &state.db,
        &auth.actor,
        id.into_inner(),
        name,
        stages,
        if_match.0,
    )
    .await?;
    let version = pipeline.version;
    Ok(ok_versioned(&PipelineView::from(pipeline), version))
}

/// Delete a pipeline.
///
/// Only a pipeline without deals (409 `pipeline_in_use` otherwise).
#[utoipa::path(
    tag = "deals",
    operation_id = "delete_pipeline",
    params(
        ("id" = Uuid, Path, description = "Pipeline id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "`pipeline_in_use`: deals are in it", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/pipelines/{id:[0-9a-fA-F-]+}")]
pub async fn delete_pipeline(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    store::delete(&state.db, &auth.actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A stage's open deals in one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageTotalView {
    /// The currency.
    pub currency: String,
    /// How many open deals.
    pub count: i64,
    /// Their amounts, summed, in minor units.
    pub amount: i64,
    /// The amount times the stage's probability, rounded down.
    pub weighted_amount: i64,
}

/// One stage of the summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageSummaryView {
    /// The stage.
    pub stage_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its chance of winning, in percent.
    pub probability: i16,
    /// Its open deals, every currency together.
    pub count: i64,
    /// Their amounts and weighted amounts, per currency.
    pub totals: Vec<StageTotalView>,
}

/// What a pipeline's stages hold.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "pipeline_id": "0193a5c9-1111-7000-8000-000000000001",
    "stages": [{
        "stage_id": "0193a5c9-1111-7000-8000-000000000003", "name": "报价", "probability": 60,
        "count": 2,
        "totals": [{"currency": "CNY", "count": 2, "amount": 5000000, "weighted_amount": 3000000}]
    }]
}))]
pub struct PipelineSummaryView {
    /// The pipeline.
    pub pipeline_id: Uuid,
    /// Its stages, in order.
    pub stages: Vec<StageSummaryView>,
}

/// Summarise a pipeline.
///
/// Each stage's open deals: how many, their amounts and their probability-weighted amounts, per
/// currency. Callers whose role reaches only their own deals see their own deals summed.
#[utoipa::path(
    tag = "deals",
    operation_id = "get_pipeline_summary",
    params(("id" = Uuid, Path, description = "Pipeline id")),
    responses((status = 200, description = "The summary", body = PipelineSummaryView)),
    security(("bearer" = []))
)]
#[get("/pipelines/{id:[0-9a-fA-F-]+}/summary")]
pub async fn get_pipeline_summary(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let pipeline = store::get(state.db.conn(), id).await?;
    let mut by_stage: BTreeMap<Uuid, Vec<store::StageTotal>> = BTreeMap::new();
    for total in store::totals(state.db.conn(), auth.owner(), id).await? {
        by_stage.entry(total.stage_id).or_default().push(total);
    }
    let stages = pipeline
        .stages
        .into_iter()
        .map(|stage| {
            let totals: Vec<StageTotalView> = by_stage
                .remove(&stage.id)
                .unwrap_or_default()
                .into_iter()
                .map(|t| StageTotalView {
                    weighted_amount: t.amount / 100 * i64::from(stage.probability)
                        + t.amount % 100 * i64::from(stage.probability) / 100,
                    currency: t.currency,
                    count: t.count,
                    amount: t.amount,
                })
                .collect();
            StageSummaryView {
                stage_id: stage.id,
                name: stage.name,
                probability: stage.probability,
                count: totals.iter().map(|t| t.count).sum(),
                totals,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(PipelineSummaryView {
        pipeline_id: id,
        stages,
    }))
}
