//! A product as a shop or ERP sends it in a batch (`POST /products/batch`): named by its
//! `external_id`, or by its variants' skus when it has none, and read both ways, since only the
//! database knows which applies: as a new product, and as a change to the one that exists.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};
use uuid::Uuid;

use super::products::{
    CheckedProduct, CheckedVariant, CheckedVariantChanges, MAX_REFERENCE_LEN, MAX_VARIANTS,
    NewProduct, NewVariant, ProductChanges, ProductStatus, VariantChanges, quantity,
};
use crate::custom_fields::{self, Definition};
use crate::validation::text;
use crate::{FieldError, FieldErrors};

/// One product of a batch, as sent: absent parts stay as they are on an existing product.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProductItem {
    /// The product's id in the shop or ERP: the key, when given.
    pub external_id: Option<String>,
    /// Name; required for a new product.
    pub name: Option<String>,
    /// Description, `Some(None)` to clear.
    pub description: Option<Option<String>>,
    /// Category, `Some(None)` for none.
    pub category_id: Option<Option<Uuid>>,
    /// Brand, `Some(None)` for none.
    pub brand_id: Option<Option<Uuid>>,
    /// Status.
    pub status: Option<ProductStatus>,
    /// Image URLs, replacing all of them.
    pub images: Option<Vec<String>>,
    /// Custom field values to set, by key; `null` removes one, keys not sent stay.
    pub custom_fields: Option<Map<String, Value>>,
    /// The variants, each named by its sku; others the product has stay.
    pub variants: Vec<VariantItem>,
}

/// One variant of a batch item, named by its sku.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VariantItem {
    /// Sku: the variant's key.
    pub sku: String,
    /// Option values, replacing all of them.
    pub options: Option<BTreeMap<String, String>>,
    /// Price in minor units; required for a new variant.
    pub price: Option<i64>,
    /// Currency code; required for a new variant.
    pub currency: Option<String>,
    /// Units on hand: a new variant's starting stock, an existing one's count (the ledger
    /// records the difference).
    pub stock: Option<i64>,
    /// Low-stock threshold.
    pub low_stock_threshold: Option<i64>,
}

/// Which product an item names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKey {
    /// The product with this external id.
    ExternalId(String),
    /// The product that has these skus.
    Skus(Vec<String>),
}

/// A variant of a checked item, read both ways.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedVariantItem {
    /// Its sku.
    pub sku: String,
    /// As a new variant, or what it lacks to be one (`price`, `currency`).
    pub new: Result<CheckedVariant, Vec<FieldError>>,
    /// As a change to the variant with this sku.
    pub changes: CheckedVariantChanges,
    /// The count, for an existing variant.
    pub stock: Option<i64>,
}

/// A batch item checked: well formed, and read both ways.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedItem {
    /// Which product it names.
    pub key: ItemKey,
    /// As a new product, or what it lacks to be one.
    pub new: Result<CheckedProduct, Vec<FieldError>>,
    /// As a change to the product's own fields.
    pub changes: ProductChanges,
    /// Custom field values the definitions refuse: the item is refused whether its product
    /// exists or not (and in `per_item` mode, only the item).
    pub refused: Vec<FieldError>,
    /// Its variants.
    pub variants: Vec<CheckedVariantItem>,
}

fn required(field: String, what: &str) -> FieldError {
    FieldError::new(field, "required", format!("a new {what} needs it"))
}

impl VariantItem {
    /// The item as a new variant, absent parts at their defaults.
    fn as_new(&self) -> NewVariant {
        NewVariant {
            sku: self.sku.clone(),
            options: self.options.clone().unwrap_or_default(),
            price: self.price.unwrap_or_default(),
            currency: self.currency.clone().unwrap_or_default(),
            stock: self.stock.unwrap_or_default(),
            low_stock_threshold: self.low_stock_threshold.unwrap_or_default(),
        }
    }

