//! Every built-in role against every authenticated operation, derived from the OpenAPI document's
//! `x-permission` and the roles' own grants as the API reports them: a role is refused with 403
//! exactly when it lacks the operation's permission.

use std::collections::{HashMap, HashSet};

use rapport_tests::{TestApp, backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "01939f8e-0000-7000-8000-000000000000"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_against_every_route() {
    let backend = &backends()[0];
    let app = TestApp::spawn(backend).await;
    let (_, roles) = app
        .send(
            Method::GET,
            "/api/v1/roles?limit=200",
            &app.admin_token,
            None,
        )
        .await;
    let mut granted: HashMap<String, HashSet<String>> = HashMap::new();
    for role in roles["data"].as_array().unwrap() {
        let permissions = role["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["permission"].as_str().unwrap().to_owned())
            .collect();
        granted.insert(role["name"].as_str().unwrap().to_owned(), permissions);
    }
    assert_eq!(granted.len(), 6, "the six built-in roles");
    let mut tokens = HashMap::new();
    for role in granted.keys() {
        tokens.insert(
            role.clone(),
            if role == "admin" {
                app.admin_token.clone()
            } else {
                app.user_with_role(role).await.1
            },
        );
    }

    let (_, doc) = rapport_tests::read(
        app.client
            .get(app.url("/api-docs/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(permission) = operation.get("x-permission").and_then(Value::as_str) else {
                continue;
            };
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            for (role, token) in &tokens {
                let body = matches!(method, Method::POST | Method::PATCH).then(|| json!({}));
                let (status, problem) =
                    app.send(method.clone(), &concrete(path), token, body).await;
                let allowed = permission.contains(' ') || granted[role].contains(permission);
                assert_ne!(status, StatusCode::UNAUTHORIZED, "{role} {method} {path}");
                if allowed {
                    assert_ne!(
                        status,
                        StatusCode::FORBIDDEN,
                        "{role} {method} {path} needs {permission}: {problem}"
                    );
                } else {
                    assert_eq!(
                        status,
                        StatusCode::FORBIDDEN,
                        "{role} {method} {path} lacks {permission}: {problem}"
                    );
                    assert_eq!(problem["code"], "forbidden");
                }
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 6 * 20,
        "every operation was tried by every role ({checked})"
    );
}

/// The permissions that manage access, each of which a custom role is made of alone below.
const MANAGEMENT: [&str; 5] = [
    "users:write",
    "roles:write",
    "roles:delete",
    "api_keys:write",
    "api_keys:delete",
];

async fn custom_role(app: &TestApp, name: &str, permissions: &[&str]) -> Value {
    let grants: Vec<Value> = permissions
        .iter()
        .map(|p| json!({"permission": p, "scope": "all"}))
        .collect();
    let (status, role) = app
        .send(
            Method::POST,
            "/api/v1/roles",
            &app.admin_token,
            Some(json!({"name": name, "permissions": grants})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    role
}

fn grants_of(role: &Value) -> HashSet<(String, String)> {
    role["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["permission"].as_str().unwrap().to_owned(),
                g["scope"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Whether `held` covers every grant of `wanted`: the same permission, in scope `all` or in the
/// same scope.
fn covers(held: &HashSet<(String, String)>, wanted: &HashSet<(String, String)>) -> bool {
    wanted.iter().all(|(permission, scope)| {
        held.contains(&(permission.clone(), scope.clone()))
            || held.contains(&(permission.clone(), "all".to_owned()))
    })
}

/// One attempt to manage access, and what it must get: 403 `forbidden` without `needs`, 403
/// `privilege_escalation` when it would reach beyond what the caller holds, `success` otherwise.
struct Attempt {
    what: String,
    method: Method,
    path: String,
    body: Option<Value>,
    needs: &'static str,
    within_reach: bool,
    success: StatusCode,
}

impl Attempt {
    /// Makes the attempt as `token`, whose role holds `held`; answers whether it was refused as
    /// an escalation.
    async fn check(self, app: &TestApp, token: &str, held: &HashSet<(String, String)>) -> bool {
        let (status, body) = app.send(self.method, &self.path, token, self.body).await;
        let what = self.what;
        if !held.iter().any(|(p, _)| p == self.needs) {
            assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {body}");
            assert_eq!(body["code"], "forbidden", "{what}");
            false
        } else if !self.within_reach {
            assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {body}");
            assert_eq!(body["code"], "privilege_escalation", "{what}: {body}");
            true
        } else {
            assert_eq!(status, self.success, "{what}: {body}");
            false
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managing_access_never_reaches_beyond_what_the_caller_holds() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, listed) = app
            .send(
                Method::GET,
                "/api/v1/roles?limit=200",
                &app.admin_token,
                None,
            )
            .await;
        let mut roles: HashMap<String, Value> = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["name"].as_str().unwrap().to_owned(), r.clone()))
            .collect();
        let built_in: Vec<String> = roles.keys().cloned().collect();
        for permission in MANAGEMENT {
            let name = format!("only_{}", permission.replace(':', "_"));
            let role = custom_role(&app, &name, &[permission]).await;
            roles.insert(name, role);
        }
        let (_, me) = app
            .send(Method::GET, "/api/v1/me", &app.admin_token, None)
            .await;
        let admin_id = me["id"].as_str().unwrap().to_owned();
        let (_, admin_key) = app
            .send(
                Method::POST,
                "/api/v1/api-keys",
                &app.admin_token,
                Some(json!({"name": "admin's key", "role": "admin"})),
            )
            .await;
        let admin_key_id = admin_key["id"].as_str().unwrap().to_owned();
        let admin_grants = grants_of(&roles["admin"]);
        let every_permission: Vec<String> = admin_grants.iter().map(|(p, _)| p.clone()).collect();

        let mut escalations = 0;
        let mut callers: Vec<String> = roles.keys().cloned().collect();
        // The admin last: their revocation and password reset succeed.
        callers.sort_by_key(|c| (c == "admin", c.clone()));
        for caller in callers {
            let held = grants_of(&roles[&caller]);
            let token = if caller == "admin" {
                app.admin_token.clone()
            } else {
                app.user_with_role(&caller).await.1
            };
            let mut attempts = Vec::new();
            // A user and an API key with each built-in role, and with the caller's own.
            for target in built_in.iter().chain([&caller]) {
                let within_reach = covers(&held, &grants_of(&roles[target]));
                let email = format!("{}@rapport.test", uuid::Uuid::new_v4().simple());
                attempts.push(Attempt {
                    what: format!("{caller} creates a {target} user"),
                    method: Method::POST,
                    path: "/api/v1/users".into(),
                    body: Some(json!({
                        "email": email, "display_name": "New colleague", "role": target,
                        "password": "a long enough password"
                    })),
                    needs: "users:write",
                    within_reach,
                    success: StatusCode::CREATED,
                });
                attempts.push(Attempt {
                    what: format!("{caller} creates a {target} key"),
                    method: Method::POST,
                    path: "/api/v1/api-keys".into(),
                    body: Some(json!({"name": "sync", "role": target})),
                    needs: "api_keys:write",
                    within_reach,
                    success: StatusCode::CREATED,
                });
            }
            // A role granting each permission alone.
            for (i, permission) in every_permission.iter().enumerate() {
                let wanted = HashSet::from([(permission.clone(), "all".to_owned())]);
                attempts.push(Attempt {
                    what: format!("{caller} creates a role with {permission}"),
                    method: Method::POST,
                    path: "/api/v1/roles".into(),
                    body: Some(json!({
                        "name": format!("made_by_{caller}_{i}"),
                        "permissions": [{"permission": permission, "scope": "all"}]
                    })),
                    needs: "roles:write",
                    within_reach: covers(&held, &wanted),
                    success: StatusCode::CREATED,
                });
            }
            // The administrator holds more than anyone but an administrator.
            let above_admin = covers(&held, &admin_grants);
            attempts.push(Attempt {
                what: format!("{caller} revokes the admin's key"),
                method: Method::DELETE,
                path: format!("/api/v1/api-keys/{admin_key_id}"),
                body: None,
                needs: "api_keys:delete",
                within_reach: above_admin,
                success: StatusCode::NO_CONTENT,
            });
            attempts.push(Attempt {
                what: format!("{caller} renames the admin"),
                method: Method::PATCH,
                path: format!("/api/v1/users/{admin_id}"),
                body: Some(json!({"display_name": "Renamed"})),
                needs: "users:write",
                within_reach: above_admin,
                success: StatusCode::OK,
            });
            if !built_in.contains(&caller) {
                // Nobody adds to the role they hold, nor changes or deletes one wider than theirs.
                let role_id = roles[&caller]["id"].as_str().unwrap();
                let mut widened = roles[&caller]["permissions"].as_array().unwrap().clone();
                widened.push(json!({"permission": "customers:read", "scope": "all"}));
                let wide =
                    custom_role(&app, &format!("wide_for_{caller}"), &["customers:delete"]).await;
                let wide_id = wide["id"].as_str().unwrap();
                attempts.extend([
                    Attempt {
                        what: format!("{caller} widens their own role"),
                        method: Method::PATCH,
                        path: format!("/api/v1/roles/{role_id}"),
                        body: Some(json!({"permissions": widened})),
                        needs: "roles:write",
                        within_reach: false,
                        success: StatusCode::OK,
                    },
                    Attempt {
                        what: format!("{caller} changes a wider role"),
                        method: Method::PATCH,
                        path: format!("/api/v1/roles/{wide_id}"),
                        body: Some(json!({"description": "narrowed"})),
                        needs: "roles:write",
                        within_reach: false,
                        success: StatusCode::OK,
                    },
                    Attempt {
                        what: format!("{caller} deletes a wider role"),
                        method: Method::DELETE,
                        path: format!("/api/v1/roles/{wide_id}"),
                        body: None,
                        needs: "roles:delete",
                        within_reach: false,
                        success: StatusCode::NO_CONTENT,
                    },
                ]);
            }
            // The admin's access token outlives the reset; only sign-ins end.
            attempts.push(Attempt {
                what: format!("{caller} resets the admin's password"),
                method: Method::POST,
                path: format!("/api/v1/users/{admin_id}/reset-password"),
                body: Some(json!({"password": "another long password"})),
                needs: "users:write",
                within_reach: above_admin,
                success: StatusCode::NO_CONTENT,
            });
            for attempt in attempts {
                if attempt.check(&app, &token, &held).await {
                    escalations += 1;
                }
            }
        }
        // Every escalation refused was recorded, with the code it was refused with.
        let mut recorded = 0;
        let mut cursor = String::new();
        loop {
            let (_, page) = app
                .send(
                    Method::GET,
                    &format!("/api/v1/audit-events?action=access.denied&limit=200{cursor}"),
                    &app.admin_token,
                    None,
                )
                .await;
            recorded += page["data"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["detail"]["code"] == "privilege_escalation")
                .count();
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => break,
            }
        }
        assert_eq!(
            recorded, escalations,
            "every refused escalation is in the audit trail"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_does_no_more_than_its_creator_may_do_now() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (manager_id, _) = app.user_with_role("manager").await;
        // The admin creates a key while signed in; then the admin's colleague is demoted.
        let (colleague_id, colleague_token) = app.user_with_role("admin").await;
        let (status, key) = app
            .send(
                Method::POST,
                "/api/v1/api-keys",
                &colleague_token,
                Some(json!({"name": "sync", "role": "manager"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{key}");
        let secret = key["secret"].as_str().unwrap().to_owned();
        let (status, _) = app
            .send(Method::GET, "/api/v1/customers", &secret, None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, changed) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/users/{colleague_id}"),
                &app.admin_token,
                Some(json!({"role": "viewer"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/customers",
                &secret,
                Some(json!({"name": "Nope"})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "the creator, a viewer now, cannot write: {body}"
        );
        let (status, _) = app
            .send(Method::GET, "/api/v1/customers", &secret, None)
            .await;
        assert_eq!(status, StatusCode::OK, "what both may do still works");
        let _ = manager_id;
    }
}
