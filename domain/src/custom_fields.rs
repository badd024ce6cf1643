//! The workspace's own fields: definitions per kind of record, and the rules their values follow.
//!
//! A definition names a key in a record's `custom_fields` object and fixes what it may hold.
//! Writes are checked against the definitions of the record's kind:
//! - a key with no definition cannot be given a value (`unknown_field`); sending it as `null`
//!   removes a value left behind by a deleted definition;
//! - a value must fit its definition's type (`invalid_value`, or `invalid_option` for a choice
//!   that is not among the options);
//! - a required field must be given when a record is created and cannot be set to `null`
//!   (`required`).
//!
//! Deleting a definition never touches stored records: their values stay, readable as they are,
//! until someone removes them. Key and type are fixed once defined, so a stored value never
//! changes meaning; options can be added and removed, and a removed option stays on the records
//! that hold it until they are changed.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::filter::{FieldKind, FieldSpec};
use crate::validation::{optional_text, text};
use crate::{FieldError, FieldErrors};

/// The kinds of record that carry custom fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldOwner {
    /// Customers.
    Customer,
    /// Contacts at company customers.
    Contact,
    /// Products of the catalogue.
    Product,
    /// Orders.
    Order,
    /// Deals of the sales pipelines.
    Deal,
    /// Service tickets.
    Ticket,
}

/// What a custom field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Free text, up to [`MAX_TEXT_VALUE`] characters.
    Text,
    /// A number (integers within ±2^53, or decimals).
    Number,
    /// `true` or `false`.
    Boolean,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// One of the options.
    Enum,
    /// Any number of the options, each at most once.
    MultiEnum,
}

names!(FieldOwner {
    Customer => "customer", Contact => "contact", Product => "product", Order => "order",
    Deal => "deal", Ticket => "ticket",
});
names!(FieldType {
    Text => "text", Number => "number", Boolean => "boolean", Date => "date", Enum => "enum",
    MultiEnum => "multi_enum",
});

impl FieldType {
    /// Whether the field chooses among options.
    pub fn has_options(self) -> bool {
        matches!(self, FieldType::Enum | FieldType::MultiEnum)
    }
}

/// The prefix of a custom field's name in filters, sort orders and export columns
/// (`custom_fields.industry`).
pub const CUSTOM_FIELD_PREFIX: &str = "custom_fields.";

/// The filter fields of `definitions` (`custom_fields.<key>`, each typed by its definition and
/// nullable). Text fields take the kind `text` where the records keep folded text for
/// `contains` (customers), and `keyword` (exact matches) elsewhere.
pub fn filter_fields(definitions: &[Definition], text: &FieldKind) -> Vec<FieldSpec> {
    definitions
        .iter()
        .map(|d| {
            let kind = match d.field_type {
                FieldType::Text => text.clone(),
                FieldType::Number => FieldKind::Number,
                FieldType::Boolean => FieldKind::Boolean,
                FieldType::Date => FieldKind::Date,
                FieldType::Enum => FieldKind::Enum(d.options.clone()),
                FieldType::MultiEnum => FieldKind::EnumList(d.options.clone()),
            };
            FieldSpec::new(format!("{CUSTOM_FIELD_PREFIX}{}", d.key), kind, true)
        })
        .collect()
}

/// The most definitions one kind of record may have.
pub const MAX_DEFINITIONS: usize = 64;
/// The most options of a choice field.
pub const MAX_OPTIONS: usize = 100;
/// The longest option.
pub const MAX_OPTION_LEN: usize = 100;
/// The longest label.
pub const MAX_LABEL_LEN: usize = 100;
/// The longest description.
pub const MAX_DESCRIPTION_LEN: usize = 500;
/// The longest text value.
pub const MAX_TEXT_VALUE: usize = 2000;
/// The largest integer a number field holds exactly (2^53).
pub const MAX_EXACT_INTEGER: u64 = 1 << 53;
/// The pattern a key follows: what the record's `custom_fields` object is keyed by.
pub const KEY_PATTERN: &str = "^[a-z][a-z0-9_]{0,63}$";

