//! The catalogue's arrangement seen from outside: the category tree keeps its shape (no cycles,
//! not too deep, unique names among siblings, no orphans) under concurrent moves, each category
//! knows its path, and brands follow the conventions.

use rapport_tests::{TestApp, assert_problem, backends, error_pairs, pairs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn category(app: &TestApp, name: &str, parent: Option<&Value>) -> Value {
    let (status, body) = app
        .send(
            Method::POST,
            "/api/v1/categories",
            &app.admin_token,
            Some(json!({"name": name, "parent_id": parent.map(id)})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn move_under(app: &TestApp, moving: &Value, parent: Option<&Value>) -> (StatusCode, Value) {
    app.send(
        Method::PATCH,
        &format!("/api/v1/categories/{}", id(moving)),
        &app.admin_token,
        Some(json!({"parent_id": parent.map(id)})),
    )
    .await
}

async fn names(app: &TestApp, query: &str) -> Vec<String> {
    let (status, page) = app
        .send(
            Method::GET,
            &format!("/api/v1/categories?{query}"),
            &app.admin_token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn categories_form_a_tree_that_each_one_knows_its_path_in() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let shoes = category(&app, "鞋类", None).await;
        let running = category(&app, "跑步鞋", Some(&shoes)).await;
        let trail = category(&app, "越野跑鞋", Some(&running)).await;
        category(&app, "篮球鞋", Some(&shoes)).await;
        category(&app, "服装", None).await;

        assert_eq!(trail["parent_id"], id(&running));
        assert_eq!(trail["full_name"], "鞋类 › 跑步鞋 › 越野跑鞋");
        let path: Vec<String> = trail["path"].as_array().unwrap().iter().map(id).collect();
        assert_eq!(path, [id(&shoes), id(&running), id(&trail)]);

        assert_eq!(
            names(&app, &format!("parent_id={}", id(&shoes))).await,
            ["篮球鞋", "跑步鞋"]
        );
        assert_eq!(names(&app, "top_level=true").await, ["服装", "鞋类"]);
        assert_eq!(names(&app, "sort=-created_at").await[0], "服装");
        assert!(
            names(&app, &format!("top_level=true&parent_id={}", id(&shoes)))
                .await
                .is_empty(),
            "both filters apply"
        );

        // A move takes the subtree along: the grandchild's path follows.
        let clothes_id = {
            let (_, page) = app
                .send(
                    Method::GET,
                    "/api/v1/categories?top_level=true",
                    &app.admin_token,
                    None,
                )
                .await;
            page["data"][0].clone()
        };
        let (status, moved) = move_under(&app, &running, Some(&clothes_id)).await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        assert_eq!(moved["version"], 2);
        let (_, trail) = app
            .send(
                Method::GET,
                &format!("/api/v1/categories/{}", id(&trail)),
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(trail["full_name"], "服装 › 跑步鞋 › 越野跑鞋");

        // Every change is in the event feed.
        let (_, feed) = app
            .send(
                Method::GET,
                "/api/v1/events?types=category.created,category.updated&limit=50",
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(feed["data"].as_array().unwrap().len(), 6, "{feed}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_category_never_sits_under_itself_or_too_deep_and_siblings_differ() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let top = category(&app, "A", None).await;
        let middle = category(&app, "B", Some(&top)).await;
        let bottom = category(&app, "C", Some(&middle)).await;

        for parent in [&top, &middle, &bottom] {
            let (status, problem) = move_under(&app, &top, Some(parent)).await;
            assert_problem(status, &problem, 409, "category_cycle");
            assert_eq!(
                error_pairs(&problem),
                pairs(&[("parent_id", "category_cycle")])
            );
        }
        let (_, unchanged) = app
            .send(
                Method::GET,
                &format!("/api/v1/categories/{}", id(&top)),
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(
            (unchanged["parent_id"].clone(), unchanged["version"].clone()),
            (Value::Null, json!(1))
        );

        // Siblings have different names, at the top too; cousins may share one.
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/categories",
                &app.admin_token,
                Some(json!({"name": "B", "parent_id": id(&top)})),
            )
            .await;
        assert_problem(status, &problem, 409, "category_name_taken");
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/categories",
                &app.admin_token,
                Some(json!({"name": "A"})),
            )
            .await;
        assert_problem(status, &problem, 409, "category_name_taken");
        category(&app, "B", Some(&middle)).await;

        // A parent that does not exist is a mistake in the request.
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/categories",
                &app.admin_token,
                Some(json!({"name": "X", "parent_id": "01939f8e-0000-7000-8000-000000000000"})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(error_pairs(&problem), pairs(&[("parent_id", "not_found")]));

        // Eight levels at most, counting the deepest descendant of a moved subtree.
        let mut chain = vec![bottom.clone()];
        for level in 4..=8 {
            let next = category(&app, &format!("L{level}"), chain.last()).await;
            chain.push(next);
        }
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/categories",
                &app.admin_token,
                Some(json!({"name": "L9", "parent_id": id(chain.last().unwrap())})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(error_pairs(&problem), pairs(&[("parent_id", "too_deep")]));
        let other = category(&app, "Other", None).await;
        let leaf = category(&app, "Leaf", Some(&other)).await;
        let (status, problem) = move_under(&app, &other, Some(&chain[4])).await;
        assert_problem(status, &problem, 422, "validation_failed");
        let (status, _) = move_under(&app, &leaf, Some(&chain[4])).await;
        assert_eq!(status, StatusCode::OK);

        // A category with subcategories stays; a leaf goes.
        let (status, problem) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/categories/{}", id(&top)),
                &app.admin_token,
                None,
            )
            .await;
        assert_problem(status, &problem, 409, "category_in_use");
        let (status, _) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/categories/{}", id(&leaf)),
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
}

/// Two categories side by side, each moved under the other at the same moment, many times over:
/// one move wins each time, the other is a cycle, and the tree keeps no loop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crossing_moves_cannot_make_a_cycle_between_them() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        for round in 0..10 {
            let left = category(&app, &format!("left {round}"), None).await;
            let right = category(&app, &format!("right {round}"), None).await;
            let (a, b) = tokio::join!(
                move_under(&app, &left, Some(&right)),
                move_under(&app, &right, Some(&left)),
            );
            let mut statuses = [a.0.as_u16(), b.0.as_u16()];
            statuses.sort_unstable();
            assert_eq!(statuses, [200, 409], "{} {}", a.1, b.1);
            let loser = if a.0 == StatusCode::CONFLICT {
                &a.1
            } else {
                &b.1
            };
            assert_eq!(loser["code"], "category_cycle");
            for category in [&left, &right] {
                let (_, now) = app
                    .send(
                        Method::GET,
                        &format!("/api/v1/categories/{}", id(category)),
                        &app.admin_token,
                        None,
                    )
                    .await;
                let depth = now["path"].as_array().unwrap().len();
                assert!(depth <= 2, "{now}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brands_have_unique_names_versions_and_an_audit_trail() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let (status, anta) = app
            .send(
                Method::POST,
                "/api/v1/brands",
                token,
                Some(json!({"name": " 安踏 ", "description": "Sportswear"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{anta}");
        assert_eq!(anta["name"], "安踏");
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/brands",
                token,
                Some(json!({"name": "安踏"})),
            )
            .await;
        assert_problem(status, &problem, 409, "brand_name_taken");
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/brands",
                token,
                Some(json!({"name": " ", "website": "x"})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        for name in ["Li-Ning", "Xtep"] {
            app.send(
                Method::POST,
                "/api/v1/brands",
                token,
                Some(json!({"name": name})),
            )
            .await;
        }
        let (_, page) = app
            .send(
                Method::GET,
                "/api/v1/brands?limit=2&include_total=true",
                token,
                None,
            )
            .await;
        assert_eq!(page["total"], 3);
        assert_eq!(page["data"][0]["name"], "Li-Ning");
        let (_, rest) = app
            .send(
                Method::GET,
                &format!(
                    "/api/v1/brands?limit=2&cursor={}",
                    page["next_cursor"].as_str().unwrap()
                ),
                token,
                None,
            )
            .await;
        assert_eq!(rest["data"][0]["name"], "安踏");
        assert_eq!(rest["has_more"], false);

        let path = format!("/api/v1/brands/{}", id(&anta));
        let stale = app
            .request(Method::PATCH, &path, token, Some(json!({"name": "ANTA"})))
            .header("if-match", "\"7\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
        let fresh = app
            .request(
                Method::PATCH,
                &path,
                token,
                Some(json!({"name": "ANTA", "description": null})),
            )
            .header("if-match", "\"1\"")
            .send()
            .await
            .unwrap();
        assert_eq!(fresh.status(), StatusCode::OK);
        assert_eq!(fresh.headers()["etag"], "\"2\"");

        let (status, _) = app.send(Method::DELETE, &path, token, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, trail) = app
            .send(
                Method::GET,
                &format!(
                    "/api/v1/audit-events?resource_type=brand&resource_id={}",
                    id(&anta)
                ),
                token,
                None,
            )
            .await;
        let actions: Vec<&str> = trail["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["brand.deleted", "brand.updated", "brand.created"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_reads_the_catalogue_and_only_managers_change_it() {
    let backend = &backends()[0];
    let app = TestApp::spawn(backend).await;
    let (_, sales) = app.user_with_role("sales").await;
    let (_, manager) = app.user_with_role("manager").await;
    let (status, _) = app
        .send(
            Method::POST,
            "/api/v1/brands",
            &manager,
            Some(json!({"name": "Anta"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, page) = app.send(Method::GET, "/api/v1/brands", &sales, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["data"][0]["name"], "Anta");
    let (status, problem) = app
        .send(
            Method::POST,
            "/api/v1/categories",
            &sales,
            Some(json!({"name": "Shoes"})),
        )
        .await;
    assert_problem(status, &problem, 403, "forbidden");
}
