//! Orders: what a customer bought or consumed, line by line, and the states an order moves
//! through. Prices are copied onto the lines as sold, so a later price change never rewrites
//! history; totals are the server's sums, never the client's.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::custom_fields::{self, Definition};
use crate::customers::Address;
use crate::validation::{name, optional_text, text};
use crate::values::money::{self, Currency, MAX_AMOUNT};
use crate::{FieldError, FieldErrors};

pub mod batch;
pub mod delivery;
pub mod fields;
pub mod lifecycle;
pub mod refunds;
pub mod shipments;

pub use delivery::Recipient;
pub use lifecycle::{OrderAction, OrderStatus};
pub use refunds::{Refund, RefundStatus, Restock};
pub use shipments::{Shipment, ShipmentEvent};

/// The most lines of an order.
pub const MAX_LINES: usize = 200;
/// The most units of one line.
pub const MAX_QUANTITY: i64 = 1_000_000;
/// The longest free-line description, note, channel, method or reference.
pub const MAX_TEXT_LEN: usize = 200;
/// The fields an order list can be sorted by.
pub const SORTABLE: &[&str] = &["created_at", "updated_at", "total"];

/// One line of an order, as sold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    /// Identifier.
    pub id: Uuid,
    /// The variant sold; `None` for a free line.
    pub variant_id: Option<Uuid>,
    /// The variant's product.
    pub product_id: Option<Uuid>,
    /// The sku as sold.
    pub sku: Option<String>,
    /// What was sold: the product's name and options, or the free line's description.
    pub name: String,
    /// Units.
    pub quantity: i64,
    /// Price of one unit as sold, in minor units.
    pub unit_price: i64,
    /// `quantity × unit_price`.
    pub line_total: i64,
    /// Units put back in stock by refunds.
    pub restocked: i64,
}

/// Where a discount comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountSource {
    /// The promotion that gave the order the most when it was priced, without a code.
    Promotion,
    /// A coupon the order took by its code.
    Coupon,
    /// The membership tier the customer held when the order was priced.
    Tier,
}

/// Money an offer takes off an order, shown as its own line of the totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discount {
    /// Where it comes from.
    pub source: DiscountSource,
    /// The coupon (or other offer) that gives it.
    pub source_id: Uuid,
    /// The offer's name.
    pub name: String,
    /// The code the order gave, for a coupon.
    pub code: Option<String>,
    /// Minor units off.
    pub amount: i64,
    /// The line the offer added as a gift, priced and taken off again.
    pub gift_line_id: Option<Uuid>,
}

/// The payment as reported by the shop or gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    /// How (`wechat_pay`, `alipay`, `card`, `cash`, …).
    pub method: String,
    /// The gateway's reference.
    pub reference: Option<String>,
    /// When.
    pub paid_at: DateTime<Utc>,
}

/// An order as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Identifier.
    pub id: Uuid,
    /// Human-readable and unique, such as `SO-20261205-7K3M9Q`.
    pub number: String,
    /// The customer.
    pub customer_id: Uuid,
    /// The staff member credited; the customer's owner unless named.
    pub sales_user_id: Option<Uuid>,
    /// Where it stands.
    pub status: OrderStatus,
    /// The currency of every amount.
    pub currency: Currency,
    /// Lines, in the order given.
    pub lines: Vec<OrderLine>,
    /// The line totals less the discounts: what the goods cost.
    pub subtotal: i64,
    /// Shipping charged.
    pub shipping: i64,
    /// `subtotal + shipping`.
    pub total: i64,
    /// The sum of the discounts.
    pub discount_total: i64,
    /// The discounts given, each as a line of the totals.
    pub discounts: Vec<Discount>,
    /// The coupon code the order takes, as given (in capitals).
    pub coupon_code: Option<String>,
    /// The coupon of that code.
    pub coupon_id: Option<Uuid>,
    /// The campaign it is credited to.
    pub campaign_id: Option<Uuid>,
    /// Where it was placed (`web`, `store`, `mini_program`, …).
    pub channel: Option<String>,
    /// The order's id in a shop or ERP.
    pub external_id: Option<String>,
    /// A note.
    pub note: Option<String>,
    /// Who receives it.
    pub recipient: Recipient,
    /// Where it goes.
    pub ship_to: Address,
    /// The payment, once paid.
    pub payment: Option<Payment>,
    /// The shipment, once shipped.
    pub shipment: Option<Shipment>,
    /// When it was completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Money given back by approved refunds; never more than `total`.
    pub refunded_total: i64,
    /// The workspace's own fields, by key (see [`crate::custom_fields`]).
    pub custom_fields: Map<String, Value>,
    /// Refunds asked for, oldest first.
    pub refunds: Vec<Refund>,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// A line as sent: a variant and a quantity, or a free line with a description and a price.