/// A custom field as defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    /// Identifier.
    pub id: Uuid,
    /// The kind of record it belongs to.
    pub owner: FieldOwner,
    /// The key in the record's `custom_fields`; unique per kind of record, fixed once defined.
    pub key: String,
    /// What people see.
    pub label: String,
    /// What it holds; fixed once defined.
    pub field_type: FieldType,
    /// The choices of an `enum` or `multi_enum` field, in display order; empty otherwise.
    pub options: Vec<String>,
    /// Whether every new record must have a value.
    pub required: bool,
    /// A longer explanation for people filling it in.
    pub description: Option<String>,
    /// When it was defined.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// A definition about to be created, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionInput {
    /// Kind of record.
    pub owner: FieldOwner,
    /// Key.
    pub key: String,
    /// Label.
    pub label: String,
    /// Type.
    pub field_type: FieldType,
    /// Options, for choice fields.
    pub options: Vec<String>,
    /// Required.
    pub required: bool,
    /// Description.
    pub description: Option<String>,
}

/// A partial change to a definition: `None` leaves a part alone. Key, type and kind of record
/// cannot change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DefinitionChanges {
    /// Label.
    pub label: Option<String>,
    /// Options, replaced as a whole.
    pub options: Option<Vec<String>>,
    /// Required.
    pub required: Option<bool>,
    /// Description; `Some(None)` clears it.
    pub description: Option<Option<String>>,
}

impl DefinitionChanges {
    /// Checks what holds whatever the definition being changed: the label's and description's
    /// text, each option's text and their number. Whether options are allowed at all depends on
    /// the field's type, which [`Definition::apply`] checks.
    pub fn parse(self) -> Result<DefinitionChanges, Vec<FieldError>> {
        let mut errors = FieldErrors::new();
        let label = self
            .label
            .and_then(|l| errors.take(crate::validation::name("label", &l, 1, MAX_LABEL_LEN)));
        let description = self.description.and_then(|d| {
            errors.take(optional_text(
                "description",
                d.as_deref(),
                MAX_DESCRIPTION_LEN,
            ))
        });
        if let Some(options) = &self.options {
            if options.len() > MAX_OPTIONS {
                errors.push(FieldError::new(
                    "options",
                    "invalid_count",
                    format!("a choice field has 1 to {MAX_OPTIONS} options"),
                ));
            }
            for (i, option) in options.iter().enumerate() {
                errors.take(text(&format!("options[{i}]"), option, 1, MAX_OPTION_LEN));
            }
        }
        errors
            .into_result(|| DefinitionChanges {
                label,
                options: self.options,
                required: self.required,
                description,
            })
            .map_err(|e| e.0)
    }
}

