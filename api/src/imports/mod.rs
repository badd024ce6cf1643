//! `/imports`: loading customers from a file as a background job.

pub mod routes;
pub mod rows;
pub mod worker;
