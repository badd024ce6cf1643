//! Rapport's HTTP API: handlers, DTOs, authentication and the conventions every resource shares.
//! The `rapport` binary lives in `main.rs`; tests build the same server with [`startup::build`].

#[macro_use]
mod mirror;

pub mod activities;
pub mod api_keys;
pub mod auth;
pub mod batch;
pub mod campaigns;
pub mod care;
pub mod catalogue;
pub mod clock;
pub mod config;
pub mod conversations;
pub mod coupons;
pub mod custom_fields;
pub mod customers;
pub mod data_export;
pub mod deals;
pub mod envelope;
pub mod export;
pub mod extract;
pub mod health;
pub mod imports;
pub mod jobs;
pub mod leads;
pub mod loyalty;
pub mod openapi;
pub mod orders;
pub mod pipelines;
pub mod problem;
pub mod promotions;
pub mod rate_limit;
pub mod records;
pub mod remembered;
pub mod respond;
pub mod return_visits;
pub mod rewards;
pub mod routes;
pub mod search;
pub mod segments;
pub mod sessions;
pub mod settings;
pub mod sla;
pub mod slow_bodies;
pub mod spreadsheet;
pub mod startup;
pub mod state;
pub mod tags;
pub mod tasks;
pub mod telemetry;
pub mod tickets;
pub mod timeline;
pub mod users;
