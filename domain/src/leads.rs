//! Leads: people who may become customers. A lead is worked from `new` through `contacted` to
//! `qualified`, and ends converted into a customer (and perhaps a deal) or disqualified.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{name, optional_text};
use crate::values::{Email, Phone};
use crate::{FieldError, FieldErrors};

/// The longest lead name or company name, in characters.
pub const MAX_NAME: usize = 200;
/// The longest source, in characters.
pub const MAX_SOURCE: usize = 100;
/// The longest notes, in characters.
pub const MAX_NOTES: usize = 10_000;
/// The longest disqualification reason, in characters.
pub const MAX_REASON: usize = 1_000;
/// The highest score.
pub const MAX_SCORE: i16 = 100;
/// The fields a lead list can be sorted by.
pub const SORTABLE: &[&str] = &["created_at", "updated_at", "score"];

/// Where a lead stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    /// Not yet approached.
    New,
    /// Approached.
    Contacted,
    /// Found to be a real prospect.
    Qualified,
    /// Became a customer: final.
    Converted,
    /// Not a prospect.
    Disqualified,
}

names!(LeadStatus {
    New => "new",
    Contacted => "contacted",
    Qualified => "qualified",
    Converted => "converted",
    Disqualified => "disqualified",
});

impl LeadStatus {
    /// Whether a lead in this status may be moved to `next` by a change: forward from `new`
    /// to `qualified`, to `disqualified` from any of those, and back to `new` from
    /// `disqualified`. A lead becomes `converted` only by being converted, and stays so.
    pub fn can_become(self, next: LeadStatus) -> bool {
        use LeadStatus::*;
        matches!(
            (self, next),
            (New, Contacted)
                | (New, Qualified)
                | (Contacted, Qualified)
                | (New | Contacted | Qualified, Disqualified)
                | (Disqualified, New)
        )
    }

    /// Whether a lead in this status may be converted.
    pub fn is_convertible(self) -> bool {
        matches!(
            self,
            LeadStatus::New | LeadStatus::Contacted | LeadStatus::Qualified
        )
    }
}

/// How promising a lead is, as staff judge it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadRating {
    /// Ready to buy.
    Hot,
    /// Interested.
    Warm,
    /// Not yet interested.
    Cold,
}

names!(LeadRating { Hot => "hot", Warm => "warm", Cold => "cold" });

/// A lead as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lead {
    /// Identifier.
    pub id: Uuid,
    /// The person's name.
    pub name: String,
    /// Where they work.
    pub company: Option<String>,
    /// Email.
    pub email: Option<Email>,
    /// Phone.
    pub phone: Option<Phone>,
    /// Where the lead came from (a fair, a web form).
    pub source: Option<String>,
    /// How promising it is.
    pub rating: Option<LeadRating>,
    /// A score from 0 to 100.
    pub score: i16,
    /// Where it stands.
    pub status: LeadStatus,
    /// The staff member who works it.
    pub owner_id: Option<Uuid>,
    /// Free notes.
    pub notes: Option<String>,
    /// Why it was disqualified.
    pub disqualified_reason: Option<String>,
    /// The customer it became or was linked to.
    pub customer_id: Option<Uuid>,
    /// The deal opened when it was converted.
    pub deal_id: Option<Uuid>,
    /// When it was converted.
    pub converted_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// A lead to create, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLead {
    /// Name.
    pub name: String,
    /// Company.
    pub company: Option<String>,
    /// Email.
    pub email: Option<Email>,
    /// Phone.
    pub phone: Option<Phone>,
    /// Source.
    pub source: Option<String>,
    /// Rating.
    pub rating: Option<LeadRating>,
    /// Score.
    pub score: i16,
    /// Owner; the creating user when absent.
    pub owner_id: Option<Uuid>,
    /// Notes.
    pub notes: Option<String>,
}

/// A partial change: `None` leaves a part alone, `Some(None)` clears an optional part.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeadChanges {
    /// Name.
    pub name: Option<String>,
    /// Company.
    pub company: Option<Option<String>>,
    /// Email.
    pub email: Option<Option<Email>>,
    /// Phone.
    pub phone: Option<Option<Phone>>,
    /// Source.
    pub source: Option<Option<String>>,
    /// Rating.
    pub rating: Option<Option<LeadRating>>,
    /// Score.
    pub score: Option<i16>,
    /// Owner.
    pub owner_id: Option<Option<Uuid>>,
    /// Notes.
    pub notes: Option<Option<String>>,
    /// Status, along [`LeadStatus::can_become`].
    pub status: Option<LeadStatus>,
    /// Why it is disqualified: only a disqualified lead has one.
    pub disqualified_reason: Option<Option<String>>,
}

