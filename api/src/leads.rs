//! Lead handlers and what goes over the wire for them: people who may become customers, worked
//! from `new` to `qualified` and converted into a customer (and perhaps a deal) in one step.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::FieldErrors;
use rapport_domain::access::{Action, Resource};
use rapport_domain::custom_fields::FieldOwner;
use rapport_domain::deals::NewDeal;
use rapport_domain::leads::{self as rules, Lead, LeadChanges, LeadRating, LeadStatus, NewLead};
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_domain::values::{Currency, optional_email, optional_phone};
use rapport_domain::{FieldError, customers::Disclosure};
use rapport_persistence::leads::{
    self as store, Conversion, Converted, CustomerOfLead, LeadFilter,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::customers::{CreateCustomer, CustomerStage, CustomerView};
use crate::deals::DealView;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, nullable, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, answered, created, ok_versioned, page};
use crate::state::AppState;

/// Where a lead stands: `new`, `contacted` and `qualified` in that order, `disqualified` from
/// any of them (and back to `new`), `converted` by `POST /leads/{id}/convert` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatusDto {
    /// Not yet approached.
    New,
    /// Approached.
    Contacted,
    /// A real prospect.
    Qualified,
    /// Became a customer: final.
    Converted,
    /// Not a prospect.
    Disqualified,
}

mirror!(LeadStatusDto <=> LeadStatus { New, Contacted, Qualified, Converted, Disqualified });

/// How promising a lead is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeadRatingDto {
    /// Ready to buy.
    Hot,
    /// Interested.
    Warm,
    /// Not yet interested.
    Cold,
}

mirror!(LeadRatingDto <=> LeadRating { Hot, Warm, Cold });

/// A score as sent, as a domain score: out-of-range values stay out of range.
fn score(value: i64) -> i16 {
    i16::try_from(value).unwrap_or(if value < 0 { i16::MIN } else { i16::MAX })
}

/// A new lead.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "王芳", "company": "明德茶业", "email": "wang.fang@mingde-tea.cn",
    "phone": "+86 138 0013 8000", "source": "trade_fair", "rating": "warm", "score": 40,
    "notes": "Met at the Shanghai tea fair; wants gift boxes for the new year."
}))]
pub struct CreateLead {
    /// The person's name, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Where they work, at most 200 characters.
    #[schema(max_length = 200)]
    pub company: Option<String>,
    /// Email.
    #[schema(max_length = 254, format = "email")]
    pub email: Option<String>,
    /// Phone; 5 to 20 digits, `+`, spaces, dashes and parentheses allowed.
    #[schema(max_length = 32)]
    pub phone: Option<String>,
    /// Where the lead came from, at most 100 characters.
    #[schema(max_length = 100)]
    pub source: Option<String>,
    /// How promising it is.
    pub rating: Option<LeadRatingDto>,
    /// 0 to 100 (default 0).
    #[serde(default, deserialize_with = "crate::extract::optional_whole")]
    #[schema(minimum = 0, maximum = 100)]
    pub score: Option<i64>,
    /// The staff member who works it; the caller when absent. Callers whose role reaches only
    /// their own leads own the leads they create (422 `not_yours`).
    pub owner_id: Option<Uuid>,
    /// Free notes, at most 10000 characters.
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
}

/// Changes to a lead: absent parts stay, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "qualified", "rating": "hot", "score": 80}))]
pub struct UpdateLead {
    /// The person's name, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Where they work, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub company: Option<Option<String>>,
    /// Email, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 254, format = "email")]
    pub email: Option<Option<String>>,
    /// Phone, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 32)]
    pub phone: Option<Option<String>>,
    /// Where the lead came from, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub source: Option<Option<String>>,
    /// How promising it is, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<LeadRatingDto>)]
    pub rating: Option<Option<LeadRatingDto>>,
    /// 0 to 100.
    #[serde(default, deserialize_with = "crate::extract::optional_whole")]
    #[schema(minimum = 0, maximum = 100)]
    pub score: Option<i64>,
    /// The staff member who works it, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    /// Free notes, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub notes: Option<Option<String>>,
    /// `contacted` or `qualified` going forward, `disqualified` from any of those, `new` from
    /// `disqualified` (409 `invalid_transition` otherwise; `converted` only by converting).
    pub status: Option<LeadStatusDto>,
    /// Why it is disqualified, at most 1000 characters: only a disqualified lead has one.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub disqualified_reason: Option<Option<String>>,
}

