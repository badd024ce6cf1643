//! What the audit trail records beside changes: sign-ins and their failures, lockouts, reused
//! refresh tokens, refused requests (403, and 404 on a record beyond the caller's scope), exports
//! of customers and of one customer's data. Who, what, when and from where, never a secret.

use rapport_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The audit events of one action, newest first.
async fn events(app: &TestApp, action: &str) -> Vec<Value> {
    let (status, page) = app
        .send(
            Method::GET,
            &format!("/api/v1/audit-events?action={action}&limit=200"),
            &app.admin_token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["data"].as_array().unwrap().clone()
}

/// The whole trail as text, to look for what must never be in it.
async fn whole_trail(app: &TestApp) -> String {
    let (_, page) = app
        .send(
            Method::GET,
            "/api/v1/audit-events?limit=200",
            &app.admin_token,
            None,
        )
        .await;
    page.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_failures_lockouts_and_reused_tokens_are_recorded_without_secrets() {
    for backend in backends() {
        let app = TestApp::spawn_with(&backend, |c| c.login_failures_per_account = 2).await;
        let (_, me) = app
            .send(Method::GET, "/api/v1/me", &app.admin_token, None)
            .await;
        let admin_id = me["id"].clone();

        let signed_in = events(&app, "auth.signed_in").await;
        assert_eq!(signed_in.len(), 1, "the harness's own sign-in");
        assert_eq!(signed_in[0]["actor_id"], admin_id);
        assert_eq!(signed_in[0]["resource_id"], admin_id);
        assert_eq!(signed_in[0]["ip"], "127.0.0.1");
        assert!(
            signed_in[0]["request_id"]
                .as_str()
                .is_some_and(|r| !r.is_empty())
        );

        // A wrong password, an unknown account, and a password typed into the email field.
        let (status, _) = app.login_pair(ADMIN_EMAIL, "wrong password 1").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = app
            .login_pair("nobody@rapport.test", "wrong password 2")
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = app.login_pair("my secret passphrase", "x").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let failed = events(&app, "auth.sign_in_failed").await;
        assert_eq!(failed.len(), 3, "{failed:?}");
        let [typed, unknown, wrong] = [&failed[0], &failed[1], &failed[2]];
        assert_eq!(wrong["resource_id"], admin_id);
        assert_eq!(wrong["actor_type"], "anonymous");
        assert_eq!(wrong["actor_id"], Value::Null);
        assert_eq!(
            wrong["detail"],
            json!({"email": ADMIN_EMAIL, "reason": "wrong_password"})
        );
        assert_eq!(unknown["resource_id"], Value::Null);
        assert_eq!(unknown["detail"]["reason"], "unknown_account");
        assert_eq!(
            typed["detail"]["email"],
            Value::Null,
            "not an email: not recorded"
        );

        // The second failure for the account locks it: recorded once.
        let (status, _) = app.login_pair(ADMIN_EMAIL, "wrong password 3").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = app.login_pair(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        let (status, _) = app.login_pair(ADMIN_EMAIL, "wrong password 4").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        let locked = events(&app, "auth.locked_out").await;
        assert_eq!(locked.len(), 1, "{locked:?}");
        assert_eq!(locked[0]["resource_id"], admin_id);
        assert_eq!(locked[0]["detail"]["locked"], "account");

        let trail = whole_trail(&app).await;
        for secret in ["wrong password", ADMIN_PASSWORD, "my secret passphrase"] {
            assert!(!trail.contains(secret), "{secret} is in the trail");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_refresh_token_is_recorded_against_its_user() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, me) = app
            .send(Method::GET, "/api/v1/me", &app.admin_token, None)
            .await;
        let (_, pair) = app.login_pair(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
        for expected in [StatusCode::OK, StatusCode::UNAUTHORIZED] {
            let response = app
                .client
                .post(app.url("/api/v1/auth/refresh"))
                .json(&json!({"refresh_token": refresh}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), expected);
        }
        let reused = events(&app, "auth.refresh_token_reused").await;
        assert_eq!(reused.len(), 1, "{reused:?}");
        assert_eq!(reused[0]["resource_id"], me["id"]);
        assert_eq!(reused[0]["ip"], "127.0.0.1");
        assert!(!whole_trail(&app).await.contains(&refresh));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_recorded_and_a_record_beyond_scope_looks_missing() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (viewer_id, viewer) = app.user_with_role("viewer").await;
        let (sales_id, sales) = app.user_with_role("sales").await;
        let customer = app
            .create_customer(&app.admin_token, json!({"name": "Owned by nobody"}))
            .await;
        let id = customer["id"].as_str().unwrap();

        // 403: a viewer may not delete.
        let (status, body) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/customers/{id}"),
                &viewer,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        // 404 beyond scope: the sales user does not own it, and gets what a missing one gets.
        let (status, beyond) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{id}"),
                &sales,
                None,
            )
            .await;
        let missing_id = "01939f8e-0000-7000-8000-000000000000";
        let (missing_status, missing) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{missing_id}"),
                &sales,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(missing_status, StatusCode::NOT_FOUND);
        for field in ["type", "title", "status", "detail", "code"] {
            assert_eq!(beyond[field], missing[field], "{field}");
        }
        let (status, _) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/customers/{id}"),
                &sales,
                Some(json!({"name": "Mine now"})),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let denied = events(&app, "access.denied").await;
        assert_eq!(
            denied.len(),
            3,
            "the missing record is no refusal: {denied:?}"
        );
        let [patched, read, deleted] = [&denied[0], &denied[1], &denied[2]];
        assert_eq!(deleted["actor_id"], viewer_id.to_string());
        assert_eq!(deleted["resource_type"], "customer");
        assert_eq!(deleted["resource_id"], id);
        assert_eq!(deleted["detail"]["code"], "forbidden");
        assert_eq!(deleted["detail"]["method"], "DELETE");
        assert_eq!(deleted["detail"]["route"], "/api/v1/customers/{id}");
        for event in [read, patched] {
            assert_eq!(event["actor_id"], sales_id.to_string());
            assert_eq!(event["resource_id"], id);
            assert_eq!(event["detail"]["status"], 404);
            assert_eq!(event["detail"]["code"], "beyond_scope");
        }
        assert_eq!(patched["detail"]["method"], "PATCH");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_record_who_took_what() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (viewer_id, viewer) = app.user_with_role("viewer").await;
        let customer = app
            .create_customer(
                &app.admin_token,
                json!({"name": "王芳", "email": "wang.fang@example.cn"}),
            )
            .await;
        let id = customer["id"].as_str().unwrap();
        let response = app
            .request(
                Method::GET,
                "/api/v1/customers/export?format=ndjson&q=wang&lifecycle_stage=lead",
                &viewer,
                None,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.bytes().await.unwrap();
        let (status, _) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{id}/data-export"),
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);

        let exported = events(&app, "customers.exported").await;
        assert_eq!(exported.len(), 1);
        let detail = &exported[0]["detail"];
        assert_eq!(exported[0]["actor_id"], viewer_id.to_string());
        assert_eq!(detail["format"], "ndjson");
        assert_eq!(detail["contact_details"], "masked");
        assert_eq!(detail["lifecycle_stage"], "lead");
        assert_eq!(detail["q"], true, "that text was searched, not the text");
        assert!(!exported[0].to_string().contains("wang"));
        let data = events(&app, "customer.data_exported").await;
        assert_eq!(data.len(), 1);
        assert_eq!(data[0]["resource_id"], id);
    }
}
