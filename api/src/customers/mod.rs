//! `/customers` and `/customers/{id}/contacts`.

pub mod batch;
pub mod contacts;
pub mod dto;
pub mod export;
pub mod masking;
pub mod merge;
pub mod privacy;
pub mod routes;
pub mod search;