/// A lead.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5ca-1111-7000-8000-000000000001", "name": "王芳", "company": "明德茶业",
    "email": "wang.fang@mingde-tea.cn", "phone": "+86 138 0013 8000", "source": "trade_fair",
    "rating": "hot", "score": 80, "status": "qualified",
    "owner_id": "0193a5c6-0000-7000-8000-000000000002",
    "notes": "Met at the Shanghai tea fair; wants gift boxes for the new year.",
    "disqualified_reason": null, "customer_id": null, "deal_id": null, "converted_at": null,
    "created_at": "2026-12-01T09:00:00Z", "updated_at": "2026-12-03T15:00:00Z", "version": 3
}))]
pub struct LeadView {
    /// Identifier.
    pub id: Uuid,
    /// The person's name.
    pub name: String,
    /// Where they work.
    pub company: Option<String>,
    /// Email (masked without `contact_details:read`).
    pub email: Option<String>,
    /// Phone (masked without `contact_details:read`).
    pub phone: Option<String>,
    /// Where the lead came from.
    pub source: Option<String>,
    /// How promising it is.
    pub rating: Option<LeadRatingDto>,
    /// 0 to 100.
    pub score: i16,
    /// Where it stands.
    pub status: LeadStatusDto,
    /// The staff member who works it.
    pub owner_id: Option<Uuid>,
    /// Free notes.
    pub notes: Option<String>,
    /// Why it was disqualified.
    pub disqualified_reason: Option<String>,
    /// The customer it became or was linked to, once converted.
    pub customer_id: Option<Uuid>,
    /// The deal opened when it was converted.
    pub deal_id: Option<Uuid>,
    /// When it was converted.
    pub converted_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl LeadView {
    /// The view of `l` for a caller who sees contact details as `disclosure` says.
    pub fn new(l: Lead, disclosure: Disclosure) -> Self {
        LeadView {
            id: l.id,
            name: l.name,
            company: l.company,
            email: disclosure.email(l.email),
            phone: disclosure.phone(l.phone),
            source: l.source,
            rating: l.rating.map(Into::into),
            score: l.score,
            status: l.status.into(),
            owner_id: l.owner_id,
            notes: l.notes,
            disqualified_reason: l.disqualified_reason,
            customer_id: l.customer_id,
            deal_id: l.deal_id,
            converted_at: l.converted_at,
            created_at: l.created_at,
            updated_at: l.updated_at,
            version: l.version,
        }
    }
}

/// Which leads, in which order, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LeadListQuery {
    /// In this status.
    pub status: Option<LeadStatusDto>,
    /// Rated so.
    pub rating: Option<LeadRatingDto>,
    /// Owned by this staff member.
    pub owner_id: Option<Uuid>,
    /// From this source (exactly).
    #[param(max_length = 100)]
    pub source: Option<String>,
    /// Scored at least this.
    #[param(minimum = 0, maximum = 100, example = 60)]
    pub min_score: Option<u16>,
    /// Scored at most this.
    #[param(minimum = 0, maximum = 100)]
    pub max_score: Option<u16>,
    /// Comma-separated keys, `-` for descending: `created_at`, `updated_at`, `score` (default
    /// `-created_at`).
    #[param(example = "-score")]
    pub sort: Option<String>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// A score bound of a list query: 0 to 100.
fn score_bound(parameter: &str, value: Option<u16>) -> Result<Option<i16>, ApiError> {
    match value {
        Some(v) if v > rules::MAX_SCORE as u16 => Err(ApiError::bad_parameter(
            parameter,
            "out_of_range",
            format!("must be between 0 and {}", rules::MAX_SCORE),
        )),
        other => Ok(other.and_then(|v| i16::try_from(v).ok())),
    }
}

/// List leads.
///
/// Newest first unless `sort` says otherwise. Callers whose role reaches only their own leads
/// see those.
#[utoipa::path(
    tag = "leads",
    operation_id = "list_leads",
    params(LeadListQuery),
    responses((status = 200, description = "One page of leads", body = PageOf<LeadView>)),
    security(("bearer" = []))
)]
#[get("/leads")]
pub async fn list_leads(
    state: Data<AppState>,
    auth: Auth,
    query: ValidQuery<LeadListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = SortOrder::parse(
        q.sort.as_deref(),
        rules::SORTABLE,
        SortKey::descending("created_at"),
    )
    .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))?;
    let filter = LeadFilter {
        status: q.status.map(Into::into),
        rating: q.rating.map(Into::into),
        owner_id: q.owner_id,
        source: crate::extract::text_parameter("source", q.source)?,
        min_score: score_bound("min_score", q.min_score)?,
        max_score: score_bound("max_score", q.max_score)?,
    };
    let list = store::list(state.db.conn(), auth.owner(), &filter, &order, &request).await?;
    let disclosure = auth.disclosure();
    Ok(page(&PageOf::from_page(list, |l| {
        LeadView::new(l, disclosure)
    })))
}

