//! `POST /customers/search` seen from outside: random filters and sort orders over random
//! customers give the same answer on SQLite, on PostgreSQL and from a plain evaluator written
//! here from the filter language's documented meaning; custom fields filter and sort, values
//! left behind by a deleted definition never match its successor, and every mistake is named.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rapport_tests::{Backend, TestApp, assert_problem, backends, error_pairs, pairs};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

const NAMES: &[&str] = &[
    "Müller GmbH",
    "MÜLLER",
    "müller",
    "Ärger & Co",
    "王芳",
    "王小明",
    "Σίσυφος",
    "abc_%d",
    "Zoë",
    "ann",
    "Ann Lee",
];
const CITIES: &[&str] = &["上海市", "北京市", "Berlin", "BERLIN", "São Paulo"];
const STAGES: &[&str] = &["lead", "prospect", "customer", "inactive", "churned"];
const GENDERS: &[&str] = &["female", "male", "other"];
const TAGS: &[&str] = &["vip", "VIP", "new", "b2b"];
const SOURCES: &[&str] = &["taobao", "Store", "web_shop"];
const CHANNELS: &[&str] = &["web", "WeChat"];
const BIRTHDAYS: &[&str] = &["1980-01-31", "1990-05-17", "1990-05-18", "2001-12-01"];
const INDUSTRIES: &[&str] = &["retail", "food", "tech"];
const INTERESTS: &[&str] = &["golf", "tea", "wine"];
const NUMBERS: &[f64] = &[-3.0, 0.0, 5.0, 10.0, 10.5, 100.0];
const SINCE: &[&str] = &["2019-01-01", "2020-06-30", "2024-02-29"];
const TEXTS: &[&str] = &["alpha", "Alpha Beta", "βeta", "%"];
/// Substrings and prefixes filters look for: case variants and LIKE wildcards included.
const NEEDLES: &[&str] = &[
    "müller",
    "MÜL",
    "ü",
    "王",
    "σίσυφος",
    "ΣΊΣ",
    "_%",
    "%",
    "_",
    "an",
    "ANN",
    "berl",
    "paulo",
    "a",
    "web",
    "TAO",
    "alpha",
    "ΒΕΤΑ",
    "example",
    "+86",
];

/// One customer as the test generates it, before the server gives it an id.
#[derive(Debug, Clone)]
struct Planned {
    body: Value,
}

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> BoxedStrategy<T> {
    proptest::sample::select(items.to_vec()).boxed()
}

fn maybe<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> BoxedStrategy<Option<T>> {
    proptest::option::weighted(0.7, pick(items)).boxed()
}

fn planned(i: usize, legacy_as_text: bool) -> impl Strategy<Value = Planned> {
    let own = (
        pick(NAMES),
        maybe(CITIES),
        pick(STAGES),
        maybe(GENDERS),
        maybe(BIRTHDAYS),
        proptest::sample::subsequence(TAGS.to_vec(), 0..=3),
        maybe(SOURCES),
        any::<bool>(),
        maybe(CHANNELS),
        any::<bool>(),
    );
    let custom = (
        maybe(NUMBERS),
        maybe(INDUSTRIES),
        proptest::option::weighted(
            0.7,
            proptest::sample::subsequence(INTERESTS.to_vec(), 0..=2),
        ),
        maybe(TEXTS),
        maybe(SINCE),
        proptest::option::weighted(0.6, any::<bool>()),
        maybe(NUMBERS),
    );
    (own, custom).prop_map(
        move |(
            (name, city, stage, gender, birthday, tags, source, opted_in, channel, company),
            (employees, industry, interests, vat, since, wholesale, legacy),
        )| {
            let mut custom = Map::new();
            let mut put = |key: &str, value: Option<Value>| {
                if let Some(value) = value {
                    custom.insert(key.to_owned(), value);
                }
            };
            put("employees", employees.map(|n| json!(n)));
            put("industry", industry.map(|s| json!(s)));
            put("interests", interests.map(|s| json!(s)));
            put("vat", vat.map(|s| json!(s)));
            put("since", since.map(|s| json!(s)));
            put("wholesale", wholesale.map(|b| json!(b)));
            // The same key under a text definition first and a number definition later.
            put(
                "legacy",
                legacy.map(|n| {
                    if legacy_as_text {
                        json!(format!("{n}"))
                    } else {
                        json!(n)
                    }
                }),
            );
            let mut body = json!({
                "kind": if company { "company" } else { "individual" },
                "name": name,
                "email": format!("c{i}@Example.com"),
                "phone": format!("+86 138 0000 {i:04}"),
                "lifecycle_stage": stage,
                "tags": tags,
                "external_id": format!("c{i}"),
                "marketing_consent": {"opted_in": opted_in, "channel": channel},
                "custom_fields": custom,
            });
            if let Some(city) = city {
                body["address"] =
                    json!({"city": city, "country": if city.is_ascii() { "DE" } else { "CN" }});
            }
            if let Some(gender) = gender {
                body["gender"] = json!(gender);
            }
            if let Some(birthday) = birthday {
                body["birthday"] = json!(birthday);
            }
            if let Some(source) = source {
                body["source"] = json!(source);
            }
            Planned { body }
        },
    )
}

