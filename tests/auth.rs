//! Sign-in, token rotation and the attacks a bearer-token API must refuse.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rapport_tests::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestApp, USER_PASSWORD, assert_problem, backends, read,
    within_two_seconds,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn secret(app: &TestApp) -> String {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(app.database_url.as_str()).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT value FROM settings WHERE key = 'jwt_secret'",
        ))
        .await
        .unwrap()
        .unwrap();
    let value: Value = row.try_get("", "value").unwrap();
    db.close().await.ok();
    value.as_str().unwrap().to_owned()
}

fn base_claims(sub: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"sub": sub, "iss": "rapport", "aud": "rapport-api", "exp": now + 300, "nbf": now - 1, "iat": now})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_me_refresh_and_logout() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (status, pair) = app.login_pair(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(pair["token_type"], "Bearer");
        assert_eq!(pair["expires_in"], 900);
        let access = pair["access_token"].as_str().unwrap();
        let (status, me) = app.send(Method::GET, "/api/v1/me", access, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["email"], ADMIN_EMAIL);
        assert_eq!(me["role"], "admin");
        assert!(me.get("password_hash").is_none());

        let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
        let rotate = |token: String| {
            app.client
                .post(app.url("/api/v1/auth/refresh"))
                .json(&json!({"refresh_token": token}))
                .send()
        };
        let (status, next) = rapport_tests::read(rotate(refresh.clone()).await.unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{next}");
        let next_refresh = next["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(next_refresh, refresh);

        // The rotated token presented again: the whole family is revoked, the newer token included.
        let (status, body) = rapport_tests::read(rotate(refresh).await.unwrap()).await;
        assert_problem(status, &body, 401, "unauthenticated");
        let (status, body) = rapport_tests::read(rotate(next_refresh).await.unwrap()).await;
        assert_problem(status, &body, 401, "unauthenticated");

        let (_, pair) = app.login_pair(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
        let response = app
            .client
            .post(app.url("/api/v1/auth/logout"))
            .json(&json!({"refresh_token": refresh}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let (status, _) = rapport_tests::read(rotate(refresh).await.unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_unknown_account_get_the_same_answer() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (s1, wrong) = app.login_pair(ADMIN_EMAIL, "not the password").await;
        let (s2, unknown) = app
            .login_pair("nobody@rapport.test", "not the password")
            .await;
        assert_problem(s1, &wrong, 401, "unauthenticated");
        assert_problem(s2, &unknown, 401, "unauthenticated");
        assert_eq!(wrong["detail"], unknown["detail"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_accounts_need_a_real_email_an_uncommon_password_and_a_plain_name() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/users",
                &app.admin_token,
                Some(json!({
                    "email": "ops@localhost", "display_name": "Ops\u{202E}nimda", "role": "sales",
                    "password": "Password123"
                })),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        let mut found: Vec<(&str, &str)> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
            .collect();
        found.sort_unstable();
        assert_eq!(
            found,
            [
                ("display_name", "invalid_characters"),
                ("email", "invalid_email"),
                ("password", "common_password"),
            ]
        );
        // Sign-in refuses what is longer than any account's email or password, before any work.
        for (email, password) in [
            (format!("{}@x.cn", "a".repeat(251)), "p".repeat(10)),
            ("a@x.cn".to_owned(), "p".repeat(129)),
        ] {
            let (status, body) = app.login_pair(&email, &password).await;
            assert_problem(status, &body, 422, "validation_failed");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_are_throttled_with_retry_after() {
    for backend in backends() {
        let app = TestApp::spawn_with(&backend, |c| c.login_failures_per_account = 3).await;
        for _ in 0..3 {
            let (status, _) = app.login_pair(ADMIN_EMAIL, "wrong password!").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let response = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry > 0);
        let (status, body) = rapport_tests::read(response).await;
        assert_problem(status, &body, 429, "rate_limited");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_expired_and_misaddressed_tokens_are_refused() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let secret = secret(&app).await;
        let key = EncodingKey::from_secret(secret.as_bytes());
        let (_, me) = app
            .send(Method::GET, "/api/v1/me", &app.admin_token, None)
            .await;
        let sub = me["id"].as_str().unwrap();
        let sign = |claims: &Value| {
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).unwrap()
        };
        assert_eq!(
            app.send(Method::GET, "/api/v1/me", &sign(&base_claims(sub)), None)
                .await
                .0,
            StatusCode::OK,
            "control: a well-formed token works"
        );

        let now = chrono::Utc::now().timestamp();
        let mut attacks: Vec<(&str, String)> = Vec::new();
        let mut claims = base_claims(sub);
        claims["exp"] = json!(now - 120);
        attacks.push(("expired", sign(&claims)));
        let mut claims = base_claims(sub);
        claims["nbf"] = json!(now + 600);
        attacks.push(("not yet valid", sign(&claims)));
        let mut claims = base_claims(sub);
        claims["aud"] = json!("someone-else");
        attacks.push(("wrong audience", sign(&claims)));
        let mut claims = base_claims(sub);
        claims["iss"] = json!("evil");
        attacks.push(("wrong issuer", sign(&claims)));
        let mut claims = base_claims(sub);
        claims.as_object_mut().unwrap().remove("exp");
        attacks.push(("no expiry", sign(&claims)));
        let other = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &base_claims(sub),
            &EncodingKey::from_secret(b"another secret entirely"),
        )
        .unwrap();
        attacks.push(("another key", other));

        use base64::Engine;
        let b64 =
            |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let valid = sign(&base_claims(sub));
        let parts: Vec<&str> = valid.split('.').collect();
        attacks.push((
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                parts[1]
            ),
        ));
        let mut tampered = base_claims(sub);
        tampered["sub"] = json!(uuid::Uuid::now_v7().to_string());
        attacks.push((
            "tampered payload",
            format!("{}.{}.{}", parts[0], b64(&tampered), parts[2]),
        ));
        attacks.push(("garbage", "not-a-jwt".into()));

        for (name, token) in attacks {
            let (status, body) = app.send(Method::GET, "/api/v1/me", &token, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
            assert_eq!(body["code"], "unauthenticated", "{name}");
        }
    }
}

/// The body is checked before If-Match: a role name longer than the document allows is a 422,
/// whatever version the request names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_too_long_role_is_refused_before_the_version_is_compared() {
    let backend = &backends()[0];
    let app = TestApp::spawn(backend).await;
    let (id, _) = app.user_with_role("viewer").await;
    let response = app
        .request(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            &app.admin_token,
            Some(json!({"role": "r".repeat(51)})),
        )
        .header("if-match", "W/\"1\"")
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_problem(status, &body, 422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "role");
    assert_eq!(body["errors"][0]["code"], "too_long");
}

/// A role that cannot exist, too long or with characters no role name has (a NUL, which
/// PostgreSQL refuses in text), is a 422 on every backend, never a database error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_or_user_for_a_role_that_cannot_exist_is_refused() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let admin = &app.admin_token;
        let cases = [
            ("r".repeat(51), "too_long"),
            ("man\u{0}ager".to_owned(), "unknown_role"),
            ("Manager!".to_owned(), "unknown_role"),
        ];
        for (role, code) in cases {
            let (status, body) = app
                .send(
                    Method::POST,
                    "/api/v1/api-keys",
                    admin,
                    Some(json!({"name": "sync", "role": role})),
                )
                .await;
            assert_problem(status, &body, 422, "validation_failed");
            assert_eq!(body["errors"][0]["field"], "role", "{body}");
            assert_eq!(body["errors"][0]["code"], code, "{body}");
            let (status, body) = app
                .send(
                    Method::POST,
                    "/api/v1/users",
                    admin,
                    Some(json!({"email": "new.user@example.cn", "display_name": "New", "role": role, "password": "a long initial password"})),
                )
                .await;
            assert_problem(status, &body, 422, "validation_failed");
            assert_eq!(body["errors"][0]["code"], code, "{body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_user_or_a_changed_role_counts_on_the_next_request() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (id, token) = app.user_with_role("viewer").await;
        let user = format!("/api/v1/users/{id}");
        let (status, _) = app
            .send(
                Method::POST,
                "/api/v1/customers",
                &token,
                Some(json!({"name": "x"})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app
            .send(
                Method::PATCH,
                &user,
                &app.admin_token,
                Some(json!({"role": "manager"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app
            .send(
                Method::POST,
                "/api/v1/customers",
                &token,
                Some(json!({"name": "x"})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "the same token now carries the new role"
        );
        let (status, _) = app
            .send(
                Method::PATCH,
                &user,
                &app.admin_token,
                Some(json!({"status": "disabled"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = app.send(Method::GET, "/api/v1/me", &token, None).await;
        assert_problem(status, &body, 401, "unauthenticated");
        let (_, me) = app
            .send(Method::GET, "/api/v1/me", &app.admin_token, None)
            .await;
        let (status, body) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/users/{}", me["id"].as_str().unwrap()),
                &app.admin_token,
                Some(json!({"status": "disabled"})),
            )
            .await;
        assert_problem(status, &body, 409, "cannot_disable_self");
        let _ = USER_PASSWORD;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_on_one_node_counts_on_every_other() {
    // Two servers on one PostgreSQL database, as behind a load balancer. Each remembers standings
    // between requests; a change on one must reach the other (PostgreSQL NOTIFY).
    for backend in backends().into_iter().filter(|b| *b != Backend::Sqlite) {
        let first = TestApp::spawn(&backend).await;
        let second = first.second_node().await;
        let (id, token) = first.user_with_role("viewer").await;
        let user = format!("/api/v1/users/{id}");
        let create = async || {
            second
                .send(
                    Method::POST,
                    "/api/v1/customers",
                    &token,
                    Some(json!({"name": "x"})),
                )
                .await
                .0
        };
        assert_eq!(
            create().await,
            StatusCode::FORBIDDEN,
            "remembered as a viewer"
        );
        let (status, _) = first
            .send(
                Method::PATCH,
                &user,
                &first.admin_token,
                Some(json!({"role": "manager"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let status = within_two_seconds(create, |s| s == StatusCode::CREATED).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "the second node saw the new role"
        );
        let (status, _) = first
            .send(
                Method::PATCH,
                &user,
                &first.admin_token,
                Some(json!({"status": "disabled"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let me = async || second.send(Method::GET, "/api/v1/me", &token, None).await.0;
        let status = within_two_seconds(me, |s| s == StatusCode::UNAUTHORIZED).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "the second node saw the disabled account"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_are_shown_once_act_with_their_role_and_stop_when_revoked() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let admin = &app.admin_token;
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/api-keys",
                admin,
                Some(
                    json!({"name": "old", "role": "viewer", "expires_at": "2001-01-01T00:00:00Z"}),
                ),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        let response = app
            .request(
                Method::POST,
                "/api/v1/api-keys",
                admin,
                Some(json!({"name": "Shop sync", "role": "viewer"})),
            )
            .header("idempotency-key", "key-create-1")
            .send()
            .await
            .unwrap();
        let (status, created) = rapport_tests::read(response).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let secret = created["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with(created["prefix"].as_str().unwrap()));
        let replay = app
            .request(
                Method::POST,
                "/api/v1/api-keys",
                admin,
                Some(json!({"name": "Shop sync", "role": "viewer"})),
            )
            .header("idempotency-key", "key-create-1")
            .send()
            .await
            .unwrap();
        let (_, replayed) = rapport_tests::read(replay).await;
        assert_eq!(replayed["id"], created["id"]);
        assert!(
            replayed.get("secret").is_none(),
            "a replay never shows the secret again"
        );

        let (status, _) = app
            .send(Method::GET, "/api/v1/customers", &secret, None)
            .await;
        assert_eq!(status, StatusCode::OK, "a viewer key reads customers");
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/customers",
                &secret,
                Some(json!({"name": "x"})),
            )
            .await;
        assert_problem(status, &body, 403, "forbidden");
        let (_, me) = app.send(Method::GET, "/api/v1/me", &secret, None).await;
        assert_eq!(me["email"], ADMIN_EMAIL, "a key acts for its creator");

        let path = format!("/api/v1/api-keys/{}", created["id"].as_str().unwrap());
        let (_, listed) = app.send(Method::GET, &path, admin, None).await;
        assert!(listed.get("secret").is_none());
        assert!(listed["last_used_at"].is_string(), "use is recorded");
        let (status, _) = app.send(Method::DELETE, &path, admin, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body) = app
            .send(Method::GET, "/api/v1/customers", &secret, None)
            .await;
        assert_problem(status, &body, 401, "unauthenticated");
        let (status, body) = app.send(Method::GET, &path, admin, None).await;
        assert_problem(status, &body, 404, "not_found");
        let (status, body) = app.send(Method::DELETE, &path, admin, None).await;
        assert_problem(status, &body, 404, "not_found");
        let (_, keys) = app.send(Method::GET, "/api/v1/api-keys", admin, None).await;
        assert!(
            !keys.to_string().contains(created["id"].as_str().unwrap()),
            "{keys}"
        );
        let (_, audit) = app
            .send(
                Method::GET,
                "/api/v1/audit-events?resource_type=api_key",
                admin,
                None,
            )
            .await;
        assert_eq!(audit["data"][0]["action"], "api_key.revoked");
        assert!(
            !audit.to_string().contains(&secret),
            "the secret is never stored in the audit trail"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_define_roles_whose_changes_count_on_the_next_request() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let admin = &app.admin_token;
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/roles",
                admin,
                Some(json!({"name": "Bad Name", "permissions": [
                    {"permission": "customers:fly", "scope": "all"},
                    {"permission": "users:read", "scope": "own"},
                    {"permission": "customers:read", "scope": "all"},
                    {"permission": "customers:read", "scope": "own"}
                ]})),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        let codes: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            vec![
                "invalid_role_name",
                "unknown_permission",
                "scope_not_applicable"
            ]
        );

        let (status, role) = app
            .send(Method::POST, "/api/v1/roles", admin, Some(json!({"name": "regional", "description": "East region", "permissions": [
                {"permission": "customers:read", "scope": "own"}, {"permission": "customers:write", "scope": "own"},
                {"permission": "customers:read", "scope": "all"}
            ]})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{role}");
        // A permission named twice is held once, with the wider scope.
        assert_eq!(
            role["permissions"],
            json!([{"permission": "customers:read", "scope": "all"}, {"permission": "customers:write", "scope": "own"}]),
            "{role}"
        );
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/roles",
                admin,
                Some(json!({"name": "regional", "permissions": []})),
            )
            .await;
        assert_problem(status, &body, 409, "role_name_taken");

        let (user_id, token) = app.user_with_role("regional").await;
        assert_eq!(
            app.send(
                Method::POST,
                "/api/v1/customers",
                &token,
                Some(json!({"name": "East"}))
            )
            .await
            .0,
            StatusCode::CREATED
        );
        let role_path = format!("/api/v1/roles/{}", role["id"].as_str().unwrap());
        let (status, _) = app
            .send(
                Method::PATCH,
                &role_path,
                admin,
                Some(json!({"permissions": [{"permission": "customers:read", "scope": "all"}]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app
            .send(
                Method::POST,
                "/api/v1/customers",
                &token,
                Some(json!({"name": "West"})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "the narrower role counts on the next request"
        );

        let (status, body) = app.send(Method::DELETE, &role_path, admin, None).await;
        assert_problem(status, &body, 409, "role_in_use");
        app.send(
            Method::PATCH,
            &format!("/api/v1/users/{user_id}"),
            admin,
            Some(json!({"role": "viewer"})),
        )
        .await;
        let (status, _) = app.send(Method::DELETE, &role_path, admin, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);

        let (_, roles) = app.send(Method::GET, "/api/v1/roles", admin, None).await;
        let admin_role = roles["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "admin")
            .unwrap();
        let (status, body) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/roles/{}", admin_role["id"].as_str().unwrap()),
                admin,
                Some(json!({"description": "x"})),
            )
            .await;
        assert_problem(status, &body, 409, "built_in_role");
    }
}
