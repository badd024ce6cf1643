//! `/custom-fields`: the definitions of the workspace's own fields on customers and contacts.

pub mod dto;
pub mod remembered;
pub mod routes;
