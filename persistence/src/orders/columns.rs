//! Where each field of the order catalogue lives in the `orders` table, for filters.

use rapport_domain::filter::FieldKind;
use sea_orm::ColumnTrait;

use super::entity::order;
use crate::filter::{FieldMap, FieldSql};
use crate::{Backend, custom_fields};

/// The order fields: one column each, and the custom fields in the `custom_fields` JSON.
pub(crate) struct OrderColumns {
    pub backend: Backend,
}

fn column(field: &str) -> Option<order::Column> {
    use order::Column::*;
    Some(match field {
        "number" => Number,
        "status" => Status,
        "customer_id" => CustomerId,
        "sales_user_id" => SalesUserId,
        "currency" => Currency,
        "subtotal" => Subtotal,
        "shipping" => Shipping,
        "total" => Total,
        "refunded_total" => RefundedTotal,
        "channel" => Channel,
        "external_id" => ExternalId,
        "ship_to.country" => ShipToCountry,
        "ship_to.province" => ShipToProvince,
        "ship_to.city" => ShipToCity,
        "ship_to.district" => ShipToDistrict,
        "ship_to.street" => ShipToStreet,
        "ship_to.postal_code" => ShipToPostalCode,
        "payment.method" => PaymentMethod,
        "payment.reference" => PaymentReference,
        "payment.paid_at" => PaidAt,
        "shipment.carrier" => Carrier,
        "shipment.tracking_number" => TrackingNumber,
        "shipment.shipped_at" => ShippedAt,
        "shipment.delivered_at" => DeliveredAt,
        "completed_at" => CompletedAt,
        "cancelled_at" => CancelledAt,
        "created_at" => CreatedAt,
        "updated_at" => UpdatedAt,
        _ => return None,
    })
}

impl FieldMap for OrderColumns {
    fn locate(&self, field: &str, kind: &FieldKind) -> Option<FieldSql> {
        let Some(column) = column(field) else {
            // Custom text fields are keywords too.
            return custom_fields::field_sql(self.backend, field, kind, None);
        };
        Some(FieldSql::Scalar {
            value: column.into_expr(),
            // Every text field of an order is a keyword, compared exactly.
            folded: None,
            dates_as_text: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_field_has_a_column() {
        for spec in rapport_domain::orders::fields::catalogue(&[]).fields {
            assert!(column(&spec.name).is_some(), "{}", spec.name);
        }
    }
}
