//! Marketing: offers that bring customers back. The terms every offer shares; coupons (a
//! definition, the codes customers hold in their wallets, and the discount one gives an order);
//! and promotions, which apply to every order they fit without a code.

pub mod campaigns;
pub mod coupons;
pub mod offers;
pub mod promotions;
