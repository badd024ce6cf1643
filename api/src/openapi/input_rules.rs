//! The input rules of the document, made exact: every string a request carries is described with
//! the pattern and length its parser enforces, taken from the parser's own module, so that the
//! document accepts exactly what the server accepts (a fuzzer holds both to it).
//!
//! Request schemas are the ones that refuse unknown fields. Their string properties follow the
//! conventions of the domain: `email` and `phone` are parsed as such (empty means none where the
//! field is optional), `password` has only its length, `role` names a role, `permission` names a
//! permission, `tags` are short texts, `custom_fields` has keys of a fixed shape and values shaped
//! like the field types, and any other string is free text (required text must not be blank). The `If-Match` and `Idempotency-Key`
//! headers get their pattern and their description here; routes only declare them. Free-text
//! query parameters get the text pattern and their length limit.

use rapport_domain::access::Permission;
use rapport_domain::catalogue::{brands, categories, products};
use rapport_domain::custom_fields::{self, FieldType};
use rapport_domain::customers::fields::sortable_field_patterns;
use rapport_domain::sort::SortOrder;
use rapport_domain::validation::{
    name_pattern, optional_name_pattern, optional_text_pattern, required_text_pattern,
};
use rapport_domain::values::{Currency, money};
use rapport_domain::values::{Email, Phone};
use serde_json::{Map, Value, json};

use crate::extract::{IDEMPOTENCY_KEY_PATTERN, IF_MATCH_PATTERN, text_parameter_limit};

/// Sign-in bodies are compared, not parsed: any string up to the length limit gets an answer.
const COMPARED_NOT_PARSED: &[&str] = &["LoginRequest", "RefreshRequest"];

/// The sortable fields of each list that takes `sort`, as regular expressions.
fn sortable(path: &str) -> Option<Vec<String>> {
    let fixed = |fields: &[&str]| Some(fields.iter().map(|f| f.to_string()).collect());
    match path {
        "/api/v1/customers" | "/api/v1/segments/{id}/customers" => Some(sortable_field_patterns()),
        "/api/v1/categories" => fixed(categories::SORTABLE),
        "/api/v1/brands" => fixed(brands::SORTABLE),
        "/api/v1/products" => fixed(products::SORTABLE),
        "/api/v1/orders" | "/api/v1/customers/{id}/orders" => {
            fixed(rapport_domain::orders::SORTABLE)
        }
        "/api/v1/customer-levels" => fixed(rapport_domain::customers::levels::SORTABLE),
        "/api/v1/membership-tiers" => fixed(rapport_domain::loyalty::tiers::SORTABLE),
        "/api/v1/activities" => fixed(rapport_domain::activities::SORTABLE),
        "/api/v1/tasks" => fixed(rapport_domain::tasks::SORTABLE),
        "/api/v1/deals" => fixed(rapport_domain::deals::SORTABLE),
        "/api/v1/leads" => fixed(rapport_domain::leads::SORTABLE),
        "/api/v1/sla-policies" => fixed(rapport_domain::sla::SORTABLE),
        "/api/v1/tickets" | "/api/v1/customers/{id}/tickets" => {
            fixed(rapport_domain::tickets::SORTABLE)
        }
        "/api/v1/conversations" | "/api/v1/customers/{id}/conversations" => {
            fixed(rapport_domain::conversations::SORTABLE)
        }
        "/api/v1/coupons" => fixed(rapport_domain::marketing::coupons::SORTABLE),
        "/api/v1/campaigns" => fixed(rapport_domain::marketing::campaigns::SORTABLE),
        "/api/v1/promotions" => fixed(rapport_domain::marketing::promotions::SORTABLE),
        "/api/v1/rewards" => fixed(rapport_domain::loyalty::rewards::SORTABLE),
        _ => None,
    }
}

/// The pattern of one sort key (`-created_at`) of the customer search bodies.
fn sort_key_pattern() -> String {
    format!("^-?({})$", sortable_field_patterns().join("|"))
}

/// An order, product or deal search sorts by that resource's own fields, not a customer's.
fn resource_search_sort(schemas: &mut Map<String, Value>) {
    for (schema, sortable) in [
        ("SearchOrders", rapport_domain::orders::SORTABLE),
        ("SearchDeals", rapport_domain::deals::SORTABLE),
        ("SearchTickets", rapport_domain::tickets::SORTABLE),
        ("SearchProducts", products::SORTABLE),
    ] {
        if let Some(items) = schemas
            .get_mut(schema)
            .and_then(|s| s.pointer_mut("/properties/sort/items"))
        {
            let keys = sortable.join("|");
            *items = json!({"type": "string", "pattern": format!("^-?({keys})$")});
        }
    }
}

