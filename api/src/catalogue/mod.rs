//! The catalogue over HTTP: categories, brands, products with their variants, and stock.

pub mod batch;
pub mod brands;
pub mod categories;
pub mod export;
pub mod products;
pub mod search;

pub use batch::ProductItemDto;

use rapport_domain::sort::{SortKey, SortOrder};

use crate::problem::ApiError;

/// The sort order a catalogue list was asked for, by name unless `sort` says otherwise.
fn order(raw: Option<&str>, sortable: &[&str]) -> Result<SortOrder, ApiError> {
    SortOrder::parse(raw, sortable, SortKey::ascending("name"))
        .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))
}
