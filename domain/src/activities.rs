//! Activities: the record of every interaction with a customer (a call, a visit, a message, a
//! note, the outcome of a care occasion), with who took part and when it happened. A customer's
//! latest activity is kept on the customer (`last_activity_at`), so that "key customers nobody
//! contacted for 30 days" is one filter.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{optional_text, text};
use crate::{FieldError, FieldErrors};

/// The longest subject, in characters.
pub const MAX_SUBJECT: usize = 200;
/// The longest body, in characters.
pub const MAX_BODY: usize = 20_000;
/// How far ahead of now an activity may be dated: a day, for clocks and time zones that differ.
pub const MOST_AHEAD: Duration = Duration::days(1);
/// The fields an activity list can be sorted by.
pub const SORTABLE: &[&str] = &["occurred_at", "created_at"];

/// What kind of interaction it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// Something written down.
    Note,
    /// A phone call.
    Call,
    /// An e-mail.
    Email,
    /// A meeting.
    Meeting,
    /// A visit, at the customer's or in the shop.
    Visit,
    /// An online chat or messenger conversation.
    Chat,
    /// A care occasion attended to (a birthday call, a return visit), with its outcome.
    Care,
}

names!(ActivityKind {
    Note => "note", Call => "call", Email => "email", Meeting => "meeting", Visit => "visit",
    Chat => "chat", Care => "care",
});

/// An activity as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// Identifier.
    pub id: Uuid,
    /// What kind of interaction.
    pub kind: ActivityKind,
    /// What it was about.
    pub subject: String,
    /// What was said or done.
    pub body: Option<String>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The customer it was with.
    pub customer_id: Uuid,
    /// The order it was about, if any.
    pub order_id: Option<Uuid>,
    /// The deal it was about, if any.
    pub deal_id: Option<Uuid>,
    /// The staff member who took part (by default the one who recorded it).
    pub author_id: Option<Uuid>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// An activity to record, as sent; [`NewActivity::check`] checks it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewActivity {
    /// Kind.
    pub kind: ActivityKind,
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: Option<String>,
    /// When it happened; now when absent.
    pub occurred_at: Option<DateTime<Utc>>,
    /// The customer.
    pub customer_id: Uuid,
    /// The order it was about.
    pub order_id: Option<Uuid>,
    /// The deal it was about.
    pub deal_id: Option<Uuid>,
    /// Who took part; the recording user when absent.
    pub author_id: Option<Uuid>,
}

/// A partial change: `None` leaves a part alone, `Some(None)` clears an optional part.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ActivityChanges {
    /// Kind.
    pub kind: Option<ActivityKind>,
    /// Subject.
    pub subject: Option<String>,
    /// Body.
    pub body: Option<Option<String>>,
    /// When it happened.
    pub occurred_at: Option<DateTime<Utc>>,
    /// The order it was about.
    pub order_id: Option<Option<Uuid>>,
    /// The deal it was about.
    pub deal_id: Option<Option<Uuid>>,
    /// Who took part.
    pub author_id: Option<Option<Uuid>>,
}

fn when(errors: &mut FieldErrors, at: DateTime<Utc>, now: DateTime<Utc>) {
    if at > now + MOST_AHEAD {
        errors.push(FieldError::new(
            "occurred_at",
            "in_future",
            "must not be more than a day ahead",
        ));
    }
}

impl NewActivity {
    /// Checks every part at `now`, reporting every mistake; texts are trimmed, and an activity
    /// without a time happened `now`.
    pub fn check(self, now: DateTime<Utc>) -> Result<NewActivity, FieldErrors> {
        let mut errors = FieldErrors::new();
        let subject = errors
            .take(text("subject", &self.subject, 1, MAX_SUBJECT))
            .unwrap_or_default();
        let body = errors
            .take(optional_text("body", self.body.as_deref(), MAX_BODY))
            .flatten();
        let occurred_at = self.occurred_at.unwrap_or(now);
        when(&mut errors, occurred_at, now);
        errors.into_result(|| NewActivity {
            subject,
            body,
            occurred_at: Some(occurred_at),
            ..self
        })
    }