/// A coupon is issued to customers by id or to a segment, one of the two.
fn one_of_recipients(schemas: &mut Map<String, Value>) {
    if let Some(schema) = schemas.get_mut("IssueCoupon") {
        // `null` is as good as absent.
        let given =
            |field: &str, shape: Value| json!({"required": [field], "properties": {field: shape}});
        let ids = json!({"type": "array", "items": {"type": "string", "format": "uuid"}});
        let id = json!({"type": "string", "format": "uuid"});
        schema["oneOf"] = json!([
            {"allOf": [given("customer_ids", ids.clone())], "not": given("segment_id", id.clone())},
            {"allOf": [given("segment_id", id)], "not": given("customer_ids", ids)},
        ]);
    }
}

/// A batch item is a customer change that names its key: `external_id` is required.
fn batch_items(schemas: &mut Map<String, Value>) {
    if let Some(items) = schemas
        .get_mut("BatchCustomers")
        .and_then(|s| s.pointer_mut("/properties/customers/items"))
    {
        *items = json!({"allOf": [
            {"$ref": "#/components/schemas/UpdateCustomer"},
            {
                "required": ["external_id"],
                "properties": {"external_id": {
                    "type": "string", "minLength": 1, "maxLength": 200,
                    "pattern": required_text_pattern(),
                }},
            },
        ]});
    }
}

/// Applies the rules to the document.
pub fn apply(doc: &mut Value) {
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            let is_request = schema.get("additionalProperties") == Some(&Value::Bool(false));
            if is_request && !COMPARED_NOT_PARSED.contains(&name.as_str()) {
                request_schema(schema);
            }
        }
        batch_items(schemas);
        resource_search_sort(schemas);
        one_of_recipients(schemas);
        if let Some(points) = schemas
            .get_mut("PointsAdjustment")
            .and_then(|s| s.pointer_mut("/properties/points"))
        {
            // An adjustment moves points one way or the other, never none.
            points["not"] = json!({"const": 0});
        }
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(operations) = item.as_object_mut() else {
                continue;
            };
            for operation in operations.values_mut() {
                let Some(parameters) = operation
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut)
                else {
                    continue;
                };
                for parameter in parameters {
                    parameter_rules(path, parameter);
                }
            }
        }
    }
}

fn optional(pattern: &str) -> String {
    let body = pattern.trim_start_matches('^').trim_end_matches('$');
    format!("^(|{body})$")
}

fn is_string(schema: &Value) -> bool {
    match &schema["type"] {
        Value::String(t) => t == "string",
        Value::Array(types) => types.iter().any(|t| t == "string"),
        _ => false,
    }
}

