//! The conventions every resource shares, seen from outside: problem+json for every error, the
//! framework's own included; request ids; security headers; strict query strings; bodies that
//! are JSON objects.

use rapport_tests::{TestApp, assert_problem, backends, error_fields, read};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framework_errors_are_problem_json() {
    let backend = &backends()[0];
    let app = TestApp::spawn_with(backend, |c| c.body_limit = 1024).await;
    let token = &app.admin_token;
    let cases = [
        (app.client.get(app.url("/no/such/route")), 404, "not_found"),
        (
            app.client
                .put(app.url("/api/v1/customers"))
                .bearer_auth(token),
            405,
            "method_not_allowed",
        ),
        (
            app.client
                .get(app.url("/api/v1/customers/not-a-uuid"))
                .bearer_auth(token),
            404,
            "not_found",
        ),
        (
            app.client
                .post(app.url("/api/v1/customers"))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body("{\"name\":"),
            400,
            "bad_request",
        ),
        (
            app.client
                .post(app.url("/api/v1/customers"))
                .bearer_auth(token)
                .header("content-type", "text/plain")
                .body("name"),
            415,
            "unsupported_media_type",
        ),
        (
            app.client
                .post(app.url("/api/v1/customers"))
                .bearer_auth(token)
                .json(&json!({"name": "x".repeat(5000)})),
            413,
            "payload_too_large",
        ),
        (
            app.client.get(app.url("/api/v1/customers")),
            401,
            "unauthenticated",
        ),
    ];
    for (request, status, code) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{code}"
        );
        if status == 405 {
            assert_eq!(response.headers()["allow"], "GET, POST");
        }
        if status == 401 {
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
        }
        let (actual, body) = read(response).await;
        assert_problem(actual, &body, status, code);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_is_an_object_even_where_every_field_may_be_left_out() {
    let backend = &backends()[0];
    let app = TestApp::spawn(backend).await;
    let token = &app.admin_token;
    for (method, path) in [
        (Method::PATCH, "/api/v1/settings/deal-reminders"),
        (Method::PATCH, "/api/v1/settings/workspace"),
        (Method::POST, "/api/v1/customers"),
    ] {
        for body in [json!([]), json!([3, 7]), json!("x"), json!(7)] {
            let (status, problem) = app
                .send(method.clone(), path, token, Some(body.clone()))
                .await;
            assert_problem(status, &problem, 422, "validation_failed");
            assert_eq!(
                problem["errors"][0]["code"], "invalid_type",
                "{path} {body}: {problem}"
            );
        }
    }
    let (_, settings) = app
        .send(Method::GET, "/api/v1/settings/deal-reminders", token, None)
        .await;
    assert_eq!(
        settings["version"], 1,
        "a refused body changed the settings: {settings}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_query_parameters_are_named() {
    let backend = &backends()[0];
    let app = TestApp::spawn(backend).await;
    for (query, parameter) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("sort=email", "sort"),
        ("sort=name,%20created_at", "sort"),
        ("cursor=garbage", "cursor"),
        ("lifecycle_stage=vip", "lifecycle_stage"),
        ("colour=red", "colour"),
    ] {
        let (status, body) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers?{query}"),
                &app.admin_token,
                None,
            )
            .await;
        assert_problem(status, &body, 400, "bad_request");
        assert_eq!(body["errors"][0]["field"], parameter, "{query}: {body}");
    }
}

