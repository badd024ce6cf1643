//! `/customers` and `/customers/{id}/contacts`.
//!
//! Other areas use what this front door names: how a customer is shown and created, how a filter
//! is read and what a caller may filter by, a bulk request's selection.

pub mod batch;
pub mod contacts;
pub mod dto;
pub mod export;
pub mod levels;
pub mod masking;
pub mod merge;
pub mod privacy;
pub mod routes;
pub mod search;
pub mod selection;

pub use dto::{AddressDto, ContactView, CreateCustomer, CustomerView, Stage as CustomerStage};
pub use masking::{all_of, catalogue as filter_catalogue, check_stored_filter, text_condition};
pub use privacy::ConsentRecordView;
pub use search::parse_filter;
pub use selection::{BulkResult, MAX_IDS, ParsedSelection};
