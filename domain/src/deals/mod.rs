//! Deals: opportunities moving through a pipeline's stages until they are won or lost. Each move
//! is kept in the deal's stage history, with how long it stayed in each stage.

pub mod fields;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::custom_fields::{self, Definition};
use crate::tasks::{NewTask, TaskPriority, start_of_day};
use crate::validation::{name, optional_text};
use crate::values::Currency;
use crate::values::money::MAX_AMOUNT;
use crate::{FieldError, FieldErrors};

/// The longest deal name, in characters.
pub const MAX_NAME: usize = 200;
/// The longest lost reason, in characters.
pub const MAX_REASON: usize = 1_000;
/// The fields a deal list can be sorted by.
pub const SORTABLE: &[&str] = &["created_at", "updated_at", "amount"];

/// Where a deal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DealStatus {
    /// Being worked on: it moves between stages.
    Open,
    /// Won.
    Won,
    /// Lost, for a reason.
    Lost,
}

names!(DealStatus { Open => "open", Won => "won", Lost => "lost" });

impl DealStatus {
    /// Whether a deal in this status may move to `next`: an open deal is won or lost, and a closed
    /// one is reopened.
    pub fn can_become(self, next: DealStatus) -> bool {
        use DealStatus::*;
        matches!(
            (self, next),
            (Open, Won) | (Open, Lost) | (Won, Open) | (Lost, Open)
        )
    }
}

/// A deal as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deal {
    /// Identifier.
    pub id: Uuid,
    /// What is being sold.
    pub name: String,
    /// To whom.
    pub customer_id: Uuid,
    /// The pipeline it moves through.
    pub pipeline_id: Uuid,
    /// The stage it is in.
    pub stage_id: Uuid,
    /// Its worth, in minor units.
    pub amount: i64,
    /// The currency of `amount`.
    pub currency: Currency,
    /// When it is expected to close.
    pub expected_close_date: Option<NaiveDate>,
    /// The staff member who works it.
    pub owner_id: Option<Uuid>,
    /// Where it stands.
    pub status: DealStatus,
    /// Why it was lost.
    pub lost_reason: Option<String>,
    /// When it was won or lost.
    pub closed_at: Option<DateTime<Utc>>,
    /// When it entered its stage.
    pub stage_entered_at: DateTime<Utc>,
    /// The workspace's own fields, by key (see [`crate::custom_fields`]).
    pub custom_fields: Map<String, Value>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// A deal to create, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeal {
    /// Name.
    pub name: String,
    /// Customer.
    pub customer_id: Uuid,
    /// Pipeline.
    pub pipeline_id: Uuid,
    /// Stage; the pipeline's first when absent.
    pub stage_id: Option<Uuid>,
    /// Worth.
    pub amount: i64,
    /// Currency.
    pub currency: Currency,
    /// Expected close.
    pub expected_close_date: Option<NaiveDate>,
    /// Owner; the creating user when absent.
    pub owner_id: Option<Uuid>,
    /// Custom field values by key.
    pub custom_fields: Map<String, Value>,
}

/// A partial change: `None` leaves a part alone, `Some(None)` clears an optional part.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DealChanges {
    /// Name.
    pub name: Option<String>,
    /// Stage (of the deal's pipeline); moving it is kept in the stage history.
    pub stage_id: Option<Uuid>,
    /// Worth.
    pub amount: Option<i64>,
    /// Currency.
    pub currency: Option<Currency>,
    /// Expected close.
    pub expected_close_date: Option<Option<NaiveDate>>,
    /// Owner.
    pub owner_id: Option<Option<Uuid>>,
    /// Status, along [`DealStatus::can_become`].
    pub status: Option<DealStatus>,
    /// Why it was lost: required when it becomes lost.
    pub lost_reason: Option<Option<String>>,
    /// Custom field values to set by key; `null` removes one, keys not sent stay.
    pub custom_fields: Option<Map<String, Value>>,
}

