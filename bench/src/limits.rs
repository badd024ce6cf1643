//! `rapport-bench limits`: every documented input limit, a body at the limit and one just over it
//! (and the largest body the server takes at all), each sent `--rounds` times to a running server;
//! prints how long each answer took, after `--warm-up` untimed sends of the same body. A limit is checked before any work per item, so even the
//! largest body is answered in milliseconds, never seconds: the target is under 50 ms each
//! (release build), except where the body at the limit asks for real work (a sign-in's Argon2).

use std::time::{Duration, Instant};

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

/// What `limits` measures against.
#[derive(Debug, clap::Args)]
pub struct LimitsArgs {
    /// The server.
    #[arg(long, env = "RAPPORT_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// An administrator's email.
    #[arg(
        long,
        env = "RAPPORT_ADMIN_EMAIL",
        default_value = "admin@rapport.localhost"
    )]
    pub admin_email: String,
    /// Their password.
    #[arg(long, env = "RAPPORT_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: String,
    /// How many times each body is sent and timed.
    #[arg(long, default_value_t = 20)]
    pub rounds: usize,
    /// How many times each body is sent first, untimed (the server's first answer to a new
    /// shape of body pays for growing its heap and preparing its statement).
    #[arg(long, default_value_t = 2)]
    pub warm_up: usize,
    /// The largest body the server takes (`RAPPORT_BODY_LIMIT`).
    #[arg(long, env = "RAPPORT_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,
}

/// One request of the scenario.
struct Probe {
    what: String,
    method: Method,
    path: String,
    body: Value,
    /// Sent without credentials (sign-in).
    anonymous: bool,
}

fn probe(what: &str, method: Method, path: &str, body: Value) -> Probe {
    Probe {
        what: what.to_owned(),
        method,
        path: path.to_owned(),
        body,
        anonymous: false,
    }
}

fn text(n: usize) -> String {
    "字".repeat(n)
}

fn tags(count: usize, len: usize) -> Value {
    Value::Array(
        (0..count)
            .map(|i| Value::from(format!("{i:0>len$}")))
            .collect(),
    )
}

fn custom_fields(keys: usize) -> Value {
    let mut object = serde_json::Map::new();
    for i in 0..keys {
        object.insert(format!("k{i}"), Value::from(text(60)));
    }
    Value::Object(object)
}

fn filter(conditions: usize, values: usize) -> Value {
    let condition = json!({"field": "address.city", "op": "in",
        "value": (0..values).map(|i| format!("城市{i}")).collect::<Vec<_>>()});
    // Four levels of groups hold them, as deep as a filter may go.
    let per_group = conditions.div_ceil(2);
    let half = |n: usize| json!({"and": [{"or": [{"and": vec![condition.clone(); n]}]}]});
    json!({"or": [half(per_group), half(conditions - per_group)]})
}

fn batch_items(count: usize, malformed_last: bool) -> Value {
    let mut items: Vec<Value> = (0..count)
        .map(|i| json!({"source": "limits", "external_id": format!("L-{i}"), "name": format!("Limits {i}")}))
        .collect();
    if malformed_last && let Some(last) = items.last_mut() {
        last["email"] = json!(5);
    }
    json!({"customers": items})
}

fn mapping(columns: usize) -> Value {
    let mut object = serde_json::Map::new();
    for i in 0..columns {
        object.insert(format!("列{i}"), Value::Null);
    }
    json!({"resource_type": "customers", "format": "csv", "mapping": Value::Object(object)})
}

fn grants(count: usize) -> Value {
    let all: Vec<String> = [
        "customers",
        "users",
        "roles",
        "api_keys",
        "audit_events",
        "events",
        "custom_fields",
        "segments",
        "contact_details",
        "privacy",
    ]
    .iter()
    .flat_map(|r| ["read", "write", "delete"].map(|a| format!("{r}:{a}")))
    .collect();
    Value::Array(
        (0..count)
            .map(|i| json!({"permission": all[i % all.len()], "scope": "all"}))
            .collect(),
    )
}

