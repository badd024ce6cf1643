//! What every `/search` endpoint shares: reading a body's filter and sort order against the
//! resource's catalogue, and the list of the fields a filter can test.

use rapport_domain::FieldError;
use rapport_domain::filter::{Catalogue, FieldSpec, Filter, Operator};
use rapport_domain::sort::{MAX_KEYS, SortKey, SortOrder};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::problem::ApiError;

/// Reads a search body's `filter` against `catalogue` and its `sort` list against `sortable`
/// (`default` when absent or empty); a 400 naming every mistake of both at once otherwise.
pub fn filter_and_order<S: AsRef<str>>(
    filter: Option<&Value>,
    sort: Option<Vec<String>>,
    catalogue: &Catalogue,
    sortable: &[S],
    default: SortKey,
) -> Result<(Option<Filter>, SortOrder), ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let filter = match filter {
        None | Some(Value::Null) => None,
        Some(raw) => Filter::parse(raw, catalogue, "filter")
            .map_err(|e| errors.extend(e))
            .ok(),
    };
    let items = sort.unwrap_or_default();
    let order = if items.len() > MAX_KEYS {
        errors.push(FieldError::new(
            "sort",
            "too_many",
            format!("at most {MAX_KEYS} sort keys"),
        ));
        None
    } else {
        SortOrder::from_list(&items, sortable, default)
            .map_err(|(i, e)| {
                errors.push(FieldError::new(
                    format!("sort[{i}]"),
                    "invalid_sort",
                    e.to_string(),
                ))
            })
            .ok()
    };
    match order {
        Some(order) if errors.is_empty() => Ok((filter, order)),
        _ => Err(ApiError::bad_query(errors)),
    }
}

/// A field a filter can test.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "name": "address.city", "type": "text", "nullable": true,
    "operators": ["eq", "ne", "in", "not_in", "contains", "starts_with", "is_null"],
    "sortable": false
}))]
pub struct FilterFieldView {
    /// The name to use in `field` (`address.city`, `custom_fields.industry`).
    pub name: String,
    /// What it holds: `text`, `keyword` (text compared exactly), `number`, `boolean`, `date`,
    /// `date_time`, `uuid`, `enum`, `text_list`, `enum_list` or `purchases`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether it can be empty, which allows `is_null`.
    pub nullable: bool,
    /// The operators it takes.
    pub operators: Vec<String>,
    /// The values an `enum` or `enum_list` field takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// Whether `sort` takes it.
    pub sortable: bool,
}

impl FilterFieldView {
    /// The field `spec`, sortable when `sortable` names it.
    pub fn new<S: AsRef<str>>(spec: &FieldSpec, sortable: &[S]) -> Self {
        FilterFieldView {
            name: spec.name.clone(),
            kind: spec.kind.name().to_owned(),
            nullable: spec.nullable,
            operators: spec
                .operators()
                .into_iter()
                .map(|op: Operator| op.as_str().to_owned())
                .collect(),
            options: spec.kind.options().map(<[String]>::to_vec),
            sortable: sortable.iter().any(|s| s.as_ref() == spec.name),
        }
    }
}

/// The filterable fields of a resource.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"data": [
    {"name": "lifecycle_stage", "type": "enum", "nullable": false,
     "operators": ["eq", "ne", "in", "not_in"],
     "options": ["lead", "prospect", "customer", "inactive", "churned"], "sortable": false},
    {"name": "created_at", "type": "date_time", "nullable": false,
     "operators": ["eq", "ne", "lt", "lte", "gt", "gte"], "sortable": true},
    {"name": "custom_fields.industry", "type": "enum", "nullable": true,
     "operators": ["eq", "ne", "in", "not_in", "is_null"], "options": ["retail", "food"], "sortable": true}
]}))]
pub struct FilterFieldList {
    /// Every field, the resource's own first, then its custom fields by key.
    pub data: Vec<FilterFieldView>,
}

impl FilterFieldList {
    /// Every field of `catalogue`, each marked sortable when `sortable` names it.
    pub fn of<S: AsRef<str>>(catalogue: &Catalogue, sortable: &[S]) -> Self {
        let data = catalogue
            .fields
            .iter()
            .map(|spec| FilterFieldView::new(spec, sortable))
            .collect();
        FilterFieldList { data }
    }
}