    /// The mistakes of its shape at `field` (`variants[2]`), or the variant read both ways.
    fn check(&self, field: &str, errors: &mut FieldErrors) -> Option<CheckedVariantItem> {
        let before = errors.0.len();
        let changes = VariantChanges {
            sku: Some(self.sku.clone()),
            options: self.options.clone(),
            price: self.price,
            currency: self.currency.clone(),
            low_stock_threshold: self.low_stock_threshold,
        }
        .check();
        if let Err(mistakes) = &changes {
            for e in &mistakes.0 {
                errors.push(FieldError::new(
                    format!("{field}.{}", e.field),
                    e.code,
                    e.message.clone(),
                ));
            }
        }
        let stock = self
            .stock
            .and_then(|n| errors.take(quantity(&format!("{field}.stock"), n)));
        if errors.0.len() > before {
            return None;
        }
        let mut lacking = Vec::new();
        if self.price.is_none() {
            lacking.push(required(format!("{field}.price"), "variant"));
        }
        if self.currency.is_none() {
            lacking.push(required(format!("{field}.currency"), "variant"));
        }
        let new = if lacking.is_empty() {
            self.as_new().parse().map_err(|e| e.0)
        } else {
            Err(lacking)
        };
        Some(CheckedVariantItem {
            sku: self.sku.clone(),
            new,
            changes: changes.ok()?,
            stock,
        })
    }
}

impl ProductItem {
    /// Checks the item's shape, reporting every mistake: what refuses the batch. Custom field
    /// values the `definitions` of products refuse are the item's own refusal
    /// ([`CheckedItem::refused`]); what only a new product needs (a name, each variant's price
    /// and currency, every required custom field) is left to [`CheckedItem::new`].
    pub fn check(self, definitions: &[Definition]) -> Result<CheckedItem, FieldErrors> {
        let mut errors = FieldErrors::new();
        let (values, refused) =
            custom_fields::of_batch_item(&mut errors, definitions, self.custom_fields.as_ref());
        // The key, when given, is a text of its own: blank names nothing.
        let external_id = match &self.external_id {
            Some(raw) => errors.take(text("external_id", raw, 1, MAX_REFERENCE_LEN)),
            None => None,
        };
        let changes = ProductChanges {
            name: self.name.clone(),
            description: self.description.clone(),
            category_id: self.category_id,
            brand_id: self.brand_id,
            status: self.status,
            images: self.images.clone(),
            external_id: external_id.clone().map(Some),
            custom_fields: None,
        }
        .check(&[])
        .map(|changes| ProductChanges {
            custom_fields: values,
            ..changes
        });
        if let Err(mistakes) = &changes {
            errors.0.extend(mistakes.0.iter().cloned());
        }
        if self.variants.is_empty() || self.variants.len() > MAX_VARIANTS {
            errors.push(FieldError::new(
                "variants",
                "out_of_range",
                format!("an item has 1 to {MAX_VARIANTS} variants"),
            ));
        }
        let mut skus = HashSet::new();
        let mut variants = Vec::new();
        for (i, variant) in self.variants.iter().take(MAX_VARIANTS).enumerate() {
            if !skus.insert(variant.sku.clone()) {
                errors.push(FieldError::new(
                    format!("variants[{i}].sku"),
                    "duplicate",
                    "another variant of the item has this sku",
                ));
            }
            variants.extend(variant.check(&format!("variants[{i}]"), &mut errors));
        }
        let Ok(changes) = changes else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut lacking: Vec<FieldError> = variants
            .iter()
            .filter_map(|v| v.new.as_ref().err())
            .flatten()
            .cloned()
            .collect();
        if self.name.is_none() {
            lacking.insert(0, required("name".into(), "product"));
        }
        let new = if lacking.is_empty() {
            NewProduct {
                name: self.name.clone().unwrap_or_default(),
                description: self.description.clone().flatten(),
                category_id: self.category_id.flatten(),
                brand_id: self.brand_id.flatten(),
                status: self.status,
                images: self.images.clone().unwrap_or_default(),
                external_id: external_id.clone(),
                custom_fields: self.custom_fields.clone().unwrap_or_default(),
                variants: self.variants.iter().map(VariantItem::as_new).collect(),
            }
            .check(definitions)
            .map_err(|e| e.0)
        } else {
            Err(lacking)
        };
        let key = match external_id {
            Some(id) => ItemKey::ExternalId(id),
            None => ItemKey::Skus(variants.iter().map(|v| v.sku.clone()).collect()),
        };
        Ok(CheckedItem {
            key,
            new,
            changes,
            refused,
            variants,
        })
    }
}
