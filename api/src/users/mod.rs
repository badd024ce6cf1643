//! `/users` and `/roles`.

pub mod dto;
pub mod roles;
pub mod routes;
