//! Reading a filter from its wire form, collecting every mistake with its path.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{
    Catalogue, Condition, FieldKind, FieldSpec, Filter, FilterValue, MAX_CONDITIONS, MAX_DEPTH,
    MAX_NUMBER, MAX_TEXT_CHARS, MAX_VALUES, Operator, PurchaseTest,
};
use crate::FieldError;
use crate::validation::is_text_char;

impl Filter {
    /// Reads the filter `raw` against the fields of `catalogue`; `path` names `raw` in the request
    /// (`filter`) and prefixes every error's path. Every mistake is reported, with the codes of
    /// the [module documentation](super).
    pub fn parse(
        raw: &Value,
        catalogue: &Catalogue,
        path: &str,
    ) -> Result<Filter, Vec<FieldError>> {
        let mut parser = Parser {
            catalogue,
            errors: Vec::new(),
            conditions: 0,
            nodes: 0,
        };
        let filter = parser.node(raw, path, 0);
        if parser.conditions > MAX_CONDITIONS || parser.nodes > MAX_NODES {
            parser.errors.push(FieldError::new(
                path,
                "too_many_conditions",
                format!("must hold at most {MAX_CONDITIONS} conditions"),
            ));
        }
        match filter {
            Some(filter) if parser.errors.is_empty() => Ok(filter),
            _ => Err(parser.errors),
        }
    }
}

const SHAPES: &str =
    "must be {\"and\": [...]}, {\"or\": [...]} or {\"field\": ..., \"op\": ..., \"value\": ...}";

struct Parser<'c> {
    catalogue: &'c Catalogue,
    errors: Vec<FieldError>,
    /// Conditions seen so far, to stop checking past the limit.
    conditions: usize,
    /// Nodes (conditions and groups, well-formed or not) seen so far: reading stops past
    /// [`MAX_NODES`], so no filter costs more than a small one, whatever it holds.
    nodes: usize,
}

/// The most nodes a filter of [`MAX_CONDITIONS`] conditions needs: each condition, and a group
/// above every two of them.
const MAX_NODES: usize = 2 * MAX_CONDITIONS;

