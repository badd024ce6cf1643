//! Orders over HTTP: placing them, recording them from a shop in batches, listing and reading
//! them, and the actions that move them on.

pub mod actions;
pub mod batch;
pub mod dto;
pub mod export;
pub mod routes;
pub mod search;

pub use batch::OrderItemDto;
pub use dto::{CreateOrderLine, DiscountView, OrderLineView, OrderView};
pub(crate) use routes::domain_lines;
