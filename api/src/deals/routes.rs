//! Deal handlers and what goes over the wire for them: creating, listing, reading, changing and
//! removing deals, and a deal's stage history.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::FieldErrors;
use rapport_domain::custom_fields::FieldOwner;
use rapport_domain::deals::{self as rules, Deal, DealChanges, DealStatus, NewDeal};
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_domain::values::Currency;
use rapport_persistence::deals::{self as store, DealFilter};
use rapport_persistence::pipelines;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, nullable, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// Where a deal stands: `open` becomes `won` or `lost`, and either is reopened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DealStatusDto {
    /// Being worked on.
    Open,
    /// Won: `closed_at` says when.
    Won,
    /// Lost: `lost_reason` says why.
    Lost,
}

mirror!(DealStatusDto <=> DealStatus { Open, Won, Lost });

/// A new deal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "年会礼品：茶叶礼盒 200 份", "customer_id": "0193a5c7-1111-7000-8000-000000000001",
    "pipeline_id": "0193a5c9-1111-7000-8000-000000000001", "amount": 2560000, "currency": "CNY",
    "expected_close_date": "2026-12-20", "custom_fields": {"delivery_window": "Q1"}
}))]
pub struct CreateDeal {
    /// What is being sold, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// To whom: a customer the caller may reach (422 `not_found` otherwise).
    pub customer_id: Uuid,
    /// The pipeline it moves through (422 `not_found` when there is none with this id).
    pub pipeline_id: Uuid,
    /// Its stage (422 `not_in_pipeline` when it is not one of the pipeline's); the first when
    /// absent.
    pub stage_id: Option<Uuid>,
    /// Its worth, in minor units.
    #[serde(deserialize_with = "crate::extract::whole")]
    #[schema(minimum = 0)]
    pub amount: i64,
    /// ISO 4217 code; the workspace's `default_currency` when absent.
    #[schema(value_type = Option<String>, example = "CNY")]
    pub currency: Option<Currency>,
    /// When it is expected to close.
    pub expected_close_date: Option<NaiveDate>,
    /// The staff member who works it; the caller when absent. Callers whose role reaches only
    /// their own deals own the deals they create (422 `not_yours`).
    pub owner_id: Option<Uuid>,
    /// Values of the custom fields defined for deals (`GET
    /// /api/v1/custom-fields?resource_type=deal`), by key; each is checked against its definition
    /// (422 at `custom_fields.<key>`), and a required one must be sent.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// Changes to a deal: absent parts stay, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"stage_id": "0193a5c9-1111-7000-8000-000000000003", "amount": 3000000}))]
pub struct UpdateDeal {
    /// What is being sold, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Another stage of its pipeline: the move is kept in the stage history. A won or lost deal
    /// does not move (409 `invalid_transition`).
    pub stage_id: Option<Uuid>,
    /// Its worth, in minor units.
    #[serde(default, deserialize_with = "crate::extract::optional_whole")]
    #[schema(minimum = 0)]
    pub amount: Option<i64>,
    /// ISO 4217 code.
    #[schema(value_type = Option<String>, example = "CNY")]
    pub currency: Option<Currency>,
    /// When it is expected to close, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub expected_close_date: Option<Option<NaiveDate>>,
    /// The staff member who works it, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    /// `won` or `lost` from `open`, `open` from either (409 `invalid_transition` otherwise).
    pub status: Option<DealStatusDto>,
    /// Why it was lost, at most 1000 characters: required when it becomes `lost`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub lost_reason: Option<Option<String>>,
    /// Custom field values to set, by key: `null` removes one (422 `required` for a required
    /// field), keys not sent stay. Changes at any status.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// A deal.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c9-2222-7000-8000-000000000001", "name": "年会礼品：茶叶礼盒 200 份",
    "customer_id": "0193a5c7-1111-7000-8000-000000000001",
    "pipeline_id": "0193a5c9-1111-7000-8000-000000000001",
    "stage_id": "0193a5c9-1111-7000-8000-000000000003", "amount": 2560000, "currency": "CNY",
    "expected_close_date": "2026-12-20", "owner_id": "0193a5c6-0000-7000-8000-000000000002",
    "status": "open", "lost_reason": null, "closed_at": null,
    "stage_entered_at": "2026-12-05T10:00:00Z", "custom_fields": {"delivery_window": "Q1"},
    "created_at": "2026-12-01T09:00:00Z",
    "updated_at": "2026-12-05T10:00:00Z", "version": 3
}))]
pub struct DealView {
    /// Identifier.
    pub id: Uuid,
    /// What is being sold.
    pub name: String,
    /// To whom.
    pub customer_id: Uuid,
    /// The pipeline.
    pub pipeline_id: Uuid,
    /// The stage it is in.
    pub stage_id: Uuid,
    /// Its worth, in minor units.
    pub amount: i64,
    /// ISO 4217 code.
    #[schema(value_type = String)]
    pub currency: Currency,
    /// When it is expected to close.
    pub expected_close_date: Option<NaiveDate>,
    /// The staff member who works it.
    pub owner_id: Option<Uuid>,
    /// Where it stands.
    pub status: DealStatusDto,
    /// Why it was lost.
    pub lost_reason: Option<String>,
    /// When it was won or lost.
    pub closed_at: Option<DateTime<Utc>>,
    /// When it entered its stage.
    pub stage_entered_at: DateTime<Utc>,
    /// The values of the custom fields defined for deals, by key.
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<Deal> for DealView {
    fn from(d: Deal) -> Self {
        DealView {
            id: d.id,
            name: d.name,
            customer_id: d.customer_id,
            pipeline_id: d.pipeline_id,
            stage_id: d.stage_id,
            amount: d.amount,
            currency: d.currency,
            expected_close_date: d.expected_close_date,
            owner_id: d.owner_id,
            status: d.status.into(),
            lost_reason: d.lost_reason,
            closed_at: d.closed_at,
            stage_entered_at: d.stage_entered_at,
            custom_fields: d.custom_fields,
            created_at: d.created_at,
            updated_at: d.updated_at,
            version: d.version,
        }
    }
}

/// Which deals, in which order, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DealListQuery {
    /// For this customer.
    pub customer_id: Option<Uuid>,
    /// In this pipeline.
    pub pipeline_id: Option<Uuid>,
    /// In this stage.
    pub stage_id: Option<Uuid>,
    /// In this status.
    pub status: Option<DealStatusDto>,
    /// Owned by this staff member.
    pub owner_id: Option<Uuid>,
    /// Comma-separated keys, `-` for descending: `created_at`, `updated_at`, `amount` (default
    /// `-created_at`).
    #[param(example = "-amount")]
    pub sort: Option<String>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// List deals.
///
/// Newest first unless `sort` says otherwise. Callers whose role reaches only their own deals see
/// those.
#[utoipa::path(
    tag = "deals",
    operation_id = "list_deals",
    params(DealListQuery),
    responses((status = 200, description = "One page of deals", body = PageOf<DealView>)),
    security(("bearer" = []))
)]
#[get("/deals")]
pub async fn list_deals(
    state: Data<AppState>,
    auth: Auth,
    query: ValidQuery<DealListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = SortOrder::parse(
        q.sort.as_deref(),
        rules::SORTABLE,
        SortKey::descending("created_at"),
    )
    .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))?;
    let filter = DealFilter {
        customer_id: q.customer_id,
        pipeline_id: q.pipeline_id,
        stage_id: q.stage_id,
        status: q.status.map(Into::into),
        owner_id: q.owner_id,
        matching: None,
    };
    let list = store::list(state.db.conn(), auth.owner(), &filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, DealView::from)))
}

