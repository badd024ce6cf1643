//! The generated document: every route registered through utoipa-actix-web in the same call as its
//! handler, then completed from the shared tables: each operation's error responses follow from its
//! shape (a body, authentication, a path id, If-Match, Idempotency-Key) and its permission comes
//! from the route table, so neither can be forgotten.

use actix_web::App;
use serde_json::json;
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};
use utoipa_actix_web::AppExt;

use crate::auth::permissions::{self, Access};

mod filter_schema;
mod input_rules;

/// The document the server serves. It leaves utoipa's types at the end, as JSON, because the
/// exact input rules use JSON Schema keywords (`if`, `const`, `propertyNames`) they do not model.
pub fn document() -> serde_json::Value {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(rapport_openapi::frame())
        .configure(crate::routes::routes)
        .split_for_parts();
    complete(&mut doc);
    let mut value = serde_json::to_value(&doc).unwrap_or_default();
    with_page_schemas(&mut value);
    composed_examples(&mut value);
    raw_file_bodies(&mut value);
    closed_variants(&mut value, &["ScheduleDto"]);
    input_rules::apply(&mut value);
    filter_schema::apply(&mut value);
    value
}

/// Makes every page schema (`PageOf_X`) refer to X for its items, so generated clients name the
/// type, and gives it an example made from X's example.
fn with_page_schemas(doc: &mut serde_json::Value) {
    let schemas = &mut doc["components"]["schemas"];
    let names: Vec<String> = schemas
        .as_object()
        .map(|o| {
            o.keys()
                .filter(|k| k.starts_with("PageOf_"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    for name in names {
        let item = name.trim_start_matches("PageOf_");
        if schemas.get(item).is_some() {
            schemas[&name]["properties"]["data"]["items"] =
                json!({"$ref": format!("#/components/schemas/{item}")});
        }
        let example = schemas[item].get("example").cloned();
        if let Some(example) = example {
            schemas[&name]["example"] = json!({"data": [example], "next_cursor": "eyJzIjoiLWNyZWF0ZWRfYXQiLCJ2IjpbXX0", "has_more": true});
        }
    }
}

/// Examples of documents made of other records, made from those records' own examples so they
/// stay whole and true.
fn composed_examples(doc: &mut serde_json::Value) {
    let schemas = &mut doc["components"]["schemas"];
    let example = |name: &str| schemas[name]["example"].clone();
    let export = json!({
        "exported_at": "2026-11-22T08:30:00Z",
        "customer": example("CustomerView"),
        "contacts": [example("ContactView")],
        "consent_history": [example("ConsentRecordView")],
        "segments": [{"id": "0193a5c6-2222-7000-8000-000000000003", "name": "上海 VIP"}],
        "orders": [example("OrderView")],
        "deals": [example("DealView")],
        "leads": [example("LeadView")],
        "activities": [example("ActivityView")],
        "care_participations": [example("ParticipationView")],
        "tasks": [example("TaskView")],
        "tickets": [example("TicketView")],
        "ticket_comments": [example("CommentView")],
        "conversations": [example("ConversationView")],
        "conversation_messages": [example("MessageView")],
        "coupons": [example("WalletCouponView")],
        "points": [example("PointsEntryView")],
        "reward_exchanges": [example("RewardExchangeView")],
        "campaign_touches": [example("CampaignTouchView")],
        "audit_events": [example("AuditEventView")],
        "events": [example("EventView")],
    });
    let preview = json!({"customer_count": 1342, "sample": [example("CustomerView")]});
    let conversion = {
        let (customer, mut deal, mut lead) = (
            example("CustomerView"),
            example("DealView"),
            example("LeadView"),
        );
        deal["customer_id"] = customer["id"].clone();
        lead["status"] = json!("converted");
        lead["customer_id"] = customer["id"].clone();
        lead["deal_id"] = deal["id"].clone();
        lead["converted_at"] = json!("2026-12-05T10:00:00Z");
        lead["updated_at"] = json!("2026-12-05T10:00:00Z");
        lead["version"] = json!(4);
        json!({"lead": lead, "customer": customer, "customer_created": true, "deal": deal})
    };
    if schemas.get("CustomerDataExport").is_some() {
        schemas["CustomerDataExport"]["example"] = export;
    }
    if schemas.get("SegmentPreview").is_some() {
        schemas["SegmentPreview"]["example"] = preview;
    }
    if schemas.get("LeadConversionView").is_some() {
        schemas["LeadConversionView"]["example"] = conversion;
    }
}

/// An uploaded file is taken as the bytes it is: its body schema says so, so no client (and no
/// fuzzer) takes some text for a file the server refuses.
fn raw_file_bodies(doc: &mut serde_json::Value) {
    let Some(content) = doc
        .pointer_mut("/paths/~1api~1v1~1imports~1{id}~1file/put/requestBody/content")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    for media in content.values_mut() {
        media["schema"] =
            json!({"description": "The file's bytes, read as its import's format says"});
    }
}

/// The variants of a request's tagged union take no other properties, as the server reads them
/// (`deny_unknown_fields`); the generator does not say so of an enum's variants.
fn closed_variants(doc: &mut serde_json::Value, unions: &[&str]) {
    for union in unions {
        let Some(variants) = doc["components"]["schemas"][*union]["oneOf"].as_array_mut() else {
            continue;
        };
        for variant in variants {
            if variant["type"] == "object" {
                variant["additionalProperties"] = json!(false);
            }
        }
    }
}

/// The document as the committed file holds it: pretty JSON with a final newline.
pub fn document_json() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

fn header(kind: Type, description: &str) -> Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(kind))
        .description(Some(description))
        .build()
}

/// The headers every answer carries, by status and path, so clients can read them typed.
fn document_headers(status: &str, response: &mut Response, path: &str, has_idempotency: bool) {
    let mut add = |name: &str, kind: Type, description: &str| {
        response
            .headers
            .entry(name.to_owned())
            .or_insert_with(|| header(kind, description));
    };
    add(
        "X-Request-Id",
        Type::String,
        "The request's id (the caller's own when it sent a valid one); problem bodies and logs carry it too",
    );
    if path.starts_with("/api/v1/") {
        add(
            "RateLimit-Policy",
            Type::String,
            "The caller's request budget: quota and window in seconds, e.g. `\"default\";q=600;w=60`",
        );
        add(
            "RateLimit",
            Type::String,
            "What is left of the budget and the seconds until it renews, e.g. `\"default\";r=599;t=60`",
        );
    }
    match status {
        "401" => add("WWW-Authenticate", Type::String, "`Bearer`"),
        "429" | "503" => add(
            "Retry-After",
            Type::Integer,
            "Seconds to wait before trying again",
        ),
        s if s.starts_with('2') && has_idempotency => add(
            "Idempotent-Replayed",
            Type::String,
            "`true` when this is the stored answer to an earlier request with the same Idempotency-Key",
        ),
        _ => {}
    }
}

fn has_param(op: &Operation, name: &str, location: &ParameterIn) -> bool {
    op.parameters.as_ref().is_some_and(|ps| {
        ps.iter()
            .any(|p| p.name == name && p.parameter_in == *location)
    })
}

fn complete(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            ("GET", &mut item.get),
            ("POST", &mut item.post),
            ("PUT", &mut item.put),
            ("PATCH", &mut item.patch),
            ("DELETE", &mut item.delete),
        ];
        for (method, op) in operations {
            let Some(op) = op.as_mut() else { continue };
            let has_body = op.request_body.is_some();
            let has_query = op
                .parameters
                .as_ref()
                .is_some_and(|ps| ps.iter().any(|p| p.parameter_in == ParameterIn::Query));
            let has_if_match = has_param(op, "If-Match", &ParameterIn::Header);
            let has_idempotency = has_param(op, "Idempotency-Key", &ParameterIn::Header);
            let access = permissions::required(method, path);
            let mut extras: Vec<(&str, &str, &str)> = Vec::new();
            let mut add = |status: &'static str, code: &'static str, text: &'static str| {
                extras.push((status, code, text))
            };
            if method != "GET" && has_body {
                add("400", "bad_request", "the body is not valid JSON");
                add(
                    "413",
                    "payload_too_large",
                    "the body is larger than the configured limit",
                );
                add(
                    "415",
                    "unsupported_media_type",
                    "the body is not application/json",
                );
                add(
                    "422",
                    "validation_failed",
                    "fields break the rules; every problem is listed in `errors`",
                );
            }
            if has_if_match || has_idempotency {
                add(
                    "400",
                    "bad_request",
                    "a header has a bad value; `errors` names it",
                );
            }
            if has_query {
                add(
                    "400",
                    "bad_request",
                    "a query parameter is unknown or has a bad value; `errors` names it",
                );
            }
            if path.contains('{') {
                add(
                    "404",
                    "not_found",
                    "no such record, or one outside your data scope",
                );
            }
            if has_if_match {
                add(
                    "412",
                    "precondition_failed",
                    "If-Match does not match the current version; nothing changed",
                );
            }
            if has_idempotency {
                add(
                    "409",
                    "idempotency_key_in_use",
                    "a request with this key is still running",
                );
                add(
                    "422",
                    "idempotency_key_reused",
                    "the key was used with a different request",
                );
            }
            if let Some(access) = access {
                add(
                    "401",
                    "unauthenticated",
                    "no, expired or invalid bearer token",
                );
                if let Access::Requires(_) = access {
                    add("403", "forbidden", "your role lacks the permission");
                }
            }
            if path.starts_with("/api/v1/") {
                add(
                    "429",
                    "rate_limited",
                    "the request budget is spent; wait for Retry-After seconds",
                );
            }
            add("503", "unavailable", "the database is unreachable; retry");
            for (status, code, text) in extras {
                let line = format!("`{code}`: {text}");
                match op.responses.responses.get_mut(status) {
                    Some(RefOr::T(response)) if !response.description.contains(&line) => {
                        response.description = format!("{}; or {line}", response.description);
                    }
                    Some(_) => {}
                    None => {
                        op.responses
                            .responses
                            .insert(status.to_owned(), problem(&line));
                    }
                }
            }
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(response) = response {
                    document_headers(status, response, path, has_idempotency);
                }
            }
            if let Some(access) = access {
                let stated = permissions::describe(access);
                let line = format!("\n\n**Permission:** `{stated}`.");
                op.description = Some(format!(
                    "{}{line}",
                    op.description.clone().unwrap_or_default()
                ));
                let extension = ExtensionsBuilder::new()
                    .add("x-permission", json!(stated))
                    .build();
                match op.extensions.as_mut() {
                    Some(extensions) => extensions.merge(extension),
                    None => op.extensions = Some(extension),
                }
            }
        }
    }
}
