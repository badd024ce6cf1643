//! The catalogue: categories and brands (products follow).
//!
//! Other areas use what this front door names; the tables are private to the area.

pub mod brands;
pub mod categories;