/// Create a deal.
///
/// Open, in the stage named or the pipeline's first, owned by the caller unless it names
/// someone. Emits `deal.created`.
#[utoipa::path(
    tag = "deals",
    operation_id = "create_deal",
    request_body = CreateDeal,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = DealView,
            headers(("Location" = String, description = "The deal's URL"), ("ETag" = String, description = "The version"))),
    ),
    security(("bearer" = []))
)]
#[post("/deals")]
pub async fn create_deal(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateDeal>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Deal).await?;
    let default_currency = crate::settings::default_currency(&state).await?;
    // The settings store only codes they checked.
    let default_currency =
        Currency::parse("default_currency", &default_currency).map_err(FieldErrors::from)?;
    let new = body.checked(|dto| {
        NewDeal {
            name: dto.name,
            customer_id: dto.customer_id,
            pipeline_id: dto.pipeline_id,
            stage_id: dto.stage_id,
            amount: dto.amount,
            currency: dto.currency.unwrap_or(default_currency),
            expected_close_date: dto.expected_close_date,
            owner_id: dto.owner_id,
            custom_fields: dto.custom_fields.unwrap_or_default(),
        }
        .check(&definitions)
    })?;
    let outcome = store::create(
        &state.db,
        &auth.actor,
        auth.owner(),
        new,
        state.clock.now(),
        key.as_ref(),
    )
    .await?;
    let replayed = outcome.is_replay();
    let deal = outcome.into_inner();
    let location = format!("/api/v1/deals/{}", deal.id);
    let version = deal.version;
    Ok(created(&DealView::from(deal), location, version, replayed))
}

