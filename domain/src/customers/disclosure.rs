//! How much of a customer's or contact's contact details a caller sees: all of them with
//! `contact_details:read`, masked (`w***@example.cn`, `+*********8000`) without, wherever they
//! appear: in records, and in documents that copy them (the event feed, the audit trail, a saved
//! filter).

use serde_json::Value;

use super::fields::CONTACT_DETAIL_FIELDS;
use crate::access::{Action, Actor, Permission, Resource};
use crate::values::{Email, Phone};

/// How much of email addresses and phone numbers a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    /// As stored.
    Full,
    /// Masked.
    Masked,
}

impl Disclosure {
    /// What `actor` sees: everything with `contact_details:read`, masked without.
    pub fn of(actor: &Actor) -> Self {
        let details = Permission::new(Resource::ContactDetails, Action::Read);
        match actor.scope_for(details) {
            Some(_) => Disclosure::Full,
            None => Disclosure::Masked,
        }
    }

    /// `full` or `masked`, as the audit trail records it.
    pub fn as_str(self) -> &'static str {
        match self {
            Disclosure::Full => "full",
            Disclosure::Masked => "masked",
        }
    }

    /// An email as this caller sees it.
    pub fn email(self, email: Option<Email>) -> Option<String> {
        email.map(|e| match self {
            Disclosure::Full => String::from(e),
            Disclosure::Masked => e.masked(),
        })
    }

    /// A phone number as this caller sees it.
    pub fn phone(self, phone: Option<Phone>) -> Option<String> {
        phone.map(|p| match self {
            Disclosure::Full => String::from(p),
            Disclosure::Masked => p.masked(),
        })
    }
}

/// Masks every email and phone in a JSON document (an event's data, an audit event's changes, a
/// segment's filter): the strings under an `email` or `phone` key, at any depth, however they
/// are nested below it (`{"email": {"before": …, "after": …}}`, `{"field": "email", "value":
/// […]}`).
pub fn mask_contact_details(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let tested = object
                .get("field")
                .and_then(Value::as_str)
                .and_then(contact_field);
            for (key, inner) in object.iter_mut() {
                match contact_field(key) {
                    Some(field) => mask_strings(inner, field),
                    None if key == "value" && tested.is_some() => {
                        mask_strings(inner, tested.unwrap_or("email"));
                    }
                    None => mask_contact_details(inner),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_contact_details),
        _ => {}
    }
}

fn contact_field(name: &str) -> Option<&'static str> {
    CONTACT_DETAIL_FIELDS.iter().copied().find(|f| *f == name)
}

fn mask_strings(value: &mut Value, field: &str) {
    match value {
        Value::String(text) => *text = masked(field, text),
        Value::Array(items) => items.iter_mut().for_each(|v| mask_strings(v, field)),
        Value::Object(object) => object.values_mut().for_each(|v| mask_strings(v, field)),
        _ => {}
    }
}

/// `text` masked as its field masks it; what does not parse as one is hidden whole.
fn masked(field: &str, text: &str) -> String {
    let parsed = match field {
        "email" => Email::parse(field, text).map(|e| e.masked()),
        _ => Phone::parse(field, text).map(|p| p.masked()),
    };
    parsed.unwrap_or_else(|_| "***".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contact_details_are_masked_wherever_a_document_holds_them() {
        let mut doc = json!({
            "name": "王芳",
            "email": "wang.fang@example.cn",
            "phone": {"before": null, "after": "+8613800138000"},
            "contacts": [{"email": "li@example.cn"}],
            "filter": {"and": [
                {"field": "email", "op": "in", "value": ["a@b.cn", "not an email"]},
                {"field": "name", "op": "eq", "value": "a@b.cn"}
            ]}
        });
        mask_contact_details(&mut doc);
        assert_eq!(
            doc,
            json!({
                "name": "王芳",
                "email": "w***@example.cn",
                "phone": {"before": null, "after": "+*********8000"},
                "contacts": [{"email": "l***@example.cn"}],
                "filter": {"and": [
                    {"field": "email", "op": "in", "value": ["a***@b.cn", "***"]},
                    {"field": "name", "op": "eq", "value": "a@b.cn"}
                ]}
            })
        );
    }
}
