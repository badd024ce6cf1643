//! What a campaign reached: its members, the tracking events that say what happened to them, and
//! its results.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use chrono::{DateTime, Utc};
use rapport_domain::marketing::campaigns::{self as rules, TouchInput};
use rapport_persistence::marketing::campaigns::{self as store, Member};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::TouchKindDto;
use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, answered, page};
use crate::state::AppState;

/// A member of a campaign's audience, and the first time of each thing that happened to them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "customer_id": "0193a5c6-1111-7000-8000-000000000001", "added_at": "2026-12-10T09:00:00Z",
    "sent_at": "2026-12-12T10:00:00Z", "delivered_at": "2026-12-12T10:00:05Z",
    "opened_at": null, "clicked_at": "2026-12-12T10:02:00Z", "converted_at": null
}))]
pub struct CampaignMemberView {
    /// The customer.
    pub customer_id: Uuid,
    /// When the audience froze.
    pub added_at: DateTime<Utc>,
    /// First sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// First delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// First opened.
    pub opened_at: Option<DateTime<Utc>>,
    /// First clicked through.
    pub clicked_at: Option<DateTime<Utc>>,
    /// First converted (by an event; a credited order counts in the stats too).
    pub converted_at: Option<DateTime<Utc>>,
}

impl From<Member> for CampaignMemberView {
    fn from(m: Member) -> Self {
        let [sent_at, delivered_at, opened_at, clicked_at, converted_at] = m.first;
        CampaignMemberView {
            customer_id: m.customer_id,
            added_at: m.added_at,
            sent_at,
            delivered_at,
            opened_at,
            clicked_at,
            converted_at,
        }
    }
}

/// Which page of members.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// List a campaign's members.
///
/// The audience as it froze when the campaign was published, by customer id, each with the
/// first time it was sent, delivered, opened, clicked through and converted. A draft has none.
#[utoipa::path(
    tag = "campaigns",
    operation_id = "list_campaign_members",
    params(("id" = Uuid, Path, description = "Campaign id"), MemberQuery),
    responses((status = 200, description = "One page of members", body = PageOf<CampaignMemberView>)),
    security(("bearer" = []))
)]
#[get("/campaigns/{id:[0-9a-fA-F-]+}/members")]
pub async fn list_campaign_members(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
    query: ValidQuery<MemberQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let list = store::members(state.db.conn(), id.into_inner(), &request).await?;
    Ok(page(&PageOf::from_page(list, CampaignMemberView::from)))
}

/// One tracking event.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackingEvent {
    /// The sender's id for it, 1 to 100 characters: an event whose id the campaign has is
    /// counted as a duplicate and not kept again.
    #[schema(min_length = 1, max_length = 100)]
    pub event_id: String,
    /// Whom it is about: a member of the campaign (422 `not_a_member` otherwise).
    pub customer_id: Uuid,
    /// What happened.
    pub kind: TouchKindDto,
    /// When, not in the future (five minutes of clock difference allowed).
    pub occurred_at: DateTime<Utc>,
}

/// A batch of tracking events.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"events": [
    {"event_id": "sms-88213-sent", "customer_id": "0193a5c6-1111-7000-8000-000000000001",
     "kind": "sent", "occurred_at": "2026-12-12T10:00:00Z"},
    {"event_id": "sms-88213-click", "customer_id": "0193a5c6-1111-7000-8000-000000000001",
     "kind": "clicked", "occurred_at": "2026-12-12T10:02:00Z"}
]}))]
pub struct TrackingBatch {
    /// 1 to 1000 events.
    #[schema(min_items = 1, max_items = 1000)]
    pub events: Vec<TrackingEvent>,
}

/// What a batch did.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"accepted": 2, "duplicates": 0}))]
pub struct TrackingOutcome {
    /// Events kept.
    pub accepted: u64,
    /// Events whose id the campaign had already, or had earlier in the batch: not kept again.
    pub duplicates: u64,
}

