//! Rapport's domain: the CRM's nouns and the rules that must hold, with no I/O.
//!
//! Everything here can be read by someone who knows CRMs but not web frameworks, and tested in
//! microseconds. Persistence and HTTP depend on this crate; it depends on neither.

#[macro_use]
mod names;

pub mod access;
pub mod activities;
pub mod care;
pub mod catalogue;
pub mod conversations;
pub mod custom_fields;
pub mod customers;
pub mod deals;
pub mod filter;
pub mod imports;
pub mod jobs;
pub mod leads;
pub mod loyalty;
pub mod marketing;
pub mod orders;
pub mod pipelines;
pub mod return_visits;
pub mod segments;
pub mod settings;
pub mod sla;
pub mod sort;
pub mod tasks;
pub mod tickets;
pub mod timeline;
pub mod validation;
pub mod values;

pub use validation::{FieldError, FieldErrors};
