//! Customers, their tags and contacts.
//!
//! Other areas of this crate use what this front door names: searching and counting, a bulk
//! request's selection, what an import must know before it writes. The tables, queries and
//! columns are private to the area.

mod activity;
pub mod batch;
pub mod bulk;
mod columns;
mod consent;
pub mod contacts;
#[doc(hidden)]
pub mod entity;
pub mod levels;
pub mod membership;
pub mod merge;
pub mod privacy;
mod purchases;
mod queries;
pub mod selection;
pub mod tags;
pub mod tiers;
mod unique;
mod use_cases;

pub use activity::recount as recount_last_activity;
pub use bulk::{insert_all, taken};
pub(crate) use membership::lock;
pub use purchases::recount as recount_purchases;
pub use queries::{
    CustomerFilter, CustomerSearch, count, get, linked, list, owned_by, search, search_statement,
};
pub(crate) use selection::ids as selected_ids;
pub use selection::{BulkOutcome, Selection};
pub use tiers::{held_by as tier_held_by, review as review_tier};
pub(crate) use use_cases::insert;
pub use use_cases::{create, delete, fill_derived_text, update};
