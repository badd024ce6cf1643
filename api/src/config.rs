//! Settings: defaults, overridden by an optional TOML file, overridden by environment variables.

use std::path::Path;

use serde::Deserialize;

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines (development).
    Pretty,
    /// One JSON object per line (production).
    Json,
}

/// Every setting, each documented in the README with its default.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `RAPPORT_BIND`: address and port to listen on.
    pub bind: String,
    /// `DATABASE_URL`: `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// `RAPPORT_DB_MAX_CONNECTIONS`: pool size.
    pub db_max_connections: u32,
    /// `RAPPORT_DB_TIMEOUT`: seconds a request waits for a database connection (or, on SQLite,
    /// for another process's lock) before it is answered 503.
    pub db_timeout: u64,
    /// `REDIS_URL`: optional; not used by this version.
    pub redis_url: Option<String>,
    /// `RAPPORT_JWT_SECRET`: signs access tokens; generated and kept in the database when unset.
    pub jwt_secret: Option<String>,
    /// `RAPPORT_ADMIN_EMAIL`: the first administrator, created on an empty database.
    pub admin_email: Option<String>,
    /// `RAPPORT_ADMIN_PASSWORD`: their password; random and printed once when unset.
    pub admin_password: Option<String>,
    /// `RAPPORT_LOG_FORMAT`: `pretty` or `json`.
    pub log_format: LogFormat,
    /// `RAPPORT_LOG_LEVEL`: a tracing filter such as `info` or `rapport_api=debug,info`.
    pub log_level: String,
    /// `RAPPORT_BODY_LIMIT`: largest request body in bytes.
    pub body_limit: usize,
    /// `RAPPORT_HEADER_TIMEOUT`: seconds a client has to send a request's head (408 after).
    pub header_timeout: u64,
    /// `RAPPORT_BODY_TIMEOUT`: seconds a client has to send a request body, or, for an import
    /// file, to send its next piece (408 after).
    pub body_timeout: u64,
    /// `RAPPORT_MAX_STREAMS`: event streams (`GET /conversations/stream`) one process holds open
    /// at once (503 after).
    pub max_streams: usize,
    /// `RAPPORT_ACCESS_TOKEN_TTL`: access-token lifetime in seconds.
    pub access_token_ttl: i64,
    /// `RAPPORT_REFRESH_TOKEN_TTL`: refresh-token lifetime in seconds.
    pub refresh_token_ttl: i64,
    /// `RAPPORT_LOGIN_WINDOW`: seconds over which failed sign-ins are counted.
    pub login_window: u64,
    /// `RAPPORT_LOGIN_FAILURES_PER_ACCOUNT`: failures allowed per account per window.
    pub login_failures_per_account: u32,
    /// `RAPPORT_LOGIN_FAILURES_PER_ADDRESS`: failures allowed per client address per window.
    pub login_failures_per_address: u32,
    /// `RAPPORT_RATE_LIMIT`: requests per minute per credential.
    pub rate_limit: u32,
    /// `RAPPORT_AUTH_RATE_LIMIT`: sign-in, refresh and sign-out requests per minute per address.
    pub auth_rate_limit: u32,
    /// `RAPPORT_WORKERS`: HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// `RAPPORT_CORS_ORIGINS`: comma-separated origins allowed to call from browsers; none by default.
    pub cors_origins: Vec<String>,
    /// `RAPPORT_IMPORT_LIMIT`: largest import file in bytes.
    pub import_limit: u64,
    /// `RAPPORT_JOB_LEASE`: seconds a worker holds a job without renewing; after that another
    /// worker takes it over.
    pub job_lease: u64,
    /// `RAPPORT_SCHEDULER`: whether this process takes jobs from the jobs table (`true`): imports,
    /// housekeeping and every timed job. Turned off, the node only serves requests.
    pub scheduler: bool,
    /// Where "now" comes from: the system clock, or (for tests only, never read from a file or
    /// the environment) a fixed instant.
    #[serde(skip)]
    pub clock: crate::clock::Clock,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            database_url: "sqlite://rapport.db?mode=rwc".into(),
            db_max_connections: 16,
            db_timeout: 5,
            redis_url: None,
            jwt_secret: None,
            admin_email: None,
            admin_password: None,
            log_format: LogFormat::Pretty,
            log_level: "info".into(),
            body_limit: 1024 * 1024,
            header_timeout: 5,
            body_timeout: 10,
            max_streams: 2000,
            access_token_ttl: 900,
            refresh_token_ttl: 30 * 24 * 3600,
            login_window: 300,
            login_failures_per_account: 5,
            login_failures_per_address: 20,
            rate_limit: 600,
            auth_rate_limit: 30,
            workers: 0,
            cors_origins: Vec::new(),
            import_limit: 512 * 1024 * 1024,
            job_lease: 60,
            scheduler: true,
            clock: crate::clock::Clock::System,
        }
    }
}

