//! Sort orders for lists: `sort=-created_at,name`, checked against what a resource can sort by.

use serde::{Deserialize, Serialize};

/// One key of a sort order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortKey {
    /// A field from the resource's catalogue (`created_at`, `custom_fields.tier`).
    pub field: String,
    /// True for `-field`.
    pub descending: bool,
}

impl SortKey {
    /// `field`, ascending.
    pub fn ascending(field: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            descending: false,
        }
    }

    /// `-field`.
    pub fn descending(field: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            descending: true,
        }
    }
}

/// A validated sort order; the record id is always the final tie-breaker, so the order is total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortOrder(pub Vec<SortKey>);

/// Why a sort parameter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SortError {
    /// More keys than [`MAX_KEYS`].
    #[error("at most {MAX_KEYS} sort keys")]
    TooManyKeys,
    /// A field the resource cannot sort by, or an empty key.
    #[error("cannot sort by `{field}`; sortable fields are: {allowed}")]
    UnknownField {
        /// The field asked for.
        field: String,
        /// The fields that can be used.
        allowed: String,
    },
}

/// The most keys a sort order takes: every key is a column of the query and of its cursor.
pub const MAX_KEYS: usize = 5;

impl SortOrder {
    /// Parses `raw` (`-created_at,name`: comma-separated fields, `-` for descending, no spaces)
    /// against the `sortable` fields; `default` when absent or empty. A field named again is
    /// ignored, as it could not change the order. Exactly what [`SortOrder::pattern`] matches.
    pub fn parse<S: AsRef<str>>(
        raw: Option<&str>,
        sortable: &[S],
        default: SortKey,
    ) -> Result<Self, SortError> {
        let Some(raw) = raw.filter(|raw| !raw.is_empty()) else {
            return Ok(Self(vec![default]));
        };
        if raw.split(',').nth(MAX_KEYS).is_some() {
            return Err(SortError::TooManyKeys);
        }
        let mut keys: Vec<SortKey> = Vec::new();
        for part in raw.split(',') {
            let (descending, name) = match part.strip_prefix('-') {
                Some(name) => (true, name),
                None => (false, part),
            };
            if !sortable.iter().any(|f| f.as_ref() == name) {
                return Err(SortError::UnknownField {
                    field: name.to_owned(),
                    allowed: sortable
                        .iter()
                        .map(AsRef::as_ref)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            if !keys.iter().any(|k| k.field == name) {
                keys.push(SortKey {
                    field: name.to_owned(),
                    descending,
                });
            }
        }
        Ok(Self(keys))
    }

    /// Reads a sort order written as a list, one key per item (`["-created_at", "name"]`), as
    /// the `/search` bodies take it; `default` when the list is empty. An error names the index
    /// of the item it is about.
    pub fn from_list<S: AsRef<str>>(
        items: &[String],
        sortable: &[S],
        default: SortKey,
    ) -> Result<Self, (usize, SortError)> {
        if items.is_empty() {
            return Ok(Self(vec![default]));
        }
        let mut keys: Vec<SortKey> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let one_key = !item.is_empty() && !item.contains(',');
            let parsed = if one_key {
                Self::parse(Some(item), sortable, default.clone())
            } else {
                Err(SortError::UnknownField {
                    field: item.clone(),
                    allowed: sortable
                        .iter()
                        .map(AsRef::as_ref)
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            };
            let key = parsed.map_err(|e| (i, e))?.0.remove(0);
            if !keys.iter().any(|k| k.field == key.field) {
                keys.push(key);
            }
        }
        Ok(Self(keys))
    }

    /// The regular expression (for the OpenAPI document) of the sort parameters `parse` accepts
    /// when `sortable` are the fields: each a regular expression itself, so that a family of
    /// fields (`custom_fields\.[a-z][a-z0-9_]{0,63}`) can stand for the ones defined at run time.
    pub fn pattern(sortable: &[&str]) -> String {
        let key = format!("-?({})", sortable.join("|"));
        let more = MAX_KEYS - 1;
        format!("^({key}(,{key}){{0,{more}}})?$")
    }

    /// The canonical spelling, used to tie a cursor to the order it was made for.
    pub fn canonical(&self) -> String {
        self.0
            .iter()
            .map(|k| {
                if k.descending {
                    format!("-{}", k.field)
                } else {
                    k.field.clone()
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
    fn default_key() -> SortKey {
        SortKey::descending("created_at")
    }

    #[test]
    fn absent_sort_uses_the_default() {
        assert_eq!(
            SortOrder::parse(None, FIELDS, default_key()).unwrap().0,
            vec![default_key()]
        );
    }

    #[test]
    fn keys_and_directions_are_read_in_order() {
        let order = SortOrder::parse(Some("-name,created_at"), FIELDS, default_key()).unwrap();
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
                    SortOrder::parse(Some(raw), FIELDS, default_key()),
                    Err(SortError::UnknownField { .. })
                ),
                "{raw}"
            );
        }
    }

    #[test]
    fn a_list_takes_one_key_per_item() {
        let items = [
            "-name".to_owned(),
            "created_at".to_owned(),
            "name".to_owned(),
        ];
        let order = SortOrder::from_list(&items, FIELDS, default_key()).unwrap();
        assert_eq!(order.canonical(), "-name,created_at");
        let bad = ["name".to_owned(), "name,created_at".to_owned()];
        assert_eq!(
            SortOrder::from_list(&bad, FIELDS, default_key())
                .unwrap_err()
                .0,
            1
        );
        assert_eq!(
            SortOrder::from_list(&[], FIELDS, default_key()).unwrap(),
            SortOrder(vec![default_key()])
        );
    }

    #[test]
    fn a_field_named_again_is_ignored() {
        let order =
            SortOrder::parse(Some("name,-created_at,-name"), FIELDS, default_key()).unwrap();
        assert_eq!(order.canonical(), "name,-created_at");
    }

    proptest::proptest! {
        #[test]
        fn parse_accepts_exactly_what_the_pattern_matches(raw in "[-a-z_,]{0,30}|(-?(name|created_at),?){1,4}") {
            let pattern = regex_lite::Regex::new(&SortOrder::pattern(FIELDS)).unwrap();
            proptest::prop_assert_eq!(
                SortOrder::parse(Some(&raw), FIELDS, default_key()).is_ok(),
                pattern.is_match(&raw),
                "{}", raw
            );
        }
    }
}
