//! Campaigns: a marketing effort aimed at a segment, from draft to completed. Publishing freezes
//! the audience (the segment's customers at that moment become its members); tracking events
//! say which members were sent, reached, responded and converted; orders that name the campaign
//! or take its coupon are what it earned; its results add up to rates and a return on its cost.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{name, optional_text, text};
use crate::values::money::{Currency, MAX_AMOUNT};
use crate::{FieldError, FieldErrors};

/// The fields a campaign list can be sorted by.
pub const SORTABLE: &[&str] = &["created_at", "name", "starts_at"];
/// The most tracking events one request carries.
pub const MAX_EVENTS: usize = 1000;
/// How far ahead of the server's clock a tracking event may be stamped (clocks differ).
pub const CLOCK_SKEW_MINUTES: i64 = 5;

/// What kind of campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignType {
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

names!(CampaignType {
    Promotion => "promotion",
    Coupon => "coupon",
    Email => "email",
    Sms => "sms",
    Event => "event",
});

/// Where a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
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

names!(CampaignStatus {
    Draft => "draft",
    Scheduled => "scheduled",
    Active => "active",
    Completed => "completed",
    Cancelled => "cancelled",
});

/// What a tracking event says happened to a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TouchKind {
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

names!(TouchKind {
    Sent => "sent",
    Delivered => "delivered",
    Opened => "opened",
    Clicked => "clicked",
    Converted => "converted",
});

/// A campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    /// Identifier.
    pub id: Uuid,
    /// What it is called.
    pub name: String,
    /// What it is.
    pub description: Option<String>,
    /// What kind.
    pub campaign_type: CampaignType,
    /// The segment whose customers are its audience.
    pub segment_id: Option<Uuid>,
    /// The coupon whose orders it earned.
    pub coupon_id: Option<Uuid>,
    /// The currency of its money.
    pub currency: Currency,
    /// What may be spent, minor units.
    pub budget: Option<i64>,
    /// What it cost, minor units: the base of its return.
    pub cost: i64,
    /// What it is for.
    pub goal: Option<String>,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends, if it does by itself.
    pub ends_at: Option<DateTime<Utc>>,
    /// Where it stands.
    pub status: CampaignStatus,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// When it completed or was cancelled.
    pub ended_at: Option<DateTime<Utc>>,
    /// Members, counted when it was published.
    pub member_count: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// A campaign as sent: every part of a new one, or the parts a change sets (`Some(None)`
/// clears).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignInput {
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<Option<String>>,
    /// Kind.
    pub campaign_type: Option<CampaignType>,
    /// Audience.
    pub segment_id: Option<Option<Uuid>>,
    /// Coupon.
    pub coupon_id: Option<Option<Uuid>>,
    /// Currency code.
    pub currency: Option<String>,
    /// Budget.
    pub budget: Option<Option<i64>>,
    /// Cost.
    pub cost: Option<i64>,
    /// Goal.
    pub goal: Option<Option<String>>,
    /// Start.
    pub starts_at: Option<DateTime<Utc>>,
    /// End.
    pub ends_at: Option<Option<DateTime<Utc>>>,
}

fn money(errors: &mut FieldErrors, field: &str, value: Option<i64>) {
    if value.is_some_and(|v| !(0..=MAX_AMOUNT).contains(&v)) {
        errors.push(FieldError::new(
            field,
            "out_of_range",
            format!("must be between 0 and {MAX_AMOUNT}"),
        ));
    }
}

