//! Staff accounts, roles, API keys and sign-in sessions.
//!
//! Other areas reach staff accounts through this front door only (`existing_users`,
//! `user_exists`, `named_user`, `staff_holding`, and `purge_ended_sessions` for housekeeping); the tables (`entity.rs`) are
//! private to the area.

pub mod api_keys;
mod entity;
mod reach;
pub mod roles;
pub mod sessions;
pub mod users;

pub use sessions::purge_ended as purge_ended_sessions;
pub use users::{
    existing as existing_users, exists as user_exists, holding as staff_holding,
    named as named_user,
};
