//! The scheduler and its jobs table: claims under a lease, take-over when a lease runs out,
//! retries that wait longer each time, one periodic job per period across nodes, housekeeping
//! by the retention settings, and the administrators' list.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::Duration as Span;
use rapport_domain::jobs::{JobKind, JobStatus, NewJob};
use rapport_persistence::jobs;
use rapport_persistence::{Db, DbOptions};
use rapport_tests::{Backend, EmptyDatabase, TestApp, assert_problem, backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A pool of the test server's database, as a second node would hold.
async fn database(app: &TestApp) -> Db {
    Db::connect(&app.database_url, &DbOptions::default())
        .await
        .expect("connect to the test database")
}

/// Queues a job of `kind` for a record no handler will ever see: these tests drive the table
/// by hand, on a server whose scheduler is off.
async fn queue(db: &Db, kind: JobKind, key: Option<String>) -> Option<rapport_domain::jobs::Job> {
    let txn = db.begin_write().await.unwrap();
    let job = jobs::enqueue(
        &*txn,
        NewJob {
            kind,
            key,
            payload: json!({"id": uuid::Uuid::now_v7()}),
            run_at: rapport_persistence::now(),
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    job
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_is_held_under_a_lease_taken_over_when_it_runs_out_and_retried_ever_later() {
    for backend in backends() {
        let app = TestApp::spawn_with(&backend, |c| c.scheduler = false).await;
        let db = database(&app).await;
        let job = queue(&db, JobKind::Import, None).await.unwrap();
        assert_eq!(job.status, JobStatus::Queued);

        // A key names a job once.
        let key = Some("housekeeping@2026-12-05T10:00:00Z".to_owned());
        assert!(
            queue(&db, JobKind::Housekeeping, key.clone())
                .await
                .is_some()
        );
        assert!(queue(&db, JobKind::Housekeeping, key).await.is_none());

        // The oldest due job first; a held job is not handed out again while its lease holds.
        let first = jobs::claim(&db, "node-a", Span::milliseconds(300))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((first.id, first.attempts), (job.id, 1));
        assert_eq!(first.claimed_by.as_deref(), Some("node-a"));
        let second = jobs::claim(&db, "node-b", Span::seconds(60))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(second.kind, JobKind::Housekeeping);
        assert!(
            jobs::claim(&db, "node-b", Span::seconds(60))
                .await
                .unwrap()
                .is_none()
        );

        // node-a stops renewing: once its lease runs out node-b takes the job over, and
        // node-a can no longer change it.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let taken = jobs::claim(&db, "node-b", Span::seconds(60))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((taken.id, taken.attempts), (job.id, 2));
        let lease_a = jobs::Lease {
            job: job.id,
            worker: "node-a".into(),
            length: Span::seconds(60),
        };
        let txn = db.begin_write().await.unwrap();
        assert!(!lease_a.renew(&txn).await.unwrap(), "node-a lost the job");
        assert!(
            !jobs::succeed(&*txn, job.id, "node-a", json!({}))
                .await
                .unwrap()
        );
        txn.commit().await.unwrap();

        // A failed attempt queues the job again after a wait, which grows with each attempt.
        let txn = db.begin_write().await.unwrap();
        let after = jobs::fail(&*txn, &taken, "node-b", "the file server is down")
            .await
            .unwrap();
        txn.commit().await.unwrap();
        assert_eq!(after, Some(JobStatus::Queued));
        let waiting = jobs::get(db.conn(), job.id).await.unwrap();
        assert_eq!(
            waiting.last_error.as_deref(),
            Some("the file server is down")
        );
        let wait = waiting.run_at - rapport_persistence::now();
        assert!(
            wait > Span::seconds(15) && wait <= Span::seconds(20),
            "the second wait is 20 s: {wait}"
        );
        assert!(
            jobs::claim(&db, "node-b", Span::seconds(60))
                .await
                .unwrap()
                .is_none(),
            "not due yet"
        );

        // A failed last attempt fails the job for good.
        let other = queue(&db, JobKind::Import, None).await.unwrap();
        let held = jobs::claim(&db, "node-b", Span::seconds(60))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(held.id, other.id);
        let last = rapport_domain::jobs::Job {
            attempts: held.max_attempts,
            ..held
        };
        let txn = db.begin_write().await.unwrap();
        let after = jobs::fail(&*txn, &last, "node-b", "still down")
            .await
            .unwrap();
        txn.commit().await.unwrap();
        assert_eq!(after, Some(JobStatus::Failed));
        let failed = jobs::get(db.conn(), other.id).await.unwrap();
        assert_eq!(failed.status, JobStatus::Failed);
        assert!(failed.finished_at.is_some() && failed.claimed_by.is_none());

        // A job whose node stops every time is handed out past its last attempt, to be given
        // up by its kind.
        let stuck = queue(&db, JobKind::Import, None).await.unwrap();
        for attempt in 1..=stuck.max_attempts + 1 {
            let taken = jobs::claim(&db, "node-c", Span::milliseconds(50))
                .await
                .unwrap()
                .unwrap();
            assert_eq!((taken.id, taken.attempts), (stuck.id, attempt));
            assert_eq!(taken.exhausted(), attempt > stuck.max_attempts);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        db.close().await.ok();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_claiming_side_by_side_take_each_job_once() {
    for backend in backends() {
        let app = TestApp::spawn_with(&backend, |c| c.scheduler = false).await;
        let db = database(&app).await;
        let mut queued = HashSet::new();
        for _ in 0..60 {
            queued.insert(queue(&db, JobKind::Import, None).await.unwrap().id);
        }
        let claimers = (0..6).map(|n| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut taken = Vec::new();
                while let Some(job) = jobs::claim(&db, &format!("node-{n}"), Span::seconds(60))
                    .await
                    .unwrap()
                {
                    taken.push(job.id);
                }
                taken
            })
        });
        let mut taken = Vec::new();
        for claimer in claimers {
            taken.extend(claimer.await.unwrap());
        }
        assert_eq!(taken.len(), 60, "{backend:?}: every job taken once");
        assert_eq!(taken.into_iter().collect::<HashSet<_>>(), queued);
        db.close().await.ok();
    }
}

/// Polls a job until it has ended.
async fn ended(app: &TestApp, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, job) = app
            .send(
                Method::GET,
                &format!("/api/v1/jobs/{id}"),
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{job}");
        if job["status"] == "succeeded" || job["status"] == "failed" {
            return job;
        }
        assert!(Instant::now() < deadline, "the job did not end: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs housekeeping now and waits for it to end.
async fn housekeep(app: &TestApp) -> Value {
    let (status, run) = app
        .send(
            Method::POST,
            "/api/v1/jobs",
            &app.admin_token,
            Some(json!({"kind": "housekeeping"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{run}");
    ended(app, run["id"].as_str().unwrap()).await
}

/// Changes the retention settings.
async fn retain(app: &TestApp, days: Value) {
    let (status, settings) = app
        .send(
            Method::PATCH,
            "/api/v1/settings/retention",
            &app.admin_token,
            Some(days),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
}

/// Imports a small file that fails (a refused row, all or nothing) and waits for its end.
async fn failed_import(app: &TestApp) -> Value {
    let token = &app.admin_token;
    let (status, import) = app
        .send(
            Method::POST,
            "/api/v1/imports",
            token,
            Some(json!({"resource_type": "customers", "format": "csv"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{import}");
    let id = import["id"].as_str().unwrap().to_owned();
    let response = app
        .request(
            Method::PUT,
            &format!("/api/v1/imports/{id}/file"),
            token,
            None,
        )
        .header("Content-Type", "text/csv")
        .body("name,email\nAda,ada@example.cn\n,not an email\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, now) = app
            .send(Method::GET, &format!("/api/v1/imports/{id}"), token, None)
            .await;
        if now["status"] == "failed" {
            return now;
        }
        assert!(Instant::now() < deadline, "the import did not end: {now}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn housekeeping_forgets_what_outlived_its_retention_and_says_how_much() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let import = failed_import(&app).await;
        let import_id = import["id"].as_str().unwrap();
        let (_, import_jobs) = app
            .send(Method::GET, "/api/v1/jobs?kind=import", token, None)
            .await;
        assert_eq!(import_jobs["data"][0]["payload"]["id"], import_id);
        assert_eq!(import_jobs["data"][0]["status"], "succeeded");
        assert_eq!(import_jobs["data"][0]["result"]["status"], "failed");

        // A sign-in that ended.
        let (status, pair) = app
            .login_pair(rapport_tests::ADMIN_EMAIL, rapport_tests::ADMIN_PASSWORD)
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app
            .send(
                Method::POST,
                "/api/v1/auth/logout",
                token,
                Some(json!({"refresh_token": pair["refresh_token"]})),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);

        // With the default retention nothing so young goes.
        let done = housekeep(&app).await;
        assert_eq!(done["status"], "succeeded", "{done}");
        assert_eq!(done["result"]["import_files"], 0);
        assert_eq!(done["result"]["session_tokens"], 0);

        // Retention out of range is refused, every field named.
        let (status, problem) = app
            .send(
                Method::PATCH,
                "/api/v1/settings/retention",
                token,
                Some(json!({"sessions_days": -1, "jobs_days": 4000})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            rapport_tests::error_fields(&problem),
            ["sessions_days", "jobs_days"]
        );

        retain(&app, json!({"sessions_days": 0, "import_files_days": 0})).await;
        let done = housekeep(&app).await;
        assert_eq!(done["result"]["import_files"], 1, "{done}");
        assert!(
            done["result"]["session_tokens"].as_u64().unwrap() >= 1,
            "{done}"
        );

        // The import's record stays; its file and refused rows are gone, so it cannot run again.
        let (_, after) = app
            .send(
                Method::GET,
                &format!("/api/v1/imports/{import_id}"),
                token,
                None,
            )
            .await;
        assert!(after["file_purged_at"].is_string(), "{after}");
        assert_eq!(after["failed_rows"], import["failed_rows"]);
        let (_, errors) = app
            .send(
                Method::GET,
                &format!("/api/v1/imports/{import_id}/errors"),
                token,
                None,
            )
            .await;
        assert_eq!(errors["data"], json!([]));
        let (status, problem) = app
            .send(
                Method::POST,
                &format!("/api/v1/imports/{import_id}/retry"),
                token,
                None,
            )
            .await;
        assert_problem(status, &problem, 409, "file_purged");

        // The signed-out refresh token is forgotten, and still refused.
        let (status, _) = app
            .send(
                Method::POST,
                "/api/v1/auth/refresh",
                "",
                Some(json!({"refresh_token": pair["refresh_token"]})),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // Finished jobs go too once their retention is 0.
        retain(&app, json!({"jobs_days": 0})).await;
        let done = housekeep(&app).await;
        assert!(done["result"]["jobs"].as_u64().unwrap() >= 3, "{done}");
        let (_, left) = app
            .send(Method::GET, "/api/v1/jobs?status=succeeded", token, None)
            .await;
        // What is left finished after this run began: the run itself, and any job the scheduler
        // ran meanwhile on a busy machine.
        let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
        let began = at(&done["started_at"]);
        let left: Vec<&Value> = left["data"].as_array().unwrap().iter().collect();
        assert!(left.iter().any(|j| j["id"] == done["id"]), "{left:?}");
        assert!(
            left.iter().all(|j| at(&j["finished_at"]) >= began),
            "only jobs that finished after the run began are left: {left:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_plans_the_hours_housekeeping_and_it_is_queued_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let second = app.second_node().await;
        let third = app.second_node().await;
        let token = &app.admin_token;
        let deadline = Instant::now() + Duration::from_secs(30);
        let planned = loop {
            let (_, list) = app
                .send(Method::GET, "/api/v1/jobs?kind=housekeeping", token, None)
                .await;
            let done = list["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|j| j["status"] == "succeeded");
            if done {
                break list;
            }
            assert!(Instant::now() < deadline, "no housekeeping ran: {list}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let keys: Vec<&str> = planned["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["key"].as_str().unwrap())
            .collect();
        assert_eq!(
            keys.len(),
            1,
            "three nodes, one job for the hour: {planned}"
        );
        assert!(keys[0].starts_with("housekeeping@"), "{keys:?}");
        assert!(
            keys[0].ends_with(":00:00Z"),
            "named after its hour: {keys:?}"
        );
        drop((second, third));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_are_for_administrators_and_list_by_kind_and_status() {
    let backend = Backend::Sqlite;
    let app = TestApp::spawn_with(&backend, |c| c.scheduler = false).await;
    let (_, manager) = app.user_with_role("manager").await;
    for (method, path) in [
        (Method::GET, "/api/v1/jobs"),
        (Method::POST, "/api/v1/jobs"),
    ] {
        let (status, problem) = app
            .send(
                method,
                path,
                &manager,
                Some(json!({"kind": "housekeeping"})),
            )
            .await;
        assert_problem(status, &problem, 403, "forbidden");
    }
    let token = &app.admin_token;
    let (status, run) = app
        .send(
            Method::POST,
            "/api/v1/jobs",
            token,
            Some(json!({"kind": "import"})),
        )
        .await;
    assert_problem(status, &run, 422, "validation_failed");
    let (status, run) = app
        .send(
            Method::POST,
            "/api/v1/jobs",
            token,
            Some(json!({"kind": "housekeeping"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(run["status"], "queued", "no scheduler runs on this node");
    assert_eq!(run["max_attempts"], 5);
    let (_, queued) = app
        .send(
            Method::GET,
            "/api/v1/jobs?status=queued&kind=housekeeping&include_total=true",
            token,
            None,
        )
        .await;
    assert_eq!(queued["total"], 1, "{queued}");
    let (_, none) = app
        .send(Method::GET, "/api/v1/jobs?status=failed", token, None)
        .await;
    assert_eq!(none["data"], json!([]));
    let (status, problem) = app
        .send(Method::GET, "/api/v1/jobs?status=sleeping", token, None)
        .await;
    assert_problem(status, &problem, 400, "bad_request");
    let (status, _) = app
        .send(
            Method::GET,
            &format!("/api/v1/jobs/{}", uuid::Uuid::now_v7()),
            token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_waiting_when_the_jobs_table_arrives_get_jobs_of_their_own() {
    use rapport_migrations::{Migrator, MigratorTrait};
    use sea_orm::sea_query::{Alias, Query};
    use sea_orm::{ConnectionTrait, Database};
    for backend in backends() {
        // A database at the schema before the jobs table.
        let empty = EmptyDatabase::create(&backend).await;
        let conn = Database::connect(empty.url.as_str()).await.unwrap();
        Migrator::up(&conn, Some(21)).await.unwrap();
        let waiting = uuid::Uuid::now_v7();
        let ended = uuid::Uuid::now_v7();
        let now = chrono::Utc::now();
        for (id, status) in [(waiting, "queued"), (ended, "completed")] {
            let insert = Query::insert()
                .into_table(Alias::new("import_jobs"))
                .columns(
                    [
                        "id",
                        "resource_type",
                        "format",
                        "mode",
                        "mapping",
                        "status",
                        "file_bytes",
                        "processed_rows",
                        "created_rows",
                        "failed_rows",
                        "attempts",
                        "owner_id",
                        "scope",
                        "actor_type",
                        "request_id",
                        "created_at",
                        "updated_at",
                        "version",
                    ]
                    .map(Alias::new),
                )
                .values_panic([
                    id.into(),
                    "customers".into(),
                    "csv".into(),
                    "all_or_nothing".into(),
                    sea_orm::Value::Json(Some(Box::new(json!({})))).into(),
                    status.into(),
                    10_i64.into(),
                    0_i64.into(),
                    0_i64.into(),
                    0_i64.into(),
                    0_i32.into(),
                    uuid::Uuid::now_v7().into(),
                    "all".into(),
                    "user".into(),
                    "req".into(),
                    now.into(),
                    now.into(),
                    2_i64.into(),
                ])
                .to_owned();
            conn.execute(&insert).await.unwrap();
        }
        Migrator::up(&conn, None).await.unwrap();
        conn.close().await.ok();

        let db = Db::connect(&empty.url, &DbOptions::default())
            .await
            .unwrap();
        let page = jobs::list(
            db.conn(),
            &jobs::JobFilter::default(),
            &rapport_persistence::page::PageRequest {
                limit: 10,
                cursor: None,
                include_total: false,
            },
        )
        .await
        .unwrap();
        let jobs: Vec<_> = page
            .items
            .iter()
            .map(|j| (j.kind, j.status, j.payload.clone()))
            .collect();
        assert_eq!(
            jobs,
            [(JobKind::Import, JobStatus::Queued, json!({"id": waiting}))],
            "{backend:?}"
        );
        db.close().await.ok();
    }
}
