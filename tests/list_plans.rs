//! The plans PostgreSQL makes for list pages when its statistics are wrong: after a burst of
//! inserts (a lead import) and before autovacuum has analysed the table, a list filtered on a
//! column that leads an index of the sort keys still reads that index, and reads a page's worth of
//! buffers, not the burst.
//!
//! The table is loaded by SQL, analysed, then grown threefold by newer rows that all share one
//! stage and one owner, with autovacuum off so the statistics stay those of the first load.

use rapport_persistence::audit::{AuditFilter, list_statement};
use rapport_persistence::page::PageRequest;
use rapport_tests::{Backend, TestApp, backends, customer_page_statement};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

/// Rows loaded and analysed first: 30% customers, owned by the first sales user; as many audit
/// events, by that user, 1 in 100 about one customer.
const SETTLED: u32 = 80_000;
/// Newer rows added after the analysis: all leads, owned by the second sales user; as many audit
/// events, all by the second user (an import).
const BURST: u32 = 160_000;
/// More buffers than a page of 25 needs through the right index (a few dozen), far fewer than a
/// walk through the burst (thousands).
const PAGE_BUFFERS: u64 = 200;
/// The record every hundredth settled audit event is about.
const WATCHED: &str = "6f1c1d2e-5b1a-4c1e-9a51-0d6c2f3b4a5e";

async fn load(conn: &DatabaseConnection, settled_owner: Uuid, burst_owner: Uuid) {
    let columns = "id, kind, name, lifecycle_stage, owner_id, tags, consent_opted_in, \
                   custom_fields, search_text, folded, created_at, updated_at, version";
    let statements = [
        "ALTER TABLE customers SET (autovacuum_enabled = false)".to_owned(),
        format!(
            "INSERT INTO customers ({columns}) \
             SELECT gen_random_uuid(), 'individual', 'Customer ' || i, \
               (ARRAY['customer','customer','customer','lead','lead','lead','prospect', \
                      'prospect','inactive','churned'])[1 + (i % 10)], \
               '{settled_owner}', '[]', false, '{{}}', 'customer ' || i, '{{}}', \
               now() - interval '730 days' + i * interval '780 seconds', now(), 1 \
             FROM generate_series(1, {SETTLED}) i"
        ),
        format!(
            "INSERT INTO audit_events (id, occurred_at, actor_type, actor_id, action, \
               resource_type, resource_id, changes, request_id) \
             SELECT gen_random_uuid(), now() - interval '730 days' + i * interval '780 seconds', \
               'user', '{settled_owner}', 'customer.updated', 'customer', \
               CASE WHEN i % 100 = 0 THEN '{WATCHED}'::uuid ELSE gen_random_uuid() END, \
               '{{}}', 'r' || i \
             FROM generate_series(1, {SETTLED}) i"
        ),
        "ALTER TABLE audit_events SET (autovacuum_enabled = false)".to_owned(),
        "ANALYZE customers".to_owned(),
        "ANALYZE audit_events".to_owned(),
        format!(
            "INSERT INTO customers ({columns}) \
             SELECT gen_random_uuid(), 'individual', 'Lead ' || i, 'lead', \
               '{burst_owner}', '[]', false, '{{}}', 'lead ' || i, '{{}}', \
               now() + i * interval '1 second', now(), 1 \
             FROM generate_series(1, {BURST}) i"
        ),
        format!(
            "INSERT INTO audit_events (id, occurred_at, actor_type, actor_id, action, \
               resource_type, resource_id, changes, request_id) \
             SELECT gen_random_uuid(), now() + i * interval '1 second', 'user', \
               '{burst_owner}', 'customer.created', 'customer', gen_random_uuid(), '{{}}', \
               'b' || i \
             FROM generate_series(1, {BURST}) i"
        ),
    ];
    for sql in statements {
        conn.execute_unprepared(&sql).await.unwrap();
    }
}

/// What `EXPLAIN (ANALYZE, BUFFERS)` says of one page: the indexes it read and the buffers it
/// touched.
struct Explained {
    indexes: Vec<String>,
    buffers: u64,
    plan: Value,
}

fn walk(node: &Value, indexes: &mut Vec<String>) {
    if let Some(name) = node["Index Name"].as_str() {
        indexes.push(name.to_owned());
    }
    for child in node["Plans"].as_array().into_iter().flatten() {
        walk(child, indexes);
    }
}

