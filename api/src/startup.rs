//! Building the server: database, first start, state, routes and middleware. Returns a server bound
//! to the port the caller chose (0 for any), so tests run the real thing.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::{Method, header};
use actix_web::middleware::{Condition, from_fn};
use actix_web::web::{self, Data};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use rapport_domain::values::Email;
use rapport_persistence::access::{roles, users};
use rapport_persistence::audit::By;
use rapport_persistence::{Db, DbOptions, settings};
use utoipa_actix_web::AppExt;

use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::TokenKeys;
use crate::auth::{self, password};
use crate::config::Config;
use crate::problem::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::{envelope, health};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database refused.
    #[error("database: {0}")]
    Database(#[from] rapport_persistence::Error),
    /// The address could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
    /// A setting is wrong.
    #[error("{0}")]
    Config(String),
}

/// The first administrator's credentials, when this start created them.
#[derive(Debug, Clone)]
pub struct FirstAdmin {
    /// Email.
    pub email: String,
    /// Password, when it was generated (print it once).
    pub generated_password: Option<String>,
}

/// A built server, not yet running.
pub struct Application {
    port: u16,
    server: Server,
    /// Set when this start created the first administrator.
    pub first_admin: Option<FirstAdmin>,
}

impl Application {
    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until stopped; SIGTERM and Ctrl-C drain in-flight requests first.
    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Connects and prepares the database, for commands that need it at once (`migrate`, `admin`).
pub async fn connect(config: &Config) -> Result<Db, StartupError> {
    let db = Db::connect(&config.database_url, &db_options(config)).await?;
    migrate(&db).await?;
    Ok(db)
}

fn db_options(config: &Config) -> DbOptions {
    DbOptions {
        max_connections: config.db_max_connections,
        acquire_timeout: Duration::from_secs(config.db_timeout),
    }
}

/// Applies the migrations and brings what the schema derives up to date: built-in roles, the
/// derived search text, the indexes of custom fields.
async fn migrate(db: &Db) -> Result<(), StartupError> {
    db.migrate().await?;
    roles::ensure_built_ins(db.conn()).await?;
    let filled = rapport_persistence::customers::fill_derived_text(db).await?;
    if filled > 0 {
        tracing::info!(filled, "computed the derived text of existing customers");
    }
    rapport_persistence::custom_fields::ensure_indexes(db).await?;
    Ok(())
}

/// What serving needs from the database: the schema ready, the first administrator (on an empty
/// database) and the token secret.
struct Prepared {
    first_admin: Option<FirstAdmin>,
    secret: String,
}

async fn prepare(db: &Db, config: &Config) -> Result<Prepared, StartupError> {
    migrate(db).await?;
    let first_admin = ensure_first_admin(db, config).await?;
    let secret = jwt_secret(db, config).await?;
    Ok(Prepared {
        first_admin,
        secret,
    })
}

/// Says, once, who the first administrator is and the password generated for them.
pub fn announce(admin: &FirstAdmin) {
    println!("Created the first administrator: {}", admin.email);
    if let Some(password) = &admin.generated_password {
        println!("Their password, shown only this once: {password}");
    }
}

/// The longest wait between two tries to reach a database that did not answer at start.
const MOST_BETWEEN_TRIES: Duration = Duration::from_secs(30);

/// Prepares the database once it answers, then starts serving: the server runs meanwhile and
/// answers 503 (`/health/ready` too), so a database that comes up after Rapport needs no restart.
async fn prepare_when_reachable(state: Data<AppState>, config: Config) {
    let mut wait = Duration::from_secs(1);
    loop {
        tokio::time::sleep(wait).await;
        match prepare(&state.db, &config).await {
            Ok(prepared) => {
                if let Some(admin) = &prepared.first_admin {
                    announce(admin);
                }
                serve(&state, &prepared.secret);
                tracing::info!("the database answers; serving");
                return;
            }
            Err(e) => {
                wait = (wait * 2).min(MOST_BETWEEN_TRIES);
                tracing::warn!(error = %e, retry_in_seconds = wait.as_secs(), "the database is not ready");
            }
        }
    }
}

/// Starts serving requests once the database is prepared: the token keys, then the scheduler.
fn serve(state: &Data<AppState>, secret: &str) {
    let config = &state.config;
    let keys = TokenKeys::new(secret, config.access_token_ttl, config.refresh_token_ttl);
    if state.tokens.set(keys).is_ok() {
        crate::jobs::scheduler::start(state.clone());
    }
}

/// On an empty database, creates the first administrator.
async fn ensure_first_admin(db: &Db, config: &Config) -> Result<Option<FirstAdmin>, StartupError> {
    if users::count(db.conn()).await? > 0 {
        return Ok(None);
    }
    let email_text = config
        .admin_email
        .clone()
        .unwrap_or_else(|| "admin@rapport.localhost".into());
    let email = Email::parse("RAPPORT_ADMIN_EMAIL", &email_text)
        .map_err(|e| StartupError::Config(format!("RAPPORT_ADMIN_EMAIL: {}", e.message)))?;
    let (password_text, generated) = match &config.admin_password {
        Some(p) => (p.clone(), None),
        None => {
            let p = auth::random_secret(1)[..20].to_owned();
            (p.clone(), Some(p))
        }
    };
    password::check_new("RAPPORT_ADMIN_PASSWORD", &password_text)
        .map_err(|e| StartupError::Config(format!("RAPPORT_ADMIN_PASSWORD {}", e.message)))?;
    let password_hash = password::hash(&password_text).map_err(StartupError::Config)?;
    let new = users::NewUser {
        email,
        display_name: "Administrator".into(),
        phone: None,
        role: "admin".into(),
        password_hash,
    };
    match users::create(db, By::System, new, None).await {
        Ok(_) => Ok(Some(FirstAdmin {
            email: email_text,
            generated_password: generated,
        })),
        // Another node created it first.
        Err(rapport_persistence::Error::Conflict { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn jwt_secret(db: &Db, config: &Config) -> Result<String, StartupError> {
    if let Some(secret) = &config.jwt_secret {
        if secret.len() < 32 {
            return Err(StartupError::Config(
                "RAPPORT_JWT_SECRET must be at least 32 characters".into(),
            ));
        }
        return Ok(secret.clone());
    }
    let stored = settings::get_or_insert(
        db.conn(),
        "jwt_secret",
        serde_json::json!(auth::random_secret(4)),
    )
    .await?;
    stored
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| StartupError::Config("stored jwt_secret is not text".into()))
}

/// The methods the document lists for a concrete path, if it lists the path at all. A path
/// written out in the document (`/customers/search`) is that path, not an id of its template.
fn documented_methods(doc: &serde_json::Value, path: &str) -> Option<Vec<&'static str>> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let paths = doc["paths"].as_object()?;
    let matching = |literal_only: bool| {
        paths.iter().find_map(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            let matches = parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| (!literal_only && t.starts_with('{')) || t == s);
            matches.then(|| {
                ["GET", "POST", "PATCH", "PUT", "DELETE"]
                    .into_iter()
                    .filter(|m| item.get(m.to_ascii_lowercase()).is_some())
                    .collect()
            })
        })
    };
    matching(true).or_else(|| matching(false))
}

/// Answers requests no route took: 405 with `Allow` for documented paths, 404 otherwise.
async fn fallback(
    req: HttpRequest,
    doc: Data<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    if req.path() == "/swagger-ui" {
        return Ok(HttpResponse::PermanentRedirect()
            .insert_header((header::LOCATION, "/swagger-ui/"))
            .finish());
    }
    match documented_methods(&doc, req.path()) {
        // A documented operation that no route took: an id that is not an id.
        Some(methods) if methods.contains(&req.method().as_str()) => Err(ApiError::not_found()),
        Some(methods) if !methods.is_empty() => {
            if req.method() == Method::OPTIONS {
                return Ok(HttpResponse::NoContent()
                    .insert_header((header::ALLOW, methods.join(", ")))
                    .finish());
            }
            Err(ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!(
                    "{} is not allowed here; use {}",
                    req.method(),
                    methods.join(", ")
                ),
            ))
            .map_err(|e| e.with_allow(methods.join(", ")))
        }
        _ => Err(ApiError::new(
            ErrorCode::NotFound,
            format!("no route matches {}", req.path()),
        )),
    }
}