#[derive(Debug, Clone, PartialEq)]
pub enum NewLine {
    /// A variant of the catalogue; sku, name and price are copied from it.
    Variant {
        /// The variant.
        variant_id: Uuid,
        /// Units.
        quantity: i64,
        /// The price of one unit as sold elsewhere, for an order a shop or ERP records (see
        /// [`batch`]); `None` takes the catalogue's.
        unit_price: Option<i64>,
    },
    /// Something without a product, such as a service.
    Free {
        /// What it was.
        description: String,
        /// Units.
        quantity: i64,
        /// Price of one unit in minor units.
        unit_price: i64,
    },
}

impl Order {
    /// Money that can still be refunded: what was paid less what was refunded.
    pub fn refundable(&self) -> i64 {
        if self.payment.is_some() {
            self.total - self.refunded_total
        } else {
            0
        }
    }

    /// Where the order returns after a refund decision that leaves money to refund.
    pub fn fulfilment(&self) -> OrderStatus {
        let shipment = self.shipment.as_ref();
        lifecycle::fulfilment(
            shipment.is_some(),
            shipment.is_some_and(|s| s.delivered_at.is_some()),
        )
    }

    /// The refund awaiting a decision, if any.
    pub fn open_refund(&self) -> Option<&Refund> {
        self.refunds
            .iter()
            .find(|r| r.status == RefundStatus::Requested)
    }
}

/// An order about to be placed, as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrder {
    /// The customer.
    pub customer_id: Uuid,
    /// The staff member credited.
    pub sales_user_id: Option<Uuid>,
    /// Currency code.
    pub currency: String,
    /// Lines.
    pub lines: Vec<NewLine>,
    /// Shipping charged, minor units.
    pub shipping: i64,
    /// Channel.
    pub channel: Option<String>,
    /// External id.
    pub external_id: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// Who receives it.
    pub recipient: Recipient,
    /// Where it goes.
    pub ship_to: Address,
    /// Custom field values by key, as sent.
    pub custom_fields: Map<String, Value>,
    /// A coupon code.
    pub coupon_code: Option<String>,
    /// The campaign it is credited to.
    pub campaign_id: Option<Uuid>,
}

/// A new order checked; variant lines still to be priced from the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedOrder {
    /// The customer.
    pub customer_id: Uuid,
    /// The staff member credited.
    pub sales_user_id: Option<Uuid>,
    /// Currency.
    pub currency: Currency,
    /// Lines.
    pub lines: Vec<NewLine>,
    /// Shipping.
    pub shipping: i64,
    /// Channel.
    pub channel: Option<String>,
    /// External id.
    pub external_id: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// Who receives it, checked.
    pub recipient: Recipient,
    /// Where it goes, checked.
    pub ship_to: Address,
    /// Custom field values.
    pub custom_fields: Map<String, Value>,
    /// The coupon code, in capitals.
    pub coupon_code: Option<String>,
    /// The campaign it is credited to.
    pub campaign_id: Option<Uuid>,
}

fn quantity(field: &str, value: i64) -> Result<i64, FieldError> {
    if (1..=MAX_QUANTITY).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(
            field,
            "out_of_range",
            format!("must be between 1 and {MAX_QUANTITY}"),
        ))
    }
}

/// The lines of an order, each checked (every mistake named at its line), 1 to [`MAX_LINES`].
fn check_lines(lines: Vec<NewLine>, errors: &mut FieldErrors) -> Vec<NewLine> {
    if lines.is_empty() || lines.len() > MAX_LINES {
        errors.push(FieldError::new(
            "lines",
            "out_of_range",
            format!("an order has 1 to {MAX_LINES} lines"),
        ));
    }
    lines
        .into_iter()
        .take(MAX_LINES)
        .enumerate()
        .filter_map(|(i, line)| match line {
            NewLine::Variant {
                variant_id,
                quantity: q,
                unit_price,
            } => {
                let quantity = errors.take(quantity(&format!("lines[{i}].quantity"), q));
                let unit_price = match unit_price {
                    Some(price) => {
                        Some(errors.take(money::amount(&format!("lines[{i}].unit_price"), price))?)
                    }
                    None => None,
                };
                Some(NewLine::Variant {
                    variant_id,
                    quantity: quantity?,
                    unit_price,
                })
            }
            NewLine::Free {
                description,
                quantity: q,
                unit_price,
            } => {
                let description = errors.take(name(
                    &format!("lines[{i}].description"),
                    &description,
                    1,
                    MAX_TEXT_LEN,
                ));
                let quantity = errors.take(quantity(&format!("lines[{i}].quantity"), q));
                let unit_price =
                    errors.take(money::amount(&format!("lines[{i}].unit_price"), unit_price));
                Some(NewLine::Free {
                    description: description?,
                    quantity: quantity?,
                    unit_price: unit_price?,
                })
            }
        })
        .collect()
}

