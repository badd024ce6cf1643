//! Tickets over HTTP: customers' requests and complaints worked to a close and rated (`routes`,
//! with what goes over the wire in `dto`), and their public and internal comments (`comments`).

pub mod comments;
pub mod dto;
pub mod routes;

pub use comments::CommentView;
pub use dto::{TicketPriorityDto, TicketTypeDto, TicketView};
