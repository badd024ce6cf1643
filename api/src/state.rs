//! What every handler can reach.

use std::sync::Arc;

use rapport_domain::custom_fields::{Definition, FieldOwner};
use rapport_persistence::Db;

use crate::auth::password::PasswordWorkers;
use crate::auth::standings::Standings;
use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::remembered::Remembered;

/// Shared application state.
pub struct AppState {
    /// The database.
    pub db: Db,
    /// Access-token keys, set once the database is prepared: until then the server is not ready.
    pub tokens: std::sync::OnceLock<TokenKeys>,
    /// Failed sign-in throttle.
    pub login_throttle: LoginThrottle,
    /// Users' standings, remembered until access changes.
    pub standings: Standings,
    /// Custom field definitions, remembered until one changes.
    pub definitions: Remembered<FieldOwner, Arc<Vec<Definition>>>,
    /// The threads that hash and verify passwords.
    pub passwords: PasswordWorkers,
    /// The configuration the server started with.
    pub config: Arc<Config>,
    /// Where "now" comes from.
    pub clock: crate::clock::Clock,
}

impl AppState {
    /// Whether the database was prepared and requests are served.
    pub fn is_ready(&self) -> bool {
        self.tokens.get().is_some()
    }

    /// The access-token keys; 503 while the database is not prepared yet.
    pub fn tokens(&self) -> Result<&TokenKeys, crate::problem::ApiError> {
        self.tokens.get().ok_or_else(not_ready)
    }
}

/// The answer while the database has not been reached since start.
pub fn not_ready() -> crate::problem::ApiError {
    crate::problem::ApiError::unavailable("Rapport is starting: the database does not answer yet")
}
