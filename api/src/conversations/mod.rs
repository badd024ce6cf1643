//! Live chat over HTTP: conversations (`routes`, with what goes over the wire in `dto`), their
//! messages (`messages`), and the Server-Sent Events stream that carries new messages to agents
//! as they are posted (`stream`).

pub mod dto;
pub mod messages;
pub mod routes;
pub mod stream;

pub use dto::{ConversationView, MessageView};