/// Whether `key` may name a custom field.
pub fn is_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn options(
    field: &str,
    field_type: FieldType,
    raw: Vec<String>,
) -> Result<Vec<String>, Vec<FieldError>> {
    let mut errors = Vec::new();
    if !field_type.has_options() {
        if !raw.is_empty() {
            errors.push(FieldError::new(
                field,
                "not_allowed",
                "only enum and multi_enum fields have options",
            ));
        }
        return if errors.is_empty() {
            Ok(raw)
        } else {
            Err(errors)
        };
    }
    if raw.is_empty() || raw.len() > MAX_OPTIONS {
        // Before any option is looked at: the count alone decides.
        errors.push(FieldError::new(
            field,
            "invalid_count",
            format!("a choice field has 1 to {MAX_OPTIONS} options"),
        ));
        return Err(errors);
    }
    let mut kept: Vec<String> = Vec::with_capacity(raw.len());
    let mut seen = std::collections::HashSet::with_capacity(raw.len());
    for (i, option) in raw.into_iter().enumerate() {
        match text(&format!("{field}[{i}]"), &option, 1, MAX_OPTION_LEN) {
            Ok(option) if !seen.insert(option.clone()) => {}
            Ok(option) => kept.push(option),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(kept)
    } else {
        Err(errors)
    }
}

impl DefinitionInput {
    /// Checks every part, reporting every mistake.
    pub fn parse(self) -> Result<DefinitionInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        if !is_key(&self.key) {
            errors.push(FieldError::new(
                "key",
                "invalid_key",
                "keys are 1 to 64 characters of a-z, 0-9 and _, starting with a letter",
            ));
        }
        let label = crate::validation::name("label", &self.label, 1, MAX_LABEL_LEN)
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        let description = optional_text(
            "description",
            self.description.as_deref(),
            MAX_DESCRIPTION_LEN,
        )
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
        let options = options("options", self.field_type, self.options)
            .map_err(|e| errors.extend(e))
            .unwrap_or_default();
        if errors.is_empty() {
            Ok(DefinitionInput {
                label,
                description,
                options,
                ..self
            })
        } else {
            Err(errors)
        }
    }

    /// The stored definition this becomes.
    pub fn into_definition(self, id: Uuid, now: DateTime<Utc>) -> Definition {
        Definition {
            id,
            owner: self.owner,
            key: self.key,
            label: self.label,
            field_type: self.field_type,
            options: self.options,
            required: self.required,
            description: self.description,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

impl Definition {
    /// The definition after `changes` at `now`, every part checked; the version moves on only
    /// when something changed.
    pub fn apply(
        &self,
        changes: DefinitionChanges,
        now: DateTime<Utc>,
    ) -> Result<Definition, Vec<FieldError>> {
        let changes = changes.parse()?;
        let mut next = self.clone();
        if let Some(label) = changes.label {
            next.label = label;
        }
        if let Some(description) = changes.description {
            next.description = description;
        }
        if let Some(options) = changes.options {
            next.options = self::options("options", self.field_type, options)?;
        }
        if let Some(required) = changes.required {
            next.required = required;
        }
        if next != *self {
            next.updated_at = now;
            next.version = self.version + 1;
        }
        Ok(next)
    }

    /// Checks one value for this field; `field` is its path in the request.
    pub fn check(&self, field: &str, value: Value) -> Result<Value, FieldError> {
        let invalid = |message: &str| FieldError::new(field, "invalid_value", message);
        let choice = |option: &str| {
            if self.options.iter().any(|o| o == option) {
                Ok(())
            } else {
                Err(FieldError::new(
                    field,
                    "invalid_option",
                    format!("must be one of: {}", self.options.join(", ")),
                ))
            }
        };
        match (self.field_type, value) {
            (FieldType::Text, Value::String(s)) => {
                text(field, &s, 1, MAX_TEXT_VALUE).map(Value::String)
            }
            (FieldType::Number, Value::Number(n)) => {
                let exact = n.as_i64().map(i64::unsigned_abs).or(n.as_u64());
                match exact {
                    Some(i) if i > MAX_EXACT_INTEGER => {
                        Err(invalid("integers must lie within ±9007199254740992 (2^53)"))
                    }
                    _ => Ok(Value::Number(n)),
                }
            }
            (FieldType::Boolean, Value::Bool(b)) => Ok(Value::Bool(b)),
            (FieldType::Date, Value::String(s)) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .ok()
                .filter(|d| d.format("%Y-%m-%d").to_string() == s)
                .map(|_| Value::String(s))
                .ok_or_else(|| invalid("must be a date, YYYY-MM-DD")),
            (FieldType::Enum, Value::String(s)) => choice(&s).map(|()| Value::String(s)),
            (FieldType::MultiEnum, Value::Array(items)) => {
                let mut chosen: Vec<Value> = Vec::with_capacity(items.len());
                for item in items {
                    let Value::String(s) = item else {
                        return Err(invalid("must be a list of options"));
                    };
                    choice(&s)?;
                    let item = Value::String(s);
                    if !chosen.contains(&item) {
                        chosen.push(item);
                    }
                }
                Ok(Value::Array(chosen))
            }
            (field_type, _) => Err(invalid(match field_type {
                FieldType::Text => "must be text",
                FieldType::Number => "must be a number",
                FieldType::Boolean => "must be true or false",
                FieldType::Date => "must be a date, YYYY-MM-DD",
                FieldType::Enum => "must be one of the options",
                FieldType::MultiEnum => "must be a list of options",
            })),
        }
    }
}

/// The most custom-field keys, and the largest serialised object.
pub const MAX_KEYS: usize = 64;
const MAX_BYTES: usize = 16 * 1024;

/// Whether a custom field may hold `value`: the shapes of the field types (text, number, boolean,
/// date and enum as scalars, multi_enum as a list of texts), and text as free text, without
/// control characters but tab and newline.
pub fn is_value(value: &Value) -> bool {
    let is_text = |text: &str| text.chars().all(crate::validation::is_text_char);
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => true,
        Value::String(text) => is_text(text),
        Value::Array(items) => items.iter().all(|i| i.as_str().is_some_and(is_text)),
        Value::Object(_) => false,
    }
}

/// The size of `object` written as JSON, without writing it anywhere.
fn json_size(object: &Map<String, Value>) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing into a counter cannot fail.
    let _ = serde_json::to_writer(&mut counter, object);
    counter.0
}

/// Checks the size, key names and value shapes of a `custom_fields` object, whatever the
/// definitions say: the rules the OpenAPI document states for it.
pub fn shape(field: &str, raw: Map<String, Value>) -> Result<Map<String, Value>, Vec<FieldError>> {
    if raw.len() > MAX_KEYS {
        return Err(vec![FieldError::new(
            field,
            "too_many",
            format!("at most {MAX_KEYS} keys"),
        )]);
    }
    let mut errors = Vec::new();
    for key in raw.keys() {
        if !is_key(key) {
            errors.push(FieldError::new(
                format!("{field}.{key}"),
                "invalid_key",
                "keys are 1 to 64 characters of a-z, 0-9 and _, starting with a letter",
            ));
        }
    }
    for (key, value) in &raw {
        if !is_value(value) {
            errors.push(FieldError::new(
                format!("{field}.{key}"),
                "invalid_value",
                "must be text without control characters (tab and newline allowed), a number, \
                 true or false, null, or a list of such texts",
            ));
        }
    }
    if json_size(&raw) > MAX_BYTES {
        errors.push(FieldError::new(
            field,
            "too_large",
            "must be at most 16 KiB as JSON",
        ));
    }
    if errors.is_empty() {
        Ok(raw)
    } else {
        Err(errors)
    }
}

/// Whether the write creates the record or changes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// A new record: every required field must be given.
    Create,
    /// A change: the keys sent are set (`null` removes one), the others stay.
    Change,
}