/// A value in a filter: given, or the creation time of the n-th customer moved by some
/// microseconds, which each backend fills in from its own records.
#[derive(Debug, Clone)]
enum Operand {
    Given(Value),
    CreatedAt(usize, i64),
}

#[derive(Debug, Clone)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Cond {
        field: &'static str,
        op: &'static str,
        value: Operand,
    },
}

fn given(v: Value) -> Operand {
    Operand::Given(v)
}

fn text_values(pool: &'static [&'static str]) -> BoxedStrategy<Value> {
    pick(pool).prop_map(|s| json!(s)).boxed()
}

fn list_of(values: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    proptest::collection::vec(values, 1..4)
        .prop_map(Value::Array)
        .boxed()
}

/// A condition some field of the catalogue takes, with values drawn from the data's own pools.
fn condition(count: usize) -> BoxedStrategy<Node> {
    let cond = |field: &'static str, ops: &'static [&'static str], values: BoxedStrategy<Value>| {
        (pick(ops), values)
            .prop_map(move |(op, v)| Node::Cond {
                field,
                op,
                value: given(v),
            })
            .boxed()
    };
    let scalar_text = |field: &'static str, pool: &'static [&'static str]| {
        let mut options = vec![
            cond(field, &["eq", "ne"], text_values(pool)),
            cond(field, &["in", "not_in"], list_of(text_values(pool))),
            cond(field, &["contains", "starts_with"], text_values(NEEDLES)),
        ];
        if field != "name" {
            options.push(cond(
                field,
                &["is_null"],
                any::<bool>().prop_map(Value::Bool).boxed(),
            ));
        }
        proptest::strategy::Union::new(options).boxed()
    };
    let enumerated = |field: &'static str, pool: &'static [&'static str], nullable: bool| {
        let mut options = vec![
            cond(field, &["eq", "ne"], text_values(pool)),
            cond(field, &["in", "not_in"], list_of(text_values(pool))),
        ];
        if nullable {
            options.push(cond(
                field,
                &["is_null"],
                any::<bool>().prop_map(Value::Bool).boxed(),
            ));
        }
        proptest::strategy::Union::new(options).boxed()
    };
    // Numbers and dates: ordered, listed, and nullable.
    let ordered = |field: &'static str, values: BoxedStrategy<Value>| {
        prop_oneof![
            cond(
                field,
                &["eq", "ne", "lt", "lte", "gt", "gte"],
                values.clone()
            ),
            cond(field, &["in", "not_in"], list_of(values)),
            cond(
                field,
                &["is_null"],
                any::<bool>().prop_map(Value::Bool).boxed()
            ),
        ]
        .boxed()
    };
    let numbers = pick(NUMBERS).prop_map(|n| json!(n)).boxed();
    let lists = |field: &'static str, pool: &'static [&'static str]| {
        prop_oneof![
            cond(field, &["contains"], text_values(pool)),
            cond(
                field,
                &["is_null"],
                any::<bool>().prop_map(Value::Bool).boxed()
            ),
        ]
        .boxed()
    };
    let created_at = (
        pick(&["eq", "ne", "lt", "lte", "gt", "gte"]),
        0..count,
        pick(&[-1i64, 0, 1]),
    )
        .prop_map(|(op, n, shift)| Node::Cond {
            field: "created_at",
            op,
            value: Operand::CreatedAt(n, shift),
        })
        .boxed();
    let boolean = |field: &'static str, nullable: bool| {
        let mut options = vec![cond(
            field,
            &["eq", "ne"],
            any::<bool>().prop_map(Value::Bool).boxed(),
        )];
        if nullable {
            options.push(cond(
                field,
                &["is_null"],
                any::<bool>().prop_map(Value::Bool).boxed(),
            ));
        }
        proptest::strategy::Union::new(options).boxed()
    };
    proptest::strategy::Union::new(vec![
        scalar_text("name", NAMES),
        scalar_text("address.city", CITIES),
        scalar_text("source", SOURCES),
        scalar_text("marketing_consent.channel", CHANNELS),
        scalar_text("email", &["c1@example.com", "c2@example.com"]),
        scalar_text("phone", &["+8613800000001", "+8613800000002"]),
        enumerated("lifecycle_stage", STAGES, false),
        enumerated("gender", GENDERS, true),
        enumerated("kind", &["individual", "company"], false),
        ordered("birthday", text_values(BIRTHDAYS)),
        lists("tags", TAGS),
        boolean("marketing_consent.opted_in", false),
        created_at,
        ordered("custom_fields.employees", numbers.clone()),
        ordered("custom_fields.legacy", numbers),
        enumerated("custom_fields.industry", INDUSTRIES, true),
        lists("custom_fields.interests", INTERESTS),
        scalar_text("custom_fields.vat", TEXTS),
        ordered("custom_fields.since", text_values(SINCE)),
        boolean("custom_fields.wholesale", true),
    ])
    .boxed()
}

