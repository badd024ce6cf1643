//! The filter language shared by every `/search` endpoint, saved segments and campaign audiences:
//! its syntax tree, and its validation against the fields a resource publishes.
//!
//! # Wire form
//!
//! A node is exactly one of `{"and": [nodes]}`, `{"or": [nodes]}` (each list non-empty) or a
//! condition `{"field": name, "op": operator, "value": value}` with exactly these three keys.
//!
//! ```json
//! {"and": [
//!   {"field": "lifecycle_stage", "op": "in", "value": ["customer", "prospect"]},
//!   {"field": "created_at", "op": "gte", "value": "2026-01-01T00:00:00Z"},
//!   {"or": [
//!     {"field": "tags", "op": "contains", "value": "vip"},
//!     {"field": "address.city", "op": "eq", "value": "Shanghai"}
//!   ]}
//! ]}
//! ```
//!
//! # Operators by kind of field
//!
//! | operator               | field kinds                              | value                          |
//! |------------------------|------------------------------------------|--------------------------------|
//! | `eq`, `ne`             | all but `text_list`, `enum_list` and `purchases` | one value of the field's type |
//! | `lt`, `lte`, `gt`, `gte` | `number`, `date`, `date_time`          | one value of the field's type  |
//! | `in`, `not_in`         | `text`, `keyword`, `number`, `uuid`, `enum`, `date` | 1 to 100 values of that type |
//! | `contains`             | `text`, `text_list`, `enum_list`         | one text (for `enum_list`, one of its options) |
//! | `starts_with`          | `text`                                   | one text                       |
//! | `is_null`              | nullable fields, `text_list`, `enum_list`| `true` or `false`              |
//! | `exists`, `not_exists` | `purchases`                              | a purchase test (below)        |
//!
//! Text is never ordered (`lt` on text is refused): collations differ between databases, so the
//! same filter would select different customers on SQLite and PostgreSQL.
//! [`FieldSpec::operators`] lists what one field accepts, for the API to publish.
//!
//! Values: a text is 1 to [`MAX_TEXT_CHARS`] characters as sent (not trimmed), without control
//! characters but tab and newline; an `enum` value is one of the field's options, exactly; a number
//! is a JSON number within ±2^53 ([`MAX_NUMBER`]), beyond which databases and clients disagree on
//! it; a `date` is `YYYY-MM-DD`; a `date_time` is RFC 3339 with an offset, normalised to UTC and
//! to microseconds (the precision records are stored at); a `uuid` is in its hyphenated form; a
//! `boolean` is `true` or `false`.
//!
//! # Meaning
//!
//! The persistence layer compiles a [`Filter`] to parameterised SQL with exactly this meaning:
//!
//! - A field that is null or absent (an unset custom field) matches no condition except `is_null`,
//!   `ne` and `not_in`. `ne` and `not_in` do match it: "city is not Shanghai" includes customers
//!   without a city.
//! - `eq`, `ne`, `in` and `not_in` on text, keywords and enums compare exactly, case included. A
//!   `keyword` is text that is only ever compared exactly (an order number, a currency).
//! - `contains` and `starts_with` on text compare case-insensitively (both sides in Unicode simple
//!   lowercase): `contains` is a substring, `starts_with` a prefix. `%` and `_` in the value are
//!   ordinary characters, never wildcards.
//! - `contains` on `text_list` and `enum_list` is membership: the list holds an element equal to
//!   the value, exactly.
//! - `is_null: true` matches null or absent, and for lists also the empty list; `is_null: false`
//!   matches the rest.
//! - `date_time` values compare as instants; `date` values as calendar days.
//! - `purchases` `exists` matches a customer with at least one paid order, not refunded in whole,
//!   that passes the test: `{"product_id", "variant_id", "category_id", "brand_id", "paid_since",
//!   "paid_before"}`, each optional, all that are given at once. The ids name what one line of the
//!   order sold (a category or brand is the product's own, as it is now); `paid_since` (inclusive)
//!   and `paid_before` (exclusive) bound the payment's time. `{}` is any purchase; `not_exists`
//!   matches the customers `exists` does not.
//!
//! # Error codes
//!
//! [`Filter::parse`] reports every mistake, each as a [`FieldError`](crate::FieldError) whose `field` is its path
//! (`filter.and[2].or[0].field`):
//!
//! | code                   | path                  | when                                            |
//! |------------------------|-----------------------|-------------------------------------------------|
//! | `invalid_node`         | the node              | not an object; not exactly one of the three shapes (unknown, missing or mixed keys); `and`/`or` not a non-empty list |
//! | `unknown_field`        | `….field`             | not the name of a field in the catalogue        |
//! | `unsupported_operator` | `….op`                | not an operator, or one the field does not take |
//! | `invalid_value`        | `….value`, `….value[i]` | not a value of the field's type, or not a non-empty list for `in`/`not_in`, or not `true`/`false` for `is_null` |
//! | `too_deep`             | the node              | an `and`/`or` nested deeper than [`MAX_DEPTH`]; what lies below it is not checked |
//! | `too_many_conditions`  | the filter            | more than [`MAX_CONDITIONS`] conditions; those past the limit are not checked |
//! | `too_many_values`      | `….value`             | an `in`/`not_in` list of more than [`MAX_VALUES`]; its values are not checked |
//!
//! The value of a condition is checked only when its field and operator are right, since what it
//! should be depends on both.

