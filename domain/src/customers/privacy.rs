//! A customer's personal data: what anonymisation wipes, and how its copies elsewhere (audit
//! trail, event feed) are scrubbed, so a customer who asks to be forgotten leaves no way back to
//! them while orders and aggregates stay.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{Address, Consent, Contact, Customer};

/// The name an anonymised customer keeps.
pub const ANONYMISED_NAME: &str = "Anonymised customer";
/// The name an anonymised contact keeps.
pub const ANONYMISED_CONTACT_NAME: &str = "Anonymised contact";

/// Fields that hold personal data wherever a customer, a contact or a record about them is
/// copied as JSON (audit changes, event data): each is emptied when scrubbed.
pub const PERSONAL_FIELDS: &[&str] = &[
    "name",
    "email",
    "phone",
    "gender",
    "birthday",
    "address",
    "notes",
    "external_id",
    "member_number",
    "custom_fields",
    "title",
    "marketing_consent",
    "search_text",
    "recipient",
    "ship_to",
    // What a ticket of theirs says: its subject and description, its comments, and what they
    // said when they rated it.
    "subject",
    "description",
    "body",
    "comment",
];

impl Customer {
    /// The customer with every personal field wiped: a placeholder name, no email, phone,
    /// gender, birthday, address, notes, external id, custom values or membership (its number
    /// identifies them), and consent withdrawn. Kind, stage, tags, owner, source and the
    /// record's history stay, so aggregates stay true.
    pub fn anonymised(&self, now: DateTime<Utc>) -> Customer {
        let mut next = Customer {
            name: ANONYMISED_NAME.to_owned(),
            email: None,
            phone: None,
            gender: None,
            birthday: None,
            address: Address::default(),
            external_id: None,
            notes: None,
            custom_fields: Map::new(),
            tier_id: None,
            member_number: None,
            member_since: None,
            marketing_consent: Consent {
                opted_in: false,
                channel: None,
                updated_at: Some(now),
            },
            anonymised_at: Some(now),
            ..self.clone()
        };
        next.updated_at = now;
        next.version = self.version + 1;
        next
    }
}

impl Contact {
    /// The contact with every personal field wiped.
    pub fn anonymised(&self, now: DateTime<Utc>) -> Contact {
        Contact {
            name: ANONYMISED_CONTACT_NAME.to_owned(),
            title: None,
            email: None,
            phone: None,
            notes: None,
            custom_fields: Map::new(),
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }
}

/// Empties every personal field in a JSON copy of a customer or contact, and in the
/// `{field: {before, after}}` changes of an audit event, wherever it appears as a key.
pub fn scrub(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object.iter_mut() {
                if PERSONAL_FIELDS.contains(&key.as_str()) {
                    *inner = match inner {
                        Value::Object(change)
                            if change.contains_key("before") || change.contains_key("after") =>
                        {
                            serde_json::json!({"before": null, "after": null})
                        }
                        _ => Value::Null,
                    };
                } else {
                    scrub(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scrubbing_empties_personal_fields_at_any_depth_and_keeps_the_rest() {
        let mut event = json!({
            "id": "x", "name": "王芳", "email": "w@x.cn", "lifecycle_stage": "customer",
            "address": {"city": "上海市"}, "contacts": [{"name": "李雷", "is_primary": true}],
        });
        scrub(&mut event);
        assert_eq!(
            event,
            json!({
                "id": "x", "name": null, "email": null, "lifecycle_stage": "customer",
                "address": null, "contacts": [{"name": null, "is_primary": true}],
            })
        );
        let mut changes = json!({"email": {"before": "a@b.cn", "after": "c@d.cn"}, "tags": {"before": [], "after": ["vip"]}});
        scrub(&mut changes);
        assert_eq!(
            changes,
            json!({"email": {"before": null, "after": null}, "tags": {"before": [], "after": ["vip"]}})
        );
    }
}
