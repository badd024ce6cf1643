//! `GET` and `PATCH /settings/return-visits`: the rules by which customers are called back some
//! days after a ticket of theirs was resolved or an order reached them; the `return_visits` job
//! makes the visits.

use actix_web::web::Data;
use actix_web::{HttpResponse, get, patch};
use chrono::{DateTime, Utc};
use rapport_domain::return_visits::{Occasion, ReturnVisitRule, VisitForm};
use rapport_domain::settings::{ReturnVisitChanges, ReturnVisitSettings};
use rapport_persistence::settings;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::extract::{IfMatch, ValidJson};
use crate::problem::ApiError;
use crate::respond::ok_versioned;
use crate::state::AppState;
use crate::tickets::TicketTypeDto;

/// What a return visit follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OccasionDto {
    /// A ticket of the type the rule names was resolved.
    TicketResolved,
    /// An order was delivered (and is still delivered or completed when the visit falls due).
    OrderDelivered,
}

mirror!(OccasionDto <=> Occasion { TicketResolved, OrderDelivered });

/// What a return visit is made as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VisitFormDto {
    /// A task for the ticket's agent or the order's salesperson, due the day after the visit
    /// falls due.
    Task,
    /// A `return_visit` ticket on the phone channel, for the ticket's agent (or assigned as any
    /// new ticket is).
    Ticket,
}

mirror!(VisitFormDto <=> VisitForm { Task, Ticket });

/// One rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"occasion": "ticket_resolved", "ticket_type": "complaint", "after_days": 3, "create": "task"}))]
pub struct ReturnVisitRuleDto {
    /// What it follows.
    pub occasion: OccasionDto,
    /// For `ticket_resolved`, the type of tickets whose resolution it follows (required there;
    /// not allowed for `order_delivered`). One rule per occasion and type.
    pub ticket_type: Option<TicketTypeDto>,
    /// Days after the occasion, 1 to 365.
    #[serde(deserialize_with = "crate::extract::whole")]
    #[schema(minimum = 1, maximum = 365)]
    pub after_days: i64,
    /// As what the visit is made.
    pub create: VisitFormDto,
}

impl From<ReturnVisitRule> for ReturnVisitRuleDto {
    fn from(r: ReturnVisitRule) -> Self {
        ReturnVisitRuleDto {
            occasion: r.occasion.into(),
            ticket_type: r.ticket_type.map(Into::into),
            after_days: r.after_days,
            create: r.create.into(),
        }
    }
}

impl From<ReturnVisitRuleDto> for ReturnVisitRule {
    fn from(r: ReturnVisitRuleDto) -> Self {
        ReturnVisitRule {
            occasion: r.occasion.into(),
            ticket_type: r.ticket_type.map(Into::into),
            after_days: r.after_days,
            create: r.create.into(),
        }
    }
}

/// When customers are called back.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "rules": [
        {"occasion": "ticket_resolved", "ticket_type": "complaint", "after_days": 3, "create": "task"},
        {"occasion": "order_delivered", "ticket_type": null, "after_days": 7, "create": "ticket"}
    ],
    "updated_at": "2026-12-06T08:00:00Z", "version": 2
}))]
pub struct ReturnVisitSettingsView {
    /// The rules (none: the default).
    pub rules: Vec<ReturnVisitRuleDto>,
    /// When they last changed; `null` while they hold their defaults.
    pub updated_at: Option<DateTime<Utc>>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<ReturnVisitSettings> for ReturnVisitSettingsView {
    fn from(s: ReturnVisitSettings) -> Self {
        ReturnVisitSettingsView {
            rules: s.rules.into_iter().map(Into::into).collect(),
            updated_at: s.updated_at,
            version: s.version,
        }
    }
}

/// Changes to the return visit settings: `rules`, when given, replaces them all.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rules": [
    {"occasion": "ticket_resolved", "ticket_type": "complaint", "after_days": 3, "create": "task"},
    {"occasion": "order_delivered", "after_days": 7, "create": "ticket"}
]}))]
pub struct UpdateReturnVisitSettings {
    /// The rules, at most 20.
    #[schema(max_items = 20)]
    pub rules: Option<Vec<ReturnVisitRuleDto>>,
}

/// Get the return visit settings.
///
/// The rules by which a customer is called back some days after a ticket of theirs of a given
/// type was resolved, or after an order reached them.
#[utoipa::path(
    tag = "settings",
    operation_id = "get_return_visit_settings",
    responses(
        (status = 200, description = "The return visit settings", body = ReturnVisitSettingsView,
            headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/settings/return-visits")]
pub async fn get_return_visit_settings(
    state: Data<AppState>,
    _auth: Auth,
) -> Result<HttpResponse, ApiError> {
    let current: ReturnVisitSettings = settings::load(state.db.conn()).await?;
    let version = current.version;
    Ok(ok_versioned(
        &ReturnVisitSettingsView::from(current),
        version,
    ))
}

/// Change the return visit settings.
///
/// The `return_visits` job (every quarter hour) makes, for each occasion a rule calls on, one
/// task or `return_visit` ticket once its days have passed: each occasion once however often and
/// on however many nodes it runs (a ticket resolved again after a reopening is a new occasion).
/// Occasions whose visit fell due more than 7 days before the job comes to them are let go, so a
/// new rule does not call on every customer served in years. With `If-Match: "<version>"` the
/// change applies only to that version.
#[utoipa::path(
    tag = "settings",
    operation_id = "update_return_visit_settings",
    request_body = UpdateReturnVisitSettings,
    params(("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, description = "The changed settings", body = ReturnVisitSettingsView,
            headers(("ETag" = String, description = "The new version"))),
    ),
    security(("bearer" = []))
)]
#[patch("/settings/return-visits")]
pub async fn update_return_visit_settings(
    state: Data<AppState>,
    auth: Auth,
    if_match: IfMatch,
    body: ValidJson<UpdateReturnVisitSettings>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.checked(|dto| {
        ReturnVisitChanges {
            rules: dto
                .rules
                .map(|rules| rules.into_iter().map(Into::into).collect()),
        }
        .check()
    })?;
    let changed: ReturnVisitSettings =
        settings::change(&state.db, &auth.actor, &changes, if_match.0).await?;
    let version = changed.version;
    Ok(ok_versioned(
        &ReturnVisitSettingsView::from(changed),
        version,
    ))
}