/// Checks the `custom_fields` sent with a write against the `definitions` of the record's kind,
/// reporting every mistake at `<field>.<key>`. Returns the values to set, with `null` meaning
/// "remove" (on create, `null` values are simply left out).
pub fn check_values(
    field: &str,
    definitions: &[Definition],
    sent: Map<String, Value>,
    write: Write,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut values = Map::with_capacity(sent.len());
    for (key, value) in sent {
        let path = format!("{field}.{key}");
        let definition = definitions.iter().find(|d| d.key == key);
        match (definition, value) {
            (Some(d), Value::Null) if d.required => errors.push(FieldError::new(
                path,
                "required",
                "is required and cannot be removed",
            )),
            (_, Value::Null) => {
                if write == Write::Change {
                    values.insert(key, Value::Null);
                }
            }
            (None, _) => errors.push(FieldError::new(
                path,
                "unknown_field",
                "no custom field has this key; GET /api/v1/custom-fields lists them",
            )),
            (Some(d), value) => match d.check(&path, value) {
                Ok(value) => {
                    values.insert(key, value);
                }
                Err(e) => errors.push(e),
            },
        }
    }
    if write == Write::Create {
        for d in definitions.iter().filter(|d| d.required) {
            let path = format!("{field}.{}", d.key);
            if !values.contains_key(&d.key) && !errors.iter().any(|e| e.field == path) {
                errors.push(FieldError::new(path, "required", "is required"));
            }
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// [`shape`] and then [`check_values`]: every rule a `custom_fields` object sent with a write
/// follows. Definitions are consulted only once the shape is right.
pub fn checked(
    field: &str,
    definitions: &[Definition],
    sent: Map<String, Value>,
    write: Write,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    shape(field, sent).and_then(|sent| check_values(field, definitions, sent, write))
}

/// [`checked`] at `custom_fields`, every mistake recorded in `errors`: the values of a new record
/// (empty when refused).
pub fn values_of_new(
    errors: &mut FieldErrors,
    definitions: &[Definition],
    sent: Map<String, Value>,
) -> Map<String, Value> {
    errors
        .take_all(checked("custom_fields", definitions, sent, Write::Create))
        .unwrap_or_default()
}

/// [`checked`] at `custom_fields`, every mistake recorded in `errors`: the changes to set, when
/// some were sent and are right.
pub fn changes_of(
    errors: &mut FieldErrors,
    definitions: &[Definition],
    sent: Option<Map<String, Value>>,
) -> Option<Map<String, Value>> {
    sent.and_then(|sent| {
        errors.take_all(checked("custom_fields", definitions, sent, Write::Change))
    })
}

/// The `custom_fields` of a batch item that may create or change its record: a wrong shape is
/// recorded in `errors` (it refuses the batch); what the definitions refuse is the item's own
/// refusal (the second part), the values to set then empty.
pub fn of_batch_item(
    errors: &mut FieldErrors,
    definitions: &[Definition],
    sent: Option<&Map<String, Value>>,
) -> (Option<Map<String, Value>>, Vec<FieldError>) {
    let Some(shaped) = sent.and_then(|sent| errors.take_all(shape("custom_fields", sent.clone())))
    else {
        return (None, Vec::new());
    };
    match check_values("custom_fields", definitions, shaped, Write::Change) {
        Ok(values) => (Some(values), Vec::new()),
        Err(refused) => (Some(Map::new()), refused),
    }
}

/// Sets the `changes` checked by [`check_values`] on a record's stored values: `null` removes a
/// key, anything else sets it, and keys not mentioned stay as they are.
pub fn merge(stored: &Map<String, Value>, changes: Map<String, Value>) -> Map<String, Value> {
    let mut merged = stored.clone();
    for (key, value) in changes {
        if value.is_null() {
            merged.remove(&key);
        } else {
            merged.insert(key, value);
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn custom_field_keys_must_be_snake_case() {
        let raw = json!({"industry": "retail", "Bad Key": 1});
        let errors = shape("custom_fields", raw.as_object().unwrap().clone()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "custom_fields.Bad Key");
    }

    #[test]
    fn custom_field_values_have_the_shapes_of_the_field_types() {
        let good = json!({"a": "零售\t店", "b": 1.5, "c": true, "d": null, "e": ["x", "y"]});
        assert!(shape("custom_fields", good.as_object().unwrap().clone()).is_ok());
        let bad = json!({"a": "x\u{0}y", "b": {"nested": 1}, "c": ["x", 1], "d": ["\u{7}"]});
        let errors = shape("custom_fields", bad.as_object().unwrap().clone()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "custom_fields.a",
                "custom_fields.b",
                "custom_fields.c",
                "custom_fields.d"
            ]
        );
        assert!(errors.iter().all(|e| e.code == "invalid_value"));
    }

    fn definition(
        key: &str,
        field_type: FieldType,
        options: &[&str],
        required: bool,
    ) -> Definition {
        DefinitionInput {
            owner: FieldOwner::Customer,
            key: key.into(),
            label: key.to_uppercase(),
            field_type,
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            required,
            description: None,
        }
        .parse()
        .unwrap()
        .into_definition(Uuid::nil(), Utc::now())
    }

    fn definitions() -> Vec<Definition> {
        vec![
            definition("industry", FieldType::Enum, &["retail", "food"], false),
            definition("sizes", FieldType::MultiEnum, &["s", "m", "l"], false),
            definition("employees", FieldType::Number, &[], false),
            definition("vat_id", FieldType::Text, &[], true),
            definition("founded", FieldType::Date, &[], false),
            definition("wholesale", FieldType::Boolean, &[], false),
        ]
    }

    fn map(value: &Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn codes(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors.iter().map(|e| (e.field.as_str(), e.code)).collect()
    }

    #[test]
    fn values_of_every_type_are_accepted_in_their_shape() {
        let sent = map(&json!({
            "industry": "retail", "sizes": ["m", "s", "m"], "employees": 12.5, "vat_id": " DE123 ",
            "founded": "1999-12-31", "wholesale": true
        }));
        let values = check_values("custom_fields", &definitions(), sent, Write::Create).unwrap();
        assert_eq!(values["sizes"], json!(["m", "s"]));
        assert_eq!(values["vat_id"], json!("DE123"));
    }

    #[test]
    fn every_mistake_is_named_by_its_key() {
        let sent = map(&json!({
            "industry": "mining", "sizes": ["xl"], "employees": "12", "founded": "1999-2-3",
            "wholesale": 1, "colour": "red"
        }));
        let errors =
            check_values("custom_fields", &definitions(), sent, Write::Create).unwrap_err();
        let mut found = codes(&errors);
        found.sort_unstable();
        assert_eq!(
            found,
            vec![
                ("custom_fields.colour", "unknown_field"),
                ("custom_fields.employees", "invalid_value"),
                ("custom_fields.founded", "invalid_value"),
                ("custom_fields.industry", "invalid_option"),
                ("custom_fields.sizes", "invalid_option"),
                ("custom_fields.vat_id", "required"),
                ("custom_fields.wholesale", "invalid_value"),
            ]
        );
    }

    #[test]
    fn required_fields_are_needed_on_create_and_cannot_be_removed() {
        let defs = definitions();
        assert!(check_values("custom_fields", &defs, Map::new(), Write::Change).is_ok());
        let errors = check_values(
            "custom_fields",
            &defs,
            map(&json!({"vat_id": null})),
            Write::Change,
        )
        .unwrap_err();
        assert_eq!(codes(&errors), vec![("custom_fields.vat_id", "required")]);
    }

    #[test]
    fn a_value_left_by_a_deleted_definition_can_be_removed_but_not_set() {
        let defs = definitions();
        let removed = check_values("c", &defs, map(&json!({"old": null})), Write::Change).unwrap();
        let stored = map(&json!({"old": "kept", "industry": "food"}));
        assert_eq!(merge(&stored, removed), map(&json!({"industry": "food"})));
        let errors =
            check_values("c", &defs, map(&json!({"old": "again"})), Write::Change).unwrap_err();
        assert_eq!(codes(&errors), vec![("c.old", "unknown_field")]);
    }

    #[test]
    fn integers_beyond_two_to_the_53_are_refused() {
        let d = definition("n", FieldType::Number, &[], false);
        assert!(d.check("n", json!(9_007_199_254_740_992_i64)).is_ok());
        assert!(d.check("n", json!(-9_007_199_254_740_992_i64)).is_ok());
        assert!(d.check("n", json!(9_007_199_254_740_993_i64)).is_err());
        assert!(d.check("n", json!(u64::MAX)).is_err());
    }

    #[test]
    fn options_belong_to_choice_fields_only_and_are_kept_once() {
        let input = |field_type, options: Vec<&str>| DefinitionInput {
            owner: FieldOwner::Contact,
            key: "k".into(),
            label: "K".into(),
            field_type,
            options: options.into_iter().map(str::to_owned).collect(),
            required: false,
            description: None,
        };
        let errors = input(FieldType::Text, vec!["a"]).parse().unwrap_err();
        assert_eq!(codes(&errors), vec![("options", "not_allowed")]);
        let errors = input(FieldType::Enum, vec![]).parse().unwrap_err();
        assert_eq!(codes(&errors), vec![("options", "invalid_count")]);
        let parsed = input(FieldType::Enum, vec!["a", " a", "b"])
            .parse()
            .unwrap();
        assert_eq!(parsed.options, vec!["a", "b"]);
    }

    #[test]
    fn keys_follow_their_pattern() {
        let pattern = regex_lite::Regex::new(KEY_PATTERN).unwrap();
        for key in [
            "a",
            "industry",
            "vat_id_2",
            "",
            "2a",
            "A",
            "a-b",
            "ä",
            &"a".repeat(65),
        ] {
            assert_eq!(is_key(key), pattern.is_match(key), "{key}");
        }
    }

    #[test]
    fn changes_keep_key_and_type_and_move_the_version_only_when_something_changed() {
        let d = definition("industry", FieldType::Enum, &["retail"], false);
        let same = d
            .apply(
                DefinitionChanges {
                    label: Some(d.label.clone()),
                    ..Default::default()
                },
                Utc::now(),
            )
            .unwrap();
        assert_eq!(same.version, 1);
        let next = d
            .apply(
                DefinitionChanges {
                    options: Some(vec!["retail".into(), "food".into()]),
                    required: Some(true),
                    ..Default::default()
                },
                Utc::now(),
            )
            .unwrap();
        assert_eq!(
            (next.version, next.required, next.key.as_str()),
            (2, true, "industry")
        );
    }
}