/// Changes to a pending order; absent parts stay, `Some(None)` clears. New lines replace every
/// line and are priced from the catalogue again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderChanges {
    /// The staff member credited.
    pub sales_user_id: Option<Option<Uuid>>,
    /// Every line, anew.
    pub lines: Option<Vec<NewLine>>,
    /// Shipping charged, minor units.
    pub shipping: Option<i64>,
    /// Channel.
    pub channel: Option<Option<String>>,
    /// External id.
    pub external_id: Option<Option<String>>,
    /// Note.
    pub note: Option<Option<String>>,
    /// Who receives it, replaced as a whole.
    pub recipient: Option<Recipient>,
    /// Where it goes, replaced as a whole.
    pub ship_to: Option<Address>,
    /// Custom field values to set by key; `null` removes one, keys not sent stay. The only part
    /// that changes at any status: they are the workspace's own bookkeeping.
    pub custom_fields: Option<Map<String, Value>>,
    /// The coupon code, or `Some(None)` to take the coupon off.
    pub coupon_code: Option<Option<String>>,
    /// The campaign it is credited to, or `Some(None)` for none; like the custom fields, it
    /// changes at any status.
    pub campaign_id: Option<Option<Uuid>>,
}

/// A coupon code as sent for an order, in capitals.
fn coupon_code(errors: &mut FieldErrors, raw: Option<&str>) -> Option<String> {
    raw.and_then(|raw| errors.take(crate::marketing::coupons::normal_code("coupon_code", raw)))
}

impl OrderChanges {
    /// Checks every part given, custom fields against the `definitions` of orders, reporting
    /// every mistake.
    pub fn check(self, definitions: &[Definition]) -> Result<OrderChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let custom_fields = custom_fields::changes_of(&mut errors, definitions, self.custom_fields);
        let lines = self.lines.map(|lines| check_lines(lines, &mut errors));
        let shipping = self
            .shipping
            .and_then(|s| errors.take(money::amount("shipping", s)));
        let mut text = |field: &str, value: Option<Option<String>>, max: usize| {
            value.map(|v| {
                errors
                    .take(optional_text(field, v.as_deref(), max))
                    .flatten()
            })
        };
        let channel = text("channel", self.channel, MAX_TEXT_LEN);
        let external_id = text("external_id", self.external_id, MAX_TEXT_LEN);
        let note = text("note", self.note, 2000);
        let recipient = self
            .recipient
            .and_then(|recipient| recipient.check(&mut errors));
        let ship_to = self
            .ship_to
            .and_then(|address| delivery::check_ship_to(address, &mut errors));
        let coupon = self
            .coupon_code
            .map(|code| coupon_code(&mut errors, code.as_deref()));
        errors.into_result(|| OrderChanges {
            sales_user_id: self.sales_user_id,
            lines,
            shipping,
            channel,
            external_id,
            note,
            recipient,
            ship_to,
            custom_fields,
            coupon_code: coupon,
            campaign_id: self.campaign_id,
        })
    }

    /// Whether the changes touch more than the custom fields: what only a pending order takes.
    pub fn changes_more_than_custom_fields(&self) -> bool {
        let OrderChanges {
            sales_user_id,
            lines,
            shipping,
            channel,
            external_id,
            note,
            recipient,
            ship_to,
            custom_fields: _,
            coupon_code,
            campaign_id: _,
        } = self;
        sales_user_id.is_some()
            || lines.is_some()
            || shipping.is_some()
            || channel.is_some()
            || external_id.is_some()
            || note.is_some()
            || recipient.is_some()
            || ship_to.is_some()
            || coupon_code.is_some()
    }
}