/// Create a lead.
///
/// `new`, owned by the caller unless it names someone. Emits `lead.created`.
#[utoipa::path(
    tag = "leads",
    operation_id = "create_lead",
    request_body = CreateLead,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = LeadView,
            headers(("Location" = String, description = "The lead's URL"), ("ETag" = String, description = "The version"))),
    ),
    security(("bearer" = []))
)]
#[post("/leads")]
pub async fn create_lead(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateLead>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let new = body.checked(|dto| {
        let mut errors = FieldErrors::new();
        let email = optional_email(&mut errors, dto.email);
        let phone = optional_phone(&mut errors, dto.phone);
        let new = NewLead {
            name: dto.name,
            company: dto.company,
            email,
            phone,
            source: dto.source,
            rating: dto.rating.map(Into::into),
            score: score(dto.score.unwrap_or(0)),
            owner_id: dto.owner_id,
            notes: dto.notes,
        }
        .check();
        errors.then(new)
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
    let lead = outcome.into_inner();
    let location = format!("/api/v1/leads/{}", lead.id);
    let version = lead.version;
    Ok(created(
        &LeadView::new(lead, auth.disclosure()),
        location,
        version,
        replayed,
    ))
}

/// Get a lead.
#[utoipa::path(
    tag = "leads",
    operation_id = "get_lead",
    params(("id" = Uuid, Path, description = "Lead id")),
    responses((status = 200, description = "The lead", body = LeadView,
        headers(("ETag" = String, description = "The version, for If-Match")))),
    security(("bearer" = []))
)]
#[get("/leads/{id:[0-9a-fA-F-]+}")]
pub async fn get_lead(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let lead = store::get(state.db.conn(), auth.owner(), id.into_inner()).await?;
    let version = lead.version;
    Ok(ok_versioned(
        &LeadView::new(lead, auth.disclosure()),
        version,
    ))
}

/// Change a lead.
///
/// `status` moves it along (`lead.disqualified` when it is disqualified, `lead.updated`
/// otherwise). A converted lead changes no more (409 `lead_converted`). With
/// `If-Match: "<version>"` the change applies only to that version.
#[utoipa::path(
    tag = "leads",
    operation_id = "update_lead",
    request_body = UpdateLead,
    params(
        ("id" = Uuid, Path, description = "Lead id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed lead", body = LeadView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: the status cannot move there; `lead_converted`: the lead was converted", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/leads/{id:[0-9a-fA-F-]+}")]
