//! Campaign handlers: creating, listing, reading, changing and deleting campaigns, and moving
//! them: publishing (the audience freezes), completing, cancelling.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use rapport_domain::marketing::campaigns::{CampaignInput, SORTABLE};
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_persistence::marketing::campaigns::{self as store, CampaignFilter};
use uuid::Uuid;

use super::dto::{CampaignListQuery, CampaignView, CreateCampaign, UpdateCampaign};
use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, ErrorCode, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// List campaigns.
///
/// Newest first unless `sort` says otherwise.
#[utoipa::path(
    tag = "campaigns",
    operation_id = "list_campaigns",
    params(CampaignListQuery),
    responses((status = 200, description = "One page of campaigns", body = PageOf<CampaignView>)),
    security(("bearer" = []))
)]
#[get("/campaigns")]
pub async fn list_campaigns(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<CampaignListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = SortOrder::parse(
        q.sort.as_deref(),
        SORTABLE,
        SortKey::descending("created_at"),
    )
    .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))?;
    let filter = CampaignFilter {
        status: q.status.map(Into::into),
        campaign_type: q.campaign_type.map(Into::into),
    };
    let list = store::list(state.db.conn(), &filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, CampaignView::from)))
}

/// Create a campaign.
///
/// A draft: everything about it can change until it is published. Its segment and coupon must
/// exist (422 `not_found` at the field). Emits `campaign.created`.
#[utoipa::path(
    tag = "campaigns",
    operation_id = "create_campaign",
    request_body = CreateCampaign,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = CampaignView,
            headers(("Location" = String, description = "The campaign's URL"), ("ETag" = String, description = "The version"))),
    ),
    security(("bearer" = []))
)]
#[post("/campaigns")]
pub async fn create_campaign(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateCampaign>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let default_currency = crate::settings::default_currency(&state).await?;
    let input = body.checked(|dto| {
        let mut input = CampaignInput::from(dto);
        input.currency.get_or_insert(default_currency);
        Ok(input)
    })?;
    let outcome = store::create(&state.db, &auth.actor, input, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let campaign = outcome.into_inner();
    let location = format!("/api/v1/campaigns/{}", campaign.id);
    let version = campaign.version;
    Ok(created(
        &CampaignView::from(campaign),
        location,
        version,
        replayed,
    ))
}

/// Get a campaign.
#[utoipa::path(
    tag = "campaigns",
    operation_id = "get_campaign",
    params(("id" = Uuid, Path, description = "Campaign id")),
    responses((status = 200, description = "The campaign", body = CampaignView,
        headers(("ETag" = String, description = "The version, for If-Match")))),
    security(("bearer" = []))
)]
#[get("/campaigns/{id:[0-9a-fA-F-]+}")]
pub async fn get_campaign(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let campaign = store::get(state.db.conn(), id.into_inner()).await?;
    let version = campaign.version;
    Ok(ok_versioned(&CampaignView::from(campaign), version))
}

/// Change a campaign.
///
/// Checked again as a whole. Once published, its type, audience, coupon, currency and start stay
/// as they were (422 `not_allowed`); its name, description, goal, budget, cost and end change at
/// any time. With `If-Match: "<version>"` the change applies only to that version. Emits
/// `campaign.updated`.
#[utoipa::path(
    tag = "campaigns",
    operation_id = "update_campaign",
    request_body = UpdateCampaign,
    params(
        ("id" = Uuid, Path, description = "Campaign id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 200, description = "The changed campaign", body = CampaignView,
        headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = []))
)]
#[patch("/campaigns/{id:[0-9a-fA-F-]+}")]
pub async fn update_campaign(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateCampaign>,
) -> Result<HttpResponse, ApiError> {
    let input = body.checked(|dto| Ok(CampaignInput::from(dto)))?;
    let campaign =
        store::update(&state.db, &auth.actor, id.into_inner(), input, if_match.0).await?;
    let version = campaign.version;
    Ok(ok_versioned(&CampaignView::from(campaign), version))
}

/// Delete a campaign.
///
/// A draft or a cancelled campaign; one that was published and not cancelled stays for its
/// results (409 `invalid_transition`). Orders credited to it keep their money and lose the
/// credit. Emits `campaign.deleted`.
#[utoipa::path(
    tag = "campaigns",
    operation_id = "delete_campaign",
    params(
        ("id" = Uuid, Path, description = "Campaign id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "`invalid_transition`: the campaign was published and not cancelled", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/campaigns/{id:[0-9a-fA-F-]+}")]
pub async fn delete_campaign(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    store::delete(&state.db, &auth.actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Publish a campaign.
///
/// Freezes the audience: the customers its segment holds now (at most 5,000) become its members
/// (`GET /campaigns/{id}/members`), and a later change of the segment changes them no more. It
/// is `scheduled`, or `active` when `starts_at` has come; the scheduler starts it then and
/// completes it at `ends_at`. Only a draft publishes (409 `invalid_transition`), and only with a
/// segment (409 `no_audience`). Emits `campaign.published`.
#[utoipa::path(
    tag = "campaigns",
    operation_id = "publish_campaign",
    params(
        ("id" = Uuid, Path, description = "Campaign id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The published campaign", body = CampaignView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: not a draft; `no_audience`: no segment; `too_many_matches`: the segment holds more than 5000 customers; `segment_filter_outdated`: its filter names a field that no longer exists", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/campaigns/{id:[0-9a-fA-F-]+}/publish")]
pub async fn publish_campaign(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let campaign = store::get(state.db.conn(), id).await?;
    let Some(segment_id) = campaign.segment_id else {
        return Err(ApiError::new(
            ErrorCode::NoAudience,
            "a campaign is published to a segment; name one first",
        ));
    };
    let audience = crate::segments::audience(&state, &auth, segment_id, "segment_id").await?;
    let published = store::publish(
        &state.db,
        &auth.actor,
        id,
        segment_id,
        audience.selection(),
        if_match.0,
    )
    .await?;
    let version = published.version;
    Ok(ok_versioned(&CampaignView::from(published), version))
}

/// Complete a campaign.
///
/// Ends a running campaign by hand before its `ends_at` (409 `invalid_transition` otherwise).
/// Emits `campaign.completed`.
#[utoipa::path(
    tag = "campaigns",
    operation_id = "complete_campaign",
    params(
        ("id" = Uuid, Path, description = "Campaign id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The completed campaign", body = CampaignView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: not active", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/campaigns/{id:[0-9a-fA-F-]+}/complete")]
pub async fn complete_campaign(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let campaign = store::end(&state.db, &auth.actor, id.into_inner(), false, if_match.0).await?;
    let version = campaign.version;
    Ok(ok_versioned(&CampaignView::from(campaign), version))
}

/// Cancel a campaign.
///
/// Calls off a draft, scheduled or active campaign (409 `invalid_transition` for one that
/// ended). Its members and results stay. Emits `campaign.cancelled`.
#[utoipa::path(
    tag = "campaigns",
    operation_id = "cancel_campaign",
    params(
        ("id" = Uuid, Path, description = "Campaign id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The cancelled campaign", body = CampaignView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: completed or cancelled already", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/campaigns/{id:[0-9a-fA-F-]+}/cancel")]
pub async fn cancel_campaign(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let campaign = store::end(&state.db, &auth.actor, id.into_inner(), true, if_match.0).await?;
    let version = campaign.version;
    Ok(ok_versioned(&CampaignView::from(campaign), version))
}