/// Get a deal.
#[utoipa::path(
    tag = "deals",
    operation_id = "get_deal",
    params(("id" = Uuid, Path, description = "Deal id")),
    responses((status = 200, description = "The deal", body = DealView,
        headers(("ETag" = String, description = "The version, for If-Match")))),
    security(("bearer" = []))
)]
#[get("/deals/{id:[0-9a-fA-F-]+}")]
pub async fn get_deal(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let deal = store::get(state.db.conn(), auth.owner(), id.into_inner()).await?;
    let version = deal.version;
    Ok(ok_versioned(&DealView::from(deal), version))
}

/// Change a deal.
///
/// A new `stage_id` moves it (kept in its stage history, `deal.stage_changed`); `status` wins
/// (`deal.won`), loses (`deal.lost`, with `lost_reason`) or reopens it (`deal.reopened`). With
/// `If-Match: "<version>"` the change applies only to that version.
#[utoipa::path(
    tag = "deals",
    operation_id = "update_deal",
    request_body = UpdateDeal,
    params(
        ("id" = Uuid, Path, description = "Deal id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed deal", body = DealView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: the status cannot move there, or a closed deal was moved to another stage", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/deals/{id:[0-9a-fA-F-]+}")]
pub async fn update_deal(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateDeal>,
) -> Result<HttpResponse, ApiError> {
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Deal).await?;
    let changes = body.checked(|dto| {
        DealChanges {
            name: dto.name,
            stage_id: dto.stage_id,
            amount: dto.amount,
            currency: dto.currency,
            expected_close_date: dto.expected_close_date,
            owner_id: dto.owner_id,
            status: dto.status.map(Into::into),
            lost_reason: dto.lost_reason,
            custom_fields: dto.custom_fields,
        }
        .check(&definitions)
    })?;
    let deal = store::update(
        &state.db,
        &auth.actor,
        auth.owner(),
        id.into_inner(),
        changes,
        state.clock.now(),
        if_match.0,
    )
    .await?;
    let version = deal.version;
    Ok(ok_versioned(&DealView::from(deal), version))
}

/// Delete a deal.
#[utoipa::path(
    tag = "deals",
    operation_id = "delete_deal",
    params(
        ("id" = Uuid, Path, description = "Deal id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/deals/{id:[0-9a-fA-F-]+}")]
pub async fn delete_deal(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    store::delete(
        &state.db,
        &auth.actor,
        auth.owner(),
        id.into_inner(),
        if_match.0,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One stay of a deal in a stage.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageStayView {
    /// The stage.
    pub stage_id: Uuid,
    /// Its name (null once the stage was removed from the pipeline).
    pub stage_name: Option<String>,
    /// When the deal entered it.
    pub entered_at: DateTime<Utc>,
    /// When it left; null while it is there.
    pub left_at: Option<DateTime<Utc>>,
    /// How long it stayed, in seconds: until it left, or until now.
    pub duration_seconds: i64,
}

/// A deal's stays in its stages.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"data": [
    {"stage_id": "0193a5c9-1111-7000-8000-000000000002", "stage_name": "初步接洽",
     "entered_at": "2026-12-01T09:00:00Z", "left_at": "2026-12-05T10:00:00Z", "duration_seconds": 349200},
    {"stage_id": "0193a5c9-1111-7000-8000-000000000003", "stage_name": "报价",
     "entered_at": "2026-12-05T10:00:00Z", "left_at": null, "duration_seconds": 7200}
]}))]
pub struct StageHistoryView {
    /// Oldest first.
    pub data: Vec<StageStayView>,
}

/// A deal's stage history.
///
/// One entry per stage the deal entered, oldest first, with how long it stayed.
#[utoipa::path(
    tag = "deals",
    operation_id = "get_deal_stage_history",
    params(("id" = Uuid, Path, description = "Deal id")),
    responses((status = 200, description = "The stage history", body = StageHistoryView)),
    security(("bearer" = []))
)]
#[get("/deals/{id:[0-9a-fA-F-]+}/stage-history")]
pub async fn get_deal_stage_history(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let conn = state.db.conn();
    let stays = store::stage_history(conn, auth.owner(), id).await?;
    let deal = store::get(conn, auth.owner(), id).await?;
    let pipeline = pipelines::get(conn, deal.pipeline_id).await?;
    let now = state.clock.now();
    Ok(HttpResponse::Ok().json(StageHistoryView {
        data: stays
            .into_iter()
            .map(|s| StageStayView {
                stage_name: pipeline.stage(s.stage_id).map(|st| st.name.clone()),
                duration_seconds: s.seconds(now),
                stage_id: s.stage_id,
                entered_at: s.entered_at,
                left_at: s.left_at,
            })
            .collect(),
    }))
}
