//! What goes over the wire for campaigns.

use chrono::{DateTime, Utc};
use rapport_domain::marketing::campaigns::{
    Campaign, CampaignInput, CampaignStatus, CampaignType, TouchKind,
};
use rapport_persistence::marketing::CampaignTouch;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::extract::{nullable, nullable_whole, optional_whole};

/// What kind of campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignTypeDto {
    /// A promotion in the shops.
    Promotion,
    /// A coupon given to the audience.
    Coupon,
    /// E-mail.
    Email,
    /// Text messages.
    Sms,
    /// An event the audience is invited to.
    Event,
}

mirror!(CampaignTypeDto <=> CampaignType { Promotion, Coupon, Email, Sms, Event });

/// Where a campaign stands: `draft → scheduled → active → completed`, or `cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatusDto {
    /// Being prepared: everything can change.
    Draft,
    /// Published, its audience frozen, waiting for `starts_at`.
    Scheduled,
    /// Running.
    Active,
    /// Ended, at `ends_at` or by hand.
    Completed,
    /// Called off.
    Cancelled,
}

mirror!(CampaignStatusDto <=> CampaignStatus { Draft, Scheduled, Active, Completed, Cancelled });

/// What a tracking event says happened to a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TouchKindDto {
    /// The message went out.
    Sent,
    /// It reached them.
    Delivered,
    /// They opened it.
    Opened,
    /// They clicked through.
    Clicked,
    /// They did what it asked (bought, signed up, came).
    Converted,
}

mirror!(TouchKindDto <=> TouchKind { Sent, Delivered, Opened, Clicked, Converted });

/// A new campaign, a draft.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "冬季 VIP 回馈", "campaign_type": "sms",
    "segment_id": "0193a5c6-2222-7000-8000-000000000003",
    "coupon_id": "0193a5c6-9999-7000-8000-000000000001",
    "budget": 200000, "cost": 120000, "goal": "唤醒 90 天未购的 VIP",
    "starts_at": "2026-12-12T00:00:00Z", "ends_at": "2026-12-26T00:00:00Z"
}))]
pub struct CreateCampaign {
    /// What it is called, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// What it is, at most 2000 characters.
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// What kind.
    pub campaign_type: CampaignTypeDto,
    /// The segment whose customers are its audience when it is published (required then), which
    /// must exist.
    pub segment_id: Option<Uuid>,
    /// The coupon whose paid orders are credited to it, which must exist.
    pub coupon_id: Option<Uuid>,
    /// ISO 4217 code of its money and of the orders it counts; the workspace's
    /// `default_currency` when absent.
    pub currency: Option<String>,
    /// What may be spent, minor units.
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub budget: Option<i64>,
    /// What it cost, minor units (default 0): the base of its return.
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub cost: Option<i64>,
    /// What it is for, at most 500 characters.
    #[schema(max_length = 500)]
    pub goal: Option<String>,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends, after `starts_at` (when absent, it runs until completed by hand).
    pub ends_at: Option<DateTime<Utc>>,
}

impl From<CreateCampaign> for CampaignInput {
    fn from(d: CreateCampaign) -> Self {
        CampaignInput {
            name: Some(d.name),
            description: Some(d.description),
            campaign_type: Some(d.campaign_type.into()),
            segment_id: Some(d.segment_id),
            coupon_id: Some(d.coupon_id),
            currency: d.currency,
            budget: Some(d.budget),
            cost: d.cost,
            goal: Some(d.goal),
            starts_at: Some(d.starts_at),
            ends_at: Some(d.ends_at),
        }
    }
}

/// Changes to a campaign: absent parts stay, `null` clears. Once published, `campaign_type`,
/// `segment_id`, `coupon_id`, `currency` and `starts_at` stay as they were (422 `not_allowed`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"cost": 135000}))]
pub struct UpdateCampaign {
    /// Name, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Description, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Option<String>>,
    /// What kind (a draft's only).
    pub campaign_type: Option<CampaignTypeDto>,
    /// The audience's segment, or `null` (a draft's only).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub segment_id: Option<Option<Uuid>>,
    /// The coupon, or `null` (a draft's only).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub coupon_id: Option<Option<Uuid>>,
    /// ISO 4217 code (a draft's only).
    pub currency: Option<String>,
    /// Budget, or `null`.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1000000000000000_i64)]
    pub budget: Option<Option<i64>>,
    /// What it cost, minor units.
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub cost: Option<i64>,
    /// Goal, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub goal: Option<Option<String>>,
    /// Start (a draft's only).
    pub starts_at: Option<DateTime<Utc>>,
    /// End, or `null` for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub ends_at: Option<Option<DateTime<Utc>>>,
}

