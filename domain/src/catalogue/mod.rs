//! The catalogue: what a business sells, arranged by category and brand.

pub mod batch;
pub mod brands;
pub mod categories;
pub mod fields;
pub mod products;

use crate::FieldErrors;
use crate::validation::{name, optional_text};

/// The longest name of a category or a brand.
pub const MAX_NAME_LEN: usize = 100;
/// The longest description of a category or a brand.
pub const MAX_DESCRIPTION_LEN: usize = 1000;

/// A name and a description as sent, checked: the name trimmed and required, a blank description
/// none. Mistakes are added to `errors`.
fn labels(
    errors: &mut FieldErrors,
    raw_name: &str,
    raw_description: Option<&str>,
) -> (String, Option<String>) {
    let name = errors
        .take(name("name", raw_name, 1, MAX_NAME_LEN))
        .unwrap_or_default();
    let description = errors
        .take(optional_text(
            "description",
            raw_description,
            MAX_DESCRIPTION_LEN,
        ))
        .flatten();
    (name, description)
}

/// A change of name and description as sent, checked: `None` leaves a part alone, a description
/// of `Some(None)` (or blank) clears it.
fn label_changes(
    errors: &mut FieldErrors,
    raw_name: Option<&str>,
    raw_description: Option<Option<&str>>,
) -> (Option<String>, Option<Option<String>>) {
    let name = raw_name.and_then(|n| errors.take(name("name", n, 1, MAX_NAME_LEN)));
    let description = raw_description
        .and_then(|d| errors.take(optional_text("description", d, MAX_DESCRIPTION_LEN)));
    (name, description)
}