impl CampaignInput {
    /// `current` with these parts applied (a new draft when `current` is `None`), checked as a
    /// whole: a name, a type, a start, an end after it, money from zero; once published, what it
    /// is, whom it reaches, its coupon, currency and start stay as they were.
    pub fn apply(
        self,
        current: Option<&Campaign>,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Campaign, FieldErrors> {
        let mut errors = FieldErrors::new();
        if let Some(c) = current.filter(|c| c.status != CampaignStatus::Draft) {
            let fixed = [
                (
                    "campaign_type",
                    self.campaign_type.is_some_and(|t| t != c.campaign_type),
                ),
                (
                    "segment_id",
                    self.segment_id.is_some_and(|s| s != c.segment_id),
                ),
                (
                    "coupon_id",
                    self.coupon_id.is_some_and(|s| s != c.coupon_id),
                ),
                (
                    "currency",
                    self.currency
                        .as_deref()
                        .is_some_and(|code| !code.eq_ignore_ascii_case(c.currency.code())),
                ),
                (
                    "starts_at",
                    self.starts_at.is_some_and(|s| s != c.starts_at),
                ),
            ];
            for (field, changed) in fixed {
                if changed {
                    errors.push(FieldError::new(
                        field,
                        "not_allowed",
                        "fixed once the campaign is published",
                    ));
                }
            }
        }
        let name = match (self.name, current) {
            (Some(n), _) => errors.take(name("name", &n, 1, 100)),
            (None, Some(c)) => Some(c.name.clone()),
            (None, None) => {
                errors.push(FieldError::new(
                    "name",
                    "required",
                    "a campaign needs a name",
                ));
                None
            }
        };
        let description = match self.description {
            Some(d) => errors
                .take(optional_text("description", d.as_deref(), 2000))
                .flatten(),
            None => current.and_then(|c| c.description.clone()),
        };
        let goal = match self.goal {
            Some(g) => errors
                .take(optional_text("goal", g.as_deref(), 500))
                .flatten(),
            None => current.and_then(|c| c.goal.clone()),
        };
        let campaign_type = self.campaign_type.or(current.map(|c| c.campaign_type));
        if campaign_type.is_none() {
            errors.push(FieldError::new(
                "campaign_type",
                "required",
                "a campaign needs a type",
            ));
        }
        let currency = match (self.currency, current) {
            (Some(raw), _) => errors.take(Currency::parse("currency", &raw)),
            (None, Some(c)) => Some(c.currency),
            (None, None) => {
                errors.push(FieldError::new(
                    "currency",
                    "required",
                    "a campaign needs the currency of its money",
                ));
                None
            }
        };
        let budget = self.budget.unwrap_or(current.and_then(|c| c.budget));
        money(&mut errors, "budget", budget);
        let cost = self.cost.or(current.map(|c| c.cost)).unwrap_or(0);
        money(&mut errors, "cost", Some(cost));
        let starts_at = self.starts_at.or(current.map(|c| c.starts_at));
        if starts_at.is_none() {
            errors.push(FieldError::new(
                "starts_at",
                "required",
                "a campaign needs a start",
            ));
        }
        let ends_at = self.ends_at.unwrap_or(current.and_then(|c| c.ends_at));
        if let (Some(start), Some(end)) = (starts_at, ends_at)
            && end <= start
        {
            errors.push(FieldError::new(
                "ends_at",
                "out_of_range",
                "must be after starts_at",
            ));
        }
        let segment_id = self
            .segment_id
            .unwrap_or(current.and_then(|c| c.segment_id));
        let coupon_id = self.coupon_id.unwrap_or(current.and_then(|c| c.coupon_id));
        match (name, campaign_type, currency, starts_at) {
            (Some(name), Some(campaign_type), Some(currency), Some(starts_at))
                if errors.is_empty() =>
            {
                Ok(Campaign {
                    id,
                    name,
                    description,
                    campaign_type,
                    segment_id,
                    coupon_id,
                    currency,
                    budget,
                    cost,
                    goal,
                    starts_at,
                    ends_at,
                    status: current.map_or(CampaignStatus::Draft, |c| c.status),
                    published_at: current.and_then(|c| c.published_at),
                    ended_at: current.and_then(|c| c.ended_at),
                    member_count: current.map_or(0, |c| c.member_count),
                    created_at: current.map_or(now, |c| c.created_at),
                    updated_at: now,
                    version: current.map_or(1, |c| c.version + 1),
                })
            }
            _ => Err(errors),
        }
    }
}

/// Why a campaign cannot move as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not from where it stands: `409 invalid_transition`.
    From(CampaignStatus),
    /// Published without an audience: `409 no_audience`.
    NoAudience,
    /// Published after its end: 422 at `ends_at`.
    Ended,
}

