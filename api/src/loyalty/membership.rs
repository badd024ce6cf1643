//! Members over HTTP (`/customers/{id}/membership`): enrolling a customer in the loyalty
//! programme, reading their membership and tier, and ending it.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, post};
use chrono::{DateTime, Utc};
use rapport_domain::loyalty::tiers::{Membership, Progress, SignupChannel, member_number};
use rapport_domain::{FieldError, FieldErrors};
use rapport_persistence::customers::membership::{self, Enrolment};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, ValidJson};
use crate::loyalty::tiers::QualificationDto;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// Where a member signed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignupChannelDto {
    /// At a shop's counter.
    Store,
    /// On the web shop.
    Web,
    /// In the shop's app.
    App,
    /// Through a WeChat official account.
    Wechat,
    /// In a WeChat mini program.
    MiniProgram,
    /// By phone.
    Phone,
    /// Anywhere else.
    Other,
}

mirror!(SignupChannelDto <=> SignupChannel { Store, Web, App, Wechat, MiniProgram, Phone, Other });

/// How a customer joins the loyalty programme.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"signup_channel": "mini_program"}))]
pub struct Enrol {
    /// Where they signed up.
    pub signup_channel: SignupChannelDto,
    /// Their member number, 4 to 32 letters, digits or `-` (upper-cased), unique; one is drawn
    /// (`M` and ten characters) when absent.
    #[schema(min_length = 4, max_length = 32, pattern = "^[A-Za-z0-9-]{4,32}$")]
    pub member_number: Option<String>,
    /// When they joined, between 1900 and now, for members brought over from another system;
    /// now when absent.
    pub member_since: Option<DateTime<Utc>>,
}

/// The earliest a member can have joined.
fn joined_at_earliest() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("1900-01-01T00:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// What a member earned and spent within the tier window.
#[derive(Debug, Serialize, ToSchema)]
pub struct StandingView {
    /// Points earned or added, less taken back, within the window.
    pub points: i64,
    /// What paid orders came to, less refunds, within the window (minor units).
    pub spend: i64,
    /// When the window began (`tier_window_days` of `/settings/loyalty` back from now); `null`
    /// for a window of all time.
    pub since: Option<DateTime<Utc>>,
}

/// The next tier up and what it still asks for.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextTierView {
    /// The tier.
    pub tier_id: Uuid,
    /// Its name.
    pub name: String,
    /// What its threshold measures.
    pub qualification: QualificationDto,
    /// Its threshold.
    pub threshold: i64,
    /// What the member still needs, in points or minor units.
    pub missing: i64,
}

/// A customer's membership of the loyalty programme.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "customer_id": "0193a5c6-2b1e-7c3d-9f00-1a2b3c4d5e6f",
    "member_number": "M7K3M9Q2BX4",
    "member_since": "2026-12-08T08:30:00Z",
    "signup_channel": "mini_program",
    "tier_id": "0193a5c7-2222-7000-8000-000000000002",
    "standing": {"points": 1200, "spend": 320000, "since": "2025-12-08T08:30:00Z"},
    "next_tier": {"tier_id": "0193a5c7-3333-7000-8000-000000000003", "name": "金卡",
        "qualification": "spend", "threshold": 500000, "missing": 180000}
}))]
pub struct MembershipView {
    /// The customer.
    pub customer_id: Uuid,
    /// Their member number, unique.
    pub member_number: String,
    /// When they joined.
    pub member_since: DateTime<Utc>,
    /// Where they signed up.
    pub signup_channel: SignupChannelDto,
    /// The tier their standing reaches (`/api/v1/membership-tiers`), if any: reviewed whenever
    /// they pay, are refunded or have points added or taken, and daily.
    pub tier_id: Option<Uuid>,
    /// What they earned and spent within the tier window.
    pub standing: StandingView,
    /// The next tier up, with what it still asks for; `null` at the top.
    pub next_tier: Option<NextTierView>,
}

