//! Marketing: campaigns (their audiences, tracking and results), coupons (their wallets and
//! redemptions) and promotions, which share their terms.

/// The [`Terms`](rapport_domain::marketing::offers::Terms) kept in the columns of row `$m`
/// (a coupon's or a promotion's, `$what` in the error).
macro_rules! terms_of {
    ($m:expr, $what:literal) => {{
        let unknown =
            |part: &str| $crate::Error::Internal(format!("a stored {} {part} is unknown", $what));
        rapport_domain::marketing::offers::Terms {
            kind: rapport_domain::marketing::offers::OfferKind::from_name(&$m.kind)
                .ok_or_else(|| unknown("kind"))?,
            currency: rapport_domain::values::Currency::parse("currency", &$m.currency)
                .map_err(|_| unknown("currency"))?,
            amount_off: $m.amount_off,
            percent_off: $m.percent_off,
            max_discount: $m.max_discount,
            min_order_amount: $m.min_order_amount,
            gift_variant_id: $m.gift_variant_id,
            valid_from: $m.valid_from,
            valid_until: $m.valid_until,
            product_ids: serde_json::from_value($m.product_ids.clone())?,
            category_ids: serde_json::from_value($m.category_ids.clone())?,
            status: rapport_domain::marketing::offers::OfferStatus::from_name(&$m.status)
                .ok_or_else(|| unknown("status"))?,
        }
    }};
}

/// Sets the terms' columns of active row `$row` from terms `$t`.
macro_rules! set_terms {
    ($row:expr, $t:expr) => {{
        let t: &rapport_domain::marketing::offers::Terms = $t;
        $row.kind = Set(t.kind.as_str().to_owned());
        $row.currency = Set(t.currency.code().to_owned());
        $row.amount_off = Set(t.amount_off);
        $row.percent_off = Set(t.percent_off);
        $row.max_discount = Set(t.max_discount);
        $row.min_order_amount = Set(t.min_order_amount);
        $row.gift_variant_id = Set(t.gift_variant_id);
        $row.valid_from = Set(t.valid_from);
        $row.valid_until = Set(t.valid_until);
        $row.product_ids = Set(serde_json::to_value(&t.product_ids)?);
        $row.category_ids = Set(serde_json::to_value(&t.category_ids)?);
        $row.status = Set(t.status.as_str().to_owned());
    }};
}

pub mod campaigns;
pub mod coupons;
pub mod promotions;

pub use campaigns::{
    Touch as CampaignTouch, credited as credited_campaign, touches_with_ids as campaign_touches,
};
pub use coupons::{
    Redemption as CouponRedemption, benefit as coupon_benefit, get as coupon, give as give_coupon,
    give_back as give_coupon_back, issue_for_order as issue_coupons_for_order, issued_codes,
    redeem as redeem_coupon,
};
pub use promotions::in_force as promotions_in_force;