impl From<UpdateCampaign> for CampaignInput {
    fn from(d: UpdateCampaign) -> Self {
        CampaignInput {
            name: d.name,
            description: d.description,
            campaign_type: d.campaign_type.map(Into::into),
            segment_id: d.segment_id,
            coupon_id: d.coupon_id,
            currency: d.currency,
            budget: d.budget,
            cost: d.cost,
            goal: d.goal,
            starts_at: d.starts_at,
            ends_at: d.ends_at,
        }
    }
}

/// A campaign.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5ca-1111-7000-8000-000000000001", "name": "冬季 VIP 回馈",
    "description": null, "campaign_type": "sms",
    "segment_id": "0193a5c6-2222-7000-8000-000000000003",
    "coupon_id": "0193a5c6-9999-7000-8000-000000000001", "currency": "CNY",
    "budget": 200000, "cost": 120000, "goal": "唤醒 90 天未购的 VIP",
    "starts_at": "2026-12-12T00:00:00Z", "ends_at": "2026-12-26T00:00:00Z",
    "status": "scheduled", "published_at": "2026-12-10T09:00:00Z", "ended_at": null,
    "member_count": 1342,
    "created_at": "2026-12-09T09:00:00Z", "updated_at": "2026-12-10T09:00:00Z", "version": 2
}))]
pub struct CampaignView {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// What it is.
    pub description: Option<String>,
    /// What kind.
    pub campaign_type: CampaignTypeDto,
    /// The audience's segment.
    pub segment_id: Option<Uuid>,
    /// The coupon whose paid orders are credited to it.
    pub coupon_id: Option<Uuid>,
    /// The currency of its money.
    pub currency: String,
    /// What may be spent.
    pub budget: Option<i64>,
    /// What it cost.
    pub cost: i64,
    /// What it is for.
    pub goal: Option<String>,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: Option<DateTime<Utc>>,
    /// Where it stands.
    pub status: CampaignStatusDto,
    /// When it was published and its audience froze.
    pub published_at: Option<DateTime<Utc>>,
    /// When it completed or was cancelled.
    pub ended_at: Option<DateTime<Utc>>,
    /// Members: the audience as it froze.
    pub member_count: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<Campaign> for CampaignView {
    fn from(c: Campaign) -> Self {
        CampaignView {
            id: c.id,
            name: c.name,
            description: c.description,
            campaign_type: c.campaign_type.into(),
            segment_id: c.segment_id,
            coupon_id: c.coupon_id,
            currency: c.currency.code().to_owned(),
            budget: c.budget,
            cost: c.cost,
            goal: c.goal,
            starts_at: c.starts_at,
            ends_at: c.ends_at,
            status: c.status.into(),
            published_at: c.published_at,
            ended_at: c.ended_at,
            member_count: c.member_count,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

/// Which campaigns, in which order, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CampaignListQuery {
    /// Only of this status.
    pub status: Option<CampaignStatusDto>,
    /// Only of this type.
    pub campaign_type: Option<CampaignTypeDto>,
    /// Comma-separated keys, `-` for descending: `created_at`, `name`, `starts_at` (default
    /// `-created_at`).
    #[param(example = "-starts_at")]
    pub sort: Option<String>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// A campaign's tracking event on a customer's timeline.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5ca-3333-7000-8000-000000000001",
    "campaign_id": "0193a5ca-1111-7000-8000-000000000001", "campaign_name": "冬季 VIP 回馈",
    "customer_id": "0193a5c6-1111-7000-8000-000000000001", "kind": "clicked",
    "event_id": "sms-88213-click", "occurred_at": "2026-12-12T10:02:00Z"
}))]
pub struct CampaignTouchView {
    /// Identifier.
    pub id: Uuid,
    /// The campaign.
    pub campaign_id: Uuid,
    /// Its name.
    pub campaign_name: String,
    /// Whom it is about.
    pub customer_id: Uuid,
    /// What happened.
    pub kind: TouchKindDto,
    /// The sender's id for it.
    pub event_id: String,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

impl From<CampaignTouch> for CampaignTouchView {
    fn from(t: CampaignTouch) -> Self {
        CampaignTouchView {
            id: t.id,
            campaign_id: t.campaign_id,
            campaign_name: t.campaign_name,
            customer_id: t.customer_id,
            kind: t.kind.into(),
            event_id: t.event_id,
            occurred_at: t.occurred_at,
        }
    }
}
