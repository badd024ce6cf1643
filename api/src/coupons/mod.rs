//! Coupons over HTTP: their definitions, issuing them into customers' wallets, the wallets, and
//! pricing a draft order with one.

pub mod dto;
pub mod routes;
pub mod validate;
pub mod wallet;

pub use dto::WalletCouponView;