impl Campaign {
    /// Published at `now`: scheduled, or active when its start has come.
    pub fn published(&self, now: DateTime<Utc>) -> Result<Campaign, Refusal> {
        if self.status != CampaignStatus::Draft {
            return Err(Refusal::From(self.status));
        }
        if self.segment_id.is_none() {
            return Err(Refusal::NoAudience);
        }
        if self.ends_at.is_some_and(|end| end <= now) {
            return Err(Refusal::Ended);
        }
        let status = if self.starts_at <= now {
            CampaignStatus::Active
        } else {
            CampaignStatus::Scheduled
        };
        Ok(self.moved(status, now))
    }

    /// Ended by hand at `now`: only a running campaign completes.
    pub fn completed(&self, now: DateTime<Utc>) -> Result<Campaign, Refusal> {
        match self.status {
            CampaignStatus::Active => Ok(self.moved(CampaignStatus::Completed, now)),
            other => Err(Refusal::From(other)),
        }
    }

    /// Called off at `now`: a draft, a scheduled or a running campaign.
    pub fn cancelled(&self, now: DateTime<Utc>) -> Result<Campaign, Refusal> {
        match self.status {
            CampaignStatus::Draft | CampaignStatus::Scheduled | CampaignStatus::Active => {
                Ok(self.moved(CampaignStatus::Cancelled, now))
            }
            other => Err(Refusal::From(other)),
        }
    }

    /// Where time alone moves it at `now`: a scheduled one whose start came is active, a running
    /// one whose end came is completed (both at once for one whose whole window passed).
    pub fn at(&self, now: DateTime<Utc>) -> Option<Campaign> {
        let started = self.starts_at <= now;
        let ended = self.ends_at.is_some_and(|end| end <= now);
        match self.status {
            CampaignStatus::Scheduled | CampaignStatus::Active if ended => {
                Some(self.moved(CampaignStatus::Completed, now))
            }
            CampaignStatus::Scheduled if started => Some(self.moved(CampaignStatus::Active, now)),
            _ => None,
        }
    }

    fn moved(&self, status: CampaignStatus, now: DateTime<Utc>) -> Campaign {
        let ends = matches!(
            status,
            CampaignStatus::Completed | CampaignStatus::Cancelled
        );
        Campaign {
            status,
            published_at: if self.status == CampaignStatus::Draft
                && status != CampaignStatus::Cancelled
            {
                Some(now)
            } else {
                self.published_at
            },
            ended_at: if ends { Some(now) } else { self.ended_at },
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }
}

/// One tracking event as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct TouchInput {
    /// The sender's id for it, unique within the campaign.
    pub event_id: String,
    /// Whom it is about.
    pub customer_id: Uuid,
    /// What happened.
    pub kind: TouchKind,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

/// A batch of tracking events checked at `now`: 1 to [`MAX_EVENTS`], each id 1 to 100
/// characters, none stamped in the future; every mistake at `events[i].<field>`.
pub fn touches(
    events: Vec<TouchInput>,
    now: DateTime<Utc>,
) -> Result<Vec<TouchInput>, FieldErrors> {
    let mut errors = FieldErrors::new();
    if events.is_empty() || events.len() > MAX_EVENTS {
        errors.push(FieldError::new(
            "events",
            "out_of_range",
            format!("1 to {MAX_EVENTS} events"),
        ));
    }
    let latest = now + Duration::minutes(CLOCK_SKEW_MINUTES);
    let mut checked = Vec::with_capacity(events.len());
    for (i, e) in events.into_iter().enumerate() {
        let id = errors.take(text(&format!("events[{i}].event_id"), &e.event_id, 1, 100));
        if e.occurred_at > latest {
            errors.push(FieldError::new(
                format!("events[{i}].occurred_at"),
                "out_of_range",
                "lies in the future",
            ));
        }
        if let Some(event_id) = id {
            checked.push(TouchInput { event_id, ..e });
        }
    }
    errors.into_result(|| checked)
}

/// What a campaign's tracking and orders add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Members.
    pub audience: i64,
    /// Members with each kind of event, in [`TouchKind::ALL`]'s order.
    pub touched: [i64; 5],
    /// Members delivered to, or further (opened, clicked, converted).
    pub reached: i64,
    /// Members who opened, clicked or converted.
    pub responded: i64,
    /// Members who converted, by an event or an attributed paid order.
    pub converted: i64,
    /// Attributed paid orders.
    pub orders: i64,
    /// What they came to less refunds, in the campaign's currency.
    pub revenue: i64,
}

