//! Brands: who makes what is sold. A product names at most one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::FieldErrors;

/// The fields a brand list can be sorted by.
pub const SORTABLE: &[&str] = &["name", "created_at", "updated_at"];

/// A brand as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Brand {
    /// Identifier.
    pub id: Uuid,
    /// What customers know it by; unique.
    pub name: String,
    /// A few words about it.
    pub description: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// A brand about to be created, as sent; [`NewBrand::parse`] checks it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBrand {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
}

/// A partial change: `None` leaves a part alone.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BrandChanges {
    /// Name.
    pub name: Option<String>,
    /// Description; `Some(None)` clears it.
    pub description: Option<Option<String>>,
}

impl NewBrand {
    /// Checks every part, reporting every mistake; the name is trimmed.
    pub fn parse(self) -> Result<NewBrand, FieldErrors> {
        let mut errors = FieldErrors::new();
        let (name, description) =
            super::labels(&mut errors, &self.name, self.description.as_deref());
        errors.into_result(|| NewBrand { name, description })
    }

    /// The stored brand this becomes.
    pub fn into_brand(self, id: Uuid, now: DateTime<Utc>) -> Brand {
        Brand {
            id,
            name: self.name,
            description: self.description,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

impl BrandChanges {
    /// Checks every part that is present, reporting every mistake.
    pub fn parse(self) -> Result<BrandChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let (name, description) = super::label_changes(
            &mut errors,
            self.name.as_deref(),
            self.description.as_ref().map(Option::as_deref),
        );
        errors.into_result(|| BrandChanges { name, description })
    }
}

impl Brand {
    /// The brand after checked `changes` at `now`; the version moves on only when something
    /// changed.
    pub fn apply(&self, changes: BrandChanges, now: DateTime<Utc>) -> Brand {
        let mut next = self.clone();
        if let Some(name) = changes.name {
            next.name = name;
        }
        if let Some(description) = changes.description {
            next.description = description;
        }
        if next != *self {
            next.updated_at = now;
            next.version = self.version + 1;
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_required_and_blank_descriptions_are_none() {
        let brand = NewBrand {
            name: "  Anta ".into(),
            description: Some("  ".into()),
        }
        .parse()
        .unwrap();
        assert_eq!(brand.name, "Anta");
        assert_eq!(brand.description, None);
        let refused = NewBrand {
            name: " ".into(),
            description: Some("x".repeat(1001)),
        }
        .parse()
        .unwrap_err();
        let codes: Vec<_> = refused
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert_eq!(codes, [("name", "blank"), ("description", "too_long")]);
    }

    #[test]
    fn nothing_changed_keeps_the_version() {
        let now = Utc::now();
        let brand = NewBrand {
            name: "Anta".into(),
            description: None,
        }
        .parse()
        .unwrap()
        .into_brand(Uuid::nil(), now);
        let same = brand.apply(
            BrandChanges {
                name: Some("Anta".into()),
                ..BrandChanges::default()
            }
            .parse()
            .unwrap(),
            now,
        );
        assert_eq!(same.version, 1);
        let renamed = brand.apply(
            BrandChanges {
                name: Some("安踏".into()),
                description: Some(Some("Sportswear".into())),
            }
            .parse()
            .unwrap(),
            now,
        );
        assert_eq!((renamed.name.as_str(), renamed.version), ("安踏", 2));
    }
}