/// A setting that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Reads the TOML file at `file` (if given, or `rapport.toml` when present), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let default_file = Path::new("rapport.toml");
        let file = file.or_else(|| default_file.exists().then_some(default_file));
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
                toml::from_str(&text)
                    .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?
            }
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    /// Overrides settings from environment variables, read through `var`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, ConfigError> {
            value
                .parse()
                .map_err(|_| ConfigError(format!("{name}={value} is not valid")))
        }
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        if let Some(v) = var("RAPPORT_BIND") {
            self.bind = v;
        }
        if let Some(v) = var("DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = var("RAPPORT_DB_MAX_CONNECTIONS") {
            self.db_max_connections = parse("RAPPORT_DB_MAX_CONNECTIONS", &v)?;
        }
        if let Some(v) = var("RAPPORT_DB_TIMEOUT") {
            self.db_timeout = parse("RAPPORT_DB_TIMEOUT", &v)?;
        }
        if let Some(v) = var("REDIS_URL") {
            self.redis_url = Some(v);
        }
        if let Some(v) = var("RAPPORT_JWT_SECRET") {
            self.jwt_secret = Some(v);
        }
        if let Some(v) = var("RAPPORT_ADMIN_EMAIL") {
            self.admin_email = Some(v);
        }
        if let Some(v) = var("RAPPORT_ADMIN_PASSWORD") {
            self.admin_password = Some(v);
        }
        if let Some(v) = var("RAPPORT_LOG_FORMAT") {
            self.log_format = match v.as_str() {
                "json" => LogFormat::Json,
                "pretty" => LogFormat::Pretty,
                _ => {
                    return Err(ConfigError(format!(
                        "RAPPORT_LOG_FORMAT={v}: use pretty or json"
                    )));
                }
            };
        }
        if let Some(v) = var("RAPPORT_LOG_LEVEL") {
            self.log_level = v;
        }
        if let Some(v) = var("RAPPORT_BODY_LIMIT") {
            self.body_limit = parse("RAPPORT_BODY_LIMIT", &v)?;
        }
        if let Some(v) = var("RAPPORT_HEADER_TIMEOUT") {
            self.header_timeout = parse("RAPPORT_HEADER_TIMEOUT", &v)?;
        }
        if let Some(v) = var("RAPPORT_BODY_TIMEOUT") {
            self.body_timeout = parse("RAPPORT_BODY_TIMEOUT", &v)?;
        }
        if let Some(v) = var("RAPPORT_MAX_STREAMS") {
            self.max_streams = parse("RAPPORT_MAX_STREAMS", &v)?;
        }
        if let Some(v) = var("RAPPORT_ACCESS_TOKEN_TTL") {
            self.access_token_ttl = parse("RAPPORT_ACCESS_TOKEN_TTL", &v)?;
        }
        if let Some(v) = var("RAPPORT_REFRESH_TOKEN_TTL") {
            self.refresh_token_ttl = parse("RAPPORT_REFRESH_TOKEN_TTL", &v)?;
        }
        if let Some(v) = var("RAPPORT_LOGIN_WINDOW") {
            self.login_window = parse("RAPPORT_LOGIN_WINDOW", &v)?;
        }
        if let Some(v) = var("RAPPORT_LOGIN_FAILURES_PER_ACCOUNT") {
            self.login_failures_per_account = parse("RAPPORT_LOGIN_FAILURES_PER_ACCOUNT", &v)?;
        }
        if let Some(v) = var("RAPPORT_LOGIN_FAILURES_PER_ADDRESS") {
            self.login_failures_per_address = parse("RAPPORT_LOGIN_FAILURES_PER_ADDRESS", &v)?;
        }
        if let Some(v) = var("RAPPORT_RATE_LIMIT") {
            self.rate_limit = parse("RAPPORT_RATE_LIMIT", &v)?;
        }
        if let Some(v) = var("RAPPORT_AUTH_RATE_LIMIT") {
            self.auth_rate_limit = parse("RAPPORT_AUTH_RATE_LIMIT", &v)?;
        }
        if let Some(v) = var("RAPPORT_WORKERS") {
            self.workers = parse("RAPPORT_WORKERS", &v)?;
        }
        if let Some(v) = var("RAPPORT_IMPORT_LIMIT") {
            self.import_limit = parse("RAPPORT_IMPORT_LIMIT", &v)?;
        }
        if let Some(v) = var("RAPPORT_JOB_LEASE") {
            self.job_lease = parse("RAPPORT_JOB_LEASE", &v)?;
        }
        if let Some(v) = var("RAPPORT_SCHEDULER") {
            self.scheduler = parse("RAPPORT_SCHEDULER", &v)?;
        }
        if let Some(v) = var("RAPPORT_CORS_ORIGINS") {
            self.cors_origins = v
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_defaults() {
        let mut config = Config::default();
        config
            .apply_env(|name| match name {
                "RAPPORT_BIND" => Some("0.0.0.0:9000".into()),
                "RAPPORT_CORS_ORIGINS" => Some("https://a.example, https://b.example".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.bind, "0.0.0.0:9000");
        assert_eq!(
            config.cors_origins,
            vec!["https://a.example", "https://b.example"]
        );
        assert_eq!(config.database_url, "sqlite://rapport.db?mode=rwc");
    }

    #[test]
    fn bad_numbers_are_reported_by_name() {
        let mut config = Config::default();
        let err = config
            .apply_env(|name| (name == "RAPPORT_BODY_LIMIT").then(|| "lots".into()))
            .unwrap_err();
        assert!(err.0.contains("RAPPORT_BODY_LIMIT"));
    }

    #[test]
    fn toml_files_use_the_field_names() {
        let config: Config =
            toml::from_str("bind = \"127.0.0.1:1\"\nlog_format = \"json\"").unwrap();
        assert_eq!(config.log_format, LogFormat::Json);
        assert!(toml::from_str::<Config>("binds = 1").is_err());
    }
}