impl NewOrder {
    /// Checks every part, custom fields against the `definitions` of orders, reporting every
    /// mistake.
    pub fn check(self, definitions: &[Definition]) -> Result<CheckedOrder, FieldErrors> {
        let mut errors = FieldErrors::new();
        let custom_fields =
            custom_fields::values_of_new(&mut errors, definitions, self.custom_fields);
        let currency = errors.take(Currency::parse("currency", &self.currency));
        let lines = check_lines(self.lines, &mut errors);
        let shipping = errors.take(money::amount("shipping", self.shipping));
        let channel = errors
            .take(optional_text(
                "channel",
                self.channel.as_deref(),
                MAX_TEXT_LEN,
            ))
            .flatten();
        let external_id = errors
            .take(optional_text(
                "external_id",
                self.external_id.as_deref(),
                MAX_TEXT_LEN,
            ))
            .flatten();
        let note = errors
            .take(optional_text("note", self.note.as_deref(), 2000))
            .flatten();
        let recipient = self.recipient.check(&mut errors);
        let ship_to = delivery::check_ship_to(self.ship_to, &mut errors);
        let coupon_code = coupon_code(&mut errors, self.coupon_code.as_deref());
        match (currency, shipping, recipient, ship_to) {
            (Some(currency), Some(shipping), Some(recipient), Some(ship_to))
                if errors.is_empty() =>
            {
                Ok(CheckedOrder {
                    customer_id: self.customer_id,
                    sales_user_id: self.sales_user_id,
                    currency,
                    lines,
                    shipping,
                    channel,
                    external_id,
                    note,
                    recipient,
                    ship_to,
                    custom_fields,
                    coupon_code,
                    campaign_id: self.campaign_id,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Why the lines of an order cannot be totalled.
#[derive(Debug, Clone, PartialEq)]
pub enum Pricing {
    /// A line's variant is priced in another currency than the order.
    CurrencyMismatch {
        /// The line's place.
        line: usize,
    },
    /// A total beyond [`MAX_AMOUNT`].
    TooLarge,
}

impl Pricing {
    /// The field error this is.
    pub fn into_error(self) -> FieldError {
        match self {
            Pricing::CurrencyMismatch { line } => FieldError::new(
                format!("lines[{line}].variant_id"),
                "currency_mismatch",
                "the variant is priced in another currency than the order",
            ),
            Pricing::TooLarge => FieldError::new(
                "lines",
                "out_of_range",
                format!("the order's total must be at most {MAX_AMOUNT}"),
            ),
        }
    }
}

/// `quantity × unit_price` and their sum with `shipping`, all within [`MAX_AMOUNT`]:
/// `(line totals, subtotal, total)`.
pub fn totals(lines: &[(i64, i64)], shipping: i64) -> Result<(Vec<i64>, i64, i64), Pricing> {
    let within = |v: Option<i64>| v.filter(|v| *v <= MAX_AMOUNT).ok_or(Pricing::TooLarge);
    let line_totals = lines
        .iter()
        .map(|(quantity, unit_price)| within(quantity.checked_mul(*unit_price)))
        .collect::<Result<Vec<i64>, Pricing>>()?;
    let subtotal = line_totals
        .iter()
        .try_fold(0i64, |sum, t| within(sum.checked_add(*t)))?;
    let total = within(subtotal.checked_add(shipping))?;
    Ok((line_totals, subtotal, total))
}

/// Checks a payment as reported.
pub fn payment(
    method: &str,
    reference: Option<&str>,
) -> Result<(String, Option<String>), FieldErrors> {
    let mut errors = FieldErrors::new();
    let method = errors
        .take(text("method", method, 1, MAX_TEXT_LEN))
        .unwrap_or_default();
    let reference = errors
        .take(optional_text("reference", reference, MAX_TEXT_LEN))
        .flatten();
    errors.into_result(|| (method, reference))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_exact_and_bounded() {
        assert_eq!(
            totals(&[(2, 49900), (1, 1500)], 1000),
            Ok((vec![99800, 1500], 101300, 102300))
        );
        assert_eq!(
            totals(&[(MAX_QUANTITY, MAX_AMOUNT)], 0),
            Err(Pricing::TooLarge)
        );
        assert_eq!(totals(&[(1, MAX_AMOUNT)], 1), Err(Pricing::TooLarge));
    }

    #[test]
    fn every_mistake_of_a_new_order_is_named() {
        let refused = NewOrder {
            customer_id: Uuid::nil(),
            sales_user_id: None,
            currency: "cny".into(),
            lines: vec![
                NewLine::Variant {
                    variant_id: Uuid::nil(),
                    quantity: 0,
                    unit_price: None,
                },
                NewLine::Free {
                    description: " ".into(),
                    quantity: 1,
                    unit_price: -5,
                },
            ],
            shipping: 0,
            channel: None,
            external_id: None,
            note: None,
            recipient: Recipient::default(),
            ship_to: Address::default(),
            custom_fields: Map::new(),
            coupon_code: None,
            campaign_id: None,
        }
        .check(&[])
        .unwrap_err();
        let fields: Vec<&str> = refused.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "currency",
                "lines[0].quantity",
                "lines[1].description",
                "lines[1].unit_price"
            ]
        );
    }
}
