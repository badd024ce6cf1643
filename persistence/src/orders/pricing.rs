//! Pricing an order: its variant lines priced from the catalogue as sold, the promotion in force
//! that gives it the most and its coupon applied (each a sum off, or a gift added as a line and
//! taken off again), the discount of the customer's membership tier taken from what is left, and
//! its totals summed here. Placing, changing and
//! quoting an order all price it this way.

use chrono::{DateTime, Utc};
use rapport_domain::marketing::offers::{Benefit, CartLine, Inapplicable};
use rapport_domain::marketing::promotions::best;
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

/// An order's lines with what its offers give.
#[derive(Debug, Clone, Default)]
pub(super) struct Priced {
    /// The lines, gifts last.
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

/// The lines an order bought, without the gifts its offers added.
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

/// One unit of `variant` as a line given free with an order in `currency`, or why it cannot be:
/// no longer for sale, or sold in another currency.
async fn gift_line(
    conn: &impl ConnectionTrait,
    variant: Uuid,
    currency: Currency,
) -> Result<std::result::Result<OrderLine, Inapplicable>> {
    Ok(match for_sale(conn, &[variant]).await?.remove(&variant) {
        Some(item) if item.active && item.currency == currency => Ok(OrderLine {
            id: Uuid::now_v7(),
            variant_id: Some(item.variant_id),
            product_id: Some(item.product_id),
            sku: Some(item.sku.clone()),
            name: item.name.clone(),
            quantity: 1,
            unit_price: item.price,
            line_total: item.price,
            restocked: 0,
        }),
        Some(item) if item.active => Err(Inapplicable::CurrencyMismatch),
        _ => Err(Inapplicable::GiftUnavailable),
    })
}

/// `lines` as an offer sees them: each with its product's category.
async fn cart(conn: &impl ConnectionTrait, lines: &[OrderLine]) -> Result<Vec<CartLine>> {
    let variants: Vec<Uuid> = lines.iter().filter_map(|l| l.variant_id).collect();
    let catalogue = for_sale(conn, &variants).await?;
    Ok(lines
        .iter()
        .map(|l| CartLine {
            product_id: l.product_id,
            category_id: l
                .variant_id
                .and_then(|v| catalogue.get(&v))
                .and_then(|item| item.category_id),
            line_total: l.line_total,
        })
        .collect())
}

/// `priced` with what `benefit` of an offer gives: a sum off, or a gift added as a line and
/// taken off again; `discount` is the offer's line of the totals, its amount and gift filled in
/// here. `None` when the gift cannot be given, with why.
async fn with_benefit(
    conn: &impl ConnectionTrait,
    currency: Currency,
    mut priced: Priced,
    benefit: Benefit,
    mut discount: Discount,
) -> Result<std::result::Result<Priced, Inapplicable>> {
    match benefit {
        Benefit::Amount(amount) => discount.amount = amount,
        Benefit::Gift(variant) => match gift_line(conn, variant, currency).await? {
            Ok(line) => {
                discount.amount = line.line_total;
                discount.gift_line_id = Some(line.id);
                priced.lines.push(line);
            }
            Err(why) => return Ok(Err(why)),
        },
    }
    priced.discounts.push(discount);
    Ok(Ok(priced))
}

/// `lines` (none of them a gift) with the promotion in force at `now` that gives them the most,
/// if any fits: its own line of the totals, and its gift as a line.
async fn with_promotion(
    conn: &impl ConnectionTrait,
    currency: Currency,
    lines: Vec<OrderLine>,
    now: DateTime<Utc>,
) -> Result<Priced> {
    let plain = Priced {
        lines,
        ..Priced::default()
    };
    let promotions = marketing::promotions_in_force(conn, currency, now).await?;
    if promotions.is_empty() {
        return Ok(plain);
    }
    let cart = cart(conn, &plain.lines).await?;
    let gifts: Vec<Uuid> = promotions
        .iter()
        .filter_map(|p| p.terms.gift_variant_id)
        .collect();
    let gift_prices = for_sale(conn, &gifts).await?;
    let worth = |variant: Uuid| {
        gift_prices
            .get(&variant)
            .filter(|item| item.active && item.currency == currency)
            .map(|item| item.price)
    };
    let Some((promotion, benefit)) = best(&promotions, currency, &cart, now, worth) else {
        return Ok(plain);
    };
    let discount = Discount {
        source: DiscountSource::Promotion,
        source_id: promotion.id,
        name: promotion.name.clone(),
        code: None,
        amount: 0,
        gift_line_id: None,
    };
    Ok(
        with_benefit(conn, currency, plain.clone(), benefit, discount)
            .await?
            .unwrap_or(plain),
    )
}

/// `priced` (its lines, perhaps a promotion's gift last) with what the coupon of `code` gives an
/// order of `customer_id` in `currency` at `now`, counting the lines bought and not a gift; when
/// it gives nothing, `priced` as it was and why.
async fn with_coupon(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
    currency: Currency,
    priced: Priced,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(Priced, Option<Inapplicable>)> {
    let Some(code) = code else {
        return Ok((priced, None));
    };
    let gifts: Vec<Uuid> = priced
        .discounts
        .iter()
        .filter_map(|d| d.gift_line_id)
        .collect();
    let bought: Vec<OrderLine> = priced
        .lines
        .iter()
        .filter(|l| !gifts.contains(&l.id))
        .cloned()
        .collect();
    let cart = cart(conn, &bought).await?;
    let (offer, benefit) =
        match marketing::coupon_benefit(conn, customer_id, code, currency, &cart, now).await? {
            Ok(found) => found,
            Err(why) => return Ok((priced, Some(why))),
        };
    let discount = Discount {
        source: DiscountSource::Coupon,
        source_id: offer.coupon.id,
        name: offer.coupon.name.clone(),
        code: Some(offer.code.clone()),
        amount: 0,
        gift_line_id: None,
    };
    match with_benefit(conn, currency, priced.clone(), benefit, discount).await? {
        Ok(mut with) => {
            with.coupon = Some((offer.coupon.id, offer.code));
            Ok((with, None))
        }
        Err(why) => Ok((priced, Some(why))),
    }
}

/// `lines` (none of them a gift) priced with every offer for an order of `customer_id` in
/// `currency` at `now`: the promotion that gives the most, the coupon of `code`, and the member's
/// tier discount; and why the coupon gives nothing, when it does not.
async fn with_offers(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
    currency: Currency,
    lines: Vec<OrderLine>,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(Priced, Option<Inapplicable>)> {
    let priced = with_promotion(conn, currency, lines, now).await?;
    let (priced, refusal) = with_coupon(conn, customer_id, currency, priced, code, now).await?;
    Ok((
        with_member_discount(conn, customer_id, priced).await?,
        refusal,
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

/// [`with_offers`], refusing an order whose coupon gives nothing (422 at `coupon_code`).
pub(super) async fn with_coupon_or_refuse(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
    currency: Currency,
    lines: Vec<OrderLine>,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Priced> {
    match with_offers(conn, customer_id, currency, lines, code, now).await? {
        (priced, None) => Ok(priced),
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
        with_offers(conn, customer.id, checked.currency, lines, code, now).await?;
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
