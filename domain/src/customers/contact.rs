use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::values::{Email, Phone};

/// A person at a company customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Identifier.
    pub id: Uuid,
    /// The company customer.
    pub customer_id: Uuid,
    /// Full name.
    pub name: String,
    /// Job title.
    pub title: Option<String>,
    /// Email.
    pub email: Option<Email>,
    /// Phone.
    pub phone: Option<Phone>,
    /// The customer's main contact; at most one per customer.
    pub is_primary: bool,
    /// Notes.
    pub notes: Option<String>,
    /// Values of the workspace's own contact fields.
    pub custom_fields: Map<String, Value>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on each change.
    pub version: i64,
}

/// A contact about to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    /// Name.
    pub name: String,
    /// Title.
    pub title: Option<String>,
    /// Email.
    pub email: Option<Email>,
    /// Phone.
    pub phone: Option<Phone>,
    /// Primary.
    pub is_primary: bool,
    /// Notes.
    pub notes: Option<String>,
    /// Custom field values, checked against the definitions.
    pub custom_fields: Map<String, Value>,
}

/// A partial change to a contact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactChanges {
    /// Name.
    pub name: Option<String>,
    /// Title.
    pub title: Option<Option<String>>,
    /// Email.
    pub email: Option<Option<Email>>,
    /// Phone.
    pub phone: Option<Option<Phone>>,
    /// Primary.
    pub is_primary: Option<bool>,
    /// Notes.
    pub notes: Option<Option<String>>,
    /// Custom field values to set; `null` removes one, keys not mentioned stay.
    pub custom_fields: Option<Map<String, Value>>,
}

impl NewContact {
    /// The stored contact this becomes.
    pub fn into_contact(self, id: Uuid, customer_id: Uuid, now: DateTime<Utc>) -> Contact {
        Contact {
            id,
            customer_id,
            name: self.name,
            title: self.title,
            email: self.email,
            phone: self.phone,
            is_primary: self.is_primary,
            notes: self.notes,
            custom_fields: self.custom_fields,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

impl Contact {
    /// The contact after `changes` at `now`.
    pub fn apply(&self, changes: ContactChanges, now: DateTime<Utc>) -> Contact {
        let mut next = self.clone();
        macro_rules! set {
            ($($field:ident),+) => { $(if let Some(value) = changes.$field { next.$field = value; })+ };
        }
        set!(name, title, email, phone, is_primary, notes);
        if let Some(values) = changes.custom_fields {
            next.custom_fields = crate::custom_fields::merge(&self.custom_fields, values);
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
    fn changing_a_contact_moves_its_version() {
        let now = Utc::now();
        let contact = NewContact {
            name: "李雷".into(),
            title: None,
            email: None,
            phone: None,
            is_primary: false,
            notes: None,
            custom_fields: Map::new(),
        }
        .into_contact(Uuid::nil(), Uuid::nil(), now);
        let changed = contact.apply(
            ContactChanges {
                is_primary: Some(true),
                ..Default::default()
            },
            now,
        );
        assert!(changed.is_primary);
        assert_eq!(changed.version, 2);
        assert_eq!(contact.apply(ContactChanges::default(), now).version, 1);
    }
}
