//! SLA policy handlers and what goes over the wire for them: the first-response and resolution
//! targets per priority that tickets are held to, counted around the clock or in business hours.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use chrono::{DateTime, NaiveTime, Utc, Weekday};
use rapport_domain::FieldError;
use rapport_domain::FieldErrors;
use rapport_domain::sla::{
    self as rules, BusinessHours, NewPolicy, PolicyChanges, SlaPolicy, Target, Targets,
};
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_persistence::sla as store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, nullable, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DayDto {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

mirror!(DayDto <=> Weekday { Mon, Tue, Wed, Thu, Fri, Sat, Sun });

/// Working days and hours, in the workspace's time zone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessHoursDto {
    /// The working days, each once.
    #[schema(min_items = 1, max_items = 7)]
    pub days: Vec<DayDto>,
    /// When a working day starts, `HH:MM`.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "09:00")]
    pub start: String,
    /// When it ends, `HH:MM`, after `start`.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "18:00")]
    pub end: String,
}

/// How soon tickets of one priority are answered and resolved.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetDto {
    /// Minutes from opening to the first public answer by staff, 1 to 525600.
    #[serde(deserialize_with = "crate::extract::whole")]
    #[schema(minimum = 1, maximum = 525600)]
    pub first_response_minutes: i64,
    /// Minutes from opening to resolution, the time waiting on the customer left out, 1 to
    /// 525600.
    #[serde(deserialize_with = "crate::extract::whole")]
    #[schema(minimum = 1, maximum = 525600)]
    pub resolution_minutes: i64,
}

/// A target for each priority.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetsDto {
    /// For `low` tickets.
    pub low: TargetDto,
    /// For `normal` tickets.
    pub normal: TargetDto,
    /// For `high` tickets.
    pub high: TargetDto,
    /// For `urgent` tickets.
    pub urgent: TargetDto,
}

impl From<TargetsDto> for Targets {
    fn from(t: TargetsDto) -> Self {
        let one = |t: TargetDto| Target {
            first_response_minutes: t.first_response_minutes,
            resolution_minutes: t.resolution_minutes,
        };
        Targets {
            low: one(t.low),
            normal: one(t.normal),
            high: one(t.high),
            urgent: one(t.urgent),
        }
    }
}

impl From<Targets> for TargetsDto {
    fn from(t: Targets) -> Self {
        let one = |t: Target| TargetDto {
            first_response_minutes: t.first_response_minutes,
            resolution_minutes: t.resolution_minutes,
        };
        TargetsDto {
            low: one(t.low),
            normal: one(t.normal),
            high: one(t.high),
            urgent: one(t.urgent),
        }
    }
}

/// Reads a time of day as sent (`HH:MM`) for `field`.
fn time_of_day(field: &str, raw: &str, errors: &mut FieldErrors) -> Option<NaiveTime> {
    let time = NaiveTime::parse_from_str(raw, "%H:%M").ok();
    if time.is_none() {
        errors.push(FieldError::new(
            field,
            "invalid_time",
            "must be a time of day written HH:MM",
        ));
    }
    time
}

impl BusinessHoursDto {
    fn into_domain(self, errors: &mut FieldErrors) -> Option<BusinessHours> {
        let start = time_of_day("business_hours.start", &self.start, errors);
        let end = time_of_day("business_hours.end", &self.end, errors);
        Some(BusinessHours {
            days: self.days.into_iter().map(Into::into).collect(),
            start: start?,
            end: end?,
        })
    }
}

impl From<BusinessHours> for BusinessHoursDto {
    fn from(h: BusinessHours) -> Self {
        BusinessHoursDto {
            days: h.days.into_iter().map(Into::into).collect(),
            start: h.start.format("%H:%M").to_string(),
            end: h.end.format("%H:%M").to_string(),
        }
    }
}

/// A new SLA policy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "标准服务", "active": true,
    "business_hours": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "18:00"},
    "targets": {
        "low": {"first_response_minutes": 480, "resolution_minutes": 2700},
        "normal": {"first_response_minutes": 120, "resolution_minutes": 1080},
        "high": {"first_response_minutes": 60, "resolution_minutes": 540},
        "urgent": {"first_response_minutes": 15, "resolution_minutes": 240}
    }
}))]
pub struct CreateSlaPolicy {
    /// What it is called, 1 to 100 characters, unique (409 `sla_policy_name_taken`).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Whether new tickets take it (`false` when absent). At most one policy is active: making
    /// this one active makes the one before it inactive.
    pub active: Option<bool>,
    /// When its clock runs; around the clock when absent.
    pub business_hours: Option<BusinessHoursDto>,
    /// Its targets, one per priority.
    pub targets: TargetsDto,
}

/// Changes to an SLA policy: absent parts stay. Tickets keep the due times they took.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": true}))]
pub struct UpdateSlaPolicy {
    /// What it is called, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Whether new tickets take it; making it active makes the one before it inactive.
    pub active: Option<bool>,
    /// When its clock runs, or `null` for around the clock.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<BusinessHoursDto>)]
    pub business_hours: Option<Option<BusinessHoursDto>>,
    /// Its targets, replaced as a whole.
    pub targets: Option<TargetsDto>,
}