mod catalogue;
mod parse;
#[cfg(test)]
mod tests;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

pub use catalogue::{Catalogue, FieldKind, FieldSpec, Operator};

/// The deepest nesting of `and`/`or` groups; a filter of conditions only is at depth 0.
pub const MAX_DEPTH: usize = 4;
/// The most conditions one filter may hold, counted across all groups.
pub const MAX_CONDITIONS: usize = 50;
/// The most values in one `in` or `not_in` list.
pub const MAX_VALUES: usize = 100;
/// The longest text value, in characters.
pub const MAX_TEXT_CHARS: usize = 200;
/// The largest magnitude of a number value: 2^53, the last integer every client holds exactly.
pub const MAX_NUMBER: f64 = 9_007_199_254_740_992.0;

/// A validated filter: which records a search, segment or audience selects.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Records matching every part.
    And(Vec<Filter>),
    /// Records matching at least one part.
    Or(Vec<Filter>),
    /// Records whose field satisfies the condition.
    Condition(Condition),
}

/// One test on one field, already checked against the field's kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The field's name in the catalogue (`address.city`, `custom_fields.industry`).
    pub field: String,
    /// The field's kind, as the catalogue stated it.
    pub kind: FieldKind,
    /// What to test.
    pub op: Operator,
    /// What to test against; its variant fits `kind` and `op`.
    pub value: FilterValue,
}

/// The value of a condition, typed by its field.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    /// A text, or one option of an `enum`/`enum_list` field.
    Text(String),
    /// A finite number within ±[`MAX_NUMBER`].
    Number(f64),
    /// A boolean field's value, or for `is_null` whether the field must be null.
    Boolean(bool),
    /// A calendar day.
    Date(NaiveDate),
    /// An instant, in UTC.
    DateTime(DateTime<Utc>),
    /// An identifier.
    Uuid(Uuid),
    /// The values of `in` and `not_in`, each of the field's type.
    List(Vec<FilterValue>),
    /// What a purchase must be for `exists` and `not_exists`.
    Purchase(PurchaseTest),
}

/// What one of a customer's purchases must be to count: all that is given at once. A purchase is
/// a line of a paid order that was not refunded in whole.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PurchaseTest {
    /// The line sold a variant of this product.
    pub product_id: Option<Uuid>,
    /// The line sold this variant.
    pub variant_id: Option<Uuid>,
    /// The line sold a product of this category (the product's own category).
    pub category_id: Option<Uuid>,
    /// The line sold a product of this brand.
    pub brand_id: Option<Uuid>,
    /// The order was paid at or after this instant.
    pub paid_since: Option<DateTime<Utc>>,
    /// The order was paid before this instant.
    pub paid_before: Option<DateTime<Utc>>,
}

impl PurchaseTest {
    /// The keys of the test's wire form, in the order they are written.
    pub const KEYS: [&'static str; 6] = [
        "product_id",
        "variant_id",
        "category_id",
        "brand_id",
        "paid_since",
        "paid_before",
    ];