pub async fn update_lead(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateLead>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.checked(|dto| {
        let mut errors = FieldErrors::new();
        let email = dto.email.map(|e| optional_email(&mut errors, e));
        let phone = dto.phone.map(|p| optional_phone(&mut errors, p));
        let changes = LeadChanges {
            name: dto.name,
            company: dto.company,
            email,
            phone,
            source: dto.source,
            rating: dto.rating.map(|r| r.map(Into::into)),
            score: dto.score.map(score),
            owner_id: dto.owner_id,
            notes: dto.notes,
            status: dto.status.map(Into::into),
            disqualified_reason: dto.disqualified_reason,
        }
        .check();
        errors.then(changes)
    })?;
    let lead = store::update(
        &state.db,
        &auth.actor,
        auth.owner(),
        id.into_inner(),
        changes,
        if_match.0,
    )
    .await?;
    let version = lead.version;
    Ok(ok_versioned(
        &LeadView::new(lead, auth.disclosure()),
        version,
    ))
}

/// Delete a lead.
///
/// The customer and deal a converted lead made stay.
#[utoipa::path(
    tag = "leads",
    operation_id = "delete_lead",
    params(
        ("id" = Uuid, Path, description = "Lead id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/leads/{id:[0-9a-fA-F-]+}")]
pub async fn delete_lead(
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

/// The deal a conversion opens for the customer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvertedDeal {
    /// What is being sold, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The pipeline it moves through (422 `not_found` at `deal.pipeline_id` when there is
    /// none with this id).
    pub pipeline_id: Uuid,
    /// Its stage (422 `not_in_pipeline` when it is not one of the pipeline's); the first when
    /// absent.
    pub stage_id: Option<Uuid>,
    /// Its worth, in minor units.
    #[serde(deserialize_with = "crate::extract::whole")]
    #[schema(minimum = 0)]
    pub amount: i64,
    /// ISO 4217 code.
    #[schema(value_type = String, example = "CNY")]
    pub currency: Currency,
    /// When it is expected to close.
    pub expected_close_date: Option<NaiveDate>,
    /// The staff member who works it; the lead's owner when absent.
    pub owner_id: Option<Uuid>,
    /// Values of the custom fields defined for deals, by key, as `POST /api/v1/deals` takes
    /// them (422 at `deal.custom_fields.<key>`).
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// How to convert a lead.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "deal": {"name": "年会礼品：茶叶礼盒 200 份", "pipeline_id": "0193a5c9-1111-7000-8000-000000000001",
             "amount": 2560000, "currency": "CNY", "expected_close_date": "2026-12-20"}
}))]
pub struct ConvertLead {
    /// An existing customer the lead turned out to be, one the caller may reach (422
    /// `not_found` otherwise). Not with `customer`.
    pub customer_id: Option<Uuid>,
    /// The new customer, as `POST /api/v1/customers` takes it. When neither this nor
    /// `customer_id` is sent, the customer is made from the lead: an individual with its name,
    /// email, phone and source, owned by the lead's owner, lifecycle stage `prospect`.
    pub customer: Option<CreateCustomer>,
    /// A deal to open for the customer, in the same transaction (needs `deals:write`).
    pub deal: Option<ConvertedDeal>,
}

/// A converted lead, with the customer and the deal it ended with.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadConversionView {
    /// The lead, now `converted`.
    pub lead: LeadView,
    /// The customer.
    pub customer: CustomerView,
    /// Whether the conversion made the customer (false when it linked one).
    pub customer_created: bool,
    /// The deal, when one was asked for.
    pub deal: Option<DealView>,
}

impl LeadConversionView {
    fn new(c: Converted, disclosure: Disclosure) -> Self {
        LeadConversionView {
            lead: LeadView::new(c.lead, disclosure),
            customer: CustomerView::new(c.customer, disclosure),
            customer_created: c.customer_created,
            deal: c.deal.map(DealView::from),
        }
    }
}