/// Builds the server for `config`, creating the first admin on an empty database. When the
/// database cannot be reached, the server starts all the same and is not ready (503) until it can.
pub async fn build(config: Config) -> Result<Application, StartupError> {
    let db = Db::connect(&config.database_url, &db_options(&config)).await?;
    tokio::spawn(rapport_persistence::changes::listen(db.clone()));
    let chat = crate::conversations::stream::ChatHub::new(config.max_streams);
    tokio::spawn(Arc::clone(&chat).run(db.clone()));
    tokio::spawn(Arc::clone(&chat).close_on_shutdown());
    let chat = Data::from(chat);
    let state = Data::new(AppState {
        db,
        tokens: std::sync::OnceLock::new(),
        standings: auth::standings::Standings::default(),
        definitions: crate::remembered::Remembered::new(2),
        passwords: password::PasswordWorkers::start(
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        )
        .map_err(|e| StartupError::Config(format!("could not start the password workers: {e}")))?,
        login_throttle: LoginThrottle::new(
            Duration::from_secs(config.login_window),
            config.login_failures_per_account,
            config.login_failures_per_address,
        ),
        config: Arc::new(config.clone()),
        clock: config.clock.clone(),
    });
    let first_admin = match prepare(&state.db, &config).await {
        Ok(prepared) => {
            serve(&state, &prepared.secret);
            prepared.first_admin
        }
        Err(StartupError::Database(rapport_persistence::Error::Unavailable(reason))) => {
            tracing::warn!(%reason, "the database does not answer; serving 503 until it does");
            tokio::spawn(prepare_when_reachable(state.clone(), config.clone()));
            None
        }
        Err(e) => return Err(e),
    };
    let doc = Data::new(crate::openapi::document());
    let listener =
        TcpListener::bind(&config.bind).map_err(|e| StartupError::Bind(config.bind.clone(), e))?;
    let port = listener
        .local_addr()
        .map_err(|e| StartupError::Bind(config.bind.clone(), e))?
        .port();
    let limiter = Data::new(crate::rate_limit::RateLimiter::per_minute(
        config.auth_rate_limit,
        config.rate_limit,
    ));
    let body_limit = config.body_limit;
    let body_timeout = Data::new(crate::slow_bodies::BodyTimeout(Duration::from_secs(
        config.body_timeout,
    )));
    let origins = config.cors_origins.clone();
    let mut server = HttpServer::new(move || {
        let cors = origins
            .iter()
            .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
            .allowed_methods(["GET", "POST", "PATCH", "PUT", "DELETE"])
            .allowed_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                header::ACCEPT_LANGUAGE,
            ])
            .allowed_header("idempotency-key")
            .allowed_header("x-request-id")
            .expose_headers([
                "etag",
                "location",
                "x-request-id",
                "retry-after",
                "idempotent-replayed",
                "ratelimit",
                "ratelimit-policy",
            ])
            .max_age(600);
        // With no origin configured there is nothing for CORS to allow: the middleware stays out
        // of the way instead of adding its Vary headers to every answer.
        let cors = Condition::new(!origins.is_empty(), cors);
        let (app, _) = App::new()
            .into_utoipa_app()
            .configure(crate::routes::routes)
            .split_for_parts();
        app.app_data(state.clone())
            .app_data(chat.clone())
            .app_data(doc.clone())
            .app_data(limiter.clone())
            .app_data(body_timeout.clone())
            .app_data(web::PayloadConfig::new(body_limit))
            .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::not_found().into()))
            .service(rapport_openapi::swagger_ui(doc.get_ref().clone()))
            .default_service(web::to(fallback))
            .wrap(from_fn(crate::slow_bodies::limit))
            .wrap(from_fn(crate::rate_limit::limit))
            .wrap(from_fn(health::until_ready))
            .wrap(cors)
            .wrap(from_fn(envelope::envelope))
    })
    .listen(listener)
    .map_err(|e| StartupError::Bind(config.bind.clone(), e))?
    .shutdown_timeout(30)
    .client_request_timeout(Duration::from_secs(config.header_timeout));
    if config.workers > 0 {
        server = server.workers(config.workers);
    }
    Ok(Application {
        port,
        server: server.run(),
        first_admin,
    })
}
