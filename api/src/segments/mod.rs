//! `/segments`: saved filters and hand-kept lists of customers, with their members.

pub mod dto;
pub mod routes;

pub use routes::membership;
