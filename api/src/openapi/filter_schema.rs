//! The filter language in the document: a recursive schema per resource (`CustomerFilter`,
//! `OrderFilter`, `ProductFilter`, `DealFilter`, `TicketFilter`) made from the resource's
//! catalogue itself, one branch per field and operator group with the exact value that pairing
//! takes, so a generated client types its filters and a fuzzer's filters are the ones the server
//! accepts. Custom fields are the
//! workspace's own: their branch names the family of keys and leaves the value to the definition
//! (`GET /api/v1/customers/filter-fields`).

use rapport_domain::customers::fields;
use rapport_domain::filter::{
    Catalogue, FieldKind, FieldSpec, MAX_CONDITIONS, MAX_NUMBER, MAX_TEXT_CHARS, MAX_VALUES,
    Operator,
};
use rapport_domain::validation::optional_text_pattern;
use serde_json::{Value, json};

/// The request schemas whose `filter` property is a customer filter.
const FILTERED: &[&str] = &[
    "SearchCustomers",
    "CreateSegment",
    "UpdateSegment",
    "PreviewSegment",
];

/// The request schemas that select customers by `customer_ids` or by `filter`, exactly one.
const SELECTING: &[&str] = &["BulkTags", "SegmentCustomers"];

/// Adds `CustomerFilter` and `CustomerCondition` and points every customer `filter` at them.
pub fn apply(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let resources = [
        (
            "Customer",
            fields::catalogue(&[]),
            "customers",
            json!({"and": [
                {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
                {"field": "tags", "op": "contains", "value": "vip"},
            ]}),
            json!({"field": "address.city", "op": "eq", "value": "上海市"}),
        ),
        (
            "Order",
            rapport_domain::orders::fields::catalogue(&[]),
            "orders",
            json!({"and": [
                {"field": "status", "op": "in", "value": ["paid", "shipped"]},
                {"field": "total", "op": "gte", "value": 50000},
            ]}),
            json!({"field": "status", "op": "eq", "value": "paid"}),
        ),
        (
            "Product",
            rapport_domain::catalogue::fields::catalogue(&[]),
            "products",
            json!({"and": [
                {"field": "name", "op": "contains", "value": "跑步鞋"},
                {"field": "variants.price", "op": "lte", "value": 50000},
            ]}),
            json!({"field": "status", "op": "eq", "value": "active"}),
        ),
        (
            "Deal",
            rapport_domain::deals::fields::catalogue(&[]),
            "deals",
            json!({"and": [
                {"field": "status", "op": "eq", "value": "open"},
                {"field": "expected_close_date", "op": "lte", "value": "2026-12-31"},
            ]}),
            json!({"field": "amount", "op": "gte", "value": 1000000}),
        ),
        (
            "Ticket",
            rapport_domain::tickets::catalogue(&[]),
            "tickets",
            json!({"and": [
                {"field": "type", "op": "eq", "value": "complaint"},
                {"field": "sla.resolution_breached_at", "op": "is_null", "value": true},
            ]}),
            json!({"field": "priority", "op": "in", "value": ["high", "urgent"]}),
        ),
    ];
    for (resource, catalogue, path, group_example, condition_example) in resources {
        let (filter, condition) = (format!("{resource}Filter"), format!("{resource}Condition"));
        schemas.insert(filter.clone(), node(&filter, &condition, &group_example));
        schemas.insert(condition, conditions(&catalogue, path, &condition_example));
    }
    for (search, filter_schema) in [
        ("SearchOrders", "OrderFilter"),
        ("SearchProducts", "ProductFilter"),
        ("SearchDeals", "DealFilter"),
        ("SearchTickets", "TicketFilter"),
    ] {
        if let Some(filter) = schemas
            .get_mut(search)
            .and_then(|schema| schema.pointer_mut("/properties/filter"))
        {
            let description = filter.get("description").cloned();
            *filter = json!({"anyOf": [reference(filter_schema), {"type": "null"}]});
            if let Some(description) = description {
                filter["description"] = description;
            }
        }
    }
    for name in SELECTING {
        if let Some(schema) = schemas.get_mut(*name) {
            if let Some(filter) = schema.pointer_mut("/properties/filter") {
                let description = filter.get("description").cloned();
                *filter = reference("CustomerFilter");
                if let Some(description) = description {
                    filter["description"] = description;
                }
            }
            if let Some(ids) = schema.pointer_mut("/properties/customer_ids") {
                ids["type"] = json!("array");
            }
            schema["oneOf"] = json!([
                {"required": ["customer_ids"], "not": {"required": ["filter"]}},
                {"required": ["filter"], "not": {"required": ["customer_ids"]}},
            ]);
        }
    }
    for name in FILTERED {
        let Some(schema) = schemas.get_mut(*name) else {
            continue;
        };
        let required = schema["required"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("filter")));
        let Some(filter) = schema.pointer_mut("/properties/filter") else {
            continue;
        };
        let description = filter.get("description").cloned();
        *filter = if required {
            reference("CustomerFilter")
        } else {
            json!({"anyOf": [reference("CustomerFilter"), {"type": "null"}]})
        };
        if let Some(description) = description {
            filter["description"] = description;
        }
    }
    // A dynamic segment is created with its filter, a static one without.
    if let Some(schema) = schemas.get_mut("CreateSegment") {
        schema["if"] = json!({"properties": {"kind": {"const": "dynamic"}}});
        schema["then"] =
            json!({"required": ["filter"], "properties": {"filter": reference("CustomerFilter")}});
        schema["else"] = json!({"properties": {"filter": {"type": "null"}}});
    }
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// A node: an `and` group, an `or` group, or a condition.
fn node(name: &str, condition: &str, example: &Value) -> Value {
    let group = |key: &str, description: &str| {
        json!({
            "type": "object",
            "description": description,
            "required": [key],
            "additionalProperties": false,
            "properties": {key: {
                "type": "array", "minItems": 1, "maxItems": MAX_CONDITIONS,
                "items": reference(name),
            }},
        })
    };
    json!({
        "description": format!(
            "A filter node: `{{\"and\": [...]}}` (every part), `{{\"or\": [...]}}` (at least one part) or a condition. Groups nest at most {} deep and a filter holds at most {MAX_CONDITIONS} conditions.",
            rapport_domain::filter::MAX_DEPTH
        ),
        "oneOf": [
            group("and", "Records matching every part"),
            group("or", "Records matching at least one part"),
            reference(condition),
        ],
        "example": example,
    })
}

/// The schema of one value of `kind`.
fn value(kind: &FieldKind) -> Value {
    match kind {
        FieldKind::Text | FieldKind::Keyword | FieldKind::TextList => json!({
            "type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS,
            "pattern": optional_text_pattern(),
        }),
        FieldKind::Number => {
            json!({"type": "number", "minimum": -MAX_NUMBER, "maximum": MAX_NUMBER})
        }
        FieldKind::Boolean => json!({"type": "boolean"}),
        FieldKind::Date => {
            json!({"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})
        }
        FieldKind::DateTime => json!({"type": "string", "format": "date-time"}),
        FieldKind::Uuid => json!({"type": "string", "format": "uuid"}),
        FieldKind::Enum(options) | FieldKind::EnumList(options) => {
            json!({"type": "string", "enum": options})
        }
        FieldKind::Purchases => {
            let id = |what: &str| json!({"type": "string", "format": "uuid", "description": what});
            let instant =
                |what: &str| json!({"type": "string", "format": "date-time", "description": what});
            json!({
                "type": "object",
                "description": "What a purchase (a line of a paid order not refunded in whole) must be: every key given at once, `{}` for any purchase",
                "additionalProperties": false,
                "properties": {
                    "product_id": id("A variant of this product was sold"),
                    "variant_id": id("This variant was sold"),
                    "category_id": id("A product of this category was sold"),
                    "brand_id": id("A product of this brand was sold"),
                    "paid_since": instant("Paid at or after this instant"),
                    "paid_before": instant("Paid before this instant"),
                },
                "example": {"category_id": "0193a5c6-3333-7000-8000-000000000001", "paid_since": "2026-09-01T00:00:00Z"},
            })
        }
    }
}

fn branch(spec: &FieldSpec, ops: &[Operator], value: &Value) -> Value {
    let names: Vec<&str> = ops.iter().map(|op| op.as_str()).collect();
    json!({
        "type": "object",
        "required": ["field", "op", "value"],
        "additionalProperties": false,
        "properties": {
            "field": {"const": spec.name},
            "op": {"enum": names},
            "value": value,
        },
    })
}

/// One branch per field and group of operators that take the same value, and one for the
/// custom fields of the resource at `/api/v1/<resource>`, whose filter fields are listed at
/// `/api/v1/<resource>/filter-fields`.
fn conditions(catalogue: &Catalogue, resource: &str, example: &Value) -> Value {
    let mut branches = Vec::new();
    for spec in &catalogue.fields {
        let ops = spec.operators();
        let single: Vec<Operator> = ops
            .iter()
            .copied()
            .filter(|op| !matches!(op, Operator::In | Operator::NotIn | Operator::IsNull))
            .collect();
        let lists: Vec<Operator> = ops
            .iter()
            .copied()
            .filter(|op| matches!(op, Operator::In | Operator::NotIn))
            .collect();
        if !single.is_empty() {
            branches.push(branch(spec, &single, &value(&spec.kind)));
        }
        if !lists.is_empty() {
            branches.push(branch(
                spec,
                &lists,
                &json!({"type": "array", "minItems": 1, "maxItems": MAX_VALUES, "items": value(&spec.kind)}),
            ));
        }
        if ops.contains(&Operator::IsNull) {
            branches.push(branch(
                spec,
                &[Operator::IsNull],
                &json!({"type": "boolean"}),
            ));
        }
    }
    let all: Vec<&str> = Operator::ALL.iter().map(|op| op.as_str()).collect();
    branches.push(json!({
        "type": "object",
        "description": format!("A condition on a custom field: its operators and value follow its type, as `GET /api/v1/{resource}/filter-fields` lists them"),
        "required": ["field", "op", "value"],
        "additionalProperties": false,
        "properties": {
            "field": {"type": "string", "pattern": r"^custom_fields\.[a-z][a-z0-9_]{0,63}$"},
            "op": {"enum": all},
            "value": {},
        },
    }));
    json!({
        "description": "One condition: a field, an operator the field takes, and a value of the field's type (a list of 1 to 100 for `in` and `not_in`, `true` or `false` for `is_null`, a purchase test for `purchases`).",
        "oneOf": branches,
        "example": example,
    })
}