fn filter(count: usize) -> impl Strategy<Value = Node> {
    condition(count).prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 1..4).prop_map(Node::And),
            proptest::collection::vec(inner, 1..4).prop_map(Node::Or),
        ]
    })
}

const SORTS: &[&str] = &[
    "created_at",
    "-created_at",
    "name",
    "-name",
    "updated_at",
    "custom_fields.employees",
    "-custom_fields.employees",
    "custom_fields.industry",
    "-custom_fields.since",
    "custom_fields.wholesale",
    "-custom_fields.legacy",
    "custom_fields.vat",
];

/// The data one backend holds, as the server returned it on creation.
struct Stored {
    app: TestApp,
    customers: Vec<Value>,
}

fn created_at(c: &Value) -> DateTime<Utc> {
    c["created_at"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("created_at")
}

impl Node {
    fn to_json(&self, stored: &Stored) -> Value {
        match self {
            Node::And(parts) => {
                json!({"and": parts.iter().map(|p| p.to_json(stored)).collect::<Vec<_>>()})
            }
            Node::Or(parts) => {
                json!({"or": parts.iter().map(|p| p.to_json(stored)).collect::<Vec<_>>()})
            }
            Node::Cond { field, op, value } => {
                let value = match value {
                    Operand::Given(v) => v.clone(),
                    Operand::CreatedAt(n, shift) => {
                        let at = created_at(&stored.customers[*n]) + Duration::microseconds(*shift);
                        json!(at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
                    }
                };
                json!({"field": field, "op": op, "value": value})
            }
        }
    }
}

// ---- The evaluator: the filter language's meaning, written out plainly over the JSON views.

/// A field's value in a customer, `None` when absent or not of the field's type.
fn field_value<'a>(c: &'a Value, field: &str) -> Option<&'a Value> {
    let raw = match field {
        "address.city" => &c["address"]["city"],
        "marketing_consent.channel" => &c["marketing_consent"]["channel"],
        "marketing_consent.opted_in" => &c["marketing_consent"]["opted_in"],
        _ => match field.strip_prefix("custom_fields.") {
            Some(key) => &c["custom_fields"][key],
            None => &c[field],
        },
    };
    let typed = match field {
        "custom_fields.employees" | "custom_fields.legacy" => raw.is_number(),
        "custom_fields.wholesale" | "marketing_consent.opted_in" => raw.is_boolean(),
        "custom_fields.since" => raw.as_str().is_some_and(|s| {
            s.len() == 10
                && s.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                })
        }),
        "custom_fields.interests" | "tags" => raw.is_array(),
        _ => raw.is_string(),
    };
    typed.then_some(raw)
}