impl MembershipView {
    fn new(m: Membership, progress: Progress) -> Self {
        MembershipView {
            customer_id: m.customer_id,
            member_number: m.member_number,
            member_since: m.member_since,
            signup_channel: m.signup_channel.into(),
            tier_id: m.tier_id,
            standing: StandingView {
                points: progress.standing.points,
                spend: progress.standing.spend,
                since: progress.since,
            },
            next_tier: progress.next.map(|(tier, missing)| NextTierView {
                tier_id: tier.id,
                name: tier.name,
                qualification: tier.qualification.into(),
                threshold: tier.threshold,
                missing,
            }),
        }
    }
}

/// The view of `membership` with where it stands now.
async fn view(state: &AppState, membership: Membership) -> Result<MembershipView, ApiError> {
    let progress = membership::progress(state.db.conn(), &membership, state.clock.now()).await?;
    Ok(MembershipView::new(membership, progress))
}

/// Get a customer's membership.
///
/// Their number and tier, what they earned and spent within the tier window, and what the next
/// tier up still asks for. 404 when the customer has not enrolled.
#[utoipa::path(
    tag = "membership-tiers",
    operation_id = "get_customer_membership",
    params(("id" = Uuid, Path, description = "Customer id")),
    responses((status = 200, description = "The membership", body = MembershipView)),
    security(("bearer" = []))
)]
#[get("/customers/{id:[0-9a-fA-F-]+}/membership")]
pub async fn get_customer_membership(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let found = membership::get(state.db.conn(), auth.owner(), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view(&state, found).await?))
}

/// Enrol a customer in the loyalty programme.
///
/// Gives them a member number (theirs, or one drawn), `member_since` and the channel they signed
/// up by, and the tier their standing already reaches (`customer.enrolled`, and
/// `customer.tier_changed` when they reach one). 409 `already_member` when they are one;
/// 409 `member_number_taken` when the number is another member's.
#[utoipa::path(
    tag = "membership-tiers",
    operation_id = "enrol_customer",
    request_body = Enrol,
    params(
        ("id" = Uuid, Path, description = "Customer id"),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 201, description = "The membership", body = MembershipView,
            headers(("Location" = String, description = "The membership's URL"))),
        (status = 409, description = "`already_member`: the customer has enrolled; `member_number_taken`: another member has the number", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/customers/{id:[0-9a-fA-F-]+}/membership")]
pub async fn enrol_customer(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    idempotency: IdempotencyHeader,
    body: ValidJson<Enrol>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let enrolment = body.checked(|dto| {
        let mut errors = FieldErrors::new();
        let number = dto
            .member_number
            .map(|n| errors.take(member_number("member_number", &n)));
        if let Some(since) = dto.member_since
            && !(joined_at_earliest()..=Utc::now()).contains(&since)
        {
            errors.push(FieldError::new(
                "member_since",
                "out_of_range",
                "a member joined between 1900 and now",
            ));
        }
        errors.into_result(|| Enrolment {
            member_number: number.flatten(),
            signup_channel: dto.signup_channel.into(),
            member_since: dto.member_since,
        })
    })?;
    let customer_id = id.into_inner();
    let outcome = membership::enrol(
        &state.db,
        &auth.actor,
        auth.owner(),
        customer_id,
        enrolment,
        key.as_ref(),
    )
    .await?;
    let mut response = HttpResponse::Created();
    response.insert_header((
        actix_web::http::header::LOCATION,
        format!("/api/v1/customers/{customer_id}/membership"),
    ));
    if outcome.is_replay() {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.json(view(&state, outcome.into_inner()).await?))
}

/// End a customer's membership.
///
/// Their member number, tier and when and where they joined are cleared
/// (`customer.left_membership`); their points stay. 404 when they are not a member.
#[utoipa::path(
    tag = "membership-tiers",
    operation_id = "end_customer_membership",
    params(("id" = Uuid, Path, description = "Customer id")),
    responses((status = 204, description = "Ended")),
    security(("bearer" = []))
)]
#[delete("/customers/{id:[0-9a-fA-F-]+}/membership")]
pub async fn end_customer_membership(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    membership::leave(&state.db, &auth.actor, auth.owner(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
