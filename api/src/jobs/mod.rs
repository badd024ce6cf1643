//! Jobs: the scheduler every node runs over the jobs table, and the administrators' view of what
//! ran, when and how.

pub mod routes;
pub mod scheduler;
