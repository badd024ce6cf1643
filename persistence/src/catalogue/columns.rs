//! Where each field of the product catalogue lives, for filters: the product's own columns, and
//! its variants' columns tested as "one of its variants".

use rapport_domain::filter::FieldKind;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};

use super::entity::{product, variant};
use crate::filter::{FieldMap, FieldSql};
use crate::{Backend, custom_fields};

/// The product fields: the product's columns, its variants', and the custom fields in the
/// `custom_fields` JSON.
pub(crate) struct ProductColumns {
    pub backend: Backend,
}

fn column(field: &str) -> Option<product::Column> {
    use product::Column::*;
    Some(match field {
        "name" => Name,
        "status" => Status,
        "category_id" => CategoryId,
        "brand_id" => BrandId,
        "external_id" => ExternalId,
        "created_at" => CreatedAt,
        "updated_at" => UpdatedAt,
        _ => return None,
    })
}

fn variant_column(field: &str) -> Option<variant::Column> {
    use variant::Column::*;
    Some(match field.strip_prefix("variants.")? {
        "sku" => Sku,
        "price" => Price,
        "currency" => Currency,
        "stock" => Stock,
        "low_stock_threshold" => LowStockThreshold,
        _ => return None,
    })
}

/// `SELECT 1 FROM product_variants WHERE product_id = products.id`: the variants of the product
/// the outer query is looking at.
pub(crate) fn variants_of_this_product() -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(variant::Entity)
        .and_where(
            Expr::col((variant::Entity, variant::Column::ProductId))
                .equals((product::Entity, product::Column::Id)),
        )
        .to_owned()
}

/// Whether one of the product's variants is at or below its low-stock threshold.
pub(crate) fn has_low_variant() -> Expr {
    Expr::exists(
        variants_of_this_product()
            .and_where(
                Expr::col((variant::Entity, variant::Column::Stock)).lte(Expr::col((
                    variant::Entity,
                    variant::Column::LowStockThreshold,
                ))),
            )
            .to_owned(),
    )
}

impl FieldMap for ProductColumns {
    fn locate(&self, field: &str, kind: &FieldKind) -> Option<FieldSql> {
        if field == "low_stock" {
            return Some(FieldSql::Scalar {
                value: has_low_variant(),
                folded: None,
                dates_as_text: false,
            });
        }
        if let Some(column) = variant_column(field) {
            return Some(FieldSql::AnyRow {
                rows: Box::new(variants_of_this_product()),
                value: Expr::col((variant::Entity, column)),
            });
        }
        let Some(column) = column(field) else {
            // Custom text fields are keywords, compared exactly.
            return custom_fields::field_sql(self.backend, field, kind, None);
        };
        Some(FieldSql::Scalar {
            value: Expr::col((product::Entity, column)),
            folded: (field == "name")
                .then(|| Expr::col((product::Entity, product::Column::NameFolded))),
            dates_as_text: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_field_has_a_place() {
        let columns = ProductColumns {
            backend: Backend::Sqlite,
        };
        for spec in rapport_domain::catalogue::fields::catalogue(&[]).fields {
            assert!(
                columns.locate(&spec.name, &spec.kind).is_some(),
                "{}",
                spec.name
            );
        }
    }
}
