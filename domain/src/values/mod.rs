//! Value types that cannot hold bad data: a value that exists is a valid value.

mod email;
mod phone;

pub use email::Email;
pub use phone::Phone;