fn check_amount(errors: &mut FieldErrors, amount: i64) {
    if !(0..=MAX_AMOUNT).contains(&amount) {
        errors.push(FieldError::new(
            "amount",
            "out_of_range",
            format!("must be between 0 and {MAX_AMOUNT}"),
        ));
    }
}

impl NewDeal {
    /// Checks every part, custom fields against the `definitions` of deals, reporting every
    /// mistake.
    pub fn check(self, definitions: &[Definition]) -> Result<NewDeal, FieldErrors> {
        let mut errors = FieldErrors::new();
        let deal_name = errors
            .take(name("name", &self.name, 1, MAX_NAME))
            .unwrap_or_default();
        check_amount(&mut errors, self.amount);
        let custom_fields =
            custom_fields::values_of_new(&mut errors, definitions, self.custom_fields);
        errors.into_result(|| NewDeal {
            name: deal_name,
            custom_fields,
            ..self
        })
    }
}

/// What a change does to a deal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// The deal after the change.
    pub deal: Deal,
    /// The stage it left, when it moved.
    pub left_stage: Option<Uuid>,
}

/// Why a change cannot apply to a deal as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The status cannot move there.
    Transition {
        /// Where the deal stands.
        from: DealStatus,
        /// Where the change would take it.
        to: DealStatus,
    },
    /// A closed deal does not move between stages.
    ClosedStage,
    /// Its fields are wrong.
    Invalid(FieldErrors),
}

impl DealChanges {
    /// Checks every part that is present, custom fields against the `definitions` of deals,
    /// reporting every mistake.
    pub fn check(self, definitions: &[Definition]) -> Result<DealChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let deal_name = match &self.name {
            Some(n) => errors.take(name("name", n, 1, MAX_NAME)),
            None => None,
        };
        if let Some(amount) = self.amount {
            check_amount(&mut errors, amount);
        }
        let lost_reason = match &self.lost_reason {
            Some(reason) => {
                errors.take(optional_text("lost_reason", reason.as_deref(), MAX_REASON))
            }
            None => None,
        };
        let custom_fields = custom_fields::changes_of(&mut errors, definitions, self.custom_fields);
        errors.into_result(|| DealChanges {
            name: deal_name,
            lost_reason,
            custom_fields,
            ..self
        })
    }

    /// The deal with these changes applied at `now` (the version left to the caller): a status
    /// change follows [`DealStatus::can_become`] and stamps `closed_at` (a lost deal needs its
    /// reason; reopening clears both), and a move to another stage restarts `stage_entered_at`.
    pub fn apply(&self, current: &Deal, now: DateTime<Utc>) -> Result<Changed, Refusal> {
        let mut deal = Deal {
            name: self.name.clone().unwrap_or_else(|| current.name.clone()),
            amount: self.amount.unwrap_or(current.amount),
            currency: self.currency.unwrap_or(current.currency),
            expected_close_date: self
                .expected_close_date
                .unwrap_or(current.expected_close_date),
            owner_id: self.owner_id.unwrap_or(current.owner_id),
            lost_reason: self
                .lost_reason
                .clone()
                .unwrap_or_else(|| current.lost_reason.clone()),
            custom_fields: match &self.custom_fields {
                Some(changes) => custom_fields::merge(&current.custom_fields, changes.clone()),
                None => current.custom_fields.clone(),
            },
            ..current.clone()
        };
        if let Some(next) = self.status
            && next != current.status
        {
            if !current.status.can_become(next) {
                return Err(Refusal::Transition {
                    from: current.status,
                    to: next,
                });
            }
            deal.status = next;
            deal.closed_at = (next != DealStatus::Open).then_some(now);
            if next == DealStatus::Open {
                deal.lost_reason = None;
            }
        }
        if deal.status == DealStatus::Lost && deal.lost_reason.is_none() {
            return Err(Refusal::Invalid(FieldErrors::from(FieldError::new(
                "lost_reason",
                "required",
                "a lost deal says why it was lost",
            ))));
        }
        if deal.status != DealStatus::Lost && self.lost_reason.as_ref().is_some_and(Option::is_some)
        {
            return Err(Refusal::Invalid(FieldErrors::from(FieldError::new(
                "lost_reason",
                "unexpected",
                "only a lost deal has a lost reason",
            ))));
        }
        let mut left_stage = None;
        if let Some(stage) = self.stage_id
            && stage != current.stage_id
        {
            if deal.status != DealStatus::Open {
                return Err(Refusal::ClosedStage);
            }
            deal.stage_id = stage;
            deal.stage_entered_at = now;
            left_stage = Some(current.stage_id);
        }
        Ok(Changed { deal, left_stage })
    }
}

