//! Marketing: offers that bring customers back. Coupons for now: a definition with its rules, the
//! codes customers hold in their wallets, and the discount a coupon gives an order.

pub mod coupons;