fn request_schema(schema: &mut Value) {
    grant_rule(schema);
    options_rule(schema);
    threshold_rule(schema);
    let required: Vec<String> = schema["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        let is_required = required.contains(name);
        match name.as_str() {
            "tags" => {
                property["items"] = json!({
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 50,
                    "pattern": required_text_pattern(),
                });
            }
            "custom_fields" => {
                if let Some(object) = property.as_object_mut() {
                    object.insert("maxProperties".into(), json!(custom_fields::MAX_KEYS));
                    object.insert(
                        "propertyNames".into(),
                        json!({"pattern": custom_fields::KEY_PATTERN}),
                    );
                    // The shapes `custom_fields::is_value` accepts: `pattern` applies to the
                    // strings, `items` to the lists.
                    object.insert(
                        "additionalProperties".into(),
                        json!({
                            "type": ["string", "number", "boolean", "null", "array"],
                            "pattern": optional_text_pattern(),
                            "items": {"type": "string", "pattern": optional_text_pattern()},
                        }),
                    );
                }
            }
            // A variant's option values by option name.
            "options"
                if property["type"] == "object"
                    || property["type"] == json!(["object", "null"]) =>
            {
                let description = property.get("description").cloned();
                *property = json!({
                    "type": property["type"].clone(),
                    "maxProperties": products::MAX_OPTIONS,
                    "propertyNames": {
                        "minLength": 1,
                        "maxLength": products::MAX_OPTION_LEN,
                        "pattern": name_pattern(),
                    },
                    "additionalProperties": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": products::MAX_OPTION_LEN,
                        "pattern": name_pattern(),
                    },
                });
                if let Some(description) = description {
                    property["description"] = description;
                }
            }
            "currency" | "points_currency" | "default_currency" => {
                let mut codes = json!(Currency::codes());
                if property["type"] == json!(["string", "null"]) {
                    // An optional change: `null` leaves the currency as it is.
                    codes
                        .as_array_mut()
                        .into_iter()
                        .for_each(|c| c.push(Value::Null));
                }
                property["enum"] = codes;
            }
            // An amount in minor units.
            "price" | "unit_price" | "shipping" | "min_total_spent" | "threshold" => {
                if let Some(object) = property.as_object_mut() {
                    object.insert("minimum".into(), json!(0));
                    object.insert("maximum".into(), json!(money::MAX_AMOUNT));
                }
            }
            // Money asked back: at least one minor unit, unless the field says otherwise (a
            // deal may be worth nothing yet).
            "amount" => {
                if let Some(object) = property.as_object_mut() {
                    object.entry("minimum").or_insert(json!(1));
                    object.insert("maximum".into(), json!(money::MAX_AMOUNT));
                }
            }
            "sku" => {
                property["pattern"] = json!(products::SKU_PATTERN);
            }
            // An IANA time zone: the names the server knows, and no others.
            "time_zone" => {
                if let Some(object) = property.as_object_mut() {
                    object.remove("minLength");
                    object.remove("maxLength");
                    let mut names: Vec<Value> = rapport_domain::settings::time_zone_names()
                        .map(|name| json!(name))
                        .collect();
                    if object
                        .get("type")
                        .is_some_and(|t| t.to_string().contains("null"))
                    {
                        names.push(Value::Null);
                    }
                    object.insert("enum".into(), Value::Array(names));
                }
            }
            "images" => {
                property["items"] = json!({
                    "type": "string",
                    "maxLength": products::MAX_URL_LEN,
                    "pattern": products::URL_PATTERN,
                });
            }
            // An adjustment moves the stock: never by nothing.
            "delta" => {
                property["not"] = json!({"const": 0});
            }
            "options" => {
                property["items"] = json!({
                    "type": "string",
                    "minLength": 1,
                    "maxLength": custom_fields::MAX_OPTION_LEN,
                    "pattern": required_text_pattern(),
                });
            }
            // What a membership tier gives, in words.
            "benefits" => {
                property["items"] = json!({
                    "type": "string",
                    "minLength": 1,
                    "maxLength": rapport_domain::loyalty::tiers::MAX_BENEFIT_LEN,
                    "pattern": required_text_pattern(),
                });
            }
            "sort"
                if property["type"] == "array" || property["type"] == json!(["array", "null"]) =>
            {
                property["items"] = json!({"type": "string", "pattern": sort_key_pattern()});
            }
            "mapping" => {
                // A customer's fields, a product row's or an order row's: which apply is
                // `resource_type`'s.
                let customer_fields = rapport_domain::imports::target_fields();
                let mut fields: Vec<&str> = customer_fields
                    .iter()
                    .map(String::as_str)
                    .chain(rapport_domain::imports::PRODUCT_TARGETS.iter().copied())
                    .chain(rapport_domain::imports::ORDER_TARGETS.iter().copied())
                    .collect();
                fields.sort_unstable();
                fields.dedup();
                let fields: Vec<String> = fields
                    .into_iter()
                    .map(|f| f.replace('.', "\\."))
                    .chain([
                        r"custom_fields\.[a-z][a-z0-9_]{0,63}".to_owned(),
                        // Not blank: some character is neither a space nor a control.
                        r"options\.(?=[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F])[^\x00-\x1F\x7F-\x9F]{1,50}"
                            .to_owned(),
                    ])
                    .collect();
                let description = property.get("description").cloned();
                *property = json!({
                    "type": ["object", "null"],
                    "maxProperties": rapport_domain::imports::MAX_COLUMNS,
                    "propertyNames": {
                        "minLength": 1,
                        "maxLength": rapport_domain::imports::MAX_COLUMN_LEN,
                        "pattern": rapport_domain::imports::COLUMN_PATTERN,
                    },
                    "additionalProperties": {
                        "type": ["string", "null"],
                        "pattern": format!("^({})$", fields.join("|")),
                    },
                });
                if let Some(description) = description {
                    property["description"] = description;
                }
            }
            "permission" => {
                let names: Vec<String> = Permission::all().map(|p| p.to_string()).collect();
                property["enum"] = json!(names);
            }
            "scope" => {}
            // A role's grants: at most one per permission.
            "permissions" => {
                if let Some(object) = property.as_object_mut() {
                    object.insert("maxItems".into(), json!(Permission::all().count()));
                }
            }
            _ if is_string(property) => string_property(name, property, is_required),
            _ => {}
        }
    }
}

