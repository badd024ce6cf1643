//! Who may do what: permissions, their data scope, roles and the acting principal.

mod actor;
pub mod ceiling;
mod permission;
mod role;

pub use actor::{Actor, Principal};
pub use permission::{Action, Grant, Permission, Resource, Scope};
pub use role::{BuiltInRole, RoleName};
