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
    /// A field the resource cannot sort by.
    #[error("cannot sort by `{field}`; sortable fields are: {allowed}")]
    UnknownField {
        /// The field asked for.
        field: String,
        /// The fields that can be used.
        allowed: String,
    },
    /// The same field twice, or an empty key.
    #[error("`{0}` is empty or repeated")]
    Malformed(String),
}

impl SortOrder {
    /// The most keys one sort order may have.
    pub const MAX_KEYS: usize = 3;

    /// Parses `raw` (`-created_at,name`) against the `sortable` fields; `default` when absent.
    pub fn parse(
        raw: Option<&str>,
        sortable: &[&'static str],
        default: SortKey,
    ) -> Result<Self, SortError> {
        let Some(raw) = raw.filter(|raw| !raw.trim().is_empty()) else {
            return Ok(Self(vec![default]));
        };
        let mut keys: Vec<SortKey> = Vec::new();
        for part in raw.split(',') {
            let part = part.trim();
            let (descending, name) = match part.strip_prefix('-') {
                Some(name) => (true, name),
                None => (false, part),
            };
            if name.is_empty()
                || keys.iter().any(|k| k.field == name)
                || keys.len() == Self::MAX_KEYS
            {
                return Err(SortError::Malformed(part.to_owned()));
            }
            let field =
                sortable
                    .iter()
                    .find(|f| **f == name)
                    .ok_or_else(|| SortError::UnknownField {
                        field: name.to_owned(),
                        allowed: sortable.join(", "),
                    })?;
            keys.push(SortKey { field, descending });
        }
        Ok(Self(keys))
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
    fn unknown_repeated_and_empty_keys_are_refused() {
        assert!(matches!(
            SortOrder::parse(Some("email"), FIELDS, DEFAULT),
            Err(SortError::UnknownField { .. })
        ));
        assert!(SortOrder::parse(Some("name,name"), FIELDS, DEFAULT).is_err());
        assert!(SortOrder::parse(Some("name,"), FIELDS, DEFAULT).is_err());
    }
}