/// A NUL byte is text SQLite stores and PostgreSQL refuses: both must answer 400/422, never 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_are_refused_by_name_on_every_database() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let too_long_tag = format!("/api/v1/customers?tag={}", "x".repeat(51));
        for (path, parameter) in [
            ("/api/v1/customers?q=a%00b", "q"),
            ("/api/v1/customers?tag=vip%07", "tag"),
            ("/api/v1/leads?source=fair%00", "source"),
            (too_long_tag.as_str(), "tag"),
            ("/api/v1/events?types=customer.created,%00", "types"),
            (
                "/api/v1/audit-events?resource_type=customer%00",
                "resource_type",
            ),
        ] {
            let (status, body) = app.send(Method::GET, path, &app.admin_token, None).await;
            assert_problem(status, &body, 400, "bad_request");
            assert_eq!(body["errors"][0]["field"], parameter, "{path}: {body}");
        }
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/customers",
                &app.admin_token,
                Some(
                    json!({"name": "A", "custom_fields": {"note": "a\u{0}b", "nested": {"a": 1}}}),
                ),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        let fields = error_fields(&body);
        assert_eq!(
            fields,
            ["custom_fields.note", "custom_fields.nested"],
            "{body}"
        );
        app.define_field("customer", "note", "text", &[], false)
            .await;
        app.define_field("customer", "sizes", "multi_enum", &["s", "m"], false)
            .await;
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/customers",
                &app.admin_token,
                Some(json!({"name": "A", "custom_fields": {"note": "line\nnext", "sizes": ["s", "m"]}})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_match_takes_one_strong_tag_and_idempotency_keys_are_visible_ascii() {
    let backend = &backends()[0];
    let app = TestApp::spawn(backend).await;
    let token = &app.admin_token;
    let customer = app
        .create_customer(token, json!({"name": "Tag test"}))
        .await;
    let path = format!("/api/v1/customers/{}", customer["id"].as_str().unwrap());
    for malformed in ["1", "\"1\", \"2\"", "\"\"", "\"one\"", "W/1"] {
        let (status, body) = read(
            app.request(Method::PATCH, &path, token, Some(json!({"notes": "x"})))
                .header("if-match", malformed)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_problem(status, &body, 400, "bad_request");
        assert_eq!(
            body["errors"][0]["field"], "If-Match",
            "{malformed}: {body}"
        );
    }
    // A weak tag is well-formed, but If-Match compares strongly: it never matches.
    let (status, body) = read(
        app.request(Method::PATCH, &path, token, Some(json!({"notes": "x"})))
            .header("if-match", "W/\"1\"")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &body, 412, "precondition_failed");
    let (status, body) = read(
        app.request(
            Method::POST,
            "/api/v1/customers",
            token,
            Some(json!({"name": "Key test"})),
        )
        .header("idempotency-key", "a key with spaces")
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_problem(status, &body, 400, "bad_request");
    assert_eq!(body["errors"][0]["field"], "Idempotency-Key", "{body}");
    let (_, unchanged) = app.send(Method::GET, &path, token, None).await;
    assert_eq!(unchanged["version"], 1, "nothing changed: {unchanged}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_and_security_headers_are_on_every_response() {
    let backend = &backends()[0];
    let app = TestApp::spawn(backend).await;
    let response = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "trace-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-123");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(response.headers().contains_key("content-security-policy"));
    assert!(!response.headers().contains_key("server"));
    let response = app
        .client
        .get(app.url("/api/v1/customers/01939f8e-0000-7000-8000-000000000000"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    let generated = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["request_id"], generated.as_str());
    // Answers with personal data are never cached; the Swagger UI is never framed.
    let response = app
        .client
        .get(app.url("/api/v1/customers"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    let response = app
        .client
        .get(app.url("/swagger-ui/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_are_let_in_only_from_configured_origins() {
    let backend = &backends()[0];
    let preflight = |app: &TestApp, origin: &str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/v1/customers"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };

    let closed = TestApp::spawn(backend).await;
    let response = closed
        .client
        .get(closed.url("/health/live"))
        .header("origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    for name in ["access-control-allow-origin", "vary"] {
        assert!(
            !response.headers().contains_key(name),
            "{name} without any origin configured"
        );
    }
    let response = preflight(&closed, "https://shop.example").await.unwrap();
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );

    let open = TestApp::spawn_with(backend, |c| {
        c.cors_origins = vec!["https://shop.example".into()];
    })
    .await;
    let response = preflight(&open, "https://shop.example").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let methods = response.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("PATCH"), "{methods}");
    let response = open
        .client
        .get(open.url("/api/v1/customers?limit=1"))
        .bearer_auth(&open.admin_token)
        .header("origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("etag") && exposed.contains("x-request-id"),
        "{exposed}"
    );
    let response = preflight(&open, "https://elsewhere.example").await.unwrap();
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problem_texts_follow_accept_language_and_codes_do_not() {
    let backend = &backends()[0];
    let app = TestApp::spawn(backend).await;
    let response = app
        .request(
            Method::POST,
            "/api/v1/customers",
            &app.admin_token,
            Some(json!({"name": "", "email": "x"})),
        )
        .header("accept-language", "zh-CN,zh;q=0.9")
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["title"], "校验失败");
    assert_eq!(body["errors"][0]["code"], "blank");
    assert_eq!(body["errors"][0]["message"], "不能为空");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_the_database() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (status, body) = read(
            app.client
                .get(app.url("/health/ready"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["database"], "ok");
        let response = app
            .client
            .get(app.url("/swagger-ui/"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "the Swagger UI is served from the binary"
        );
        let response = app.client.get(app.url("/swagger-ui")).send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "the redirect leads to the UI"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budgets_are_announced_and_enforced_with_retry_after() {
    let backend = &backends()[0];
    let app = TestApp::spawn_with(backend, |c| c.rate_limit = 5).await;
    let mut last = None;
    for expected_remaining in (0..5).rev() {
        let response = app
            .request(Method::GET, "/api/v1/customers", &app.admin_token, None)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["ratelimit-policy"],
            "\"default\";q=5;w=60"
        );
        let state = response.headers()["ratelimit"].to_str().unwrap().to_owned();
        assert!(
            state.starts_with(&format!("\"default\";r={expected_remaining};t=")),
            "{state}"
        );
        last = Some(state);
    }
    assert!(last.is_some());
    let response = app
        .request(Method::GET, "/api/v1/customers", &app.admin_token, None)
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let (status, body) = read(response).await;
    assert_problem(status, &body, 429, "rate_limited");
    let other = app
        .request(Method::GET, "/health/live", "", None)
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        StatusCode::OK,
        "health checks are not budgeted"
    );
}
