//! `/imports`: loading customers, products or order history from a file as a background job;
//! the scheduler runs an import's job through `run`.

pub mod routes;
pub mod rows;
pub mod worker;

pub use worker::run;