/// Why a change or a conversion cannot apply to a lead as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The status cannot move there.
    Transition {
        /// Where the lead stands.
        from: LeadStatus,
        /// Where the change would take it.
        to: LeadStatus,
    },
    /// The lead was converted already.
    Converted,
    /// Its fields are wrong.
    Invalid(FieldErrors),
}

fn check_score(errors: &mut FieldErrors, score: i16) {
    if !(0..=MAX_SCORE).contains(&score) {
        errors.push(FieldError::new(
            "score",
            "out_of_range",
            format!("must be between 0 and {MAX_SCORE}"),
        ));
    }
}

/// An optional text part of a change: `Some(None)` and `Some(Some(""))` both clear it.
fn optional_part(
    errors: &mut FieldErrors,
    field: &str,
    part: &Option<Option<String>>,
    max: usize,
) -> Option<Option<String>> {
    match part {
        Some(value) => errors
            .take(optional_text(field, value.as_deref(), max))
            .map(Some)
            .unwrap_or(Some(None)),
        None => None,
    }
}

impl NewLead {
    /// Checks every part, reporting every mistake.
    pub fn check(self) -> Result<NewLead, FieldErrors> {
        let mut errors = FieldErrors::new();
        let lead_name = errors
            .take(name("name", &self.name, 1, MAX_NAME))
            .unwrap_or_default();
        let company = errors
            .take(optional_text("company", self.company.as_deref(), MAX_NAME))
            .flatten();
        let source = errors
            .take(optional_text("source", self.source.as_deref(), MAX_SOURCE))
            .flatten();
        let notes = errors
            .take(optional_text("notes", self.notes.as_deref(), MAX_NOTES))
            .flatten();
        check_score(&mut errors, self.score);
        errors.into_result(|| NewLead {
            name: lead_name,
            company,
            source,
            notes,
            ..self
        })
    }

