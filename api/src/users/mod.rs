//! `/users` and `/roles`.
//!
//! Other areas use what this front door names: how a user is shown, how a field naming a role is
//! checked.

pub mod dto;
pub mod roles;
pub mod routes;

pub use dto::{UserView, role_reference};
