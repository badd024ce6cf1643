//! `/segments`: saved filters and hand-kept lists of customers, with their members.

pub mod audiences;
pub mod dto;
pub mod routes;

pub use audiences::{Audience, audience};
pub use routes::membership;
