//! Segments: saved groups of customers, used as campaign audiences and coupon targets.
//!
//! A dynamic segment is a filter in the filter language: its members are whoever matches now. A
//! static segment is a list: customers are added and removed by hand (or in bulk) and stay until
//! removed or deleted. The kind is fixed once created.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::FieldError;
use crate::filter::Filter;
use crate::validation::optional_text;

/// The longest name.
pub const MAX_NAME_LEN: usize = 100;
/// The longest description.
pub const MAX_DESCRIPTION_LEN: usize = 500;

/// How a segment decides who belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    /// Whoever its filter selects at the time of asking.
    Dynamic,
    /// The customers added to it.
    Static,
}

impl SegmentKind {
    /// The stored and transmitted name.
    pub fn as_str(self) -> &'static str {
        match self {
            SegmentKind::Dynamic => "dynamic",
            SegmentKind::Static => "static",
        }
    }

    /// The kind of this name, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "dynamic" => Some(SegmentKind::Dynamic),
            "static" => Some(SegmentKind::Static),
            _ => None,
        }
    }
}

/// A segment as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Identifier.
    pub id: Uuid,
    /// What people call it; unique.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// Dynamic or static.
    pub kind: SegmentKind,
    /// A dynamic segment's filter, in its canonical wire form ([`Filter::to_json`]).
    pub filter: Option<Value>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// A segment about to be created, as sent; [`NewSegment::parse`] checks it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSegment {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Kind.
    pub kind: SegmentKind,
    /// The filter, for a dynamic segment only.
    pub filter: Option<Filter>,
}

/// A partial change: `None` leaves a part alone; the kind cannot change.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SegmentChanges {
    /// Name.
    pub name: Option<String>,
    /// Description; `Some(None)` clears it.
    pub description: Option<Option<String>>,
    /// A new filter, for a dynamic segment.
    pub filter: Option<Filter>,
}

fn filter_rule(kind: SegmentKind, has_filter: bool) -> Option<FieldError> {
    match (kind, has_filter) {
        (SegmentKind::Dynamic, false) => Some(FieldError::new(
            "filter",
            "required",
            "a dynamic segment needs a filter",
        )),
        (SegmentKind::Static, true) => Some(FieldError::new(
            "filter",
            "not_allowed",
            "a static segment has members, not a filter; add customers to it instead",
        )),
        _ => None,
    }
}

impl NewSegment {
    /// Checks every part, reporting every mistake.
    pub fn parse(self) -> Result<NewSegment, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = crate::validation::name("name", &self.name, 1, MAX_NAME_LEN)
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        let description = optional_text(
            "description",
            self.description.as_deref(),
            MAX_DESCRIPTION_LEN,
        )
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
        errors.extend(filter_rule(self.kind, self.filter.is_some()));
        if errors.is_empty() {
            Ok(NewSegment {
                name,
                description,
                ..self
            })
        } else {
            Err(errors)
        }
    }

    /// The stored segment this becomes.
    pub fn into_segment(self, id: Uuid, now: DateTime<Utc>) -> Segment {
        Segment {
            id,
            name: self.name,
            description: self.description,
            kind: self.kind,
            filter: self.filter.as_ref().map(Filter::to_json),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

impl SegmentChanges {
    /// Checks the parts that need no stored segment (name and description), trimmed, so a bad
    /// one is refused before anything is looked up.
    pub fn parse(self) -> Result<SegmentChanges, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = self
            .name
            .map(|n| {
                crate::validation::name("name", &n, 1, MAX_NAME_LEN)
                    .map_err(|e| errors.push(e))
                    .ok()
            })
            .and_then(|n| n);
        let description = self.description.map(|d| {
            optional_text("description", d.as_deref(), MAX_DESCRIPTION_LEN)
                .map_err(|e| errors.push(e))
                .unwrap_or_default()
        });
        if errors.is_empty() {
            Ok(SegmentChanges {
                name,
                description,
                filter: self.filter,
            })
        } else {
            Err(errors)
        }
    }
}

impl Segment {
    /// The segment after `changes` at `now`, every part checked; the version moves on only when
    /// something changed.
    pub fn apply(
        &self,
        changes: SegmentChanges,
        now: DateTime<Utc>,
    ) -> Result<Segment, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut next = self.clone();
        if let Some(name) = changes.name {
            match crate::validation::name("name", &name, 1, MAX_NAME_LEN) {
                Ok(name) => next.name = name,
                Err(e) => errors.push(e),
            }
        }
        if let Some(description) = changes.description {
            match optional_text("description", description.as_deref(), MAX_DESCRIPTION_LEN) {
                Ok(description) => next.description = description,
                Err(e) => errors.push(e),
            }
        }
        if let Some(filter) = changes.filter {
            match filter_rule(self.kind, true) {
                Some(e) => errors.push(e),
                None => next.filter = Some(filter.to_json()),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if next != *self {
            next.updated_at = now;
            next.version = self.version + 1;
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{Condition, FieldKind, FilterValue, Operator};

    fn vip() -> Filter {
        Filter::Condition(Condition {
            field: "tags".into(),
            kind: FieldKind::TextList,
            op: Operator::Contains,
            value: FilterValue::Text("vip".into()),
        })
    }

    fn new(kind: SegmentKind, filter: Option<Filter>) -> NewSegment {
        NewSegment {
            name: " VIPs ".into(),
            description: None,
            kind,
            filter,
        }
    }

    #[test]
    fn a_dynamic_segment_needs_a_filter_and_a_static_one_takes_none() {
        assert!(new(SegmentKind::Dynamic, Some(vip())).parse().is_ok());
        assert!(new(SegmentKind::Static, None).parse().is_ok());
        let codes = |n: NewSegment| {
            n.parse()
                .unwrap_err()
                .into_iter()
                .map(|e| e.code)
                .collect::<Vec<_>>()
        };
        assert_eq!(codes(new(SegmentKind::Dynamic, None)), ["required"]);
        assert_eq!(
            codes(new(SegmentKind::Static, Some(vip()))),
            ["not_allowed"]
        );
    }

    #[test]
    fn names_are_trimmed_and_the_filter_is_kept_in_its_wire_form() {
        let segment = new(SegmentKind::Dynamic, Some(vip()))
            .parse()
            .unwrap()
            .into_segment(Uuid::nil(), Utc::now());
        assert_eq!(segment.name, "VIPs");
        assert_eq!(
            segment.filter,
            Some(serde_json::json!({"field": "tags", "op": "contains", "value": "vip"}))
        );
    }

    #[test]
    fn a_static_segment_cannot_be_given_a_filter_and_nothing_changed_keeps_the_version() {
        let now = Utc::now();
        let segment = new(SegmentKind::Static, None)
            .parse()
            .unwrap()
            .into_segment(Uuid::nil(), now);
        let refused = segment.apply(
            SegmentChanges {
                filter: Some(vip()),
                ..SegmentChanges::default()
            },
            now,
        );
        assert_eq!(refused.unwrap_err()[0].code, "not_allowed");
        let same = segment
            .apply(
                SegmentChanges {
                    name: Some("VIPs".into()),
                    ..SegmentChanges::default()
                },
                now,
            )
            .unwrap();
        assert_eq!(same.version, 1);
    }
}