/// An SLA policy.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5d1-1111-7000-8000-000000000001", "name": "标准服务", "active": true,
    "business_hours": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "18:00"},
    "targets": {
        "low": {"first_response_minutes": 480, "resolution_minutes": 2700},
        "normal": {"first_response_minutes": 120, "resolution_minutes": 1080},
        "high": {"first_response_minutes": 60, "resolution_minutes": 540},
        "urgent": {"first_response_minutes": 15, "resolution_minutes": 240}
    },
    "created_at": "2026-12-01T09:00:00Z", "updated_at": "2026-12-01T09:00:00Z", "version": 1
}))]
pub struct SlaPolicyView {
    /// Identifier.
    pub id: Uuid,
    /// What it is called.
    pub name: String,
    /// Whether new tickets take it.
    pub active: bool,
    /// When its clock runs; around the clock when null.
    pub business_hours: Option<BusinessHoursDto>,
    /// Its targets.
    pub targets: TargetsDto,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<SlaPolicy> for SlaPolicyView {
    fn from(p: SlaPolicy) -> Self {
        SlaPolicyView {
            id: p.id,
            name: p.name,
            active: p.active,
            business_hours: p.business_hours.map(Into::into),
            targets: p.targets.into(),
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        }
    }
}

/// Which policies, in which order, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SlaPolicyListQuery {
    /// Comma-separated keys, `-` for descending: `created_at`, `name` (default `created_at`).
    #[param(example = "name")]
    pub sort: Option<String>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// List SLA policies.
///
/// Oldest first unless `sort` says otherwise.
#[utoipa::path(
    tag = "sla",
    operation_id = "list_sla_policies",
    params(SlaPolicyListQuery),
    responses((status = 200, description = "One page of policies", body = PageOf<SlaPolicyView>)),
    security(("bearer" = []))
)]
#[get("/sla-policies")]
pub async fn list_sla_policies(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<SlaPolicyListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = SortOrder::parse(
        q.sort.as_deref(),
        rules::SORTABLE,
        SortKey::ascending("created_at"),
    )
    .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))?;
    let list = store::list(state.db.conn(), &order, &request).await?;
    Ok(page(&PageOf::from_page(list, SlaPolicyView::from)))
}

/// Create an SLA policy.
///
/// Active, it is the one tickets opened from now on take. Emits `sla_policy.created`.
#[utoipa::path(
    tag = "sla",
    operation_id = "create_sla_policy",
    request_body = CreateSlaPolicy,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = SlaPolicyView,
            headers(("Location" = String, description = "The policy's URL"), ("ETag" = String, description = "The version"))),
        (status = 409, description = "`sla_policy_name_taken`: another policy has the name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/sla-policies")]
pub async fn create_sla_policy(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateSlaPolicy>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let new = body.checked(|dto| {
        let mut shape = FieldErrors::new();
        let business_hours = dto.business_hours.and_then(|h| h.into_domain(&mut shape));
        let checked = NewPolicy {
            name: dto.name,
            active: dto.active.unwrap_or(false),
            business_hours,
            targets: dto.targets.into(),
        }
        .check();
        shape.then(checked)
    })?;
    let outcome = store::create(&state.db, &auth.actor, new, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let policy = outcome.into_inner();
    let location = format!("/api/v1/sla-policies/{}", policy.id);
    let version = policy.version;
    Ok(created(
        &SlaPolicyView::from(policy),
        location,
        version,
        replayed,
    ))
}

/// Get an SLA policy.
#[utoipa::path(
    tag = "sla",
    operation_id = "get_sla_policy",
    params(("id" = Uuid, Path, description = "Policy id")),
    responses((status = 200, description = "The policy", body = SlaPolicyView,
        headers(("ETag" = String, description = "The version, for If-Match")))),
    security(("bearer" = []))
)]
#[get("/sla-policies/{id:[0-9a-fA-F-]+}")]
pub async fn get_sla_policy(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let policy = store::get(state.db.conn(), id.into_inner()).await?;
    let version = policy.version;
    Ok(ok_versioned(&SlaPolicyView::from(policy), version))
}

/// Change an SLA policy.
///
/// Tickets keep the due times they took; those opened from now on take the change. Made
/// active, it replaces the policy active before. With `If-Match: "<version>"` the change applies
/// only to that version. Emits `sla_policy.updated`.
#[utoipa::path(
    tag = "sla",
    operation_id = "update_sla_policy",
    request_body = UpdateSlaPolicy,
    params(
        ("id" = Uuid, Path, description = "Policy id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed policy", body = SlaPolicyView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`sla_policy_name_taken`: another policy has the name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/sla-policies/{id:[0-9a-fA-F-]+}")]
pub async fn update_sla_policy(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateSlaPolicy>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.checked(|dto| {
        let mut shape = FieldErrors::new();
        let business_hours = match dto.business_hours {
            Some(Some(h)) => h.into_domain(&mut shape).map(Some),
            Some(None) => Some(None),
            None => None,
        };
        let checked = PolicyChanges {
            name: dto.name,
            active: dto.active,
            business_hours,
            targets: dto.targets.map(Into::into),
        }
        .check();
        shape.then(checked)
    })?;
    let policy =
        store::update(&state.db, &auth.actor, id.into_inner(), changes, if_match.0).await?;
    let version = policy.version;
    Ok(ok_versioned(&SlaPolicyView::from(policy), version))
}

/// Delete an SLA policy.
///
/// Tickets that took it keep their due times. Emits `sla_policy.deleted`.
#[utoipa::path(
    tag = "sla",
    operation_id = "delete_sla_policy",
    params(
        ("id" = Uuid, Path, description = "Policy id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/sla-policies/{id:[0-9a-fA-F-]+}")]
pub async fn delete_sla_policy(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    store::delete(&state.db, &auth.actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
