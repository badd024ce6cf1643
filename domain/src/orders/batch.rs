//! An order as a shop or ERP records it in a batch (`POST /orders/batch`): named by its
//! `external_id`, with where it stands there. A batch records what happened elsewhere: an order
//! arrives in the state sent (paid, shipped, ...), its variant lines may carry the price they
//! were sold at, and no stock moves (the shop took it; its counts reach Rapport through the
//! product batch). An order that exists moves forward to the state sent, never back; past
//! `pending` only its custom fields and its state change.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{
    CheckedOrder, MAX_TEXT_LEN, NewLine, NewOrder, OrderAction, OrderChanges, OrderStatus,
    Recipient,
};
use crate::custom_fields::{self, Definition};
use crate::customers::Address;
use crate::validation::{optional_text, text};
use crate::{FieldError, FieldErrors};

/// The payment as the shop recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordedPayment {
    /// How it was paid.
    pub method: String,
    /// The gateway's reference.
    pub reference: Option<String>,
    /// When; the time of writing when absent.
    pub paid_at: Option<DateTime<Utc>>,
}

/// The shipment as the shop recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordedShipment {
    /// Who carries it.
    pub carrier: String,
    /// Their tracking number.
    pub tracking_number: Option<String>,
    /// When it was handed over; the time of writing when absent.
    pub shipped_at: Option<DateTime<Utc>>,
    /// When it was received, for a delivered order; the time of writing when absent.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Where the order stands in the shop, and what each step brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedState {
    /// `pending`, `paid`, `shipped`, `delivered`, `completed` or `cancelled`.
    pub status: OrderStatus,
    /// Required from `paid` on.
    pub payment: Option<RecordedPayment>,
    /// Required from `shipped` on.
    pub shipment: Option<RecordedShipment>,
    /// When a completed order was completed; the time of writing when absent.
    pub completed_at: Option<DateTime<Utc>>,
    /// When a cancelled order was cancelled; the time of writing when absent.
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// One order of a batch, as sent: absent parts stay as they are on an existing order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrderItem {
    /// The order's id in the shop or ERP: the key.
    pub external_id: String,
    /// The customer; required for a new order, and an existing order's own.
    pub customer_id: Option<Uuid>,
    /// The staff member credited, `Some(None)` for none.
    pub sales_user_id: Option<Option<Uuid>>,
    /// Currency code; required for a new order.
    pub currency: Option<String>,
    /// Every line; required for a new order.
    pub lines: Option<Vec<NewLine>>,
    /// Shipping charged.
    pub shipping: Option<i64>,
    /// Channel, `Some(None)` to clear.
    pub channel: Option<Option<String>>,
    /// Note, `Some(None)` to clear.
    pub note: Option<Option<String>>,
    /// Who receives it.
    pub recipient: Option<Recipient>,
    /// Where it goes.
    pub ship_to: Option<Address>,
    /// Custom field values to set by key; `null` removes one.
    pub custom_fields: Option<Map<String, Value>>,
    /// When a new order was placed in the shop; the time of writing when absent.
    pub placed_at: Option<DateTime<Utc>>,
    /// Where it stands; a new order is pending when absent, an existing one stays.
    pub state: Option<RecordedState>,
}

/// A batch item checked: well formed, and read both ways.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedOrderItem {
    /// The key.
    pub external_id: String,
    /// The customer it names, if any.
    pub customer_id: Option<Uuid>,
    /// As a new order, or what it lacks to be one.
    pub new: Result<CheckedOrder, Vec<FieldError>>,
    /// As a change to the existing order.
    pub changes: OrderChanges,
    /// When a new order was placed.
    pub placed_at: Option<DateTime<Utc>>,
    /// Where it stands, when sent.
    pub state: Option<RecordedState>,
    /// Custom field values the definitions refuse: the item is refused whether its order
    /// exists or not.
    pub refused: Vec<FieldError>,
}

