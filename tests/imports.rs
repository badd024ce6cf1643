//! Imports seen from outside: a file of customers becomes customers exactly as `POST /customers`
//! would make them, refused rows are listed by column, all-or-nothing means nothing on any
//! refusal and after a crash in the middle, and a crashed job finishes when a worker comes back.

use std::time::{Duration, Instant};

use rapport_tests::{Backend, TestApp, assert_problem, backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn create_import(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, job) = app
        .send(Method::POST, "/api/v1/imports", token, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    assert_eq!(job["status"], "awaiting_file");
    job
}

async fn upload(
    app: &TestApp,
    token: &str,
    job: &Value,
    content_type: &str,
    file: String,
) -> (StatusCode, Value) {
    let response = app
        .client
        .put(app.url(job["upload_url"].as_str().unwrap()))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(file)
        .send()
        .await
        .unwrap();
    rapport_tests::read(response).await
}

/// The job once it is completed or failed (at most `seconds`).
async fn settled(app: &TestApp, token: &str, job: &Value, seconds: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let (_, now) = app
            .send(
                Method::GET,
                &format!("/api/v1/imports/{}", job["id"].as_str().unwrap()),
                token,
                None,
            )
            .await;
        if now["status"] == "completed" || now["status"] == "failed" {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "the import did not finish: {now}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn errors(app: &TestApp, token: &str, job: &Value) -> Vec<(i64, String, String)> {
    let (_, page) = app
        .send(
            Method::GET,
            &format!(
                "/api/v1/imports/{}/errors?limit=200",
                job["id"].as_str().unwrap()
            ),
            token,
            None,
        )
        .await;
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_rows_are_listed_by_column_and_the_rest_is_written() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        app.define_field("customer", "employees", "number", &[], false)
            .await;
        app.create_customer(token, json!({"name": "Taken", "email": "taken@example.cn"}))
            .await;
        let job = create_import(&app, token, json!({
            "resource_type": "customers", "format": "csv", "mode": "skip_invalid",
            "mapping": {"客户名称": "name", "邮箱": "email", "城市": "address.city", "内部": null}
        }))
        .await;
        let file = "客户名称,邮箱,城市,tags,custom_fields.employees,内部,id\n\
            张三,zhang@example.cn,上海市,vip|new,12,x,ignored\n\
            ,bad,北京市,,many,x,\n\
            王五,taken@example.cn,,,,,\n\
            赵六,zhang@example.cn,,,,,\n\
            \"Lee, Ann\",ann@example.cn,\"Berlin\",,3.5,,\n";
        let (status, queued) = upload(&app, token, &job, "text/csv", file.to_owned()).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
        assert_eq!(queued["status"], "queued");
        let done = settled(&app, token, &job, 30).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(
            (
                done["total_rows"].as_i64(),
                done["created_rows"].as_i64(),
                done["failed_rows"].as_i64()
            ),
            (Some(5), Some(2), Some(3))
        );
        let expected = [
            (2, "客户名称", "blank"),
            (2, "custom_fields.employees", "invalid_value"),
            (2, "邮箱", "invalid_email"),
            (3, "邮箱", "email_taken"),
            (4, "邮箱", "email_taken"),
        ];
        let mut found = errors(&app, token, &job).await;
        found.sort();
        let mut expected: Vec<(i64, String, String)> = expected
            .iter()
            .map(|(r, f, c)| (*r, (*f).to_owned(), (*c).to_owned()))
            .collect();
        expected.sort();
        assert_eq!(found, expected);

        let (_, page) = app
            .send(
                Method::POST,
                "/api/v1/customers/search",
                token,
                Some(
                    json!({"filter": {"field": "email", "op": "eq", "value": "zhang@example.cn"}}),
                ),
            )
            .await;
        let zhang = &page["data"][0];
        assert_eq!(zhang["name"], "张三");
        assert_eq!(zhang["tags"], json!(["vip", "new"]));
        assert_eq!(zhang["address"]["city"], "上海市");
        assert_eq!(zhang["custom_fields"]["employees"], 12);
        let (_, events) = app
            .send(
                Method::GET,
                "/api/v1/events?types=customer.created,import.completed&limit=200",
                token,
                None,
            )
            .await;
        let kinds: Vec<&str> = events["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "customer.created",
                "customer.created",
                "customer.created",
                "import.completed"
            ],
            "each customer is announced as if created by hand"
        );

        // A job takes one file; the file is text/csv or JSON lines.
        let (status, body) = upload(&app, token, &job, "text/csv", file.to_owned()).await;
        assert_problem(status, &body, 409, "invalid_transition");
        let (status, body) = app
            .send(
                Method::POST,
                &format!("/api/v1/imports/{}/retry", job["id"].as_str().unwrap()),
                token,
                None,
            )
            .await;
        assert_problem(status, &body, 409, "invalid_transition");
        let other = create_import(
            &app,
            token,
            json!({"resource_type": "customers", "format": "csv"}),
        )
        .await;
        let (status, body) = upload(&app, token, &other, "application/pdf", String::new()).await;
        assert_problem(status, &body, 415, "unsupported_media_type");
        let (status, body) = app
            .send(Method::POST, "/api/v1/imports", token, Some(json!({"resource_type": "customers", "format": "csv", "mapping": {"A": "nmae"}})))
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "mapping.A");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_refused_row_in_all_or_nothing_writes_nothing() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let job = create_import(
            &app,
            token,
            json!({"resource_type": "customers", "format": "ndjson"}),
        )
        .await;
        let mut lines: Vec<String> = (0..4500)
            .map(|i| {
                json!({"name": format!("C{i}"), "email": format!("c{i}@example.cn")}).to_string()
            })
            .collect();
        lines[4200] = json!({"name": "C4200", "email": "c1@example.cn"}).to_string();
        let (status, _) = upload(&app, token, &job, "application/x-ndjson", lines.join("\n")).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let done = settled(&app, token, &job, 60).await;
        assert_eq!(done["status"], "failed", "{done}");
        assert_eq!(done["created_rows"], 0);
        assert_eq!(done["failed_rows"], 1);
        assert!(
            done["error"]
                .as_str()
                .unwrap()
                .contains("nothing was written")
        );
        assert_eq!(
            errors(&app, token, &job).await,
            [(4201, "email".to_owned(), "email_taken".to_owned())]
        );
        assert_eq!(
            app.customer_count().await,
            0,
            "not one of the 4,499 good rows was written"
        );

        // Run again, it fails again the same way; an unknown column refuses the file at once.
        let (status, again) = app
            .send(
                Method::POST,
                &format!("/api/v1/imports/{}/retry", job["id"].as_str().unwrap()),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{again}");
        let done = settled(&app, token, &job, 60).await;
        assert_eq!(
            (done["status"].as_str(), done["attempts"].as_i64()),
            (Some("failed"), Some(1))
        );
        let csv = create_import(
            &app,
            token,
            json!({"resource_type": "customers", "format": "csv"}),
        )
        .await;
        upload(
            &app,
            token,
            &csv,
            "text/csv",
            "name,shoe size\nBo,42\n".to_owned(),
        )
        .await;
        let done = settled(&app, token, &csv, 30).await;
        assert_eq!(done["status"], "failed");
        assert_eq!(
            errors(&app, token, &csv).await,
            [(0, "file".to_owned(), "unknown_column".to_owned())]
        );
        assert_eq!(app.customer_count().await, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_imports_back_and_a_sales_users_import_is_theirs() {
    for backend in backends() {
        let source = TestApp::spawn(&backend).await;
        for (name, email) in [
            ("王芳", "wang@example.cn"),
            ("Lee, \"Ann\"", "ann@example.cn"),
            ("=HYPERLINK(\"http://x\")", "formula@example.cn"),
            ("'=quoted", "quoted@example.cn"),
        ] {
            source
                .create_customer(&source.admin_token, json!({"name": name, "email": email, "tags": ["vip", "b2b"], "notes": "two\nlines", "address": {"city": "上海市"}}))
                .await;
        }
        let exported = source
            .request(
                Method::GET,
                "/api/v1/customers/export",
                &source.admin_token,
                None,
            )
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();

        let target = TestApp::spawn(&backend).await;
        let (sales_id, sales) = target.user_with_role("sales").await;
        let job = create_import(
            &target,
            &sales,
            json!({"resource_type": "customers", "format": "csv", "mapping": {"owner_id": null}}),
        )
        .await;
        let (status, _) = upload(&target, &sales, &job, "text/csv", exported).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let done = settled(&target, &sales, &job, 30).await;
        assert_eq!(
            done["status"],
            "completed",
            "{done} {:?}",
            errors(&target, &sales, &job).await
        );
        let (_, page) = target
            .send(Method::GET, "/api/v1/customers?sort=name", &sales, None)
            .await;
        let names: Vec<&str> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        // Cells the export neutralised for spreadsheets come back as they were.
        assert_eq!(
            names,
            [
                "'=quoted",
                "=HYPERLINK(\"http://x\")",
                "Lee, \"Ann\"",
                "王芳"
            ]
        );
        assert!(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["owner_id"] == sales_id.to_string())
        );
        assert_eq!(page["data"][2]["notes"], "two\nlines");
        assert_eq!(page["data"][2]["tags"], json!(["vip", "b2b"]));

        // Another user's imports are not theirs to see.
        let (_, other) = target.user_with_role("sales").await;
        let (status, _) = target
            .send(
                Method::GET,
                &format!("/api/v1/imports/{}", job["id"].as_str().unwrap()),
                &other,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, mine) = target
            .send(
                Method::GET,
                "/api/v1/imports?include_total=true",
                &sales,
                None,
            )
            .await;
        assert_eq!(mine["total"], 1);
    }
}

/// A server in a process of its own on `app`'s database, running the import worker with a short
/// lease, so the test can kill it mid-job.
fn worker_process(app: &TestApp) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_rapport-test-server"))
        .env_clear()
        .env("DATABASE_URL", &app.database_url)
        .env("RAPPORT_BIND", "127.0.0.1:0")
        .env("RAPPORT_JOB_LEASE", "2")
        .env("RAPPORT_LOG_LEVEL", "warn")
        .env("RAPPORT_ADMIN_PASSWORD", "unused admin password")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the test server starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_in_an_all_or_nothing_import_leaves_nothing_and_the_job_finishes_later() {
    for backend in backends() {
        let app = TestApp::spawn_with(&backend, |c| c.scheduler = false).await;
        let token = &app.admin_token;
        let rows = 40_000;
        let mut file = String::from("name,email,address.city,tags\n");
        for i in 0..rows {
            file.push_str(&format!("Customer {i},c{i}@example.cn,上海市,vip|import\n"));
        }
        let job = create_import(
            &app,
            token,
            json!({"resource_type": "customers", "format": "csv", "mode": "all_or_nothing"}),
        )
        .await;
        let id = job["id"].as_str().unwrap().to_owned();
        let (status, _) = upload(&app, token, &job, "text/csv", file).await;
        assert_eq!(status, StatusCode::ACCEPTED);

        let mut worker = worker_process(&app);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (_, now) = app
                .send(Method::GET, &format!("/api/v1/imports/{id}"), token, None)
                .await;
            let running = now["status"] == "running";
            let under_way = match backend {
                // PostgreSQL reports progress from its own connection while the rows are written.
                Backend::Postgres(_) => now["processed_rows"].as_i64().unwrap_or(0) >= 4_000,
                // SQLite's single writer is the import's until it ends: wait a little instead.
                Backend::Sqlite => running,
            };
            if under_way {
                if matches!(backend, Backend::Sqlite) {
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                }
                break;
            }
            assert!(Instant::now() < deadline, "the worker did not start: {now}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        worker.kill().expect("kill the worker");
        worker.wait().expect("the worker is gone");

        let (_, after_crash) = app
            .send(Method::GET, &format!("/api/v1/imports/{id}"), token, None)
            .await;
        assert_eq!(
            after_crash["status"], "running",
            "the crash came before the end: {after_crash}"
        );
        assert_eq!(
            app.customer_count().await,
            0,
            "no part of the file was written"
        );

        let mut worker = worker_process(&app);
        let done = settled(&app, token, &job, 240).await;
        worker.kill().ok();
        worker.wait().ok();
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["attempts"], 2, "taken over once the lease ran out");
        assert_eq!(done["created_rows"], rows);
        assert_eq!(app.customer_count().await, rows as u64);
        let (_, tags) = app
            .send(Method::GET, "/api/v1/tags?prefix=import", token, None)
            .await;
        assert_eq!(tags["data"][0]["customer_count"], rows);
    }
}

/// The products with this external id or sku, as a search finds them.
async fn products_named(app: &TestApp, field: &str, value: &str) -> Vec<Value> {
    let (status, page) = app
        .send(
            Method::POST,
            "/api/v1/products/search",
            &app.admin_token,
            Some(json!({"filter": {"field": field, "op": "eq", "value": value}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["data"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_of_product_rows_syncs_the_catalogue() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = app.admin_token.clone();
        let job = create_import(
            &app,
            &token,
            json!({"resource_type": "products", "format": "csv", "mode": "skip_invalid",
                   "mapping": {"商品编码": "external_id", "尺码": "options.size", "备注": null}}),
        )
        .await;
        assert_eq!(job["resource_type"], "products");
        // One variant a row, the product's fields repeated; the second row adds a variant to the
        // first row's product; a row naming only a sku makes a product of its own.
        let file = "\u{feff}商品编码,name,sku,尺码,price,currency,stock,images,备注\n\
            erp-1,跑步鞋 Pro,RUN-42,42,49900,CNY,5,https://img.example.cn/a.jpg|https://img.example.cn/b.jpg,x\n\
            erp-1,跑步鞋 Pro,RUN-43,43,49900,CNY,'-1,,x\n\
            erp-1,跑步鞋 Pro,RUN-44,44,49900,CNY,2,,x\n\
            ,龙井茶,TEA-250,,12900,CNY,40,,x\n\
            ,,TEA-500,,abc,CNY,1,,x\n\
            erp-2,Socks,RUN-42,,100,CNY,1,,x\n";
        let (status, _) = upload(&app, &token, &job, "text/csv", file.to_owned()).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let done = settled(&app, &token, &job, 30).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(
            (
                done["processed_rows"].clone(),
                done["created_rows"].clone(),
                done["failed_rows"].clone()
            ),
            (json!(6), json!(3), json!(3))
        );
        let refused = errors(&app, &token, &job).await;
        assert_eq!(
            refused
                .iter()
                .map(|(row, field, code)| (*row, field.as_str(), code.as_str()))
                .collect::<Vec<_>>(),
            [
                (2, "stock", "out_of_range"),
                (5, "price", "invalid_type"),
                (6, "sku", "sku_taken"),
            ],
            "named by the file's columns"
        );
        let shoes = products_named(&app, "external_id", "erp-1").await;
        assert_eq!(shoes.len(), 1);
        let variants: Vec<(String, i64)> = shoes[0]["variants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["options"]["size"].as_str().unwrap().to_owned(),
                    v["stock"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(variants, [("42".to_owned(), 5), ("44".to_owned(), 2)]);
        assert_eq!(shoes[0]["images"].as_array().unwrap().len(), 2);
        assert_eq!(
            products_named(&app, "variants.sku", "TEA-250").await.len(),
            1
        );
        assert!(
            products_named(&app, "external_id", "erp-2")
                .await
                .is_empty()
        );

        // The same file again in JSON lines, all or nothing: a count moves the stock through the
        // ledger, and a refused line leaves everything as it was.
        let job = create_import(
            &app,
            &token,
            json!({"resource_type": "products", "format": "ndjson"}),
        )
        .await;
        let lines = "{\"external_id\":\"erp-1\",\"sku\":\"RUN-42\",\"stock\":9}\n\
            {\"sku\":\"NEW-1\",\"name\":\"New\"}\n";
        upload(&app, &token, &job, "application/x-ndjson", lines.to_owned()).await;
        let done = settled(&app, &token, &job, 30).await;
        assert_eq!(done["status"], "failed", "{done}");
        let refused = errors(&app, &token, &job).await;
        assert_eq!(
            refused
                .iter()
                .map(|(row, field, code)| (*row, field.as_str(), code.as_str()))
                .collect::<Vec<_>>(),
            [(2, "price", "required"), (2, "currency", "required")]
        );
        let shoes = products_named(&app, "external_id", "erp-1").await;
        assert_eq!(shoes[0]["variants"][0]["stock"], 5, "nothing was written");
        let job = create_import(
            &app,
            &token,
            json!({"resource_type": "products", "format": "ndjson"}),
        )
        .await;
        upload(
            &app,
            &token,
            &job,
            "application/x-ndjson",
            "{\"external_id\":\"erp-1\",\"sku\":\"RUN-42\",\"stock\":9,\"options\":{\"size\":\"42\"}}\n"
                .to_owned(),
        )
        .await;
        let done = settled(&app, &token, &job, 30).await;
        assert_eq!(done["status"], "completed", "{done}");
        let shoes = products_named(&app, "external_id", "erp-1").await;
        assert_eq!(shoes[0]["variants"][0]["stock"], 9);

        // A product column in a customer file is unknown; who may not write products may not
        // import them.
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/imports",
                &token,
                Some(
                    json!({"resource_type": "customers", "format": "csv", "mapping": {"x": "sku"}}),
                ),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        let (_, sales) = app.user_with_role("sales").await;
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/imports",
                &sales,
                Some(json!({"resource_type": "products", "format": "csv"})),
            )
            .await;
        assert_problem(status, &problem, 403, "forbidden");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_export_imports_back_unchanged() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = app.admin_token.clone();
        app.define_field("product", "labels", "multi_enum", &["new", "sale"], false)
            .await;
        app.define_field("product", "weight_g", "number", &[], false)
            .await;
        let (status, made) = app
            .send(
                Method::POST,
                "/api/v1/products/batch",
                &token,
                Some(json!({"products": [
                    {"external_id": "erp-1", "name": "=跑步鞋, \"Pro\"", "description": "line one\nline two",
                     "custom_fields": {"labels": ["new", "sale"], "weight_g": 320},
                     "images": ["https://img.example.cn/a.jpg", "https://img.example.cn/b.jpg"], "variants": [
                        {"sku": "RUN-42", "options": {"colour": "红", "size": "42"}, "price": 49900, "currency": "CNY", "stock": 5, "low_stock_threshold": 2},
                        {"sku": "RUN-43", "options": {"colour": "红", "size": "43"}, "price": 49900, "currency": "CNY", "stock": 0}
                    ]},
                    {"name": "龙井茶", "status": "archived", "variants": [{"sku": "TEA-250", "price": 12900, "currency": "CNY", "stock": 40}]}
                ]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{made}");
        let before = products_named(&app, "status", "active").await;

        let (status, content_type, file) = app
            .download("/api/v1/products/export?bom=true", &token)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(content_type.starts_with("text/csv"), "{content_type}");
        let text = String::from_utf8(file).unwrap();
        let rows = rapport_tests::csv_rows(text.trim_start_matches('\u{feff}').as_bytes());
        assert_eq!(rows.len(), 3, "one row per variant: {text}");
        assert_eq!(rows[0]["options"], "colour=红|size=42");
        assert_eq!(
            rows[0]["images"],
            "https://img.example.cn/a.jpg|https://img.example.cn/b.jpg"
        );
        assert_eq!(
            rows[0]["name"], "'=跑步鞋, \"Pro\"",
            "a formula is neutralised"
        );
        assert_eq!(rows[2]["status"], "archived");
        assert_eq!(rows[0]["custom_fields.labels"], "new|sale");
        assert_eq!(rows[0]["custom_fields.weight_g"], "320");
        assert_eq!(rows[2]["custom_fields.labels"], "");

        // The file, imported as it is, changes nothing: every row names what exists, as it is.
        let job = create_import(
            &app,
            &token,
            json!({"resource_type": "products", "format": "csv"}),
        )
        .await;
        upload(&app, &token, &job, "text/csv", text).await;
        let done = settled(&app, &token, &job, 30).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["created_rows"], 3);
        assert_eq!(products_named(&app, "status", "active").await, before);
        let tea = products_named(&app, "variants.sku", "TEA-250").await;
        assert_eq!(
            tea.len(),
            1,
            "the product without an external id is found by its sku"
        );
        assert_eq!(tea[0]["version"], 1);

        // JSON lines: one product per line, as `GET /products/{id}` answers it.
        let (_, content_type, file) = app
            .download(
                "/api/v1/products/export?format=ndjson&status=active",
                &token,
            )
            .await;
        assert_eq!(content_type, "application/x-ndjson");
        let lines: Vec<Value> = String::from_utf8(file)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines, before);
    }
}

/// Order history from a shop's file: each row one line, the rows of an order written together in
/// the state it reached; a refused row refuses its order only; and the order export imports back
/// unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_history_is_imported_line_by_line_and_an_export_imports_back() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = app.admin_token.clone();
        let (status, tea) = app
            .send(
                Method::POST,
                "/api/v1/products",
                &token,
                Some(json!({"name": "龙井茶", "variants": [{"sku": "TEA-1", "price": 1500, "currency": "CNY", "stock": 9}]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{tea}");
        let buyer = app.create_customer(&token, json!({"name": "王芳"})).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let file = format!(
            "external_id,customer_id,currency,status,payment.method,payment.paid_at,placed_at,line.sku,line.description,line.quantity,line.unit_price\n\
             shop-1,{buyer},CNY,paid,alipay,2026-10-01T08:00:00Z,2026-10-01T07:59:00Z,TEA-1,,2,1200\n\
             shop-1,{buyer},CNY,paid,alipay,2026-10-01T08:00:00Z,2026-10-01T07:59:00Z,,Gift wrap,1,300\n\
             shop-2,{buyer},CNY,pending,,,,,Consultation,1,5000\n\
             shop-3,{buyer},CNY,paid,,,,,Consultation,1,5000\n\
             shop-4,{buyer},CNY,pending,,,,NO-SUCH-SKU,,1,\n\
             shop-4,{buyer},CNY,pending,,,,,Consultation,zero,5000\n"
        );
        let job = create_import(
            &app,
            &token,
            json!({"resource_type": "orders", "format": "csv", "mode": "skip_invalid"}),
        )
        .await;
        upload(&app, &token, &job, "text/csv", file).await;
        let done = settled(&app, &token, &job, 30).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["created_rows"], 3, "{done}");
        let mut found = errors(&app, &token, &job).await;
        found.sort();
        assert_eq!(
            found,
            [
                (4, "payment".to_owned(), "required".to_owned()),
                (5, String::new(), "order_refused".to_owned()),
                (6, "line.quantity".to_owned(), "invalid_type".to_owned()),
            ]
        );
        let first = app.order_by_external_id("shop-1").await;
        assert_eq!(first["status"], "paid");
        assert_eq!(first["created_at"], "2026-10-01T07:59:00Z");
        let lines: Vec<(Value, Value, Value)> = first["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["sku"].clone(), l["name"].clone(), l["line_total"].clone()))
            .collect();
        assert_eq!(
            lines,
            [
                (json!("TEA-1"), json!("龙井茶"), json!(2400)),
                (Value::Null, json!("Gift wrap"), json!(300)),
            ]
        );
        assert_eq!(
            app.order_by_external_id("shop-2").await["status"],
            "pending"
        );
        let (_, figures) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{buyer}"),
                &token,
                None,
            )
            .await;
        assert_eq!(figures["total_spent"], 2700, "{figures}");

        // The export, imported as it is, changes nothing.
        let (status, _, exported) = app.download("/api/v1/orders/export", &token).await;
        assert_eq!(status, StatusCode::OK);
        let job = create_import(
            &app,
            &token,
            json!({"resource_type": "orders", "format": "csv"}),
        )
        .await;
        upload(
            &app,
            &token,
            &job,
            "text/csv",
            String::from_utf8(exported).unwrap(),
        )
        .await;
        let done = settled(&app, &token, &job, 30).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["created_rows"], 3, "{done}");
        let again = app.order_by_external_id("shop-1").await;
        assert_eq!(again["version"], first["version"], "{again}");
        assert_eq!(again["lines"], first["lines"]);
    }
}
