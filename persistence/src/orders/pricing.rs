//! Pricing an order: its variant lines priced from the catalogue as sold, its coupon applied (a
//! sum off, or a gift added as a line and taken off again), the discount of the customer's
//! membership tier taken from what is left, and its totals summed here. Placing, changing and
//! quoting an order all price it this way.

use chrono::{DateTime, Utc};
use rapport_domain::marketing::coupons::{Benefit, CartLine, Inapplicable};
use rapport_domain::orders::{
    Discount, DiscountSource, NewLine, Order, OrderLine, Pricing, totals,
};
use rapport_domain::values::Currency;
use rapport_domain::values::money::MAX_AMOUNT;
use rapport_domain::{FieldError, FieldErrors};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::catalogue::for_sale;
use crate::{Error, Result};
use crate::{customers, marketing};

fn invalid(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> FieldError {
    FieldError::new(field, code, message)
}

fn too_large(e: Pricing) -> Error {
    Error::Invalid(FieldErrors::from(e.into_error()))
}

/// Lines priced from the catalogue in `currency`, each with its total, or every mistake.
pub(super) async fn priced_lines(
    conn: &impl ConnectionTrait,
    currency: Currency,
    new_lines: &[NewLine],
) -> Result<Vec<OrderLine>> {
    let variant_ids: Vec<Uuid> = new_lines
        .iter()
        .filter_map(|l| match l {
            NewLine::Variant { variant_id, .. } => Some(*variant_id),
            NewLine::Free { .. } => None,
        })
        .collect();
    let catalogue = for_sale(conn, &variant_ids).await?;
    let mut errors = FieldErrors::new();
    let mut lines = Vec::with_capacity(new_lines.len());
    for (i, new) in new_lines.iter().enumerate() {
        match new {
            NewLine::Variant {
                variant_id,
                quantity,
                unit_price,
            } => match catalogue.get(variant_id) {
                None => errors.push(invalid(
                    format!("lines[{i}].variant_id"),
                    "not_found",
                    "no variant has this id",
                )),
                // A price as sold elsewhere records a sale that happened: the product may be
                // archived since, and the price is in the order's currency.
                Some(item) if !item.active && unit_price.is_none() => errors.push(invalid(
                    format!("lines[{i}].variant_id"),
                    "archived",
                    "the product is archived and no longer sold",
                )),
                Some(item) if item.currency != currency && unit_price.is_none() => {
                    errors.push(Pricing::CurrencyMismatch { line: i }.into_error());
                }
                Some(item) => lines.push(OrderLine {
                    id: Uuid::now_v7(),
                    variant_id: Some(item.variant_id),
                    product_id: Some(item.product_id),
                    sku: Some(item.sku.clone()),
                    name: item.name.clone(),
                    quantity: *quantity,
                    unit_price: unit_price.unwrap_or(item.price),
                    line_total: 0,
                    restocked: 0,
                }),
            },
            NewLine::Free {
                description,
                quantity,
                unit_price,
            } => lines.push(OrderLine {
                id: Uuid::now_v7(),
                variant_id: None,
                product_id: None,
                sku: None,
                name: description.clone(),
                quantity: *quantity,
                unit_price: *unit_price,
                line_total: 0,
                restocked: 0,
            }),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let amounts: Vec<(i64, i64)> = lines.iter().map(|l| (l.quantity, l.unit_price)).collect();
    let (line_totals, _, _) = totals(&amounts, 0).map_err(too_large)?;
    for (line, line_total) in lines.iter_mut().zip(line_totals) {
        line.line_total = line_total;
    }
    Ok(lines)
}

/// An order's lines with what its coupon gives.
#[derive(Debug, Clone, Default)]
pub(super) struct Priced {
    /// The lines, a gift last.
    pub lines: Vec<OrderLine>,
    /// The discounts.
    pub discounts: Vec<Discount>,
    /// The coupon applied and its code.
    pub coupon: Option<(Uuid, String)>,
}

impl Priced {
    /// `(lines' sum, discounts' sum, subtotal, total)` with `shipping`, each within bounds.
    pub fn sums(&self, shipping: i64) -> Result<(i64, i64, i64, i64)> {
        let amounts: Vec<(i64, i64)> = self
            .lines
            .iter()
            .map(|l| (l.quantity, l.unit_price))
            .collect();
        let (_, lines_total, _) = totals(&amounts, 0).map_err(too_large)?;
        let discount_total: i64 = self.discounts.iter().map(|d| d.amount).sum();
        // A discount never exceeds the lines it is taken from.
        let subtotal = (lines_total - discount_total).max(0);
        let total = subtotal
            .checked_add(shipping)
            .filter(|t| *t <= MAX_AMOUNT)
            .ok_or_else(|| too_large(Pricing::TooLarge))?;
        Ok((lines_total, discount_total, subtotal, total))
    }

    /// Puts the lines, discounts, coupon and totals on `order`.
    pub fn onto(self, order: &mut Order) -> Result<()> {
        let (_, discount_total, subtotal, total) = self.sums(order.shipping)?;
        order.lines = self.lines;
        order.discounts = self.discounts;
        order.discount_total = discount_total;
        (order.coupon_id, order.coupon_code) = match self.coupon {
            Some((id, code)) => (Some(id), Some(code)),
            None => (None, None),
        };
        order.subtotal = subtotal;
        order.total = total;
        Ok(())
    }
}

/// The lines an order bought, without the gift a coupon added.
pub(super) fn bought(order: &Order) -> Vec<OrderLine> {
    let gifts: Vec<Uuid> = order
        .discounts
        .iter()
        .filter_map(|d| d.gift_line_id)
        .collect();
    order
        .lines
        .iter()
        .filter(|l| !gifts.contains(&l.id))
        .cloned()
        .collect()
}

/// `lines` (none of them a gift) with what the coupon of `code` gives an order of `customer_id`
/// in `currency` at `now`; when it gives nothing, the lines alone and why.
pub(super) async fn with_coupon(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
    currency: Currency,
    lines: Vec<OrderLine>,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(Priced, Option<Inapplicable>)> {
    let plain = |lines| Priced {
        lines,
        ..Priced::default()
    };
    let Some(code) = code else {
        return Ok((plain(lines), None));
    };
    let products: Vec<Uuid> = lines.iter().filter_map(|l| l.variant_id).collect();
    let catalogue = for_sale(conn, &products).await?;
    let cart: Vec<CartLine> = lines
        .iter()
        .map(|l| CartLine {
            product_id: l.product_id,
            category_id: l
                .variant_id
                .and_then(|v| catalogue.get(&v))
                .and_then(|item| item.category_id),
            line_total: l.line_total,
        })
        .collect();
    let (offer, benefit) =
        match marketing::coupon_benefit(conn, customer_id, code, currency, &cart, now).await? {
            Ok(found) => found,
            Err(why) => return Ok((plain(lines), Some(why))),
        };
    let mut lines = lines;
    let (amount, gift_line_id) = match benefit {
        Benefit::Amount(amount) => (amount, None),
        Benefit::Gift(variant) => {
            let gift = for_sale(conn, &[variant]).await?.remove(&variant);
            match gift {
                Some(item) if item.active && item.currency == currency => {
                    let line = OrderLine {
                        id: Uuid::now_v7(),
                        variant_id: Some(item.variant_id),
                        product_id: Some(item.product_id),
                        sku: Some(item.sku.clone()),
                        name: item.name.clone(),
                        quantity: 1,
                        unit_price: item.price,
                        line_total: item.price,
                        restocked: 0,
                    };
                    let id = line.id;
                    lines.push(line);
                    (item.price, Some(id))
                }
                Some(item) if item.active => {
                    return Ok((plain(lines), Some(Inapplicable::CurrencyMismatch)));
                }
                _ => return Ok((plain(lines), Some(Inapplicable::GiftUnavailable))),
            }
        }
    };
    let discount = Discount {
        source: DiscountSource::Coupon,
        source_id: offer.coupon.id,
        name: offer.coupon.name.clone(),
        code: Some(offer.code.clone()),
        amount,
        gift_line_id,
    };
    Ok((
        Priced {
            lines,
            discounts: vec![discount],
            coupon: Some((offer.coupon.id, offer.code)),
        },
        None,
    ))
}

/// `priced` with the discount of the tier customer `customer_id` holds, when it gives one: its
/// percent of what the lines cost after the coupon, rounded down, as its own line of the totals.
async fn with_member_discount(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
    mut priced: Priced,
) -> Result<Priced> {
    let Some(tier) = customers::tier_held_by(conn, customer_id).await? else {
        return Ok(priced);
    };
    let (lines_total, discount_total, _, _) = priced.sums(0)?;
    let amount = tier.discount_on(lines_total - discount_total);
    if amount > 0 {
        priced.discounts.push(Discount {
            source: DiscountSource::Tier,
            source_id: tier.id,
            name: tier.name,
            code: None,
            amount,
            gift_line_id: None,
        });
    }
    Ok(priced)
}

/// [`with_coupon`] and the member's discount, refusing an order whose coupon gives nothing (422
/// at `coupon_code`).
pub(super) async fn with_coupon_or_refuse(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
    currency: Currency,
    lines: Vec<OrderLine>,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Priced> {
    match with_coupon(conn, customer_id, currency, lines, code, now).await? {
        (priced, None) => with_member_discount(conn, customer_id, priced).await,
        (_, Some(why)) => Err(Error::field("coupon_code", why.code(), why.message())),
    }
}

/// A draft order priced as placing it would price it, and what its coupon does.
#[derive(Debug, Clone)]
pub struct Quote {
    /// The currency.
    pub currency: Currency,
    /// The lines, a coupon's gift last.
    pub lines: Vec<OrderLine>,
    /// The lines' sum.
    pub lines_total: i64,
    /// The discounts.
    pub discounts: Vec<Discount>,
    /// Their sum.
    pub discount_total: i64,
    /// The lines less the discounts.
    pub subtotal: i64,
    /// Shipping.
    pub shipping: i64,
    /// `subtotal + shipping`.
    pub total: i64,
    /// The coupon code looked at, if any.
    pub coupon_code: Option<String>,
    /// Why the coupon gives nothing, when it does not apply.
    pub coupon_refusal: Option<Inapplicable>,
}

/// Prices draft order `checked` for a customer within `owner`'s scope at `now`, without storing
/// anything or using the coupon: the answer a storefront shows before the order is placed.
pub async fn quote(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    checked: rapport_domain::orders::CheckedOrder,
    now: DateTime<Utc>,
) -> Result<Quote> {
    let customer = crate::customers::linked(conn, owner, checked.customer_id).await?;
    let lines = priced_lines(conn, checked.currency, &checked.lines).await?;
    let code = checked.coupon_code.as_deref();
    let (priced, refusal) =
        with_coupon(conn, customer.id, checked.currency, lines, code, now).await?;
    let priced = with_member_discount(conn, customer.id, priced).await?;
    let (lines_total, discount_total, subtotal, total) = priced.sums(checked.shipping)?;
    Ok(Quote {
        currency: checked.currency,
        lines: priced.lines,
        lines_total,
        discounts: priced.discounts,
        discount_total,
        subtotal,
        shipping: checked.shipping,
        total,
        coupon_code: checked.coupon_code,
        coupon_refusal: refusal,
    })
}
