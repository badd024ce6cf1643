//! Staff accounts, roles, API keys and sign-in sessions.

pub mod api_keys;
pub mod changes;
pub mod roles;
pub mod sessions;
pub mod users;