/// One stay of a deal in a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageStay {
    /// The stage.
    pub stage_id: Uuid,
    /// When the deal entered it.
    pub entered_at: DateTime<Utc>,
    /// When it left; `None` while it is there.
    pub left_at: Option<DateTime<Utc>>,
}

impl StageStay {
    /// How long the deal stayed, in whole seconds: until it left, or until `now`.
    pub fn seconds(&self, now: DateTime<Utc>) -> i64 {
        (self.left_at.unwrap_or(now) - self.entered_at)
            .num_seconds()
            .max(0)
    }
}

/// Which open deals fall due for a reminder to their owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderDue {
    /// Those expected to close on or before this date, not yet reminded of that date.
    CloseBy(NaiveDate),
    /// Those in their stage since this instant or before, not yet reminded of that stay.
    InStageSince(DateTime<Utc>),
}

impl ReminderDue {
    /// The close-date reminder `days` ahead of `today`.
    pub fn close_date(today: NaiveDate, days: i64) -> ReminderDue {
        ReminderDue::CloseBy(today + Duration::days(days))
    }

    /// The reminder of deals that sat `days` in one stage, at `now`.
    pub fn stage(now: DateTime<Utc>, days: i64) -> ReminderDue {
        ReminderDue::InStageSince(now - Duration::days(days))
    }
}

/// The most characters of a deal's name a reminder's title quotes.
const QUOTED_NAME: usize = 120;