    /// The lead this makes, created by `by` (its owner unless it names one) at `now`.
    pub fn into_lead(self, id: Uuid, by: Option<Uuid>, now: DateTime<Utc>) -> Lead {
        Lead {
            id,
            name: self.name,
            company: self.company,
            email: self.email,
            phone: self.phone,
            source: self.source,
            rating: self.rating,
            score: self.score,
            status: LeadStatus::New,
            owner_id: self.owner_id.or(by),
            notes: self.notes,
            disqualified_reason: None,
            customer_id: None,
            deal_id: None,
            converted_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

impl LeadChanges {
    /// Checks every part that is present, reporting every mistake.
    pub fn check(self) -> Result<LeadChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let lead_name = match &self.name {
            Some(n) => errors.take(name("name", n, 1, MAX_NAME)),
            None => None,
        };
        let company = optional_part(&mut errors, "company", &self.company, MAX_NAME);
        let source = optional_part(&mut errors, "source", &self.source, MAX_SOURCE);
        let notes = optional_part(&mut errors, "notes", &self.notes, MAX_NOTES);
        let reason = optional_part(
            &mut errors,
            "disqualified_reason",
            &self.disqualified_reason,
            MAX_REASON,
        );
        if let Some(score) = self.score {
            check_score(&mut errors, score);
        }
        errors.into_result(|| LeadChanges {
            name: lead_name,
            company,
            source,
            notes,
            disqualified_reason: reason,
            ..self
        })
    }

    /// The lead with these changes applied (the version and time left to the caller). A
    /// converted lead changes no more; a status change follows [`LeadStatus::can_become`], and
    /// leaving `disqualified` clears the reason.
    pub fn apply(&self, current: &Lead) -> Result<Lead, Refusal> {
        if current.status == LeadStatus::Converted {
            return Err(Refusal::Converted);
        }
        let mut lead = Lead {
            name: self.name.clone().unwrap_or_else(|| current.name.clone()),
            company: self
                .company
                .clone()
                .unwrap_or_else(|| current.company.clone()),
            email: self.email.clone().unwrap_or_else(|| current.email.clone()),
            phone: self.phone.clone().unwrap_or_else(|| current.phone.clone()),
            source: self
                .source
                .clone()
                .unwrap_or_else(|| current.source.clone()),
            rating: self.rating.unwrap_or(current.rating),
            score: self.score.unwrap_or(current.score),
            owner_id: self.owner_id.unwrap_or(current.owner_id),
            notes: self.notes.clone().unwrap_or_else(|| current.notes.clone()),
            disqualified_reason: self
                .disqualified_reason
                .clone()
                .unwrap_or_else(|| current.disqualified_reason.clone()),
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
            lead.status = next;
            if current.status == LeadStatus::Disqualified {
                lead.disqualified_reason = None;
            }
        }
        if lead.status != LeadStatus::Disqualified
            && self
                .disqualified_reason
                .as_ref()
                .is_some_and(Option::is_some)
        {
            return Err(Refusal::Invalid(FieldErrors::from(FieldError::new(
                "disqualified_reason",
                "unexpected",
                "only a disqualified lead has a disqualification reason",
            ))));
        }
        Ok(lead)
    }
}

impl Lead {
    /// The lead converted at `now` into `customer` and perhaps `deal` (the version left to the
    /// caller): only a lead that is new, contacted or qualified converts.
    pub fn converted(
        &self,
        customer: Uuid,
        deal: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Lead, Refusal> {
        if self.status == LeadStatus::Converted {
            return Err(Refusal::Converted);
        }
        if !self.status.is_convertible() {
            return Err(Refusal::Transition {
                from: self.status,
                to: LeadStatus::Converted,
            });
        }
        Ok(Lead {
            status: LeadStatus::Converted,
            customer_id: Some(customer),
            deal_id: deal,
            converted_at: Some(now),
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn lead() -> Lead {
        NewLead {
            name: "王芳".into(),
            company: Some("明德茶业".into()),
            email: None,
            phone: None,
            source: Some("trade_fair".into()),
            rating: Some(LeadRating::Warm),
            score: 40,
            owner_id: None,
            notes: None,
        }
        .into_lead(Uuid::nil(), None, at("2026-12-01T00:00:00Z"))
    }

    #[test]
    fn a_lead_moves_forward_is_disqualified_and_reopened() {
        let contacted = LeadChanges {
            status: Some(LeadStatus::Contacted),
            ..LeadChanges::default()
        }
        .apply(&lead())
        .unwrap();
        let back = LeadChanges {
            status: Some(LeadStatus::New),
            ..LeadChanges::default()
        }
        .apply(&contacted);
        assert!(matches!(back, Err(Refusal::Transition { .. })));
        let out = LeadChanges {
            status: Some(LeadStatus::Disqualified),
            disqualified_reason: Some(Some("No budget".into())),
            ..LeadChanges::default()
        }
        .apply(&contacted)
        .unwrap();
        assert_eq!(out.disqualified_reason.as_deref(), Some("No budget"));
        let reopened = LeadChanges {
            status: Some(LeadStatus::New),
            ..LeadChanges::default()
        }
        .apply(&out)
        .unwrap();
        assert_eq!(
            (reopened.status, reopened.disqualified_reason),
            (LeadStatus::New, None)
        );
    }

    #[test]
    fn only_a_disqualified_lead_has_a_reason() {
        let change = LeadChanges {
            disqualified_reason: Some(Some("No budget".into())),
            ..LeadChanges::default()
        };
        assert!(matches!(change.apply(&lead()), Err(Refusal::Invalid(_))));
    }

    #[test]
    fn a_lead_converts_once_and_is_then_left_alone() {
        let now = at("2026-12-05T00:00:00Z");
        let converted = lead().converted(Uuid::from_u128(7), None, now).unwrap();
        assert_eq!(converted.status, LeadStatus::Converted);
        assert_eq!(converted.converted_at, Some(now));
        assert_eq!(
            converted.converted(Uuid::from_u128(7), None, now),
            Err(Refusal::Converted)
        );
        let renamed = LeadChanges {
            name: Some("王芳芳".into()),
            ..LeadChanges::default()
        }
        .apply(&converted);
        assert_eq!(renamed, Err(Refusal::Converted));
        let out = LeadChanges {
            status: Some(LeadStatus::Disqualified),
            ..LeadChanges::default()
        }
        .apply(&lead())
        .unwrap();
        assert!(matches!(
            out.converted(Uuid::from_u128(7), None, now),
            Err(Refusal::Transition { .. })
        ));
        let score = LeadChanges {
            score: Some(101),
            ..LeadChanges::default()
        };
        assert!(score.check().is_err());
    }
}
