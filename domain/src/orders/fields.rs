//! What an order filter can test (`POST /orders/search`), by the names the order's JSON uses;
//! custom fields (`custom_fields.<key>`) follow their definitions, text matched exactly.

use crate::custom_fields::Definition;
use crate::customers::fields::ADDRESS_PARTS;
use crate::filter::{Catalogue, FieldKind, FieldSpec};

use super::OrderStatus;

/// Every field an order filter may test: the order's own, then the custom fields defined for
/// orders.
pub fn catalogue(definitions: &[Definition]) -> Catalogue {
    use FieldKind::*;
    let statuses = OrderStatus::ALL
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    let mut fields = vec![
        FieldSpec::new("number", Keyword, false),
        FieldSpec::new("status", Enum(statuses), false),
        FieldSpec::new("customer_id", Uuid, false),
        FieldSpec::new("sales_user_id", Uuid, true),
        FieldSpec::new("currency", Keyword, false),
        FieldSpec::new("subtotal", Number, false),
        FieldSpec::new("shipping", Number, false),
        FieldSpec::new("total", Number, false),
        FieldSpec::new("refunded_total", Number, false),
        FieldSpec::new("channel", Keyword, true),
        FieldSpec::new("external_id", Keyword, true),
        FieldSpec::new("payment.method", Keyword, true),
        FieldSpec::new("payment.reference", Keyword, true),
        FieldSpec::new("payment.paid_at", DateTime, true),
        FieldSpec::new("shipment.carrier", Keyword, true),
        FieldSpec::new("shipment.tracking_number", Keyword, true),
        FieldSpec::new("shipment.shipped_at", DateTime, true),
        FieldSpec::new("shipment.delivered_at", DateTime, true),
        FieldSpec::new("completed_at", DateTime, true),
        FieldSpec::new("cancelled_at", DateTime, true),
        FieldSpec::new("created_at", DateTime, false),
        FieldSpec::new("updated_at", DateTime, false),
    ];
    fields.extend(
        ADDRESS_PARTS
            .iter()
            .map(|part| FieldSpec::new(format!("ship_to.{part}"), Keyword, true)),
    );
    fields.extend(crate::custom_fields::filter_fields(definitions, &Keyword));
    Catalogue::new(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sortable_field_is_in_the_catalogue() {
        let catalogue = catalogue(&[]);
        for field in super::super::SORTABLE {
            assert!(catalogue.get(field).is_some(), "{field}");
        }
    }
}