/// A new custom field has options exactly when it is a choice field.
fn options_rule(schema: &mut Value) {
    if schema["properties"].get("options").is_none()
        || schema["properties"].get("field_type").is_none()
    {
        return;
    }
    let choices: Vec<&str> = FieldType::ALL
        .iter()
        .filter(|t| t.has_options())
        .map(|t| t.as_str())
        .collect();
    schema["if"] = json!({"properties": {"field_type": {"enum": choices}}});
    schema["then"] = json!({
        "required": ["options"],
        "properties": {"options": {"type": "array", "items": {"type": "string"}, "minItems": 1}}
    });
    schema["else"] = json!({"properties": {"options": {"maxItems": 0}}});
}

/// A new customer level asks for a least total spent, a least orders count, or both.
fn threshold_rule(schema: &mut Value) {
    let properties = &schema["properties"];
    let is_new_level = properties.get("min_total_spent").is_some()
        && properties.get("min_orders_count").is_some()
        && schema["required"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("rank")));
    if !is_new_level {
        return;
    }
    schema["anyOf"] = json!([
        {"required": ["min_total_spent"], "properties": {"min_total_spent": {"type": "integer"}}},
        {"required": ["min_orders_count"], "properties": {"min_orders_count": {"type": "integer"}}},
    ]);
}

/// A grant's scope may be `own` only for resources whose records have owners.
fn grant_rule(schema: &mut Value) {
    if schema["properties"].get("permission").is_none()
        || schema["properties"].get("scope").is_none()
    {
        return;
    }
    let unowned: Vec<String> = Permission::all()
        .filter(|p| !p.resource.is_owned())
        .map(|p| p.to_string())
        .collect();
    schema["if"] = json!({"properties": {"permission": {"enum": unowned}}});
    schema["then"] = json!({"properties": {"scope": {"const": "all"}}});
}

fn string_property(name: &str, property: &mut Value, is_required: bool) {
    let Some(object) = property.as_object_mut() else {
        return;
    };
    if object.contains_key("pattern") || object.contains_key("enum") {
        return;
    }
    let pattern = match name {
        "email" => {
            object.remove("format");
            let pattern = Email::pattern();
            if is_required {
                pattern
            } else {
                optional(&pattern)
            }
        }
        "phone" => optional(&Phone::pattern()),
        "password" | "role" => return,
        "key" => custom_fields::KEY_PATTERN.to_owned(),
        "name" | "display_name" | "label" => {
            if object.get("minLength").and_then(Value::as_u64).unwrap_or(0) >= 1 {
                name_pattern()
            } else {
                optional_name_pattern()
            }
        }
        _ if object.contains_key("format") => return,
        _ if object.get("minLength").and_then(Value::as_u64).unwrap_or(0) >= 1 => {
            required_text_pattern()
        }
        _ => optional_text_pattern(),
    };
    object.insert("pattern".into(), Value::String(pattern));
}

fn parameter_rules(path: &str, parameter: &mut Value) {
    let name = parameter["name"].as_str().unwrap_or_default().to_owned();
    let location = parameter["in"].as_str().unwrap_or_default().to_owned();
    let schema: Option<Map<String, Value>> = match (location.as_str(), name.as_str()) {
        ("header", "If-Match") => Some(string_schema(IF_MATCH_PATTERN, None)),
        ("header", "Idempotency-Key") => Some(string_schema(IDEMPOTENCY_KEY_PATTERN, Some(255))),
        ("query", _)
            if text_parameter_limit(&name).is_some() && is_string(&parameter["schema"]) =>
        {
            Some(string_schema(
                &optional_text_pattern(),
                text_parameter_limit(&name).map(|max| max as u64),
            ))
        }
        ("query", "sort") => sortable(path).map(|fields| {
            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
            string_schema(&SortOrder::pattern(&fields), None)
        }),
        _ => None,
    };
    if let Some(schema) = schema {
        parameter["schema"] = Value::Object(schema);
    }
    let description = match (location.as_str(), name.as_str()) {
        ("header", "If-Match") => Some(
            "The version last seen, as ETag gave it (`\"3\"`), or `*` for any. A stale version is \
             412 and changes nothing; a weak tag (`W/\"3\"`) never matches; anything else is 400.",
        ),
        ("header", "Idempotency-Key") => Some(
            "1 to 255 visible ASCII characters, new for each request: a retry with the same key \
             and body within 24 hours replays the first answer.",
        ),
        _ => None,
    };
    if let Some(description) = description {
        parameter["description"] = json!(description);
    }
}

fn string_schema(pattern: &str, max_length: Option<u64>) -> Map<String, Value> {
    let mut schema = Map::new();
    schema.insert("type".into(), json!("string"));
    schema.insert("pattern".into(), json!(pattern));
    if let Some(max) = max_length {
        schema.insert("maxLength".into(), json!(max));
    }
    schema
}