/// The new customer a conversion makes when the request names none: the lead's own details.
fn customer_from(lead: &Lead) -> CreateCustomer {
    CreateCustomer {
        kind: None,
        name: lead.name.clone(),
        email: lead.email.clone().map(String::from),
        phone: lead.phone.clone().map(String::from),
        gender: None,
        birthday: None,
        address: None,
        source: lead.source.clone(),
        lifecycle_stage: Some(CustomerStage::Prospect),
        tags: None,
        owner_id: lead.owner_id,
        external_id: None,
        marketing_consent: None,
        notes: None,
        custom_fields: None,
    }
}

/// Convert a lead.
///
/// Makes the customer (or links the one named) and, when asked, opens a deal for them, and
/// marks the lead `converted`, all in one transaction: when any part is refused (a taken email,
/// an unknown pipeline) nothing is made and the lead stays as it was. Making a customer needs
/// `customers:write`, opening a deal `deals:write`. A lead is converted once (409
/// `lead_converted` after); a disqualified one is reopened first (409 `invalid_transition`).
/// Emits `customer.created` (when made), `deal.created` (when asked) and `lead.converted`.
#[utoipa::path(
    tag = "leads",
    operation_id = "convert_lead",
    request_body = ConvertLead,
    params(
        ("id" = Uuid, Path, description = "Lead id"),
        ("If-Match" = Option<String>, Header),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The converted lead (its new version in `lead.version`), its customer and its deal", body = LeadConversionView),
        (status = 409, description = "`lead_converted`: the lead was converted already; `invalid_transition`: the lead is disqualified; `email_taken`, `phone_taken`: another customer has the new customer's email or phone", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/leads/{id:[0-9a-fA-F-]+}/convert")]
pub async fn convert_lead(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    if_match: IfMatch,
    idempotency: IdempotencyHeader,
    body: ValidJson<ConvertLead>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let dto = body.value()?;
    let customer_scope = auth.also(Resource::Customers, Action::Write)?;
    let deal_owner = match dto.deal {
        Some(_) => Some(
            auth.actor
                .owner_filter(auth.also(Resource::Deals, Action::Write)?),
        ),
        None => None,
    };
    let lead = store::get(state.db.conn(), auth.owner(), id).await?;
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Customer).await?;
    let deal_definitions = crate::custom_fields::definitions(&state, FieldOwner::Deal).await?;
    let today = state.clock.now().date_naive();
    let mut errors = FieldErrors::new();
    let customer = match (dto.customer_id, dto.customer) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "customer",
                "exclusive",
                "send customer_id to link a customer or customer to make one, not both",
            ));
            None
        }
        (Some(existing), None) => Some(CustomerOfLead::Existing(existing)),
        (None, Some(sent)) => errors
            .take_all(
                sent.into_domain(today, &definitions)
                    .map_err(|e| e.under("customer").0),
            )
            .map(|c| CustomerOfLead::New(Box::new(c))),
        (None, None) => errors
            .take_all(
                customer_from(&lead)
                    .into_domain(today, &definitions)
                    .map_err(|e| e.under("customer").0),
            )
            .map(|c| CustomerOfLead::New(Box::new(c))),
    };
    let deal = match dto.deal {
        Some(d) => errors
            .take_all(
                NewDeal {
                    name: d.name,
                    customer_id: Uuid::nil(),
                    pipeline_id: d.pipeline_id,
                    stage_id: d.stage_id,
                    amount: d.amount,
                    currency: d.currency,
                    expected_close_date: d.expected_close_date,
                    owner_id: d.owner_id.or(lead.owner_id),
                    custom_fields: d.custom_fields.unwrap_or_default(),
                }
                .check(&deal_definitions)
                .map_err(|e| e.under("deal").0),
            )
            .zip(deal_owner),
        None => None,
    };
    let (Some(customer), true) = (customer, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let conversion = Conversion {
        customer,
        customer_scope,
        deal,
    };
    let outcome = store::convert(
        &state.db,
        &auth.actor,
        auth.owner(),
        id,
        conversion,
        state.clock.now(),
        if_match.0,
        key.as_ref(),
    )
    .await?;
    let replayed = outcome.is_replay();
    Ok(answered(
        &LeadConversionView::new(outcome.into_inner(), auth.disclosure()),
        replayed,
    ))
}