impl CheckedOrderItem {
    /// The item's times that lie in the future at `now` (beyond a day of clock skew): a shop
    /// records what happened, and a payment time to come would count in the customer's figures
    /// as a purchase that has not been made.
    pub fn times_in_future(&self, now: DateTime<Utc>) -> Vec<FieldError> {
        let state = self.state.as_ref();
        let payment = state.and_then(|s| s.payment.as_ref());
        let shipment = state.and_then(|s| s.shipment.as_ref());
        [
            ("placed_at", self.placed_at),
            ("payment.paid_at", payment.and_then(|p| p.paid_at)),
            ("shipment.shipped_at", shipment.and_then(|s| s.shipped_at)),
            (
                "shipment.delivered_at",
                shipment.and_then(|s| s.delivered_at),
            ),
            ("completed_at", state.and_then(|s| s.completed_at)),
            ("cancelled_at", state.and_then(|s| s.cancelled_at)),
        ]
        .into_iter()
        .filter(|(_, at)| at.is_some_and(|at| at > now + Duration::days(1)))
        .map(|(field, _)| FieldError::new(field, "in_future", "must not lie in the future"))
        .collect()
    }
}

/// The steps from `from` to `to` along the order's way (`pending → paid → shipped → delivered →
/// completed`, or `pending → cancelled`): none when they are the same, `None` when `to` is not
/// ahead of `from`.
pub fn steps(from: OrderStatus, to: OrderStatus) -> Option<Vec<OrderAction>> {
    use OrderStatus::*;
    const WAY: [(OrderStatus, OrderAction); 4] = [
        (Paid, OrderAction::Pay),
        (Shipped, OrderAction::Ship),
        (Delivered, OrderAction::Deliver),
        (Completed, OrderAction::Complete),
    ];
    if from == to {
        return Some(Vec::new());
    }
    if to == Cancelled {
        return (from == Pending).then(|| vec![OrderAction::Cancel]);
    }
    let rank = |status: OrderStatus| match status {
        Pending => Some(0),
        _ => WAY.iter().position(|(s, _)| *s == status).map(|i| i + 1),
    };
    let (from_rank, to_rank) = (rank(from)?, rank(to)?);
    (from_rank < to_rank).then(|| {
        WAY[from_rank..to_rank]
            .iter()
            .map(|(_, action)| *action)
            .collect()
    })
}

fn required(field: &str, what: &str) -> FieldError {
    FieldError::new(field, "required", format!("{what} needs it"))
}

fn recorded_text(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    errors
        .take(text(field, value, 1, MAX_TEXT_LEN))
        .unwrap_or_default()
}

fn optional_recorded_text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
) -> Option<String> {
    errors
        .take(optional_text(field, value, MAX_TEXT_LEN))
        .flatten()
}

impl RecordedState {
    /// Checks that nothing comes with the state that its status has not reached. What a step
    /// needs (a payment to pay, a shipment to ship) is known once the order's own status is:
    /// see [`RecordedState::lacking`].
    fn check(self, errors: &mut FieldErrors) -> RecordedState {
        use OrderStatus::*;
        let status = self.status;
        if matches!(status, RefundRequested | Refunded) {
            errors.push(FieldError::new(
                "status",
                "invalid_value",
                "a batch records pending, paid, shipped, delivered, completed or cancelled \
                 orders; refunds go through the order's actions",
            ));
        }
        let paid = matches!(status, Paid | Shipped | Delivered | Completed);
        let shipped = matches!(status, Shipped | Delivered | Completed);
        let delivered = matches!(status, Delivered | Completed);
        let mut unexpected = |field: &str, reached: bool, what: &str| {
            if !reached {
                errors.push(FieldError::new(
                    field,
                    "unexpected",
                    format!("only an order that is {what} has it"),
                ));
            }
        };
        if self.payment.is_some() {
            unexpected("payment", paid, "paid");
        }
        if self.shipment.is_some() {
            unexpected("shipment", shipped, "shipped");
        }
        if self
            .shipment
            .as_ref()
            .is_some_and(|s| s.delivered_at.is_some())
        {
            unexpected("shipment.delivered_at", delivered, "delivered");
        }
        if self.completed_at.is_some() {
            unexpected("completed_at", status == Completed, "completed");
        }
        if self.cancelled_at.is_some() {
            unexpected("cancelled_at", status == Cancelled, "cancelled");
        }
        let payment = self.payment.map(|p| RecordedPayment {
            method: recorded_text(errors, "payment.method", &p.method),
            reference: optional_recorded_text(errors, "payment.reference", p.reference.as_deref()),
            paid_at: p.paid_at,
        });
        let shipment = self.shipment.map(|s| RecordedShipment {
            carrier: recorded_text(errors, "shipment.carrier", &s.carrier),
            tracking_number: optional_recorded_text(
                errors,
                "shipment.tracking_number",
                s.tracking_number.as_deref(),
            ),
            shipped_at: s.shipped_at,
            delivered_at: s.delivered_at,
        });
        RecordedState {
            payment,
            shipment,
            ..self
        }
    }
}

