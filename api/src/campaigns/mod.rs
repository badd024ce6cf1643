//! Campaigns over HTTP: their definitions and moves, their frozen audiences, tracking events in
//! batches, and their results.

pub mod dto;
pub mod routes;
pub mod tracking;

pub use dto::CampaignTouchView;