impl Deal {
    /// The task that reminds the deal's owner of `due`, made at `now` with days read in `zone`:
    /// for the deal, its customer and its owner, due by the end of the close date or of today.
    pub fn reminder(&self, due: ReminderDue, now: DateTime<Utc>, zone: Tz) -> NewTask {
        let name: String = if self.name.chars().count() > QUOTED_NAME {
            self.name.chars().take(QUOTED_NAME).chain(['…']).collect()
        } else {
            self.name.clone()
        };
        let today = now.with_timezone(&zone).date_naive();
        let end_of = |date: NaiveDate| {
            start_of_day(date.succ_opt().unwrap_or(date), zone) - Duration::seconds(1)
        };
        let (title, description, due_at, priority) = match due {
            ReminderDue::CloseBy(_) => {
                let close = self.expected_close_date.unwrap_or(today);
                (
                    format!("Close “{name}” by {close}"),
                    format!(
                        "The deal is expected to close on {close}: win it, lose it, or move its date."
                    ),
                    end_of(close.max(today)),
                    TaskPriority::High,
                )
            }
            ReminderDue::InStageSince(_) => {
                let days = (now - self.stage_entered_at).num_days();
                (
                    format!("Move “{name}” on: {days} days in its stage"),
                    format!(
                        "The deal entered its stage on {}; move it on, or close it.",
                        self.stage_entered_at.with_timezone(&zone).date_naive()
                    ),
                    end_of(today),
                    TaskPriority::Normal,
                )
            }
        };
        NewTask {
            title,
            description: Some(description),
            due_at: Some(due_at),
            remind_at: None,
            priority: Some(priority),
            assignee_id: self.owner_id,
            customer_id: Some(self.customer_id),
            order_id: None,
            deal_id: Some(self.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn deal() -> Deal {
        Deal {
            id: Uuid::nil(),
            name: "100 boxes of tea".into(),
            customer_id: Uuid::nil(),
            pipeline_id: Uuid::nil(),
            stage_id: Uuid::from_u128(1),
            amount: 1_280_000,
            currency: Currency::parse("currency", "CNY").unwrap(),
            expected_close_date: None,
            owner_id: None,
            status: DealStatus::Open,
            lost_reason: None,
            closed_at: None,
            stage_entered_at: at("2026-12-01T00:00:00Z"),
            custom_fields: Map::new(),
            created_at: at("2026-12-01T00:00:00Z"),
            updated_at: at("2026-12-01T00:00:00Z"),
            version: 1,
        }
    }

    #[test]
    fn a_move_restarts_the_stage_clock_and_names_the_stage_left() {
        let now = at("2026-12-03T00:00:00Z");
        let moved = DealChanges {
            stage_id: Some(Uuid::from_u128(2)),
            ..DealChanges::default()
        }
        .apply(&deal(), now)
        .unwrap();
        assert_eq!(moved.left_stage, Some(Uuid::from_u128(1)));
        assert_eq!(moved.deal.stage_entered_at, now);
        let stay = StageStay {
            stage_id: Uuid::from_u128(1),
            entered_at: at("2026-12-01T00:00:00Z"),
            left_at: Some(now),
        };
        assert_eq!(stay.seconds(now), 2 * 86_400);
    }

    #[test]
    fn a_reminder_is_for_the_owner_due_by_the_end_of_its_day_in_the_zone() {
        let now = at("2026-12-05T16:30:00Z"); // 00:30 on the 6th in Shanghai
        let zone: Tz = "Asia/Shanghai".parse().unwrap();
        let d = Deal {
            owner_id: Some(Uuid::from_u128(9)),
            expected_close_date: NaiveDate::from_ymd_opt(2026, 12, 8),
            ..deal()
        };
        let close = d.reminder(ReminderDue::close_date(now.date_naive(), 3), now, zone);
        assert_eq!(close.title, "Close “100 boxes of tea” by 2026-12-08");
        assert_eq!(close.due_at, Some(at("2026-12-08T15:59:59Z")));
        assert_eq!((close.assignee_id, close.deal_id), (d.owner_id, Some(d.id)));
        let stuck = d.reminder(ReminderDue::stage(now, 4), now, zone);
        assert_eq!(
            stuck.title,
            "Move “100 boxes of tea” on: 4 days in its stage"
        );
        assert_eq!(stuck.due_at, Some(at("2026-12-06T15:59:59Z")));
    }

    #[test]
    fn a_lost_deal_says_why_and_a_closed_one_does_not_move() {
        let now = at("2026-12-03T00:00:00Z");
        let lose = DealChanges {
            status: Some(DealStatus::Lost),
            ..DealChanges::default()
        };
        assert!(matches!(lose.apply(&deal(), now), Err(Refusal::Invalid(_))));
        let lost = DealChanges {
            status: Some(DealStatus::Lost),
            lost_reason: Some(Some("Chose another supplier".into())),
            ..DealChanges::default()
        }
        .apply(&deal(), now)
        .unwrap()
        .deal;
        assert_eq!(lost.closed_at, Some(now));
        let moved = DealChanges {
            stage_id: Some(Uuid::from_u128(2)),
            ..DealChanges::default()
        }
        .apply(&lost, now);
        assert_eq!(moved, Err(Refusal::ClosedStage));
        let won = DealChanges {
            status: Some(DealStatus::Won),
            ..DealChanges::default()
        }
        .apply(&lost, now);
        assert!(matches!(won, Err(Refusal::Transition { .. })));
        let reopened = DealChanges {
            status: Some(DealStatus::Open),
            ..DealChanges::default()
        }
        .apply(&lost, now)
        .unwrap()
        .deal;
        assert_eq!((reopened.closed_at, reopened.lost_reason), (None, None));
    }
}
