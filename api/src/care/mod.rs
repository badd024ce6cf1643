//! `/care-plans` and `/care-participations`: the occasions on which staff attend to customers,
//! run daily by the scheduler or now by hand, and what came of each.

pub mod routes;
pub mod run;

pub use routes::ParticipationView;
pub use run::{run_due, run_plan};