impl RecordedState {
    /// What taking `steps` to this state needs and the state lacks: a payment to pay, a
    /// shipment to ship.
    pub fn lacking(&self, steps: &[OrderAction]) -> Vec<FieldError> {
        let mut lacking = Vec::new();
        if steps.contains(&OrderAction::Pay) && self.payment.is_none() {
            lacking.push(required("payment", "an order that becomes paid"));
        }
        if steps.contains(&OrderAction::Ship) && self.shipment.is_none() {
            lacking.push(required("shipment", "an order that becomes shipped"));
        }
        lacking
    }
}

impl OrderItem {
    /// Checks the item's shape, reporting every mistake: what refuses the batch. Custom field
    /// values the `definitions` of orders refuse are the item's own refusal
    /// ([`CheckedOrderItem::refused`]); what only a new order needs (a customer, a currency,
    /// lines, every required custom field) is left to [`CheckedOrderItem::new`].
    pub fn check(self, definitions: &[Definition]) -> Result<CheckedOrderItem, FieldErrors> {
        let mut errors = FieldErrors::new();
        let external_id = errors
            .take(text("external_id", &self.external_id, 1, MAX_TEXT_LEN))
            .unwrap_or_default();
        let (values, refused) =
            custom_fields::of_batch_item(&mut errors, definitions, self.custom_fields.as_ref());
        let changes = errors.take_all(
            OrderChanges {
                sales_user_id: self.sales_user_id,
                lines: self.lines.clone(),
                shipping: self.shipping,
                channel: self.channel.clone(),
                external_id: None,
                note: self.note.clone(),
                recipient: self.recipient.clone(),
                ship_to: self.ship_to.clone(),
                custom_fields: None,
                coupon_code: None,
                campaign_id: None,
            }
            .check(&[])
            .map_err(|e| e.0),
        );
        if let Some(currency) = &self.currency {
            errors.take(crate::values::Currency::parse("currency", currency));
        }
        let state = self.state.clone().map(|s| s.check(&mut errors));
        let Some(changes) = changes.filter(|_| errors.is_empty()) else {
            return Err(errors);
        };
        let mut lacking = Vec::new();
        if self.customer_id.is_none() {
            lacking.push(required("customer_id", "a new order"));
        }
        if self.currency.is_none() {
            lacking.push(required("currency", "a new order"));
        }
        if self.lines.is_none() {
            lacking.push(required("lines", "a new order"));
        }
        let new = match (self.customer_id, self.currency, self.lines) {
            (Some(customer_id), Some(currency), Some(lines)) if lacking.is_empty() => NewOrder {
                customer_id,
                sales_user_id: self.sales_user_id.flatten(),
                currency,
                lines,
                shipping: self.shipping.unwrap_or_default(),
                channel: self.channel.flatten(),
                external_id: Some(external_id.clone()),
                note: self.note.flatten(),
                recipient: self.recipient.unwrap_or_default(),
                ship_to: self.ship_to.unwrap_or_default(),
                custom_fields: self.custom_fields.unwrap_or_default(),
                coupon_code: None,
                campaign_id: None,
            }
            .check(definitions)
            .map_err(|e| e.0),
            _ => Err(lacking),
        };
        Ok(CheckedOrderItem {
            external_id,
            customer_id: self.customer_id,
            new,
            changes: OrderChanges {
                custom_fields: values,
                ..changes
            },
            placed_at: self.placed_at,
            state,
            refused,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    #[test]
    fn an_order_moves_only_forward_along_its_way() {
        assert_eq!(steps(Pending, Pending), Some(vec![]));
        assert_eq!(
            steps(Pending, Shipped),
            Some(vec![OrderAction::Pay, OrderAction::Ship])
        );
        assert_eq!(
            steps(Paid, Completed),
            Some(vec![
                OrderAction::Ship,
                OrderAction::Deliver,
                OrderAction::Complete
            ])
        );
        assert_eq!(steps(Pending, Cancelled), Some(vec![OrderAction::Cancel]));
        assert_eq!(steps(Paid, Cancelled), None);
        assert_eq!(steps(Shipped, Paid), None);
        assert_eq!(steps(Cancelled, Paid), None);
        assert_eq!(steps(RefundRequested, Delivered), None);
        assert_eq!(steps(Refunded, Refunded), Some(vec![]));
    }

    fn item(state: RecordedState) -> OrderItem {
        OrderItem {
            external_id: "shop-1".into(),
            customer_id: Some(Uuid::nil()),
            currency: Some("CNY".into()),
            lines: Some(vec![NewLine::Free {
                description: "Gait analysis".into(),
                quantity: 1,
                unit_price: 9900,
            }]),
            state: Some(state),
            ..OrderItem::default()
        }
    }

    fn codes(errors: FieldErrors) -> Vec<(String, &'static str)> {
        let mut codes: Vec<_> = errors.0.into_iter().map(|e| (e.field, e.code)).collect();
        codes.sort();
        codes
    }

    #[test]
    fn each_state_brings_what_its_steps_bring_and_nothing_more() {
        let shipped_without = RecordedState {
            status: Shipped,
            payment: None,
            shipment: None,
            completed_at: None,
            cancelled_at: None,
        };
        let lacking = shipped_without.lacking(&steps(Pending, Shipped).unwrap());
        let fields: Vec<&str> = lacking.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["payment", "shipment"]);
        assert!(
            shipped_without
                .lacking(&steps(Paid, Shipped).unwrap())
                .len()
                == 1
        );
        assert!(item(shipped_without).check(&[]).is_ok());
        let pending_with = RecordedState {
            status: Pending,
            payment: Some(RecordedPayment {
                method: "cash".into(),
                ..RecordedPayment::default()
            }),
            shipment: None,
            completed_at: Some(Utc::now()),
            cancelled_at: None,
        };
        assert_eq!(
            codes(item(pending_with).check(&[]).unwrap_err()),
            [
                ("completed_at".to_owned(), "unexpected"),
                ("payment".to_owned(), "unexpected")
            ]
        );
        let paid = RecordedState {
            status: Paid,
            payment: Some(RecordedPayment {
                method: " wechat_pay ".into(),
                reference: Some("wx-1".into()),
                paid_at: None,
            }),
            shipment: None,
            completed_at: None,
            cancelled_at: None,
        };
        let checked = item(paid).check(&[]).unwrap();
        assert!(checked.new.is_ok());
        let now = Utc::now();
        assert!(checked.times_in_future(now).is_empty());
        let mut later = checked.clone();
        later.placed_at = Some(now + Duration::days(2));
        if let Some(payment) = later.state.as_mut().and_then(|s| s.payment.as_mut()) {
            payment.paid_at = Some(now + Duration::days(2));
        }
        let fields: Vec<String> = later
            .times_in_future(now)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["placed_at", "payment.paid_at"]);
        assert_eq!(checked.state.unwrap().payment.unwrap().method, "wechat_pay");
    }

    #[test]
    fn what_only_a_new_order_needs_is_left_to_the_new_reading() {
        let checked = OrderItem {
            external_id: "shop-2".into(),
            note: Some(Some("leave at the door".into())),
            ..OrderItem::default()
        }
        .check(&[])
        .unwrap();
        let lacking: Vec<&str> = checked
            .new
            .as_ref()
            .unwrap_err()
            .iter()
            .map(|e| e.field.as_str())
            .collect();
        assert_eq!(lacking, ["customer_id", "currency", "lines"]);
        assert_eq!(
            checked.changes.note,
            Some(Some("leave at the door".to_owned()))
        );
    }
}
