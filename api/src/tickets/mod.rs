//! Tickets over HTTP: customers' requests and complaints worked to a close and rated (`routes`,
//! with what goes over the wire in `dto`), their public and internal comments (`comments`), and
//! the filter language over them (`search`).

pub mod comments;
pub mod dto;
pub mod routes;
pub mod search;

pub use comments::CommentView;
pub use dto::{TicketPriorityDto, TicketTypeDto, TicketView};
