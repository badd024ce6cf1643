//! Activity handlers and what goes over the wire for them: calls, visits, messages and notes
//! with customers.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use chrono::{DateTime, Utc};
use rapport_domain::activities::{
    self as rules, Activity, ActivityChanges, ActivityKind, NewActivity,
};
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_persistence::activities::{self as store, ActivityFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, nullable, page_request};
use crate::problem::ApiError;
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// What kind of interaction it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKindDto {
    /// Something written down.
    Note,
    /// A phone call.
    Call,
    /// An e-mail.
    Email,
    /// A meeting.
    Meeting,
    /// A visit, at the customer's or in the shop.
    Visit,
    /// An online chat or messenger conversation.
    Chat,
    /// A care occasion attended to (a birthday call, a return visit), with its outcome and the
    /// customer's feedback in `body`.
    Care,
}

mirror!(ActivityKindDto <=> ActivityKind { Note, Call, Email, Meeting, Visit, Chat, Care });

/// A new activity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "call", "subject": "回访：新款到店", "body": "客户周末来店试穿，想要蓝色 42 码。",
    "occurred_at": "2026-12-05T10:30:00Z", "customer_id": "0193a5c7-1111-7000-8000-000000000001"
}))]
pub struct CreateActivity {
    /// What kind of interaction.
    pub kind: ActivityKindDto,
    /// What it was about, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub subject: String,
    /// What was said or done, at most 20000 characters.
    #[schema(max_length = 20000)]
    pub body: Option<String>,
    /// When it happened (now when absent); at most a day ahead (422 `in_future`).
    pub occurred_at: Option<DateTime<Utc>>,
    /// The customer it was with, one the caller may reach (422 `not_found` otherwise).
    pub customer_id: Uuid,
    /// The order it was about: one of the customer's (422 `other_customer` otherwise).
    pub order_id: Option<Uuid>,
    /// The deal it was about: one of the customer's that the caller may reach (422
    /// `other_customer` or `not_found` otherwise).
    pub deal_id: Option<Uuid>,
    /// The staff member who took part; the caller when absent (an API key names one or none).
    pub author_id: Option<Uuid>,
}

/// Changes to an activity: absent parts stay, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "客户确认周六下午到店。", "order_id": null}))]
pub struct UpdateActivity {
    /// What kind of interaction.
    pub kind: Option<ActivityKindDto>,
    /// What it was about, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub subject: Option<String>,
    /// What was said or done, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 20000)]
    pub body: Option<Option<String>>,
    /// When it happened.
    pub occurred_at: Option<DateTime<Utc>>,
    /// The order it was about, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub order_id: Option<Option<Uuid>>,
    /// The deal it was about, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub deal_id: Option<Option<Uuid>>,
    /// The staff member who took part, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub author_id: Option<Option<Uuid>>,
}

/// An activity.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c8-6666-7000-8000-000000000001", "kind": "call", "subject": "回访：新款到店",
    "body": "客户周末来店试穿，想要蓝色 42 码。", "occurred_at": "2026-12-05T10:30:00Z",
    "customer_id": "0193a5c7-1111-7000-8000-000000000001", "order_id": null,
    "deal_id": null, "author_id": "0193a5c6-0000-7000-8000-000000000002",
    "created_at": "2026-12-05T10:31:00Z", "updated_at": "2026-12-05T10:31:00Z", "version": 1
}))]
pub struct ActivityView {
    /// Identifier.
    pub id: Uuid,
    /// What kind of interaction.
    pub kind: ActivityKindDto,
    /// What it was about.
    pub subject: String,
    /// What was said or done.
    pub body: Option<String>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The customer it was with.
    pub customer_id: Uuid,
    /// The order it was about.
    pub order_id: Option<Uuid>,
    /// The deal it was about.
    pub deal_id: Option<Uuid>,
    /// The staff member who took part.
    pub author_id: Option<Uuid>,
    /// Recorded.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<Activity> for ActivityView {
    fn from(a: Activity) -> Self {
        ActivityView {
            id: a.id,
            kind: a.kind.into(),
            subject: a.subject,
            body: a.body,
            occurred_at: a.occurred_at,
            customer_id: a.customer_id,
            order_id: a.order_id,
            deal_id: a.deal_id,
            author_id: a.author_id,
            created_at: a.created_at,
            updated_at: a.updated_at,
            version: a.version,
        }
    }
}

