//! `GET /customers/{id}/data-export`: everything Rapport holds about one customer, as one JSON
//! document, for a customer who asks to see their data. It gathers from every area that keeps
//! something about a customer (the customer and contacts, consent, segments, orders, deals, the
//! leads they were, activities, tasks, care occasions, tickets), so it sits above them all.

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use rapport_domain::customers::Disclosure;
use rapport_persistence::customers::privacy;
use rapport_persistence::{audit, events, segments};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::activities::ActivityView;
use crate::auth::Auth;
use crate::campaigns::CampaignTouchView;
use crate::care::ParticipationView;
use crate::conversations::{ConversationView, MessageView};
use crate::coupons::WalletCouponView;
use crate::customers::{ConsentRecordView, ContactView, CustomerView};
use crate::deals::DealView;
use crate::leads::LeadView;
use crate::loyalty::PointsEntryView;
use crate::orders::OrderView;
use crate::problem::{ApiError, ErrorCode, Problem};
use crate::records::{AuditEventView, EventView};
use crate::rewards::RewardExchangeView;
use crate::state::AppState;
use crate::tasks::TaskView;
use crate::tickets::{CommentView, TicketView};

/// A segment a customer belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentRef {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    pub name: String,
}

/// Everything Rapport holds about one customer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "exported_at": "2026-11-22T08:30:00Z",
    "customer": {"id": "0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c20", "name": "王芳"},
    "contacts": [], "consent_history": [], "segments": [], "orders": [], "deals": [], "leads": [], "activities": [], "tasks": [], "care_participations": [], "tickets": [], "ticket_comments": [], "conversations": [], "conversation_messages": [], "coupons": [], "points": [], "reward_exchanges": [], "campaign_touches": [],
    "audit_events": [], "events": []
}))]
pub struct CustomerDataExport {
    /// When this document was made.
    pub exported_at: DateTime<Utc>,
    /// The customer.
    pub customer: CustomerView,
    /// Their contacts.
    pub contacts: Vec<ContactView>,
    /// Every consent decision, oldest first.
    pub consent_history: Vec<ConsentRecordView>,
    /// The static segments they are in.
    pub segments: Vec<SegmentRef>,
    /// Their orders, oldest first, with their lines, recipients and addresses.
    pub orders: Vec<OrderView>,
    /// Every deal for them, oldest first.
    pub deals: Vec<DealView>,
    /// The leads converted into them, oldest first.
    pub leads: Vec<LeadView>,
    /// Every activity with them, oldest first.
    pub activities: Vec<ActivityView>,
    /// Every task for them, oldest first.
    pub tasks: Vec<TaskView>,
    /// Every care occasion of theirs, oldest first, with what came of it.
    pub care_participations: Vec<ParticipationView>,
    /// Their tickets, oldest first.
    pub tickets: Vec<TicketView>,
    /// The comments on their tickets, public and internal, oldest first.
    pub ticket_comments: Vec<CommentView>,
    /// Their conversations, oldest first.
    pub conversations: Vec<ConversationView>,
    /// The messages of their conversations, oldest first.
    pub conversation_messages: Vec<MessageView>,
    /// The coupons issued to them, oldest first.
    pub coupons: Vec<WalletCouponView>,
    /// Their points ledger, oldest first.
    pub points: Vec<PointsEntryView>,
    /// The rewards they exchanged points for, oldest first.
    pub reward_exchanges: Vec<RewardExchangeView>,
    /// What campaigns' tracking events say happened to them, oldest first.
    pub campaign_touches: Vec<CampaignTouchView>,
    /// Every change made to the customer, their contacts, orders, deals, leads, activities,
    /// tasks, care occasions, tickets, ticket comments, conversations and messages, oldest first.
    pub audit_events: Vec<AuditEventView>,
    /// Every event about the customer, their contacts, orders, deals, leads, activities, tasks,
    /// care occasions, tickets, ticket comments, conversations and messages, in feed order.
    pub events: Vec<EventView>,
}