    /// Whether the test names something a line sold, rather than only when it was paid.
    pub fn names_an_item(&self) -> bool {
        self.product_id.is_some()
            || self.variant_id.is_some()
            || self.category_id.is_some()
            || self.brand_id.is_some()
    }

    fn to_json(&self) -> Value {
        let ids = [
            ("product_id", self.product_id),
            ("variant_id", self.variant_id),
            ("category_id", self.category_id),
            ("brand_id", self.brand_id),
        ];
        let times = [
            ("paid_since", self.paid_since),
            ("paid_before", self.paid_before),
        ];
        let mut object = Map::new();
        for (key, id) in ids {
            if let Some(id) = id {
                object.insert(key.to_owned(), FilterValue::Uuid(id).to_json());
            }
        }
        for (key, instant) in times {
            if let Some(instant) = instant {
                object.insert(key.to_owned(), FilterValue::DateTime(instant).to_json());
            }
        }
        Value::Object(object)
    }
}

impl Filter {
    /// The condition `field op value`, typed as the catalogue types `field`.
    pub fn condition(field: &str, kind: FieldKind, op: Operator, value: FilterValue) -> Filter {
        Filter::Condition(Condition {
            field: field.to_owned(),
            kind,
            op,
            value,
        })
    }

    /// Every condition in the filter, in the order they were written.
    pub fn conditions(&self) -> Conditions<'_> {
        Conditions { stack: vec![self] }
    }

    /// The canonical wire form, which [`Filter::parse`] reads back as the same filter; what a
    /// saved segment stores.
    pub fn to_json(&self) -> Value {
        let group = |key: &str, parts: &[Filter]| {
            let mut object = Map::new();
            object.insert(
                key.to_owned(),
                Value::Array(parts.iter().map(Filter::to_json).collect()),
            );
            Value::Object(object)
        };
        match self {
            Filter::And(parts) => group("and", parts),
            Filter::Or(parts) => group("or", parts),
            Filter::Condition(condition) => {
                let mut object = Map::new();
                object.insert("field".to_owned(), Value::from(condition.field.as_str()));
                object.insert("op".to_owned(), Value::from(condition.op.as_str()));
                object.insert("value".to_owned(), condition.value.to_json());
                Value::Object(object)
            }
        }
    }
}

impl FilterValue {
    /// The value as it is written in a filter: dates as `YYYY-MM-DD`, instants in RFC 3339 UTC
    /// (`2026-01-01T00:00:00Z`), whole numbers without a fraction.
    pub fn to_json(&self) -> Value {
        match self {
            FilterValue::Text(text) => Value::from(text.as_str()),
            FilterValue::Number(number) => number_to_json(*number),
            FilterValue::Boolean(boolean) => Value::Bool(*boolean),
            FilterValue::Date(date) => Value::from(date.format("%Y-%m-%d").to_string()),
            FilterValue::DateTime(instant) => {
                Value::from(instant.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            }
            FilterValue::Uuid(id) => Value::from(id.hyphenated().to_string()),
            FilterValue::List(values) => {
                Value::Array(values.iter().map(FilterValue::to_json).collect())
            }
            FilterValue::Purchase(test) => test.to_json(),
        }
    }
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "a whole number within ±2^53 converts to i64 exactly"
)]
fn number_to_json(number: f64) -> Value {
    if number.fract() == 0.0 && number.abs() <= MAX_NUMBER {
        Value::from(number as i64)
    } else {
        // Not finite only when built by hand; JSON has no such number.
        serde_json::Number::from_f64(number).map_or(Value::Null, Value::Number)
    }
}

/// The conditions of a filter, depth first in written order; see [`Filter::conditions`].
#[derive(Debug, Clone)]
pub struct Conditions<'a> {
    stack: Vec<&'a Filter>,
}

impl<'a> Iterator for Conditions<'a> {
    type Item = &'a Condition;

    fn next(&mut self) -> Option<Self::Item> {
        while let Some(node) = self.stack.pop() {
            match node {
                Filter::And(parts) | Filter::Or(parts) => self.stack.extend(parts.iter().rev()),
                Filter::Condition(condition) => return Some(condition),
            }
        }
        None
    }
}