/// A share, four decimals, of `of`; none of nothing.
pub fn rate(part: i64, of: i64) -> Option<f64> {
    #[expect(
        clippy::cast_precision_loss,
        reason = "counts and money stay far below 2^52"
    )]
    (of > 0).then(|| ((part as f64 / of as f64) * 10_000.0).round() / 10_000.0)
}

/// The return on `cost`: what `revenue` brought beyond it, as a share of it, four decimals;
/// none when nothing was spent.
pub fn roi(revenue: i64, cost: i64) -> Option<f64> {
    rate(revenue - cost, cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(now: DateTime<Utc>) -> Campaign {
        CampaignInput {
            name: Some("冬季关怀".into()),
            campaign_type: Some(CampaignType::Sms),
            currency: Some("CNY".into()),
            starts_at: Some(now + Duration::days(1)),
            ends_at: Some(Some(now + Duration::days(8))),
            ..CampaignInput::default()
        }
        .apply(None, Uuid::nil(), now)
        .expect("valid")
    }

    #[test]
    fn a_campaign_goes_from_draft_to_completed() {
        let now = Utc::now();
        let campaign = draft(now);
        assert_eq!(campaign.published(now), Err(Refusal::NoAudience));
        let aimed = Campaign {
            segment_id: Some(Uuid::nil()),
            ..campaign
        };
        let scheduled = aimed.published(now).expect("a draft publishes");
        assert_eq!(scheduled.status, CampaignStatus::Scheduled);
        assert_eq!(scheduled.published_at, Some(now));
        assert_eq!(scheduled.at(now), None);
        let active = scheduled.at(now + Duration::days(2)).expect("started");
        assert_eq!(active.status, CampaignStatus::Active);
        let done = active.at(now + Duration::days(9)).expect("ended");
        assert_eq!(done.status, CampaignStatus::Completed);
        assert_eq!(
            done.cancelled(now),
            Err(Refusal::From(CampaignStatus::Completed))
        );
        assert_eq!(
            scheduled.at(now + Duration::days(30)).map(|c| c.status),
            Some(CampaignStatus::Completed)
        );
    }

    #[test]
    fn a_published_campaign_keeps_its_audience() {
        let now = Utc::now();
        let published = Campaign {
            segment_id: Some(Uuid::nil()),
            ..draft(now)
        }
        .published(now)
        .expect("publishes");
        let errors = CampaignInput {
            segment_id: Some(Some(Uuid::from_u128(1))),
            cost: Some(-1),
            ..CampaignInput::default()
        }
        .apply(Some(&published), published.id, now)
        .expect_err("two mistakes");
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["segment_id", "cost"]);
        let costed = CampaignInput {
            cost: Some(120_000),
            ..CampaignInput::default()
        }
        .apply(Some(&published), published.id, now)
        .expect("cost changes any time");
        assert_eq!(costed.cost, 120_000);
    }

    #[test]
    fn rates_and_return_round_to_four_places() {
        assert_eq!(rate(1, 3), Some(0.3333));
        assert_eq!(rate(0, 0), None);
        assert_eq!(roi(450_000, 120_000), Some(2.75));
        assert_eq!(roi(90_000, 120_000), Some(-0.25));
        assert_eq!(roi(5, 0), None);
    }
}
