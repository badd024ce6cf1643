//! The workspace's own fields: their definitions (one transaction per change, announced so that
//! every process forgets the definitions it remembers), and how their values inside a record's
//! `custom_fields` read as SQL, with the index behind each.
//!
//! Other areas use what this front door names; `definitions.rs` and `values.rs` are private.

mod definitions;
mod values;

pub use definitions::{create, delete, ensure_indexes, for_owner, get, list, update};
pub(crate) use values::{ValueType, field_sql, folded, value};
