//! Sort orders for lists: `sort=-created_at,name`, checked against what a resource can sort by.

use serde::{Deserialize, Serialize};

/// One key of a sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortKey {
    /// A field from the resource's catalogue.
    pub field: &'static str,
    /// True for `-field`.
    pub descending: bool,
}

/// A validated sort order; the record id is always the final tie-breaker, so the order is total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortOrder(pub Vec<SortKey>);

/// Why a sort parameter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SortError {
    /// A field the resource cannot sort by, or an empty key.
    #[error("cannot sort by `{field}`; sortable fields are: {allowed}")]
    UnknownField {
        /// The field asked for.
        field: String,
        /// The fields that can be used.
        allowed: String,
    },
}

impl SortOrder {
    /// Parses `raw` (`-created_at,name`: comma-separated fields, `-` for descending, no spaces)
    /// against the `sortable` fields; `default` when absent or empty. A field named again is
    /// ignored, as it could not change the order. Exactly what [`SortOrder::pattern`] matches.
    pub fn parse(
        raw: Option<&str>,
        sortable: &[&'static str],
        default: SortKey,
    ) -> Result<Self, SortError> {
        let Some(raw) = raw.filter(|raw| !raw.is_empty()) else {
            return Ok(Self(vec![default]));
        };
        let mut keys: Vec<SortKey> = Vec::new();
        for part in raw.split(',') {
            let (descending, name) = match part.strip_prefix('-') {
                Some(name) => (true, name),
                None => (false, part),
            };
            let field =
                sortable
                    .iter()
                    .find(|f| **f == name)
                    .ok_or_else(|| SortError::UnknownField {
                        field: name.to_owned(),
                        allowed: sortable.join(", "),
                    })?;
            if !keys.iter().any(|k| k.field == *field) {
                keys.push(SortKey { field, descending });
            }
        }
        Ok(Self(keys))
    }

    /// The regular expression (for the OpenAPI document) of the sort parameters `parse` accepts.
    pub fn pattern(sortable: &[&str]) -> String {
        let key = format!("-?({})", sortable.join("|"));
        format!("^({key}(,{key})*)?$")
    }

    /// The canonical spelling, used to tie a cursor to the order it was made for.
    pub fn canonical(&self) -> String {
        self.0
            .iter()
            .map(|k| {
                if k.descending {
                    format!("-{}", k.field)
                } else {
                    k.field.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[&str] = &["created_at", "name"];
    const DEFAULT: SortKey = SortKey {
        field: "created_at",
        descending: true,
    };

    #[test]
    fn absent_sort_uses_the_default() {
        assert_eq!(
            SortOrder::parse(None, FIELDS, DEFAULT).unwrap().0,
            vec![DEFAULT]
        );
    }

    #[test]
    fn keys_and_directions_are_read_in_order() {
        let order = SortOrder::parse(Some("-name,created_at"), FIELDS, DEFAULT).unwrap();
        assert_eq!(order.canonical(), "-name,created_at");
    }

    #[test]
    fn unknown_empty_and_spaced_keys_are_refused() {
        for raw in [
            "email",
            "name,",
            ",name",
            " name",
            "name, -created_at",
            "--name",
        ] {
            assert!(
                matches!(
                    SortOrder::parse(Some(raw), FIELDS, DEFAULT),
                    Err(SortError::UnknownField { .. })
                ),
                "{raw}"
            );
        }
    }

    #[test]
    fn a_field_named_again_is_ignored() {
        let order = SortOrder::parse(Some("name,-created_at,-name"), FIELDS, DEFAULT).unwrap();
        assert_eq!(order.canonical(), "name,-created_at");
    }

    proptest::proptest! {
        #[test]
        fn parse_accepts_exactly_what_the_pattern_matches(raw in "[-a-z_,]{0,30}|(-?(name|created_at),?){1,4}") {
            let pattern = regex_lite::Regex::new(&SortOrder::pattern(FIELDS)).unwrap();
            proptest::prop_assert_eq!(
                SortOrder::parse(Some(&raw), FIELDS, DEFAULT).is_ok(),
                pattern.is_match(&raw),
                "{}", raw
            );
        }
    }
}