impl<'c> Parser<'c> {
    /// The node at `path`, below `depth` enclosing groups; `None` when it has a mistake.
    fn node(&mut self, raw: &Value, path: &str, depth: usize) -> Option<Filter> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return None;
        }
        let object = raw.as_object();
        let group = object.and_then(|o| {
            ["and", "or"]
                .into_iter()
                .find_map(|key| o.get(key).map(|parts| (key, parts)))
        });
        match (object, group) {
            (Some(object), Some((key, parts))) => self.group(object, key, parts, path, depth),
            (object, _) => {
                self.conditions += 1;
                if self.conditions > MAX_CONDITIONS {
                    return None;
                }
                match object {
                    Some(object) => self.condition(object, path),
                    None => self.error(path, "invalid_node", SHAPES),
                }
            }
        }
    }

    fn group(
        &mut self,
        object: &Map<String, Value>,
        key: &str,
        parts: &Value,
        path: &str,
        depth: usize,
    ) -> Option<Filter> {
        if object.len() != 1 {
            return self.error(
                path,
                "invalid_node",
                format!("`{key}` must be the only key of its node; {SHAPES}"),
            );
        }
        let Some(parts) = parts.as_array().filter(|parts| !parts.is_empty()) else {
            return self.error(
                path,
                "invalid_node",
                format!("`{key}` must be a non-empty list of nodes"),
            );
        };
        if depth >= MAX_DEPTH {
            return self.error(
                path,
                "too_deep",
                format!("and/or groups may be nested at most {MAX_DEPTH} deep"),
            );
        }
        if parts.len() > MAX_CONDITIONS {
            self.conditions += parts.len();
            return None;
        }
        let parsed: Vec<Option<Filter>> = parts
            .iter()
            .enumerate()
            .map(|(i, part)| self.node(part, &format!("{path}.{key}[{i}]"), depth + 1))
            .collect();
        let parts = parsed.into_iter().collect::<Option<Vec<Filter>>>()?;
        Some(if key == "and" {
            Filter::And(parts)
        } else {
            Filter::Or(parts)
        })
    }

    fn condition(&mut self, object: &Map<String, Value>, path: &str) -> Option<Filter> {
        const KEYS: [&str; 3] = ["field", "op", "value"];
        if let Some(unknown) = object.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return self.error(
                path,
                "invalid_node",
                format!("unknown key `{unknown}`; {SHAPES}"),
            );
        }
        if let Some(missing) = KEYS.into_iter().find(|k| !object.contains_key(*k)) {
            return self.error(
                path,
                "invalid_node",
                format!("a condition needs `field`, `op` and `value`; `{missing}` is missing"),
            );
        }
        let spec = self.field(&object["field"], &format!("{path}.field"));
        let op = self.operator(&object["op"], spec, &format!("{path}.op"));
        let (spec, op) = (spec?, op?);
        let value = self.value(&spec.kind, op, &object["value"], &format!("{path}.value"))?;
        Some(Filter::Condition(Condition {
            field: spec.name.clone(),
            kind: spec.kind.clone(),
            op,
            value,
        }))
    }

    fn field(&mut self, raw: &Value, path: &str) -> Option<&'c FieldSpec> {
        // The catalogue outlives the parser, so the spec does not borrow `self`.
        let catalogue = self.catalogue;
        if let Some(spec) = raw.as_str().and_then(|name| catalogue.get(name)) {
            return Some(spec);
        }
        let names = catalogue.names().collect::<Vec<_>>().join(", ");
        let message = match raw.as_str() {
            Some(name) => format!("`{name}` is not a filterable field; the fields are: {names}"),
            None => format!("must be the name of a filterable field: {names}"),
        };
        self.error(path, "unknown_field", message)
    }

    fn operator(&mut self, raw: &Value, spec: Option<&FieldSpec>, path: &str) -> Option<Operator> {
        let all = || Operator::ALL.map(Operator::as_str).join(", ");
        let Some(op) = raw.as_str().and_then(Operator::from_name) else {
            return self.error(
                path,
                "unsupported_operator",
                format!("must be one of: {}", all()),
            );
        };
        let spec = spec?;
        if spec.accepts(op) {
            return Some(op);
        }
        let accepted: Vec<&str> = spec.operators().into_iter().map(Operator::as_str).collect();
        self.error(
            path,
            "unsupported_operator",
            format!(
                "`{}` does not apply to `{}` ({}{}); it takes: {}",
                op.as_str(),
                spec.name,
                if spec.nullable { "nullable " } else { "" },
                spec.kind.name(),
                accepted.join(", ")
            ),
        )
    }

    fn value(
        &mut self,
        kind: &FieldKind,
        op: Operator,
        raw: &Value,
        path: &str,
    ) -> Option<FilterValue> {
        match op {
            Operator::IsNull => match raw {
                Value::Bool(is_null) => Some(FilterValue::Boolean(*is_null)),
                _ => self.error(path, "invalid_value", "must be true or false"),
            },
            Operator::In | Operator::NotIn => {
                let Some(items) = raw.as_array().filter(|items| !items.is_empty()) else {
                    return self.error(path, "invalid_value", "must be a non-empty list of values");
                };
                if items.len() > MAX_VALUES {
                    return self.error(
                        path,
                        "too_many_values",
                        format!("must hold at most {MAX_VALUES} values"),
                    );
                }
                let values: Vec<Option<FilterValue>> = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        // The path is written only for a value that is refused.
                        let result = scalar(kind, item, "").map_err(|mut e| {
                            e.field = format!("{path}[{i}]");
                            e
                        });
                        self.take(result)
                    })
                    .collect();
                values
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(FilterValue::List)
            }
            _ => {
                let result = scalar(kind, raw, path);
                self.take(result)
            }
        }
    }

    fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|error| self.errors.push(error)).ok()
    }

    /// Records a mistake; `None`, so a caller can return it.
    fn error<T>(
        &mut self,
        path: &str,
        code: &'static str,
        message: impl Into<String>,
    ) -> Option<T> {
        self.errors.push(FieldError::new(path, code, message));
        None
    }
}

/// One value for a field of `kind`; for a list kind, one element.
fn scalar(kind: &FieldKind, raw: &Value, path: &str) -> Result<FilterValue, FieldError> {
    let invalid = |message: &str| FieldError::new(path, "invalid_value", message);
    match kind {
        FieldKind::Purchases => purchase(raw, path).map(FilterValue::Purchase),
        FieldKind::Text | FieldKind::Keyword | FieldKind::TextList => {
            text(raw, path).map(FilterValue::Text)
        }
        FieldKind::Enum(options) | FieldKind::EnumList(options) => match raw.as_str() {
            Some(name) if options.iter().any(|option| option == name) => {
                Ok(FilterValue::Text(name.to_owned()))
            }
            _ => Err(invalid(&format!("must be one of: {}", options.join(", ")))),
        },
        FieldKind::Number => number(raw)
            .map(FilterValue::Number)
            .ok_or_else(|| invalid("must be a number between -2^53 and 2^53")),
        FieldKind::Boolean => raw
            .as_bool()
            .map(FilterValue::Boolean)
            .ok_or_else(|| invalid("must be true or false")),
        FieldKind::Date => raw
            .as_str()
            .and_then(date)
            .map(FilterValue::Date)
            .ok_or_else(|| invalid("must be a date as YYYY-MM-DD")),
        FieldKind::DateTime => instant(raw, path).map(FilterValue::DateTime),
        FieldKind::Uuid => uuid(raw, path).map(FilterValue::Uuid),
    }
}