    /// The stored activity this becomes, recorded by `author` (when it names no one) at `now`.
    pub fn into_activity(self, author: Option<Uuid>, now: DateTime<Utc>) -> Activity {
        Activity {
            id: Uuid::now_v7(),
            kind: self.kind,
            subject: self.subject,
            body: self.body,
            occurred_at: self.occurred_at.unwrap_or(now),
            customer_id: self.customer_id,
            order_id: self.order_id,
            deal_id: self.deal_id,
            author_id: self.author_id.or(author),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

impl ActivityChanges {
    /// Checks every part that is present at `now`, reporting every mistake.
    pub fn check(self, now: DateTime<Utc>) -> Result<ActivityChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let subject = match &self.subject {
            Some(subject) => errors.take(text("subject", subject, 1, MAX_SUBJECT)),
            None => None,
        };
        let body = match &self.body {
            Some(body) => errors.take(optional_text("body", body.as_deref(), MAX_BODY)),
            None => None,
        };
        if let Some(at) = self.occurred_at {
            when(&mut errors, at, now);
        }
        errors.into_result(|| ActivityChanges {
            subject,
            body,
            ..self
        })
    }

    /// The activity with these changes applied (the stamp and version left to the caller).
    pub fn apply(&self, current: &Activity) -> Activity {
        Activity {
            kind: self.kind.unwrap_or(current.kind),
            subject: self
                .subject
                .clone()
                .unwrap_or_else(|| current.subject.clone()),
            body: self.body.clone().unwrap_or_else(|| current.body.clone()),
            occurred_at: self.occurred_at.unwrap_or(current.occurred_at),
            order_id: self.order_id.unwrap_or(current.order_id),
            deal_id: self.deal_id.unwrap_or(current.deal_id),
            author_id: self.author_id.unwrap_or(current.author_id),
            ..current.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn call(subject: &str, occurred_at: Option<DateTime<Utc>>) -> NewActivity {
        NewActivity {
            kind: ActivityKind::Call,
            subject: subject.into(),
            body: Some("  ".into()),
            occurred_at,
            customer_id: Uuid::nil(),
            order_id: None,
            deal_id: None,
            author_id: None,
        }
    }

    #[test]
    fn an_activity_has_a_subject_and_happened_by_tomorrow() {
        let now = at("2026-12-05T10:00:00Z");
        let refused = call(" ", Some(at("2026-12-06T10:00:01Z")))
            .check(now)
            .unwrap_err();
        let fields: Vec<_> = refused
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert_eq!(fields, [("subject", "blank"), ("occurred_at", "in_future")]);
        let checked = call(" 回访 ", None).check(now).unwrap();
        assert_eq!(checked.subject, "回访");
        assert_eq!(checked.body, None, "a blank body is none");
        let recorded = checked.into_activity(Some(Uuid::max()), now);
        assert_eq!(recorded.occurred_at, now);
        assert_eq!(recorded.author_id, Some(Uuid::max()));
    }

    #[test]
    fn a_change_applies_only_what_it_names() {
        let now = at("2026-12-05T10:00:00Z");
        let activity = call("Call", Some(now))
            .check(now)
            .unwrap()
            .into_activity(None, now);
        let changed = ActivityChanges {
            body: Some(Some("Wants the blue one".into())),
            order_id: Some(Some(Uuid::max())),
            ..ActivityChanges::default()
        }
        .check(now)
        .unwrap()
        .apply(&activity);
        assert_eq!(changed.subject, "Call");
        assert_eq!(changed.body.as_deref(), Some("Wants the blue one"));
        assert_eq!(changed.order_id, Some(Uuid::max()));
        let cleared = ActivityChanges {
            body: Some(None),
            ..ActivityChanges::default()
        }
        .apply(&changed);
        assert_eq!(cleared.body, None);
    }
}