/// Which activities, in which order, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityListQuery {
    /// With this customer.
    pub customer_id: Option<Uuid>,
    /// Of this kind.
    pub kind: Option<ActivityKindDto>,
    /// By this staff member.
    pub author_id: Option<Uuid>,
    /// About this order.
    pub order_id: Option<Uuid>,
    /// About this deal.
    pub deal_id: Option<Uuid>,
    /// Happened at or after this time.
    pub occurred_from: Option<DateTime<Utc>>,
    /// Happened before this time.
    pub occurred_to: Option<DateTime<Utc>>,
    /// Comma-separated keys, `-` for descending: `occurred_at`, `created_at` (default
    /// `-occurred_at`).
    #[param(example = "-occurred_at")]
    pub sort: Option<String>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// List activities.
///
/// Newest first unless `sort` says otherwise. Callers whose role reaches only their own
/// customers see the activities with those customers.
#[utoipa::path(
    tag = "activities",
    operation_id = "list_activities",
    params(ActivityListQuery),
    responses((status = 200, description = "One page of activities", body = PageOf<ActivityView>)),
    security(("bearer" = []))
)]
#[get("/activities")]
pub async fn list_activities(
    state: Data<AppState>,
    auth: Auth,
    query: ValidQuery<ActivityListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = SortOrder::parse(
        q.sort.as_deref(),
        rules::SORTABLE,
        SortKey::descending("occurred_at"),
    )
    .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))?;
    let filter = ActivityFilter {
        customer_id: q.customer_id,
        kind: q.kind.map(Into::into),
        author_id: q.author_id,
        order_id: q.order_id,
        deal_id: q.deal_id,
        from: q.occurred_from,
        to: q.occurred_to,
    };
    let list = store::list(state.db.conn(), auth.owner(), &filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, ActivityView::from)))
}

/// Record an activity.
///
/// With a customer the caller may reach; the customer's `last_activity_at` follows. Emits
/// `activity.created`.
#[utoipa::path(
    tag = "activities",
    operation_id = "create_activity",
    request_body = CreateActivity,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Recorded", body = ActivityView,
            headers(("Location" = String, description = "The activity's URL"), ("ETag" = String, description = "The version"))),
    ),
    security(("bearer" = []))
)]
#[post("/activities")]
pub async fn create_activity(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateActivity>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let now = state.clock.now();
    let new = body.checked(|dto| {
        NewActivity {
            kind: dto.kind.into(),
            subject: dto.subject,
            body: dto.body,
            occurred_at: dto.occurred_at,
            customer_id: dto.customer_id,
            order_id: dto.order_id,
            deal_id: dto.deal_id,
            author_id: dto.author_id,
        }
        .check(now)
    })?;
    let outcome =
        store::create(&state.db, &auth.actor, auth.owner(), new, now, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let activity = outcome.into_inner();
    let location = format!("/api/v1/activities/{}", activity.id);
    let version = activity.version;
    Ok(created(
        &ActivityView::from(activity),
        location,
        version,
        replayed,
    ))
}

/// Get an activity.
#[utoipa::path(
    tag = "activities",
    operation_id = "get_activity",
    params(("id" = Uuid, Path, description = "Activity id")),
    responses((status = 200, description = "The activity", body = ActivityView,
        headers(("ETag" = String, description = "The version, for If-Match")))),
    security(("bearer" = []))
)]
#[get("/activities/{id:[0-9a-fA-F-]+}")]
pub async fn get_activity(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let activity = store::get(state.db.conn(), auth.owner(), id.into_inner()).await?;
    let version = activity.version;
    Ok(ok_versioned(&ActivityView::from(activity), version))
}

/// Change an activity.
///
/// With `If-Match: "<version>"` the change applies only to that version. A new `occurred_at`
/// moves the customer's `last_activity_at` with it.
#[utoipa::path(
    tag = "activities",
    operation_id = "update_activity",
    request_body = UpdateActivity,
    params(
        ("id" = Uuid, Path, description = "Activity id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 200, description = "The changed activity", body = ActivityView,
        headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = []))
)]
#[patch("/activities/{id:[0-9a-fA-F-]+}")]
pub async fn update_activity(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateActivity>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let changes = body.checked(|dto| {
        ActivityChanges {
            kind: dto.kind.map(Into::into),
            subject: dto.subject,
            body: dto.body,
            occurred_at: dto.occurred_at,
            order_id: dto.order_id,
            deal_id: dto.deal_id,
            author_id: dto.author_id,
        }
        .check(now)
    })?;
    let activity = store::update(
        &state.db,
        &auth.actor,
        auth.owner(),
        id.into_inner(),
        changes,
        if_match.0,
    )
    .await?;
    let version = activity.version;
    Ok(ok_versioned(&ActivityView::from(activity), version))
}

/// Delete an activity.
///
/// The customer's `last_activity_at` falls back to their latest remaining activity.
#[utoipa::path(
    tag = "activities",
    operation_id = "delete_activity",
    params(
        ("id" = Uuid, Path, description = "Activity id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/activities/{id:[0-9a-fA-F-]+}")]
pub async fn delete_activity(
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
