//! Rapport's persistence: one sea-orm entity per table and, per CRM area, the queries and use cases.
//!
//! A use case is one function and one transaction: it loads what it needs, asks the domain whether
//! the change is allowed, writes the rows, the audit event and the outbox event together, and returns
//! a domain value. Entities never leave this crate.

pub mod access;
pub mod activities;
pub mod audit;
pub mod batch;
pub mod care;
pub mod catalogue;
pub mod changes;
pub mod conversations;
pub mod custom_fields;
pub mod customers;
mod db;
pub mod deals;
mod error;
pub mod events;
mod filter;
pub mod housekeeping;
pub mod idempotency;
pub mod imports;
pub mod jobs;
pub mod leads;
pub mod loyalty;
pub mod marketing;
pub mod orders;
pub mod page;
pub mod pipelines;
pub mod return_visits;
pub mod rewards;
pub mod segments;
pub mod settings;
pub mod sla;
pub mod tasks;
pub mod tickets;
pub mod timeline;

pub use db::{Backend, Db, DbOptions, WriteTxn, now};
pub use error::{Error, Result};
pub use filter::Subset;
pub use sea_orm::DbErr;