async fn explain(
    conn: &DatabaseConnection,
    owner: Option<Uuid>,
    filter: Option<Value>,
    cursor: Option<String>,
) -> Explained {
    let backend = rapport_persistence::Backend::Postgres;
    let statement = customer_page_statement(conn, backend, owner, filter.as_ref(), cursor).await;
    explain_statement(conn, statement).await
}

async fn explain_statement(conn: &DatabaseConnection, statement: Statement) -> Explained {
    let explained = Statement::from_sql_and_values(
        statement.db_backend,
        format!("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {}", statement.sql),
        statement.values.map(|v| v.0).unwrap_or_default(),
    );
    let row = conn.query_one_raw(explained).await.unwrap().unwrap();
    let document: Value = row.try_get_by_index(0).unwrap();
    let plan = document[0]["Plan"].clone();
    let mut indexes = Vec::new();
    walk(&plan, &mut indexes);
    let buffers = plan["Shared Hit Blocks"].as_u64().unwrap_or(0)
        + plan["Shared Read Blocks"].as_u64().unwrap_or(0);
    Explained {
        indexes,
        buffers,
        plan,
    }
}

/// The cursor after the first page of a list, as the API hands it out.
async fn next_cursor(app: &TestApp, token: &str, filter: Option<Value>) -> String {
    let mut body = json!({"limit": 25});
    if let Some(filter) = filter {
        body["filter"] = filter;
    }
    let (status, page) = app
        .send(Method::POST, "/api/v1/customers/search", token, Some(body))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["data"].as_array().unwrap().len(), 25, "{page}");
    page["next_cursor"].as_str().unwrap().to_owned()
}

fn assert_reads(explained: &Explained, index: &str, what: &str) {
    assert!(
        explained.indexes.iter().any(|i| i == index),
        "{what} reads {:?}, not {index}: {:#}",
        explained.indexes,
        explained.plan
    );
    assert!(
        explained.buffers <= PAGE_BUFFERS,
        "{what} touched {} buffers: {:#}",
        explained.buffers,
        explained.plan
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_read_their_index_when_a_burst_of_inserts_has_skewed_the_statistics() {
    let Some(backend) = backends()
        .into_iter()
        .find(|b| matches!(b, Backend::Postgres(_)))
    else {
        return;
    };
    let app = TestApp::spawn(&backend).await;
    let (settled_owner, settled_token) = app.user_with_role("sales").await;
    let (burst_owner, _) = app.user_with_role("sales").await;
    let conn = Database::connect(app.database_url.as_str()).await.unwrap();
    load(&conn, settled_owner, burst_owner).await;

    let customers = json!({"field": "lifecycle_stage", "op": "eq", "value": "customer"});
    let first = explain(&conn, None, Some(customers.clone()), None).await;
    assert_reads(
        &first,
        "customers_stage_created_at",
        "the first page of customers",
    );
    let cursor = next_cursor(&app, &app.admin_token, Some(customers.clone())).await;
    let second = explain(&conn, None, Some(customers.clone()), Some(cursor)).await;
    assert_reads(
        &second,
        "customers_stage_created_at",
        "the second page of customers",
    );

    // The equality may sit in a top-level `and` next to other conditions.
    let with_more = json!({"and": [
        {"field": "source", "op": "is_null", "value": true},
        customers,
    ]});
    let anded = explain(&conn, None, Some(with_more), None).await;
    assert_reads(
        &anded,
        "customers_stage_created_at",
        "customers without a source",
    );

    // A sales user's own list is pinned to the owner.
    let own = explain(&conn, Some(settled_owner), None, None).await;
    assert_reads(
        &own,
        "customers_owner_created_at",
        "a sales user's first page",
    );
    let cursor = next_cursor(&app, &settled_token, None).await;
    let own_next = explain(&conn, Some(settled_owner), None, Some(cursor)).await;
    assert_reads(
        &own_next,
        "customers_owner_created_at",
        "a sales user's second page",
    );

    // The audit trail of one user, and of one record, reads the index that leads with it.
    let request = PageRequest {
        limit: 25,
        cursor: None,
        include_total: false,
    };
    let by_actor = AuditFilter {
        actor_id: Some(settled_owner),
        ..AuditFilter::default()
    };
    let about = AuditFilter {
        resource_type: Some("customer".to_owned()),
        resource_id: Some(WATCHED.parse().unwrap()),
        ..AuditFilter::default()
    };
    for (filter, index, what) in [
        (by_actor, "audit_events_actor", "one user's audit trail"),
        (about, "audit_events_resource", "one record's audit trail"),
    ] {
        let statement = list_statement(rapport_persistence::Backend::Postgres, &filter, &request);
        let explained = explain_statement(&conn, statement.unwrap()).await;
        assert_reads(&explained, index, what);
    }
    conn.close().await.ok();
}

/// Every page of `path`, `limit` rows at a time, in order.
async fn walk_pages(app: &TestApp, token: &str, path: &str, limit: u32) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    let glue = if path.contains('?') { '&' } else { '?' };
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}{glue}limit={limit}&cursor={c}"),
            None => format!("{path}{glue}limit={limit}"),
        };
        let (status, page) = app.send(Method::GET, &url, token, None).await;
        assert_eq!(status, StatusCode::OK, "{url}: {page}");
        rows.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return rows,
        }
    }
}

fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter().map(|r| r["id"].to_string()).collect()
}

/// A pinned list pages through the same rows in the same order as the whole list filtered by
/// hand: the event feed of one type, one actor's and one record's audit trail, a customer's
/// consent history and contacts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinned_lists_page_through_what_the_whole_list_holds() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let admin = app.admin_token.clone();
        let (seller, token) = app.user_with_role("sales").await;
        let mut first = None;
        for i in 0..5 {
            let body = json!({"kind": "company", "name": format!("Pinned {i}")});
            let created = app.create_customer(&token, body).await;
            first.get_or_insert(created["id"].as_str().unwrap().to_owned());
            let path = format!("/api/v1/customers/{}", created["id"].as_str().unwrap());
            let change = json!({"lifecycle_stage": "prospect"});
            let response = app
                .request(Method::PATCH, &path, &admin, Some(change))
                .header("If-Match", "\"1\"")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        }
        let first = first.unwrap();

        let all = walk_pages(
            &app,
            &admin,
            "/api/v1/events?types=customer.created,customer.updated",
            200,
        )
        .await;
        let created: Vec<Value> = all
            .iter()
            .filter(|e| e["type"] == "customer.created")
            .cloned()
            .collect();
        assert_eq!(created.len(), 5);
        let pinned = walk_pages(&app, &admin, "/api/v1/events?types=customer.created", 2).await;
        assert_eq!(ids(&pinned), ids(&created));

        let trail = walk_pages(&app, &admin, "/api/v1/audit-events", 200).await;
        let by_seller: Vec<Value> = trail
            .iter()
            .filter(|e| e["actor_id"] == json!(seller))
            .cloned()
            .collect();
        assert!(by_seller.len() >= 5, "{trail:#?}");
        let pinned = walk_pages(
            &app,
            &admin,
            &format!("/api/v1/audit-events?actor_id={seller}"),
            2,
        )
        .await;
        assert_eq!(ids(&pinned), ids(&by_seller));
        let about_first: Vec<Value> = trail
            .iter()
            .filter(|e| e["resource_id"] == json!(first))
            .cloned()
            .collect();
        assert!(about_first.len() >= 2, "created, then updated: {trail:#?}");
        let path = format!("/api/v1/audit-events?resource_type=customer&resource_id={first}");
        let pinned = walk_pages(&app, &admin, &path, 1).await;
        assert_eq!(ids(&pinned), ids(&about_first));

        let contacts = format!("/api/v1/customers/{first}/contacts");
        for i in 0..5 {
            let (status, body) = app
                .send(
                    Method::POST,
                    &contacts,
                    &token,
                    Some(json!({"name": format!("C{i}")})),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        let consent = format!("/api/v1/customers/{first}/consent");
        for (i, opted_in) in [true, false, true, false].into_iter().enumerate() {
            let decision = json!({
                "opted_in": opted_in, "channel": "web",
                "occurred_at": format!("2026-01-0{}T03:04:05Z", i + 1),
            });
            let (status, body) = app
                .send(Method::POST, &consent, &token, Some(decision))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        let whole = walk_pages(&app, &token, &consent, 200).await;
        let paged = walk_pages(&app, &token, &consent, 1).await;
        assert!(whole.len() >= 4, "{whole:#?}");
        assert_eq!(ids(&paged), ids(&whole));

        let whole = walk_pages(&app, &token, &contacts, 200).await;
        let paged = walk_pages(&app, &token, &contacts, 2).await;
        assert_eq!(whole.len(), 5);
        assert_eq!(ids(&paged), ids(&whole));
    }
}
