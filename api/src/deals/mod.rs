//! Deals over HTTP: opportunities moving through a pipeline, won or lost, with the history of
//! their stages (`routes`), and the filter language over them (`search`).

pub mod routes;
pub mod search;

pub use routes::DealView;
