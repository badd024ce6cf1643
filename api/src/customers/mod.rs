//! `/customers` and `/customers/{id}/contacts`.

pub mod contacts;
pub mod dto;
pub mod routes;