/// Export a customer's data.
///
/// Everything held about the customer as one JSON document, for a customer who asks to see their
/// data: the record, contacts, consent history, static segments, orders (with who received them
/// and where), deals, the leads converted into them, activities, tasks, care occasions, tickets
/// and their comments, conversations and their messages, the coupons issued to them, their points ledger, the rewards they exchanged points for, the campaigns' tracking events about them, and the audit trail and the event feed
/// about all of these. Served as an attachment. Only for callers who read email and phone
/// unmasked (403 otherwise); every export is recorded in the audit trail
/// (`customer.data_exported`).
#[utoipa::path(
    tag = "privacy",
    operation_id = "export_customer_data",
    params(("id" = Uuid, Path, description = "Customer id")),
    responses((status = 200, description = "The customer's data", body = CustomerDataExport,
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"customer-<id>.json\"`"))),
        (status = 403, description = "`forbidden`: your role sees email and phone masked, and a data export holds them unmasked", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/customers/{id}/data-export")]
pub async fn export_customer_data(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    if auth.disclosure() == Disclosure::Masked {
        // A customer's data, masked, is not their data: only who may read it all may export it.
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "a data export holds email and phone unmasked; your role sees them masked",
        ));
    }
    let conn = state.db.conn();
    let mut data = privacy::export(conn, None, id).await?;
    let orders = rapport_persistence::orders::of_customer(conn, id).await?;
    let activities = rapport_persistence::activities::of_customer(conn, id).await?;
    let tasks = rapport_persistence::tasks::of_customer(conn, id).await?;
    let deals = rapport_persistence::deals::of_customer(conn, id).await?;
    let leads = rapport_persistence::leads::of_customer(conn, id).await?;
    let care = rapport_persistence::care::of_customer(conn, id).await?;
    let tickets = rapport_persistence::tickets::of_customer(conn, id).await?;
    let comments = rapport_persistence::tickets::comments_of_customer(conn, id).await?;
    let conversations = rapport_persistence::conversations::of_customer(conn, id).await?;
    let messages = rapport_persistence::conversations::messages_of_customer(conn, id).await?;
    let coupons = rapport_persistence::marketing::coupons::of_customer(conn, id).await?;
    let points = rapport_persistence::loyalty::points::of_customer(conn, id).await?;
    let reward_exchanges = rapport_persistence::rewards::of_customer(conn, id).await?;
    let campaign_touches =
        rapport_persistence::marketing::campaigns::touches_of_customer(conn, id).await?;
    let records: Vec<Uuid> = orders
        .iter()
        .map(|o| o.id)
        .chain(activities.iter().map(|a| a.id))
        .chain(tasks.iter().map(|t| t.id))
        .chain(deals.iter().map(|d| d.id))
        .chain(leads.iter().map(|l| l.id))
        .chain(care.iter().map(|p| p.id))
        .chain(tickets.iter().map(|t| t.id))
        .chain(comments.iter().map(|c| c.id))
        .chain(conversations.iter().map(|c| c.id))
        .chain(messages.iter().map(|m| m.id))
        .collect();
    if !records.is_empty() {
        data.audit.extend(audit::about(conn, &records).await?);
        data.audit.sort_by_key(|e| (e.occurred_at, e.id));
        data.events.extend(events::about(conn, &records).await?);
        data.events.sort_by_key(|e| e.seq);
    }
    let detail = serde_json::json!({
        "contacts": data.contacts.len(),
        "orders": orders.len(),
        "activities": activities.len(),
        "tasks": tasks.len(),
        "deals": deals.len(),
        "leads": leads.len(),
        "care_participations": care.len(),
        "tickets": tickets.len(),
        "ticket_comments": comments.len(),
        "conversations": conversations.len(),
        "conversation_messages": messages.len(),
        "coupons": coupons.len(),
        "points": points.len(),
        "reward_exchanges": reward_exchanges.len(),
        "campaign_touches": campaign_touches.len(),
        "audit_events": data.audit.len(),
        "events": data.events.len(),
    });
    auth.note(
        &state,
        "customer.data_exported",
        "customer",
        Some(id),
        detail,
    )
    .await?;
    let document = CustomerDataExport {
        exported_at: rapport_persistence::now(),
        customer: CustomerView::new(data.customer, Disclosure::Full),
        contacts: data
            .contacts
            .into_iter()
            .map(|c| ContactView::new(c, Disclosure::Full))
            .collect(),
        consent_history: data
            .consent
            .into_iter()
            .map(ConsentRecordView::from)
            .collect(),
        segments: segments::of_customer(conn, id)
            .await?
            .into_iter()
            .map(|(id, name)| SegmentRef { id, name })
            .collect(),
        orders: orders
            .into_iter()
            .map(|o| OrderView::new(o, Disclosure::Full))
            .collect(),
        deals: deals.into_iter().map(DealView::from).collect(),
        leads: leads
            .into_iter()
            .map(|l| LeadView::new(l, Disclosure::Full))
            .collect(),
        activities: activities.into_iter().map(ActivityView::from).collect(),
        tasks: tasks.into_iter().map(TaskView::from).collect(),
        care_participations: care.into_iter().map(ParticipationView::from).collect(),
        tickets: tickets.into_iter().map(TicketView::from).collect(),
        ticket_comments: comments.into_iter().map(CommentView::from).collect(),
        conversations: conversations
            .into_iter()
            .map(ConversationView::from)
            .collect(),
        conversation_messages: messages.into_iter().map(MessageView::from).collect(),
        coupons: coupons.into_iter().map(WalletCouponView::from).collect(),
        points: points.into_iter().map(PointsEntryView::from).collect(),
        reward_exchanges: reward_exchanges
            .into_iter()
            .map(RewardExchangeView::from)
            .collect(),
        campaign_touches: campaign_touches
            .into_iter()
            .map(CampaignTouchView::from)
            .collect(),
        audit_events: data.audit.into_iter().map(AuditEventView::from).collect(),
        events: data.events.into_iter().map(EventView::from).collect(),
    };
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"customer-{id}.json\""),
        ))
        .json(document))
}