/// The largest JSON body under `limit` bytes: a customer with a tag list that fills it.
fn fill(limit: usize) -> Value {
    let tag_bytes = "\"t\",".len();
    let count = (limit - 64) / tag_bytes;
    json!({"name": "Filled", "tags": vec!["t"; count]})
}

fn probes(limit: usize, enum_field: &str) -> Vec<Probe> {
    use Method as M;
    let mut all = vec![
        probe(
            "customer: a 200-character name and 50 tags of 50 characters (max)",
            M::POST,
            "/api/v1/customers",
            json!({"name": text(200), "tags": tags(50, 50)}),
        ),
        probe(
            "customer: 51 tags (over)",
            M::POST,
            "/api/v1/customers",
            json!({"name": "Over", "tags": tags(51, 50)}),
        ),
        probe(
            "customer: 64 custom values, 16 KiB (max; undefined keys, refused)",
            M::POST,
            "/api/v1/customers",
            json!({"name": "Max", "custom_fields": custom_fields(64)}),
        ),
        probe(
            "customer: 65 custom values (over)",
            M::POST,
            "/api/v1/customers",
            json!({"name": "Over", "custom_fields": custom_fields(65)}),
        ),
        probe(
            "customer: a 1 MiB body of tags (largest body)",
            M::POST,
            "/api/v1/customers",
            fill(limit),
        ),
        probe(
            "search: q of 100 characters (max)",
            M::POST,
            "/api/v1/customers/search",
            json!({"q": text(100), "limit": 200}),
        ),
        probe(
            "search: 50 conditions of 100 values, 4 deep, 5 sort keys (max)",
            M::POST,
            "/api/v1/customers/search",
            json!({"filter": filter(50, 100), "limit": 200,
                "sort": ["-created_at", "name", "updated_at", "-name", "created_at"]}),
        ),
        probe(
            "search: 51 conditions (over)",
            M::POST,
            "/api/v1/customers/search",
            json!({"filter": filter(51, 100)}),
        ),
        probe(
            "search: 101 values (over)",
            M::POST,
            "/api/v1/customers/search",
            json!({"filter": filter(1, 101)}),
        ),
        probe(
            "search: a 1 MiB list of conditions (largest body)",
            M::POST,
            "/api/v1/customers/search",
            json!({"filter": {"or": vec![json!({"and": 1}); (limit - 64) / 11]}}),
        ),
        probe(
            "batch: 1,001 items (over)",
            M::POST,
            "/api/v1/customers/batch",
            batch_items(1001, false),
        ),
        probe(
            "batch: 1,000 items, the last malformed (refused)",
            M::POST,
            "/api/v1/customers/batch",
            batch_items(1000, true),
        ),
        probe(
            "tag: 1,001 customer ids (over)",
            M::POST,
            "/api/v1/customers/tag",
            json!({"tags": ["x"], "customer_ids": vec![uuid::Uuid::nil(); 1001]}),
        ),
        probe(
            "custom field: 100 options of 100 characters (max)",
            M::PATCH,
            &format!("/api/v1/custom-fields/{enum_field}"),
            json!({"options": (0..100).map(|i| format!("{i:0>100}")).collect::<Vec<_>>()}),
        ),
        probe(
            "custom field: 101 options (over)",
            M::POST,
            "/api/v1/custom-fields",
            json!({"resource_type": "customer", "key": "over", "label": "Over", "field_type": "enum",
                "options": (0..101).map(|i| format!("{i:0>100}")).collect::<Vec<_>>()}),
        ),
        probe(
            "custom field: a 1 MiB list of options (largest body)",
            M::POST,
            "/api/v1/custom-fields",
            json!({"resource_type": "customer", "key": "over", "label": "Over", "field_type": "enum",
                "options": vec!["o"; (limit - 200) / 4]}),
        ),
        probe(
            "import: 200 mapped columns (max)",
            M::POST,
            "/api/v1/imports",
            mapping(200),
        ),
        probe(
            "import: 201 mapped columns (over)",
            M::POST,
            "/api/v1/imports",
            mapping(201),
        ),
        probe(
            "role: 30 grants (max; the name is taken after the first)",
            M::POST,
            "/api/v1/roles",
            json!({"name": format!("limits_{}", uuid::Uuid::now_v7().simple()), "permissions": grants(30)}),
        ),
        probe(
            "role: 31 grants (over)",
            M::POST,
            "/api/v1/roles",
            json!({"name": "limits_over", "permissions": grants(31)}),
        ),
        probe(
            "role: a 1 MiB list of grants (largest body)",
            M::POST,
            "/api/v1/roles",
            json!({"name": "limits_fill", "permissions": grants((limit - 64) / 48)}),
        ),
    ];
    let mut over_email = Probe {
        what: "sign-in: email of 255 characters (over)".into(),
        method: M::POST,
        path: "/api/v1/auth/login".into(),
        body: json!({"email": format!("{}@x.cn", "a".repeat(250)), "password": "p".repeat(128)}),
        anonymous: true,
    };
    let mut huge = Probe {
        what: "sign-in: a 1 MiB password (largest body)".into(),
        body: json!({"email": "a@x.cn", "password": "p".repeat(limit - 64)}),
        ..probe("", M::POST, "/api/v1/auth/login", Value::Null)
    };
    huge.anonymous = true;
    over_email.anonymous = true;
    all.push(over_email);
    all.push(huge);
    all
}