/// An instant in RFC 3339, in UTC at microseconds.
fn instant(raw: &Value, path: &str) -> Result<DateTime<Utc>, FieldError> {
    raw.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|instant| instant.with_timezone(&Utc).trunc_subsecs(6))
        .ok_or_else(|| {
            FieldError::new(
                path,
                "invalid_value",
                "must be a date and time in RFC 3339, such as 2026-01-01T00:00:00Z",
            )
        })
}

/// A UUID in its hyphenated form.
fn uuid(raw: &Value, path: &str) -> Result<Uuid, FieldError> {
    raw.as_str()
        .filter(|s| s.len() == 36)
        .and_then(|s| Uuid::try_parse(s).ok())
        .ok_or_else(|| {
            FieldError::new(
                path,
                "invalid_value",
                "must be a UUID such as 0190b4c2-7a3e-7c1d-9f00-123456789abc",
            )
        })
}

/// A purchase test: an object of the optional keys of [`PurchaseTest::KEYS`]; the first mistake
/// is reported at its key's path.
fn purchase(raw: &Value, path: &str) -> Result<PurchaseTest, FieldError> {
    let Some(object) = raw.as_object() else {
        return Err(FieldError::new(
            path,
            "invalid_value",
            format!(
                "must be an object of any of: {}",
                PurchaseTest::KEYS.join(", ")
            ),
        ));
    };
    let mut test = PurchaseTest::default();
    for (key, value) in object {
        let at = format!("{path}.{key}");
        let id = || uuid(value, &at).map(Some);
        let instant = || instant(value, &at).map(Some);
        match key.as_str() {
            "product_id" => test.product_id = id()?,
            "variant_id" => test.variant_id = id()?,
            "category_id" => test.category_id = id()?,
            "brand_id" => test.brand_id = id()?,
            "paid_since" => test.paid_since = instant()?,
            "paid_before" => test.paid_before = instant()?,
            _ => {
                return Err(FieldError::new(
                    at,
                    "invalid_value",
                    format!(
                        "is not a key of a purchase test; the keys are: {}",
                        PurchaseTest::KEYS.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(test)
}

/// A text value: 1 to [`MAX_TEXT_CHARS`] characters as sent, no control characters but tab and
/// newline. Never trimmed: the filter compares what the caller wrote.
fn text(raw: &Value, path: &str) -> Result<String, FieldError> {
    let invalid = |message: String| Err(FieldError::new(path, "invalid_value", message));
    let Some(text) = raw.as_str() else {
        return invalid("must be a text".to_owned());
    };
    let chars = text.chars().count();
    if chars == 0 {
        invalid("must not be empty".to_owned())
    } else if chars > MAX_TEXT_CHARS {
        invalid(format!("must be at most {MAX_TEXT_CHARS} characters"))
    } else if !text.chars().all(is_text_char) {
        invalid("must not contain control characters (tab and newline allowed)".to_owned())
    } else {
        Ok(text.to_owned())
    }
}

/// A JSON number within ±2^53; integers are checked before conversion, where 2^53 + 1 would
/// silently become 2^53.
fn number(raw: &Value) -> Option<f64> {
    const LIMIT: u64 = 1 << 53;
    let Value::Number(number) = raw else {
        return None;
    };
    if let Some(int) = number.as_i64() {
        return (int.unsigned_abs() <= LIMIT)
            .then(|| number.as_f64())
            .flatten();
    }
    if let Some(int) = number.as_u64() {
        return (int <= LIMIT).then(|| number.as_f64()).flatten();
    }
    number
        .as_f64()
        .filter(|n| n.is_finite() && n.abs() <= MAX_NUMBER)
}

/// A calendar day written exactly as `YYYY-MM-DD`, which chrono alone would read more loosely.
fn date(raw: &str) -> Option<NaiveDate> {
    let shape = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shape
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
}