/// Track a campaign.
///
/// Ingests tracking events from the sender (an SMS gateway, an e-mail service, a shop): what
/// happened to which member, when. All or nothing: every mistake is named at
/// `events[i].<field>`. Each event is kept once per `event_id`, so a batch sent again changes
/// nothing; each member's first time of each kind is kept on the member. A draft has no members
/// (409 `not_published`). Every event shows on its customer's timeline. Emits
/// `campaign.tracked`.
#[utoipa::path(
    tag = "campaigns",
    operation_id = "track_campaign",
    request_body = TrackingBatch,
    params(
        ("id" = Uuid, Path, description = "Campaign id"),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "What the batch did", body = TrackingOutcome),
        (status = 409, description = "`not_published`: the campaign is a draft", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/campaigns/{id:[0-9a-fA-F-]+}/events")]
pub async fn track_campaign(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    idempotency: IdempotencyHeader,
    body: ValidJson<TrackingBatch>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let now = state.clock.now();
    let events = body.checked(|dto| {
        let events = dto
            .events
            .into_iter()
            .map(|e| TouchInput {
                event_id: e.event_id,
                customer_id: e.customer_id,
                kind: e.kind.into(),
                occurred_at: e.occurred_at,
            })
            .collect();
        rules::touches(events, now)
    })?;
    let outcome = store::track(
        &state.db,
        &auth.actor,
        id.into_inner(),
        events,
        now,
        key.as_ref(),
    )
    .await?;
    let replayed = outcome.is_replay();
    let done = outcome.into_inner();
    Ok(answered(
        &TrackingOutcome {
            accepted: done.accepted,
            duplicates: done.duplicates,
        },
        replayed,
    ))
}

/// What a campaign's members did and what it brought in.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "campaign_id": "0193a5ca-1111-7000-8000-000000000001", "currency": "CNY",
    "audience": 1342, "sent": 1342, "delivered": 1300, "opened": 610, "clicked": 215,
    "reached": 1300, "responded": 640, "converted": 96,
    "response_rate": 0.4923, "conversion_rate": 0.0738,
    "orders": 104, "revenue": 4520000, "cost": 120000, "budget": 200000, "roi": 36.6667
}))]
pub struct CampaignStats {
    /// The campaign.
    pub campaign_id: Uuid,
    /// The currency of `revenue`, `cost` and `budget`: orders in others are not counted.
    pub currency: String,
    /// Members: the audience as it froze.
    pub audience: i64,
    /// Members sent to.
    pub sent: i64,
    /// Members delivered to.
    pub delivered: i64,
    /// Members who opened it.
    pub opened: i64,
    /// Members who clicked through.
    pub clicked: i64,
    /// Reach: members delivered to, or who went further (opened, clicked, converted).
    pub reached: i64,
    /// Members who opened, clicked or converted.
    pub responded: i64,
    /// Members who converted: by an event, or by a paid order credited to the campaign.
    pub converted: i64,
    /// `responded / reached`, four decimals; `null` while nobody is reached.
    pub response_rate: Option<f64>,
    /// `converted / reached`, four decimals; `null` while nobody is reached.
    pub conversion_rate: Option<f64>,
    /// Paid orders credited to the campaign: those naming it (`campaign_id`), and those placed
    /// within its window (`starts_at` to `ends_at`) that took its coupon, whoever placed them.
    pub orders: i64,
    /// What those orders came to, less their refunds, minor units.
    pub revenue: i64,
    /// What the campaign cost.
    pub cost: i64,
    /// What it may spend.
    pub budget: Option<i64>,
    /// Return on the cost: `(revenue − cost) / cost`, four decimals; `null` while it cost
    /// nothing.
    pub roi: Option<f64>,
}

/// Get a campaign's results.
///
/// Reach, response and conversion as rates, the orders credited to it and what they brought in,
/// against what it cost; counted when asked, so they follow every tracking event, payment and
/// refund.
#[utoipa::path(
    tag = "campaigns",
    operation_id = "get_campaign_stats",
    params(("id" = Uuid, Path, description = "Campaign id")),
    responses((status = 200, description = "The results", body = CampaignStats)),
    security(("bearer" = []))
)]
#[get("/campaigns/{id:[0-9a-fA-F-]+}/stats")]
pub async fn get_campaign_stats(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let conn = state.db.conn();
    let campaign = store::get(conn, id.into_inner()).await?;
    let t = store::tally(conn, &campaign).await?;
    let [sent, delivered, opened, clicked, _] = t.touched;
    Ok(HttpResponse::Ok().json(CampaignStats {
        campaign_id: campaign.id,
        currency: campaign.currency.code().to_owned(),
        audience: t.audience,
        sent,
        delivered,
        opened,
        clicked,
        reached: t.reached,
        responded: t.responded,
        converted: t.converted,
        response_rate: rules::rate(t.responded, t.reached),
        conversion_rate: rules::rate(t.converted, t.reached),
        orders: t.orders,
        revenue: t.revenue,
        cost: campaign.cost,
        budget: campaign.budget,
        roi: rules::roi(t.revenue, campaign.cost),
    }))
}
