//! What a product filter can test (`POST /products/search`), by the names the product's JSON
//! uses. A `variants.*` field selects a product when one of its variants passes the test, and
//! custom fields (`custom_fields.<key>`) follow their definitions, text matched exactly.

use crate::custom_fields::Definition;
use crate::filter::{Catalogue, FieldKind, FieldSpec};

use super::products::ProductStatus;

/// Every field a product filter may test: the product's own, its variants', then the custom
/// fields defined for products.
pub fn catalogue(definitions: &[Definition]) -> Catalogue {
    use FieldKind::*;
    let statuses = [ProductStatus::Active, ProductStatus::Archived]
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    let mut fields = vec![
        FieldSpec::new("name", Text, false),
        FieldSpec::new("status", Enum(statuses), false),
        FieldSpec::new("category_id", Uuid, true),
        FieldSpec::new("brand_id", Uuid, true),
        FieldSpec::new("external_id", Keyword, true),
        FieldSpec::new("low_stock", Boolean, false),
        FieldSpec::new("created_at", DateTime, false),
        FieldSpec::new("updated_at", DateTime, false),
        FieldSpec::new("variants.sku", Keyword, false),
        FieldSpec::new("variants.price", Number, false),
        FieldSpec::new("variants.currency", Keyword, false),
        FieldSpec::new("variants.stock", Number, false),
        FieldSpec::new("variants.low_stock_threshold", Number, false),
    ];
    fields.extend(crate::custom_fields::filter_fields(definitions, &Keyword));
    Catalogue::new(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sortable_field_is_in_the_catalogue() {
        let catalogue = catalogue(&[]);
        for field in super::super::products::SORTABLE {
            assert!(catalogue.get(field).is_some(), "{field}");
        }
    }
}