fn compare(a: &Value, b: &Value, field: &str) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) if field == "created_at" || field == "updated_at" => {
            Some(
                x.parse::<DateTime<Utc>>()
                    .ok()?
                    .cmp(&y.parse::<DateTime<Utc>>().ok()?),
            )
        }
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn equal(a: &Value, b: &Value, field: &str) -> bool {
    compare(a, b, field) == Some(Ordering::Equal)
}

fn matches(c: &Value, node: &Value) -> bool {
    if let Some(parts) = node["and"].as_array() {
        return parts.iter().all(|p| matches(c, p));
    }
    if let Some(parts) = node["or"].as_array() {
        return parts.iter().any(|p| matches(c, p));
    }
    let field = node["field"].as_str().expect("field");
    let op = node["op"].as_str().expect("op");
    let wanted = &node["value"];
    let value = field_value(c, field);
    if let Some(Value::Array(items)) =
        value.filter(|_| field == "tags" || field == "custom_fields.interests")
    {
        return match op {
            "contains" => items.iter().any(|i| i == wanted),
            "is_null" => items.is_empty() == (wanted == &json!(true)),
            _ => panic!("{op} on a list"),
        };
    }
    let lower = |v: &Value| v.as_str().map(str::to_lowercase);
    match (op, value) {
        ("is_null", v) => v.is_none() == (wanted == &json!(true)),
        ("ne", None) | ("not_in", None) => true,
        (_, None) => false,
        ("eq", Some(v)) => equal(v, wanted, field),
        ("ne", Some(v)) => !equal(v, wanted, field),
        ("in", Some(v)) => wanted
            .as_array()
            .unwrap()
            .iter()
            .any(|w| equal(v, w, field)),
        ("not_in", Some(v)) => !wanted
            .as_array()
            .unwrap()
            .iter()
            .any(|w| equal(v, w, field)),
        ("lt", Some(v)) => compare(v, wanted, field) == Some(Ordering::Less),
        ("lte", Some(v)) => matches!(
            compare(v, wanted, field),
            Some(Ordering::Less | Ordering::Equal)
        ),
        ("gt", Some(v)) => compare(v, wanted, field) == Some(Ordering::Greater),
        ("gte", Some(v)) => matches!(
            compare(v, wanted, field),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        ("contains", Some(v)) => lower(v).unwrap().contains(&lower(wanted).unwrap()),
        ("starts_with", Some(v)) => lower(v).unwrap().starts_with(&lower(wanted).unwrap()),
        _ => panic!("unexpected {op}"),
    }
}

/// The order a sort gives: each key in its direction with customers lacking a value last, then
/// the id in the last key's direction.
fn sorted(mut customers: Vec<Value>, sort: &[&str]) -> Vec<String> {
    customers.sort_by(|a, b| {
        for key in sort {
            let (field, descending) = match key.strip_prefix('-') {
                Some(f) => (f, true),
                None => (*key, false),
            };
            let ordering = match (field_value(a, field), field_value(b, field)) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => {
                    let o = compare(x, y, field).unwrap_or(Ordering::Equal);
                    if descending { o.reverse() } else { o }
                }
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        let ids = a["id"].as_str().cmp(&b["id"].as_str());
        if sort.last().is_some_and(|k| k.starts_with('-')) {
            ids.reverse()
        } else {
            ids
        }
    });
    customers
        .iter()
        .map(|c| c["external_id"].as_str().unwrap().to_owned())
        .collect()
}

// ---- The servers.

async fn define(app: &TestApp, key: &str, field_type: &str, options: &[&str]) -> Value {
    app.define_field("customer", key, field_type, options, false)
        .await
}

/// A server on `backend` holding `plans` created in order, the first half while `legacy` was a
/// text field, the rest after it was redefined as a number.
async fn store(backend: &Backend, plans: &[Planned], second: &[Planned]) -> Stored {
    let app = TestApp::spawn(backend).await;
    define(&app, "employees", "number", &[]).await;
    define(&app, "industry", "enum", INDUSTRIES).await;
    define(&app, "interests", "multi_enum", INTERESTS).await;
    define(&app, "vat", "text", &[]).await;
    define(&app, "since", "date", &[]).await;
    define(&app, "wholesale", "boolean", &[]).await;
    let legacy = define(&app, "legacy", "text", &[]).await;
    let mut customers = Vec::new();
    for plan in plans {
        customers.push(
            app.create_customer(&app.admin_token, plan.body.clone())
                .await,
        );
    }
    let (status, body) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/custom-fields/{}", legacy["id"].as_str().unwrap()),
            &app.admin_token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    define(&app, "legacy", "number", &[]).await;
    for plan in second {
        customers.push(
            app.create_customer(&app.admin_token, plan.body.clone())
                .await,
        );
    }
    Stored { app, customers }
}

/// Every page of a search, in order, as external ids.
async fn search_all(stored: &Stored, filter: &Value, sort: &[&str], limit: u64) -> Vec<String> {
    let mut cursor: Option<String> = None;
    let mut found = Vec::new();
    loop {
        let mut body = json!({"filter": filter, "sort": sort, "limit": limit});
        if let Some(cursor) = &cursor {
            body["cursor"] = json!(cursor);
        }
        let (status, page) = stored
            .app
            .send(
                Method::POST,
                "/api/v1/customers/search",
                &stored.app.admin_token,
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{filter} {sort:?}: {page}");
        for c in page["data"].as_array().unwrap() {
            found.push(c["external_id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return found,
        }
        assert!(found.len() <= stored.customers.len(), "paging does not end");
    }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn random_filters_agree_with_the_evaluator_on_every_database() {
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 160,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let first: Vec<Planned> = (0..30)
        .map(|i| planned(i, true).new_tree(&mut runner).unwrap().current())
        .collect();
    let second: Vec<Planned> = (30..60)
        .map(|i| planned(i, false).new_tree(&mut runner).unwrap().current())
        .collect();
    let mut stores = Vec::new();
    for backend in backends() {
        stores.push(store(&backend, &first, &second).await);
    }
    let count = first.len() + second.len();
    let strategy = (
        filter(count),
        proptest::collection::vec(pick(SORTS), 0..3),
        1u64..25,
    );
    let result = runner.run(&strategy, |(node, sort, limit)| {
        let sort: Vec<&str> = sort.to_vec();
        let mut answers: Vec<Vec<String>> = Vec::new();
        for stored in &stores {
            let json = node.to_json(stored);
            let effective: Vec<&str> = if sort.is_empty() {
                vec!["-created_at"]
            } else {
                sort.clone()
            };
            let expected = sorted(
                stored
                    .customers
                    .iter()
                    .filter(|c| matches(c, &json))
                    .cloned()
                    .collect(),
                &effective,
            );
            let found = block_on(search_all(stored, &json, &sort, limit));
            prop_assert_eq!(
                &found,
                &expected,
                "{:?} on {:?}: {} sorted {:?}",
                stored.app.backend,
                json.to_string(),
                json,
                sort
            );
            answers.push(found);
        }
        let sets: Vec<BTreeSet<&String>> = answers.iter().map(|a| a.iter().collect()).collect();
        prop_assert!(
            sets.windows(2).all(|w| w[0] == w[1]),
            "the databases disagree: {:?}",
            answers
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mistake_in_a_search_is_named_by_its_path() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        define(&app, "employees", "number", &[]).await;
        let (status, body) = app
            .send(Method::POST, "/api/v1/customers/search", &app.admin_token, Some(json!({
                "filter": {"and": [
                    {"field": "nme", "op": "eq", "value": "x"},
                    {"or": [{"field": "custom_fields.employees", "op": "contains", "value": 1}]},
                    {"field": "lifecycle_stage", "op": "eq", "value": "vip"},
                    {"field": "tags", "op": "contains", "value": "vip", "extra": 1},
                    {"and": [{"and": [{"and": [{"and": [{"field": "name", "op": "eq", "value": "x"}]}]}]}]}
                ]},
                "sort": ["name", "-custom_fields.nope"]
            })))
            .await;
        assert_problem(status, &body, 400, "bad_request");
        let found = error_pairs(&body);
        let expected = pairs(&[
            ("filter.and[0].field", "unknown_field"),
            ("filter.and[1].or[0].op", "unsupported_operator"),
            ("filter.and[2].value", "invalid_value"),
            ("filter.and[3]", "invalid_node"),
            ("filter.and[4].and[0].and[0].and[0]", "too_deep"),
            ("sort[1]", "invalid_sort"),
        ]);
        assert_eq!(found, expected, "{body}");

        // A cursor belongs to its search's order; a bad limit is named too.
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/customers/search",
                &app.admin_token,
                Some(json!({"limit": 0})),
            )
            .await;
        assert_problem(status, &body, 400, "bad_request");
        assert_eq!(body["errors"][0]["field"], "limit", "{body}");
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/customers/search",
                &app.admin_token,
                Some(json!({"cursor": "bm9wZQ"})),
            )
            .await;
        assert_problem(status, &body, 400, "bad_request");
        assert_eq!(body["errors"][0]["field"], "cursor", "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_finds_only_customers_in_the_callers_scope() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, sales) = app.user_with_role("sales").await;
        let mine = app
            .create_customer(&sales, json!({"name": "Mine", "tags": ["vip"]}))
            .await;
        app.create_customer(
            &app.admin_token,
            json!({"name": "Not mine", "tags": ["vip"]}),
        )
        .await;
        let filter = json!({"field": "tags", "op": "contains", "value": "vip"});
        let (status, page) = app
            .send(
                Method::POST,
                "/api/v1/customers/search",
                &sales,
                Some(json!({"filter": filter, "include_total": true})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["total"], 1, "{page}");
        assert_eq!(page["data"][0]["id"], mine["id"], "{page}");
        let (status, page) = app
            .send(
                Method::POST,
                "/api/v1/customers/search",
                &app.admin_token,
                Some(json!({"filter": filter, "include_total": true})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["total"], 2, "{page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_filter_fields_list_the_catalogue_with_custom_fields() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        define(&app, "interests", "multi_enum", INTERESTS).await;
        let (_, viewer) = app.user_with_role("viewer").await;
        let (status, body) = app
            .send(
                Method::GET,
                "/api/v1/customers/filter-fields",
                &viewer,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let fields = body["data"].as_array().unwrap();
        let city = fields.iter().find(|f| f["name"] == "address.city").unwrap();
        assert_eq!(city["type"], "text");
        assert_eq!(city["nullable"], true);
        assert!(
            city["operators"]
                .as_array()
                .unwrap()
                .contains(&json!("starts_with"))
        );
        let interests = fields
            .iter()
            .find(|f| f["name"] == "custom_fields.interests")
            .unwrap();
        assert_eq!(interests["type"], "enum_list");
        assert_eq!(interests["options"], json!(INTERESTS));
        assert_eq!(interests["sortable"], false);
        assert_eq!(interests["operators"], json!(["contains", "is_null"]));
    }
}

/// The plan the database makes for one page of a search with `filter`, with sequential scans
/// ruled out on PostgreSQL (a test table is small enough that a scan would be cheaper).
async fn plan_of(app: &TestApp, filter: Value) -> String {
    use sea_orm::{ConnectionTrait, Database, Statement, TransactionTrait};

    let conn = Database::connect(app.database_url.as_str()).await.unwrap();
    let (backend, explain) = match app.backend {
        Backend::Sqlite => (rapport_persistence::Backend::Sqlite, "EXPLAIN QUERY PLAN"),
        Backend::Postgres(_) => (rapport_persistence::Backend::Postgres, "EXPLAIN"),
    };
    let statement =
        rapport_tests::customer_page_statement(&conn, backend, None, Some(&filter), None).await;
    let txn = conn.begin().await.unwrap();
    if matches!(app.backend, Backend::Postgres(_)) {
        txn.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .unwrap();
    }
    let explained = Statement::from_sql_and_values(
        statement.db_backend,
        format!("{explain} {}", statement.sql),
        statement.values.map(|v| v.0).unwrap_or_default(),
    );
    let rows = txn.query_all_raw(explained).await.unwrap();
    let lines: Vec<String> = rows
        .iter()
        .map(|row| {
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<String>(3))
                .unwrap_or_default()
        })
        .collect();
    txn.rollback().await.unwrap();
    lines.join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_field_filters_use_their_index_on_every_database() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let employees = define(&app, "employees", "number", &[]).await;
        let industry = define(&app, "industry", "enum", INDUSTRIES).await;
        let interests = define(&app, "interests", "multi_enum", INTERESTS).await;
        let index = |d: &Value| format!("cf_{}", d["id"].as_str().unwrap().replace('-', ""));
        for i in 0..20 {
            app.create_customer(&app.admin_token, json!({
                "name": format!("c{i}"),
                "custom_fields": {"employees": i, "industry": INDUSTRIES[i % 3], "interests": [INTERESTS[i % 3]]}
            }))
            .await;
        }
        let plan = plan_of(
            &app,
            json!({"field": "custom_fields.employees", "op": "eq", "value": 10}),
        )
        .await;
        assert!(plan.contains(&index(&employees)), "{backend:?}: {plan}");
        let plan = plan_of(
            &app,
            json!({"field": "custom_fields.industry", "op": "eq", "value": "food"}),
        )
        .await;
        assert!(plan.contains(&index(&industry)), "{backend:?}: {plan}");
        if matches!(backend, Backend::Postgres(_)) {
            let plan = plan_of(
                &app,
                json!({"field": "custom_fields.interests", "op": "contains", "value": "tea"}),
            )
            .await;
            assert!(plan.contains(&index(&interests)), "{backend:?}: {plan}");
        }
        let plan = plan_of(
            &app,
            json!({"field": "address.city", "op": "eq", "value": "上海市"}),
        )
        .await;
        // `customers_city_created_at`, or `customers_city_stage_created_at` (which leads with
        // the city too).
        assert!(plan.contains("customers_city_"), "{backend:?}: {plan}");

        // Deleting the definition drops its index.
        let (status, _) = app
            .send(
                Method::DELETE,
                &format!(
                    "/api/v1/custom-fields/{}",
                    employees["id"].as_str().unwrap()
                ),
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let conn = sea_orm::Database::connect(app.database_url.as_str())
            .await
            .unwrap();
        let sql = match backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'cf_%'"
            }
            Backend::Postgres(_) => "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'cf_%'",
        };
        use sea_orm::ConnectionTrait;
        let names: Vec<String> = conn
            .query_all_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                sql,
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).unwrap())
            .collect();
        assert!(!names.contains(&index(&employees)), "{names:?}");
        assert!(names.contains(&index(&industry)), "{names:?}");
    }
}
