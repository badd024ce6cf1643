//! `GET /customers/export` seen from outside: CSV with a header and JSON lines, the list filters
//! and segments, masked contact details, and more rows than one database batch.

use std::collections::HashSet;

use rapport_tests::{TestApp, assert_problem, backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn export(app: &TestApp, token: &str, query: &str) -> (StatusCode, String, String) {
    let (status, content_type, bytes) = app
        .download(&format!("/api/v1/customers/export{query}"), token)
        .await;
    (status, content_type, String::from_utf8(bytes).unwrap())
}

fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    rapport_tests::csv_rows(text.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_holds_the_selected_customers_in_either_format() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        app.define_field(
            "customer",
            "interests",
            "multi_enum",
            &["golf", "tea"],
            false,
        )
        .await;
        let ann = app
            .create_customer(token, json!({
                "name": "Ann, \"the first\"", "email": "ann@example.cn", "phone": "13800000001", "tags": ["vip", "b2b"],
                "address": {"city": "上海市"}, "notes": "line one\nline two", "custom_fields": {"interests": ["golf", "tea"]}
            }))
            .await;
        app.create_customer(token, json!({"name": "Bo", "tags": ["vip"]}))
            .await;
        app.create_customer(token, json!({"name": "Cy"})).await;

        let (status, content_type, text) = export(&app, token, "?tag=vip").await;
        assert_eq!(status, StatusCode::OK);
        assert!(content_type.starts_with("text/csv"), "{content_type}");
        let rows = csv_rows(&text);
        assert_eq!(rows.len(), 2, "{text}");
        assert_eq!(rows[0]["id"], ann["id"].as_str().unwrap(), "oldest first");
        assert_eq!(rows[0]["name"], "Ann, \"the first\"");
        assert_eq!(rows[0]["notes"], "line one\nline two");
        assert_eq!(rows[0]["tags"], "vip|b2b");
        assert_eq!(rows[0]["address.city"], "上海市");
        assert_eq!(rows[0]["custom_fields.interests"], "golf|tea");
        assert_eq!(rows[0]["email"], "ann@example.cn");

        // The byte-order mark, on request, in front of the same file.
        let (status, _, marked) = export(&app, token, "?tag=vip&bom=true").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(marked.strip_prefix('\u{feff}'), Some(text.as_str()));
        let (status, _, refused) = export(&app, token, "?format=ndjson&bom=true").await;
        let body: Value = serde_json::from_str(&refused).unwrap();
        assert_problem(status, &body, 400, "bad_request");
        assert_eq!(body["errors"][0]["field"], "bom");

        let (status, content_type, text) = export(&app, token, "?format=ndjson").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "application/x-ndjson");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        let (_, one) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{}", ann["id"].as_str().unwrap()),
                token,
                None,
            )
            .await;
        assert_eq!(lines[0], one, "a line is the customer as GET answers it");

        // A segment's members; a viewer's export is masked.
        let (_, list) = app
            .send(
                Method::POST,
                "/api/v1/segments",
                token,
                Some(json!({"name": "L", "kind": "static"})),
            )
            .await;
        app.send(
            Method::POST,
            &format!(
                "/api/v1/segments/{}/add-customers",
                list["id"].as_str().unwrap()
            ),
            token,
            Some(json!({"customer_ids": [ann["id"]]})),
        )
        .await;
        let (_, _, text) = export(
            &app,
            token,
            &format!("?segment_id={}", list["id"].as_str().unwrap()),
        )
        .await;
        assert_eq!(csv_rows(&text).len(), 1);
        let (_, viewer) = app.user_with_role("viewer").await;
        let (_, _, text) = export(&app, &viewer, "?tag=b2b").await;
        assert_eq!(csv_rows(&text)[0]["email"], "a***@example.cn");

        let (status, _, text) = export(
            &app,
            token,
            "?segment_id=01939f8e-0000-7000-8000-000000000000",
        )
        .await;
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_problem(status, &body, 400, "bad_request");
        assert_eq!(body["errors"][0]["field"], "segment_id");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_of_many_customers_holds_each_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        for chunk in 0..3 {
            let customers: Vec<Value> = (0..1000)
                .map(|i| json!({"external_id": format!("E{chunk}-{i}"), "name": format!("Customer {chunk}-{i}")}))
                .collect();
            app.batch_upsert(token, customers).await;
        }
        let (status, _, text) = export(&app, token, "").await;
        assert_eq!(status, StatusCode::OK);
        let rows = csv_rows(&text);
        assert_eq!(rows.len(), 3000);
        let ids: HashSet<&String> = rows.iter().map(|r| &r["id"]).collect();
        assert_eq!(ids.len(), 3000, "no customer twice across batches");
        let created: Vec<&String> = rows.iter().map(|r| &r["created_at"]).collect();
        assert!(created.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formula_like_values_are_neutralised_in_csv_and_raw_in_json_lines() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        app.define_field("customer", "motto", "text", &[], false)
            .await;
        app.define_field("customer", "slogan", "text", &[], false)
            .await;
        app.define_field("customer", "score", "number", &[], false)
            .await;
        let formulas = json!({
            "name": "=HYPERLINK(\"http://evil.example\",\"click\")",
            "phone": "+86 138 0013 8000",
            "source": "-2+3",
            "notes": "@SUM(A1:A9)",
            "tags": ["=cmd|' /C calc'!A0", "vip"],
            "address": {"city": "@home", "street": "'=already quoted"},
            "external_id": "+1",
            "custom_fields": {"motto": "=1+1", "slogan": "-minus", "score": -5}
        });
        app.create_customer(token, formulas.clone()).await;

        let (status, _, text) = export(&app, token, "").await;
        assert_eq!(status, StatusCode::OK);
        let row = &csv_rows(&text)[0];
        for (column, cell) in [
            ("name", "'=HYPERLINK(\"http://evil.example\",\"click\")"),
            ("phone", "'+8613800138000"),
            ("source", "'-2+3"),
            ("notes", "'@SUM(A1:A9)"),
            ("tags", "'=cmd|' /C calc'!A0|vip"),
            ("address.city", "'@home"),
            ("custom_fields.slogan", "'-minus"),
            ("address.street", "''=already quoted"),
            ("external_id", "'+1"),
            ("custom_fields.motto", "'=1+1"),
        ] {
            assert_eq!(row[column], cell, "{column}");
        }
        assert_eq!(row["custom_fields.score"], "-5", "a number stays a number");
        // No text cell of the file starts a formula.
        for (column, cell) in row.iter().filter(|(c, _)| *c != "custom_fields.score") {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{column}: {cell:?}"
            );
        }

        let (_, _, text) = export(&app, token, "?format=ndjson").await;
        let line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        for field in ["name", "source", "notes", "tags", "external_id"] {
            assert_eq!(line[field], formulas[field], "{field} as stored");
        }
        assert_eq!(line["custom_fields"], formulas["custom_fields"]);
        assert_eq!(line["address"]["city"], "@home");
        assert_eq!(line["address"]["street"], "'=already quoted");
    }
}
