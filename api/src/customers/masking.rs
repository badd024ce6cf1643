//! What a caller who sees contact details masked (who lacks `contact_details:read`) may find
//! customers by. Masking that holds: such a caller can neither filter nor search by email or
//! phone, nor list the members of a segment whose filter tests them (and the domain's
//! `mask_contact_details` keeps them out of the feed and the audit trail).

use rapport_domain::custom_fields::Definition;
use rapport_domain::customers::Disclosure;
use rapport_domain::customers::fields;
use rapport_domain::filter::{Catalogue, Condition, FieldKind, Filter, FilterValue, Operator};

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

#[cfg(test)]
mod tests {
    use super::*;

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