/// POSTs `body` and reads the answer's JSON.
async fn post(
    client: &Client,
    url: &str,
    token: Option<&str>,
    body: &Value,
) -> Result<Value, String> {
    let mut request = client.post(url).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    response.json().await.map_err(|e| e.to_string())
}

/// Runs the scenario; prints a table of answers and their times.
pub async fn run(args: LimitsArgs) -> Result<(), String> {
    let client = Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    let url = |path: &str| format!("{}{path}", args.url.trim_end_matches('/'));
    let credentials = json!({"email": args.admin_email, "password": args.admin_password});
    let login = post(&client, &url("/api/v1/auth/login"), None, &credentials).await?;
    let token = login["access_token"]
        .as_str()
        .ok_or_else(|| format!("sign-in failed: {login}"))?
        .to_owned();
    // An enum field whose options the at-the-limit change replaces.
    let key = format!("limits_{}", uuid::Uuid::now_v7().simple());
    let definition = json!({"resource_type": "customer", "key": &key, "label": "Limits",
        "field_type": "enum", "options": ["a"]});
    let field = post(
        &client,
        &url("/api/v1/custom-fields"),
        Some(&token),
        &definition,
    )
    .await?;
    let field_id = field["id"]
        .as_str()
        .ok_or_else(|| format!("could not define the field: {field}"))?
        .to_owned();

    println!("| body | bytes | status | p50 ms | max ms |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for probe in probes(args.body_limit, &field_id) {
        let bytes = serde_json::to_vec(&probe.body).map_err(|e| e.to_string())?;
        let mut times = Vec::with_capacity(args.rounds);
        let mut status = StatusCode::OK;
        for round in 0..args.warm_up + args.rounds {
            let mut request = client
                .request(probe.method.clone(), url(&probe.path))
                .header("content-type", "application/json")
                .body(bytes.clone());
            if !probe.anonymous {
                request = request.bearer_auth(&token);
            }
            let started = Instant::now();
            let response = request.send().await.map_err(|e| e.to_string())?;
            status = response.status();
            response.bytes().await.map_err(|e| e.to_string())?;
            if round >= args.warm_up {
                times.push(started.elapsed());
            }
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "| {} | {} | {} | {:.2} | {:.2} |",
            probe.what,
            bytes.len(),
            status.as_u16(),
            ms(times[times.len() / 2]),
            ms(*times.last().unwrap_or(&Duration::ZERO)),
        );
    }
    let _ = client
        .delete(url(&format!("/api/v1/custom-fields/{field_id}")))
        .bearer_auth(&token)
        .send()
        .await;
    Ok(())
}
