//! `POST /customers/batch` seen from outside: upserts by source and external id, all or nothing
//! by default with every item's mistakes, item by item on request, safe to retry and to race.

use rapport_tests::{TestApp, assert_problem, backends, error_fields, error_pairs, pairs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn batch(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.send(Method::POST, "/api/v1/customers/batch", token, Some(body))
        .await
}

async fn events(app: &TestApp) -> usize {
    let (_, page) = app
        .send(
            Method::GET,
            "/api/v1/events?types=customer.created,customer.updated&limit=200",
            &app.admin_token,
            None,
        )
        .await;
    page["data"].as_array().unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_item_refuses_the_batch_and_names_every_mistake() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        app.create_customer(token, json!({"name": "Taken", "email": "taken@example.cn"}))
            .await;
        app.define_field("customer", "tier", "enum", &["gold"], true)
            .await;
        // Malformed items (what the item schema refuses) refuse the batch at once, every one
        // of them named, before the database is asked anything.
        let (status, body) = batch(&app, token, json!({"customers": [
            {"source": "tb", "external_id": "A1", "name": "Fine", "custom_fields": {"tier": "gold"}},
            {"source": "tb", "external_id": "A2", "name": "Taken email", "email": "taken@example.cn", "custom_fields": {"tier": "gold"}},
            {"external_id": " ", "name": "x", "custom_fields": {"tier": "gold"}},
            {"source": "tb", "external_id": "A5", "name": 5, "email": "not an email", "gender": "x"},
            "not an object"
        ]}))
        .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[
                ("customers[2].external_id", "blank"),
                ("customers[3].email", "invalid_email"),
                ("customers[3].gender", "invalid_type"),
                ("customers[3].name", "invalid_type"),
                ("customers[4]", "invalid_type"),
            ]),
            "{body}"
        );
        // Well-formed items: every item's mistakes, what the stored data says included.
        let (status, body) = batch(&app, token, json!({"customers": [
            {"source": "tb", "external_id": "A1", "name": "Fine", "custom_fields": {"tier": "gold"}},
            {"source": "tb", "external_id": "A2", "name": "Taken email", "email": "taken@example.cn", "custom_fields": {"tier": "gold"}},
            {"source": "tb", "external_id": "A3", "custom_fields": {"tier": "gold"}},
            {"source": "tb", "external_id": "A4", "name": "No tier"},
            {"source": "tb", "external_id": "A1", "name": "Again", "custom_fields": {"tier": "gold"}}
        ]}))
        .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[
                ("customers[1].email", "email_taken"),
                ("customers[2].name", "required"),
                ("customers[3].custom_fields.tier", "required"),
                ("customers[4].external_id", "duplicate_in_batch"),
            ]),
            "{body}"
        );
        assert_eq!(app.customer_count().await, 1, "nothing was written");
        assert_eq!(events(&app).await, 1, "no event was emitted");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_creates_the_new_and_changes_the_known() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let known = app
            .create_customer(token, json!({"name": "Known", "source": "tb", "external_id": "K1", "notes": "keep me", "tags": ["old"]}))
            .await;
        let (status, body) = batch(&app, token, json!({"customers": [
            {"source": "tb", "external_id": "K1", "lifecycle_stage": "customer", "tags": ["vip"]},
            {"source": "tb", "external_id": "N1", "name": "New", "email": "new@example.cn"},
            {"source": "jd", "external_id": "K1", "name": "Same id, other source"},
            {"source": "tb", "external_id": "K1", "name": "Known"}
        ]}))
        .await;
        // The last item repeats the first key: refused, so the batch is.
        assert_problem(status, &body, 422, "validation_failed");
        let (status, body) = batch(&app, token, json!({"customers": [
            {"source": "tb", "external_id": "K1", "lifecycle_stage": "customer", "tags": ["vip"]},
            {"source": "tb", "external_id": "N1", "name": "New", "email": "new@example.cn"},
            {"source": "jd", "external_id": "K1", "name": "Same id, other source"}
        ]}))
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            (
                body["created"].as_u64(),
                body["updated"].as_u64(),
                body["failed"].as_u64()
            ),
            (Some(2), Some(1), Some(0))
        );
        assert_eq!(body["results"][0]["id"], known["id"]);
        assert_eq!(body["results"][0]["version"], 2);
        let (_, now) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{}", known["id"].as_str().unwrap()),
                token,
                None,
            )
            .await;
        assert_eq!(now["lifecycle_stage"], "customer");
        assert_eq!(now["tags"], json!(["vip"]));
        assert_eq!(now["notes"], "keep me", "fields not sent stay");
        assert_eq!(app.customer_count().await, 3);
        assert_eq!(events(&app).await, 4, "one created event each, one updated");

        // The same batch again changes nothing.
        let (_, again) = batch(&app, token, json!({"customers": [
            {"source": "tb", "external_id": "K1", "lifecycle_stage": "customer", "tags": ["vip"]}
        ]}))
        .await;
        assert_eq!(again["results"][0]["status"], "unchanged", "{again}");
        assert_eq!(again["results"][0]["version"], 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_item_mode_writes_what_it_can_and_says_what_it_could_not() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        app.create_customer(token, json!({"name": "Taken", "email": "taken@example.cn"}))
            .await;
        let (status, body) = batch(
            &app,
            token,
            json!({"mode": "per_item", "customers": [
                {"external_id": "P1", "name": "One"},
                {"external_id": "P2", "name": "Two", "email": "taken@example.cn"},
                {"external_id": "P3", "name": "Three", "birthday": "2999-01-01"}
            ]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["created"], 1);
        assert_eq!(body["failed"], 2);
        assert_eq!(body["results"][1]["errors"][0]["code"], "email_taken");
        assert_eq!(body["results"][2]["errors"][0]["field"], "birthday");
        assert_eq!(app.customer_count().await, 2);

        // A retry with the same key replays the answer and writes nothing twice.
        let send = || {
            app.request(Method::POST, "/api/v1/customers/batch", token, Some(json!({"mode": "per_item", "customers": [{"external_id": "P9", "name": "Nine"}]})))
                .header("Idempotency-Key", "batch-once")
                .send()
        };
        let first = send().await.unwrap();
        assert_eq!(first.status(), StatusCode::OK);
        let first: Value = first.json().await.unwrap();
        let second = send().await.unwrap();
        assert_eq!(second.headers()["idempotent-replayed"], "true");
        let second: Value = second.json().await.unwrap();
        assert_eq!(first, second);
        assert_eq!(app.customer_count().await, 3);

        // Limits.
        let many: Vec<Value> = (0..1001)
            .map(|i| json!({"external_id": format!("X{i}"), "name": "x"}))
            .collect();
        let (status, body) = batch(&app, token, json!({"customers": many})).await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "customers");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_item_mode_refuses_a_malformed_item_with_the_whole_batch() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let (status, body) = batch(
            &app,
            token,
            json!({"mode": "per_item", "customers": [
                {"external_id": "M1", "name": "Fine"},
                {"external_id": null, "name": "No key"},
                {"external_id": "M3", "name": "Bad mail", "email": "not-an-email"},
                {"external_id": "M4", "name": "Bad value", "custom_fields": {"tier": {"nested": 1}}},
                "not an object"
            ]}),
        )
        .await;
        assert_problem(status, &body, 422, "validation_failed");
        let fields = error_fields(&body);
        assert_eq!(
            fields,
            [
                "customers[1].external_id",
                "customers[2].email",
                "customers[3].custom_fields.tier",
                "customers[4]"
            ],
            "{body}"
        );
        assert_eq!(app.customer_count().await, 0);

        // What depends on the server's state still fails item by item: here a custom field
        // nobody defined.
        let (status, body) = batch(
            &app,
            token,
            json!({"mode": "per_item", "customers": [
                {"external_id": "M1", "name": "Fine"},
                {"external_id": "M2", "name": "Undefined", "custom_fields": {"tier": "gold"}}
            ]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["results"][0]["status"], "created");
        assert_eq!(body["results"][1]["status"], "failed");
        assert_eq!(
            body["results"][1]["errors"][0]["field"],
            "custom_fields.tier"
        );
        assert_eq!(app.customer_count().await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sales_user_upserts_only_their_own_customers() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (sales_id, sales) = app.user_with_role("sales").await;
        app.create_customer(
            &app.admin_token,
            json!({"name": "Theirs", "external_id": "T1"}),
        )
        .await;
        let (status, body) = batch(
            &app,
            &sales,
            json!({"mode": "per_item", "customers": [
                {"external_id": "T1", "name": "Mine now?"},
                {"external_id": "M1", "name": "Mine"}
            ]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["results"][0]["status"], "failed");
        assert_eq!(body["results"][0]["errors"][0]["code"], "external_id_taken");
        assert_eq!(body["results"][1]["status"], "created");
        let (_, mine) = app
            .send(
                Method::GET,
                &format!(
                    "/api/v1/customers/{}",
                    body["results"][1]["id"].as_str().unwrap()
                ),
                &sales,
                None,
            )
            .await;
        assert_eq!(mine["owner_id"], sales_id.to_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_batches_over_the_same_keys_make_one_customer_per_key() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let body = |wave: usize| {
            let customers: Vec<Value> = (0..25)
                .map(|i| json!({"source": "erp", "external_id": format!("E{i}"), "name": format!("Customer {i}"), "notes": format!("wave {wave}")}))
                .collect();
            json!({"customers": customers})
        };
        let requests = (0..6).map(|wave| batch(&app, token, body(wave)));
        let mut created = 0;
        let mut updated = 0;
        for (status, result) in futures_util::future::join_all(requests).await {
            assert_eq!(status, StatusCode::OK, "{result}");
            created += result["created"].as_u64().unwrap();
            updated += result["updated"].as_u64().unwrap();
        }
        assert_eq!(created, 25, "each key was created once");
        assert_eq!(updated, 5 * 25, "and changed by every later wave");
        assert_eq!(app.customer_count().await, 25);
    }
}
