//! The catalogue: categories, brands, products with their variants, and the stock ledger.
//!
//! Other areas use what this front door names; the tables are private to the area.

pub mod batch;
pub mod brands;
pub mod categories;
mod columns;
mod entity;
pub mod products;
mod references;
pub mod stock;

pub use products::{ForSale, for_sale, variant_ids_by_sku};
pub use stock::{Move, Refused, apply as move_stock};
