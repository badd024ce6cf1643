//! Marketing: coupons, their wallets and redemptions.

pub mod coupons;

pub use coupons::{
    Redemption as CouponRedemption, benefit as coupon_benefit, give_back as give_coupon_back,
    redeem as redeem_coupon,
};
