//! What a caller who sees contact details masked (who lacks `contact_details:read`) may find
//! customers by, and how records reaching them are masked. Masking that holds: such a caller can
//! neither filter nor search by email or phone, nor list the members of a segment whose filter
//! tests them, nor read them in the event feed or the audit trail.

use rapport_domain::custom_fields::Definition;
use rapport_domain::customers::fields::{self, CONTACT_DETAIL_FIELDS};
use rapport_domain::filter::{Catalogue, Condition, FieldKind, Filter, FilterValue, Operator};
use rapport_domain::values::{Email, Phone};
use serde_json::Value;

use super::dto::Disclosure;
use crate::problem::{ApiError, ErrorCode};

/// The fields `disclosure` lets a caller filter customers by.
pub fn catalogue(definitions: &[Definition], disclosure: Disclosure) -> Catalogue {
    match disclosure {
        Disclosure::Full => fields::catalogue(definitions),
        Disclosure::Masked => fields::catalogue_without_contact_details(definitions),
    }
}

/// What free text `q` may match beyond what the search itself matches: `q` searches names, emails
/// and phones; a caller who sees contact details masked matches names only, so the text search
/// is narrowed by a condition on the name (and the text index still serves it).
pub fn text_condition(q: Option<&str>, disclosure: Disclosure) -> Option<Filter> {
    let q = q.map(str::trim).filter(|q| !q.is_empty())?;
    (disclosure == Disclosure::Masked).then(|| {
        Filter::Condition(Condition {
            field: "name".to_owned(),
            kind: FieldKind::Text,
            op: Operator::Contains,
            value: FilterValue::Text(q.to_owned()),
        })
    })
}

/// `parts` joined with `and`; none when there are none.
pub fn all_of(mut parts: Vec<Filter>) -> Option<Filter> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Filter::And(parts)),
    }
}

/// Refuses a stored filter (a dynamic segment's) that tests email or phone to a caller who sees
/// them masked: its members would tell what the caller may not read.
pub fn check_stored_filter(filter: &Filter, disclosure: Disclosure) -> Result<(), ApiError> {
    if disclosure == Disclosure::Masked && fields::tests_contact_details(filter) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "the segment's filter tests email or phone, which your role sees masked",
        ));
    }
    Ok(())
}

/// Masks every email and phone in a JSON document (an event's data, an audit event's changes, a
/// segment's filter): the strings under an `email` or `phone` key, at any depth, however they
/// are nested below it (`{"email": {"before": …, "after": …}}`, `{"field": "email", "value":
/// […]}`).
pub fn mask_json(value: &mut Value) {
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
                    None => mask_json(inner),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_json),
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
        mask_json(&mut doc);
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

    #[test]
    fn free_text_matches_names_only_for_a_masked_caller() {
        assert_eq!(text_condition(Some(" 138 "), Disclosure::Full), None);
        assert_eq!(text_condition(Some("  "), Disclosure::Masked), None);
        let Some(Filter::Condition(name)) = text_condition(Some(" 138 "), Disclosure::Masked)
        else {
            panic!("a name condition");
        };
        assert_eq!(name.field, "name");
        assert_eq!(name.value, FilterValue::Text("138".into()));
    }
}
