//! `GET /customers/{id}/timeline`: everything that happened with a customer, newest first, across
//! the areas that record it (activities, orders, deals, tickets, conversations and campaigns), so it sits
//! above them. Each
//! kind shows only to callers whose role may read that area.

use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use rapport_domain::access::{Action, Permission, Resource};
use rapport_domain::timeline::TimelineKind;
use rapport_persistence::timeline::{self, Entry};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::activities::ActivityView;
use crate::auth::Auth;
use crate::campaigns::CampaignTouchView;
use crate::conversations::ConversationView;
use crate::deals::DealView;
use crate::extract::{ValidQuery, page_request};
use crate::orders::OrderView;
use crate::problem::ApiError;
use crate::respond::{PageOf, page};
use crate::state::AppState;
use crate::tickets::TicketView;

/// What kind of record an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKindDto {
    /// An activity (`activity` holds it), at the time it happened.
    Activity,
    /// An order (`order` holds it), at the time it was placed.
    Order,
    /// A deal (`deal` holds it), at the time it was opened.
    Deal,
    /// A ticket (`ticket` holds it), at the time it was opened.
    Ticket,
    /// A conversation (`conversation` holds it), at the time it was opened.
    Conversation,
    /// A campaign's tracking event about the customer (`campaign_touch` holds it), at the time
    /// it happened.
    CampaignTouch,
}

/// One thing that happened with the customer: its kind, its time, and the record itself under
/// the kind's name.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "kind": "activity", "at": "2026-12-05T10:30:00Z",
    "activity": {
        "id": "0193a5c8-6666-7000-8000-000000000001", "kind": "call", "subject": "回访：新款到店",
        "body": "客户周末来店试穿，想要蓝色 42 码。", "occurred_at": "2026-12-05T10:30:00Z",
        "customer_id": "0193a5c7-1111-7000-8000-000000000001", "order_id": null,
        "author_id": "0193a5c6-0000-7000-8000-000000000002",
        "created_at": "2026-12-05T10:31:00Z", "updated_at": "2026-12-05T10:31:00Z", "version": 1
    }
}))]
pub struct TimelineEntryView {
    /// What kind of record.
    pub kind: TimelineKindDto,
    /// When it happened: an activity's or a tracking event's `occurred_at`, an order's, a
    /// deal's, a ticket's or a conversation's `created_at`.
    pub at: DateTime<Utc>,
    /// The activity, when `kind` is `activity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<ActivityView>,
    /// The order, when `kind` is `order`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderView>,
    /// The deal, when `kind` is `deal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deal: Option<DealView>,
    /// The ticket, when `kind` is `ticket`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketView>,
    /// The conversation, when `kind` is `conversation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation: Option<ConversationView>,
    /// The tracking event, when `kind` is `campaign_touch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_touch: Option<CampaignTouchView>,
}

impl TimelineEntryView {
    /// An entry of `kind` at `at` that holds no record yet.
    fn empty(kind: TimelineKindDto, at: DateTime<Utc>) -> Self {
        TimelineEntryView {
            kind,
            at,
            activity: None,
            order: None,
            deal: None,
            ticket: None,
            conversation: None,
            campaign_touch: None,
        }
    }
}

/// Whether the caller's role may read the area that keeps records of `kind`.
fn readable(auth: &Auth, kind: TimelineKind) -> bool {
    let resource = match kind {
        TimelineKind::Activity => Resource::Activities,
        TimelineKind::Order => Resource::Orders,
        TimelineKind::Deal => Resource::Deals,
        TimelineKind::Ticket => Resource::Tickets,
        TimelineKind::Conversation => Resource::Conversations,
        TimelineKind::CampaignTouch => Resource::Campaigns,
    };
    auth.actor
        .scope_for(Permission::new(resource, Action::Read))
        .is_some()
}

/// Which kinds, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    /// Comma-separated kinds to show: `activity`, `order`, `deal`, `ticket`, `conversation`,
    /// `campaign_touch` (default every kind the caller may read).
    #[param(
        pattern = "^(activity|order|deal|ticket|conversation|campaign_touch)(,(activity|order|deal|ticket|conversation|campaign_touch))*$",
        example = "activity,order"
    )]
    pub kinds: Option<String>,
    /// Entries per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// A customer's timeline.
///
/// Their activities, orders, deals, tickets, conversations and the campaigns' tracking events
/// about them, newest first, keyset paged. Each kind shows only when the caller's role may read it
/// (`activities:read`, `orders:read`, `deals:read`, `tickets:read`, `conversations:read`,
/// `campaigns:read`), whether or not `kinds` names it. A customer the caller may not reach is 404.
#[utoipa::path(
    tag = "customers",
    operation_id = "get_customer_timeline",
    params(("id" = Uuid, Path, description = "Customer id"), TimelineQuery),
    responses((status = 200, description = "One page of the timeline", body = PageOf<TimelineEntryView>)),
    security(("bearer" = []))
)]
#[get("/customers/{id:[0-9a-fA-F-]+}/timeline")]
pub async fn get_customer_timeline(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    query: ValidQuery<TimelineQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let kinds = match q.kinds.as_deref() {
        None => Vec::new(),
        Some(raw) => raw
            .split(',')
            .map(|name| {
                TimelineKind::from_name(name.trim()).ok_or_else(|| {
                    ApiError::bad_parameter(
                        "kinds",
                        "invalid_kind",
                        "must name kinds among `activity`, `order`, `deal`, `ticket`, `conversation` and `campaign_touch`, separated by commas",
                    )
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let kinds: Vec<TimelineKind> = TimelineKind::ALL
        .iter()
        .copied()
        .filter(|k| kinds.is_empty() || kinds.contains(k))
        .filter(|&k| readable(&auth, k))
        .collect();
    let list = timeline::page(
        state.db.conn(),
        auth.owner(),
        id.into_inner(),
        &kinds,
        &request,
    )
    .await?;
    let disclosure = auth.disclosure();
    Ok(page(&PageOf::from_page(list, |entry| {
        let at = entry.at();
        match entry {
            Entry::Activity(a) => TimelineEntryView {
                activity: Some(a.into()),
                ..TimelineEntryView::empty(TimelineKindDto::Activity, at)
            },
            Entry::Order(o) => TimelineEntryView {
                order: Some(OrderView::new(*o, disclosure)),
                ..TimelineEntryView::empty(TimelineKindDto::Order, at)
            },
            Entry::Deal(d) => TimelineEntryView {
                deal: Some(d.into()),
                ..TimelineEntryView::empty(TimelineKindDto::Deal, at)
            },
            Entry::Ticket(t) => TimelineEntryView {
                ticket: Some(t.into()),
                ..TimelineEntryView::empty(TimelineKindDto::Ticket, at)
            },
            Entry::Conversation(c) => TimelineEntryView {
                conversation: Some(c.into()),
                ..TimelineEntryView::empty(TimelineKindDto::Conversation, at)
            },
            Entry::CampaignTouch(t) => TimelineEntryView {
                campaign_touch: Some(t.into()),
                ..TimelineEntryView::empty(TimelineKindDto::CampaignTouch, at)
            },
        }
    })))
}
