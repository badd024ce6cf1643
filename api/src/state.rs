//! What every handler can reach.

use std::sync::Arc;

use rapport_persistence::Db;

use crate::auth::password::PasswordWorkers;
use crate::auth::standings::Standings;
use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::custom_fields::remembered::RememberedDefinitions;

/// Shared application state.
pub struct AppState {
    /// The database.
    pub db: Db,
    /// Access-token keys.
    pub tokens: TokenKeys,
    /// Failed sign-in throttle.
    pub login_throttle: LoginThrottle,
    /// Users' standings, remembered until access changes.
    pub standings: Standings,
    /// Custom field definitions, remembered until one changes.
    pub definitions: RememberedDefinitions,
    /// The threads that hash and verify passwords.
    pub passwords: PasswordWorkers,
    /// The configuration the server started with.
    pub config: Arc<Config>,
}
