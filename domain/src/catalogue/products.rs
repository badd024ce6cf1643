//! Products and their variants. A product is what a customer asks for by name (跑步鞋 Pro); each
//! colour and size of it is a variant with its own sku, price and stock. A product without options
//! has exactly one variant.
//!
//! Stock is not edited: it moves only by the rows of a variant's ledger (adjustments and order
//! effects, see [`StockMovement`]), and never below zero.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::custom_fields::{self, Definition};
use crate::validation::{name, optional_text, text};
use crate::values::money::{self, Currency};
use crate::{FieldError, FieldErrors};

/// The longest product name.
pub const MAX_NAME_LEN: usize = 200;
/// The longest description.
pub const MAX_DESCRIPTION_LEN: usize = 5000;
/// The most images of a product.
pub const MAX_IMAGES: usize = 20;
/// The longest image URL.
pub const MAX_URL_LEN: usize = 2048;
/// The most variants of a product.
pub const MAX_VARIANTS: usize = 100;
/// The most options (colour, size, …) of a variant.
pub const MAX_OPTIONS: usize = 5;
/// The longest option name and value.
pub const MAX_OPTION_LEN: usize = 50;
/// The longest sku.
pub const MAX_SKU_LEN: usize = 64;
/// The most stock a variant holds, and the largest single movement.
pub const MAX_STOCK: i64 = 1_000_000_000;
/// The longest external id, reason or reference.
pub const MAX_REFERENCE_LEN: usize = 200;

/// The fields a product list can be sorted by.
pub const SORTABLE: &[&str] = &["name", "created_at", "updated_at"];

/// The OpenAPI pattern of a sku: letters, digits, `.`, `_` and `-`.
pub const SKU_PATTERN: &str = "^[A-Za-z0-9._-]+$";

/// The OpenAPI pattern of an image URL: `http` or `https`, then no whitespace, controls or
/// characters a URL never holds unescaped.
pub const URL_PATTERN: &str = "^https?://[^\\x00-\\x20\\x7F-\\x9F\"<>\\\\^`{|}]+$";

/// Whether a product is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    /// On sale.
    Active,
    /// No longer offered; kept for the orders that name it.
    Archived,
}

impl ProductStatus {
    /// The stored and transmitted name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Active => "active",
            ProductStatus::Archived => "archived",
        }
    }

    /// The status of this name, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "active" => Some(ProductStatus::Active),
            "archived" => Some(ProductStatus::Archived),
            _ => None,
        }
    }
}

/// A product as stored, with its variants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Its category.
    pub category_id: Option<Uuid>,
    /// Its brand.
    pub brand_id: Option<Uuid>,
    /// Offered or not.
    pub status: ProductStatus,
    /// Image URLs, the first the main one.
    pub images: Vec<String>,
    /// The id of the product in a shop or ERP; unique.
    pub external_id: Option<String>,
    /// The workspace's own fields, by key (see [`crate::custom_fields`]).
    pub custom_fields: Map<String, Value>,
    /// Its variants, in the order they were added.
    pub variants: Vec<Variant>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it, or the definition of one of its variants, last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change of the product or a variant's definition (not of stock).
    pub version: i64,
}

/// One colour/size combination of a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// Identifier.
    pub id: Uuid,
    /// Stock-keeping unit; unique across the catalogue.
    pub sku: String,
    /// Option values, such as `{"colour": "红", "size": "42"}`; empty for a product without options.
    pub options: BTreeMap<String, String>,
    /// Price in minor units of `currency`.
    pub price: i64,
    /// The price's currency.
    pub currency: Currency,
    /// Units on hand: the sum of the variant's ledger.
    pub stock: i64,
    /// At or below this, the variant is low on stock.
    pub low_stock_threshold: i64,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

impl Variant {
    /// Whether the variant is at or below its threshold.
    pub fn is_low(&self) -> bool {
        self.stock <= self.low_stock_threshold
    }

    fn set(&mut self, changes: CheckedVariantChanges) {
        if let Some(sku) = changes.sku {
            self.sku = sku;
        }
        if let Some(options) = changes.options {
            self.options = options;
        }
        if let Some(price) = changes.price {
            self.price = price;
        }
        if let Some(currency) = changes.currency {
            self.currency = currency;
        }
        if let Some(threshold) = changes.low_stock_threshold {
            self.low_stock_threshold = threshold;
        }
    }
}

/// A variant about to be added, as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVariant {
    /// Sku.
    pub sku: String,
    /// Option values.
    pub options: BTreeMap<String, String>,
    /// Price in minor units.
    pub price: i64,
    /// Currency code.
    pub currency: String,
    /// Units on hand to start with, written to the ledger as its first row.
    pub stock: i64,
    /// Low-stock threshold.
    pub low_stock_threshold: i64,
}

/// A variant checked and ready to store; its stock is still to be written through the ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedVariant {
    /// Sku.
    pub sku: String,
    /// Option values.
    pub options: BTreeMap<String, String>,
    /// Price.
    pub price: i64,
    /// Currency.
    pub currency: Currency,
    /// Starting stock.
    pub stock: i64,
    /// Threshold.
    pub low_stock_threshold: i64,
}

/// A change to a variant's definition: `None` leaves a part alone.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VariantChanges {
    /// Sku.
    pub sku: Option<String>,
    /// Option values, replacing all of them.
    pub options: Option<BTreeMap<String, String>>,
    /// Price.
    pub price: Option<i64>,
    /// Currency code.
    pub currency: Option<String>,
    /// Threshold.
    pub low_stock_threshold: Option<i64>,
}

/// A product about to be created, as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProduct {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Category.
    pub category_id: Option<Uuid>,
    /// Brand.
    pub brand_id: Option<Uuid>,
    /// Status; active when absent.
    pub status: Option<ProductStatus>,
    /// Image URLs.
    pub images: Vec<String>,
    /// External id.
    pub external_id: Option<String>,
    /// Custom field values by key, as sent.
    pub custom_fields: Map<String, Value>,
    /// At least one variant.
    pub variants: Vec<NewVariant>,
}

/// A new product checked: the product (without variants yet) and its variants.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedProduct {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Category.
    pub category_id: Option<Uuid>,
    /// Brand.
    pub brand_id: Option<Uuid>,
    /// Status.
    pub status: ProductStatus,
    /// Image URLs.
    pub images: Vec<String>,
    /// External id.
    pub external_id: Option<String>,
    /// Custom field values.
    pub custom_fields: Map<String, Value>,
    /// Variants.
    pub variants: Vec<CheckedVariant>,
}

/// A change to a product: `None` leaves a part alone, `Some(None)` clears it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProductChanges {
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<Option<String>>,
    /// Category.
    pub category_id: Option<Option<Uuid>>,
    /// Brand.
    pub brand_id: Option<Option<Uuid>>,
    /// Status.
    pub status: Option<ProductStatus>,
    /// Image URLs, replacing all of them.
    pub images: Option<Vec<String>>,
    /// External id.
    pub external_id: Option<Option<String>>,
    /// Custom field values to set by key; `null` removes one, keys not sent stay.
    pub custom_fields: Option<Map<String, Value>>,
}

fn sku(field: &str, raw: &str) -> Result<String, FieldError> {
    let ok = (1..=MAX_SKU_LEN).contains(&raw.len())
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(FieldError::new(
            field,
            "invalid_sku",
            format!("must be 1 to {MAX_SKU_LEN} letters, digits, '.', '_' or '-'"),
        ))
    }
}

fn image(field: &str, raw: &str) -> Result<String, FieldError> {
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"));
    let ok = raw.chars().count() <= MAX_URL_LEN
        && rest.is_some_and(|rest| {
            !rest.is_empty()
                && rest.chars().all(|c| {
                    !(c <= ' '
                        || ('\u{7f}'..='\u{9f}').contains(&c)
                        || matches!(c, '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}'))
                })
        });
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(FieldError::new(
            field,
            "invalid_url",
            format!("must be an http or https URL of at most {MAX_URL_LEN} characters"),
        ))
    }
}

fn images(errors: &mut FieldErrors, raw: &[String]) -> Vec<String> {
    if raw.len() > MAX_IMAGES {
        errors.push(FieldError::new(
            "images",
            "too_many",
            format!("at most {MAX_IMAGES} images"),
        ));
        return Vec::new();
    }
    raw.iter()
        .enumerate()
        .filter_map(|(i, url)| errors.take(image(&format!("images[{i}]"), url)))
        .collect()
}

pub(crate) fn quantity(field: &str, value: i64) -> Result<i64, FieldError> {
    if (0..=MAX_STOCK).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(
            field,
            "out_of_range",
            format!("must be between 0 and {MAX_STOCK}"),
        ))
    }
}

fn options(
    errors: &mut FieldErrors,
    field: &str,
    raw: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    if raw.len() > MAX_OPTIONS {
        errors.push(FieldError::new(
            field,
            "too_many",
            format!("at most {MAX_OPTIONS} options"),
        ));
        return BTreeMap::new();
    }
    raw.iter()
        .filter_map(|(key, value)| {
            let key = errors.take(name(&format!("{field}.{key}"), key, 1, MAX_OPTION_LEN))?;
            let value = errors.take(name(&format!("{field}.{key}"), value, 1, MAX_OPTION_LEN))?;
            Some((key, value))
        })
        .collect()
}

fn external_id(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    optional_text("external_id", raw, MAX_REFERENCE_LEN)
}

impl NewVariant {
    /// Checks the variant sent at `field` (`variants[2]`), recording every mistake.
    pub fn check(&self, errors: &mut FieldErrors, field: &str) -> Option<CheckedVariant> {
        let at = |name: &str| {
            if field.is_empty() {
                name.to_owned()
            } else {
                format!("{field}.{name}")
            }
        };
        let before = errors.0.len();
        let sku = errors.take(sku(&at("sku"), &self.sku));
        let options = options(errors, &at("options"), &self.options);
        let price = errors.take(money::amount(&at("price"), self.price));
        let currency = errors.take(Currency::parse(&at("currency"), &self.currency));
        let stock = errors.take(quantity(&at("stock"), self.stock));
        let threshold = errors.take(quantity(
            &at("low_stock_threshold"),
            self.low_stock_threshold,
        ));
        if errors.0.len() > before {
            return None;
        }
        Some(CheckedVariant {
            sku: sku?,
            options,
            price: price?,
            currency: currency?,
            stock: stock?,
            low_stock_threshold: threshold?,
        })
    }
}

impl NewVariant {
    /// Checks a variant sent on its own, reporting every mistake.
    pub fn parse(self) -> Result<CheckedVariant, FieldErrors> {
        let mut errors = FieldErrors::new();
        match self.check(&mut errors, "") {
            Some(checked) if errors.is_empty() => Ok(checked),
            _ => Err(errors),
        }
    }
}

impl CheckedVariant {
    /// The stored variant this becomes, with no stock yet.
    pub fn into_variant(self, id: Uuid, now: DateTime<Utc>) -> Variant {
        Variant {
            id,
            sku: self.sku,
            options: self.options,
            price: self.price,
            currency: self.currency,
            stock: 0,
            low_stock_threshold: self.low_stock_threshold,
            created_at: now,
        }
    }
}

/// Two variants of one product with the same skus or the same options cannot be told apart.
/// Each variant comes with its place in the request.
pub(crate) fn distinct(
    errors: &mut FieldErrors,
    variants: &[(usize, String, &BTreeMap<String, String>)],
) {
    let mut skus = HashSet::new();
    let mut combinations = HashSet::new();
    for (i, sku, options) in variants {
        if !skus.insert(sku.clone()) {
            errors.push(FieldError::new(
                format!("variants[{i}].sku"),
                "duplicate",
                "another variant of the product has this sku",
            ));
        }
        if !combinations.insert(*options) {
            errors.push(FieldError::new(
                format!("variants[{i}].options"),
                "duplicate",
                "another variant of the product has these options",
            ));
        }
    }
}

impl NewProduct {
    /// Checks every part, custom fields against the `definitions` of products, reporting every
    /// mistake.
    pub fn check(self, definitions: &[Definition]) -> Result<CheckedProduct, FieldErrors> {
        let mut errors = FieldErrors::new();
        let custom_fields =
            custom_fields::values_of_new(&mut errors, definitions, self.custom_fields);
        let name = errors
            .take(name("name", &self.name, 1, MAX_NAME_LEN))
            .unwrap_or_default();
        let description = errors
            .take(optional_text(
                "description",
                self.description.as_deref(),
                MAX_DESCRIPTION_LEN,
            ))
            .flatten();
        let images = images(&mut errors, &self.images);
        let external_id = errors
            .take(external_id(self.external_id.as_deref()))
            .flatten();
        if self.variants.is_empty() || self.variants.len() > MAX_VARIANTS {
            errors.push(FieldError::new(
                "variants",
                "out_of_range",
                format!("a product has 1 to {MAX_VARIANTS} variants"),
            ));
        }
        let placed: Vec<(usize, CheckedVariant)> = self
            .variants
            .iter()
            .take(MAX_VARIANTS)
            .enumerate()
            .filter_map(|(i, v)| Some((i, v.check(&mut errors, &format!("variants[{i}]"))?)))
            .collect();
        let keys: Vec<(usize, String, &BTreeMap<String, String>)> = placed
            .iter()
            .map(|(i, v)| (*i, v.sku.clone(), &v.options))
            .collect();
        distinct(&mut errors, &keys);
        let variants: Vec<CheckedVariant> = placed.into_iter().map(|(_, v)| v).collect();
        errors.into_result(|| CheckedProduct {
            name,
            description,
            category_id: self.category_id,
            brand_id: self.brand_id,
            status: self.status.unwrap_or(ProductStatus::Active),
            images,
            external_id,
            custom_fields,
            variants,
        })
    }
}

impl ProductChanges {
    /// Checks every part that is present, custom fields against the `definitions` of products,
    /// reporting every mistake.
    pub fn check(self, definitions: &[Definition]) -> Result<ProductChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let custom_fields = custom_fields::changes_of(&mut errors, definitions, self.custom_fields);
        let name = self
            .name
            .and_then(|n| errors.take(name("name", &n, 1, MAX_NAME_LEN)));
        let description = self.description.and_then(|d| {
            errors.take(optional_text(
                "description",
                d.as_deref(),
                MAX_DESCRIPTION_LEN,
            ))
        });
        let images = self.images.map(|raw| images(&mut errors, &raw));
        let external_id = self
            .external_id
            .and_then(|e| errors.take(external_id(e.as_deref())));
        errors.into_result(|| ProductChanges {
            name,
            description,
            images,
            external_id,
            custom_fields,
            ..self
        })
    }
}

impl VariantChanges {
    /// Checks every part that is present, reporting every mistake.
    pub fn check(self) -> Result<CheckedVariantChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let checked = CheckedVariantChanges {
            sku: self.sku.and_then(|s| errors.take(sku("sku", &s))),
            options: self.options.map(|o| options(&mut errors, "options", &o)),
            price: self
                .price
                .and_then(|p| errors.take(money::amount("price", p))),
            currency: self
                .currency
                .and_then(|c| errors.take(Currency::parse("currency", &c))),
            low_stock_threshold: self
                .low_stock_threshold
                .and_then(|t| errors.take(quantity("low_stock_threshold", t))),
        };
        errors.into_result(|| checked)
    }
}

/// A checked change to a variant's definition.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckedVariantChanges {
    /// Sku.
    pub sku: Option<String>,
    /// Option values.
    pub options: Option<BTreeMap<String, String>>,
    /// Price.
    pub price: Option<i64>,
    /// Currency.
    pub currency: Option<Currency>,
    /// Threshold.
    pub low_stock_threshold: Option<i64>,
}

impl Product {
    /// The product after checked `changes` at `now`; the version moves on only when something
    /// changed.
    pub fn apply(&self, changes: ProductChanges, now: DateTime<Utc>) -> Product {
        let mut next = self.clone();
        next.set(changes);
        next.touched(self, now)
    }

    fn set(&mut self, changes: ProductChanges) {
        if let Some(name) = changes.name {
            self.name = name;
        }
        if let Some(description) = changes.description {
            self.description = description;
        }
        if let Some(category_id) = changes.category_id {
            self.category_id = category_id;
        }
        if let Some(brand_id) = changes.brand_id {
            self.brand_id = brand_id;
        }
        if let Some(status) = changes.status {
            self.status = status;
        }
        if let Some(images) = changes.images {
            self.images = images;
        }
        if let Some(external_id) = changes.external_id {
            self.external_id = external_id;
        }
        if let Some(values) = changes.custom_fields {
            self.custom_fields = crate::custom_fields::merge(&self.custom_fields, values);
        }
    }

    /// The product with the variant `id` changed by `changes`, or why not (a sku or options
    /// another variant of the product has). `None` when the product has no such variant.
    pub fn apply_to_variant(
        &self,
        id: Uuid,
        changes: CheckedVariantChanges,
        now: DateTime<Utc>,
    ) -> Option<Result<Product, VariantRefusal>> {
        let mut next = self.clone();
        next.variants.iter_mut().find(|v| v.id == id)?.set(changes);
        Some(next.distinct_variants().map(|next| next.touched(self, now)))
    }

    /// The product a batch item leaves: its own fields changed, the variants it names by sku
    /// changed, and `added` joined; the version moves on once, when anything changed. Stock is
    /// not part of it: counts move through the ledger.
    pub fn upserted(
        &self,
        changes: ProductChanges,
        changed: Vec<(String, CheckedVariantChanges)>,
        added: Vec<Variant>,
        now: DateTime<Utc>,
    ) -> Result<Product, VariantRefusal> {
        let mut next = self.clone();
        next.set(changes);
        for (sku, changes) in changed {
            if let Some(variant) = next.variants.iter_mut().find(|v| v.sku == sku) {
                variant.set(changes);
            }
        }
        next.variants.extend(added);
        if next.variants.len() > MAX_VARIANTS {
            return Err(VariantRefusal::TooMany);
        }
        next.distinct_variants().map(|next| next.touched(self, now))
    }

    /// The product with one more variant, or why not.
    pub fn with_variant(
        &self,
        variant: Variant,
        now: DateTime<Utc>,
    ) -> Result<Product, VariantRefusal> {
        let mut next = self.clone();
        next.variants.push(variant);
        if next.variants.len() > MAX_VARIANTS {
            return Err(VariantRefusal::TooMany);
        }
        next.distinct_variants().map(|next| next.touched(self, now))
    }

    fn distinct_variants(self) -> Result<Product, VariantRefusal> {
        let mut skus = HashSet::new();
        let mut combinations = HashSet::new();
        for v in &self.variants {
            if !skus.insert(&v.sku) {
                return Err(VariantRefusal::SameSku);
            }
            if !combinations.insert(&v.options) {
                return Err(VariantRefusal::SameOptions);
            }
        }
        Ok(self)
    }

    fn touched(mut self, before: &Product, now: DateTime<Utc>) -> Product {
        if self != *before {
            self.updated_at = now;
            self.version = before.version + 1;
        }
        self
    }
}

/// Why a variant cannot join or change within its product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariantRefusal {
    /// The product has [`MAX_VARIANTS`] already.
    TooMany,
    /// Another variant of the product has the sku.
    SameSku,
    /// Another variant of the product has the same options.
    SameOptions,
}

/// Why a variant's stock moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// The stock a variant was created with.
    Initial,
    /// Counted, received, damaged, found: changed by hand with a reason.
    Adjustment,
    /// Taken by a paid order.
    Order,
    /// Given back by a refunded order.
    Refund,
}

impl MovementKind {
    /// The stored and transmitted name.
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Initial => "initial",
            MovementKind::Adjustment => "adjustment",
            MovementKind::Order => "order",
            MovementKind::Refund => "refund",
        }
    }

    /// The kind of this name, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            MovementKind::Initial,
            MovementKind::Adjustment,
            MovementKind::Order,
            MovementKind::Refund,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

/// One row of a variant's stock ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockMovement {
    /// Identifier.
    pub id: Uuid,
    /// The variant.
    pub variant_id: Uuid,
    /// Units added (positive) or taken (negative).
    pub delta: i64,
    /// The stock once this row applied.
    pub stock_after: i64,
    /// Why.
    pub kind: MovementKind,
    /// The reason given, for an adjustment.
    pub reason: Option<String>,
    /// A reference outside Rapport (a delivery note, a count sheet) or the order.
    pub reference: Option<String>,
    /// The order, for order effects.
    pub order_id: Option<Uuid>,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

/// A stock adjustment as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAdjustment {
    /// Units to add (positive) or take (negative); never zero.
    pub delta: i64,
    /// Why, required.
    pub reason: String,
    /// A reference outside Rapport.
    pub reference: Option<String>,
}

impl NewAdjustment {
    /// Checks every part, reporting every mistake.
    pub fn check(self) -> Result<NewAdjustment, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.delta == 0 || self.delta.abs() > MAX_STOCK {
            errors.push(FieldError::new(
                "delta",
                "out_of_range",
                format!("must be between -{MAX_STOCK} and {MAX_STOCK}, and not 0"),
            ));
        }
        let reason = errors
            .take(text("reason", &self.reason, 1, MAX_REFERENCE_LEN))
            .unwrap_or_default();
        let reference = errors
            .take(optional_text(
                "reference",
                self.reference.as_deref(),
                MAX_REFERENCE_LEN,
            ))
            .flatten();
        errors.into_result(|| NewAdjustment {
            delta: self.delta,
            reason,
            reference,
        })
    }
}

/// Whether a move from `before` to `after` units crosses `threshold` downward: it was above and
/// now is at or below. Each crossing is reported once; staying low is not a new crossing.
pub fn crosses_threshold(before: i64, after: i64, threshold: i64) -> bool {
    before > threshold && after <= threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(sku: &str, size: &str) -> NewVariant {
        NewVariant {
            sku: sku.into(),
            options: BTreeMap::from([("size".to_owned(), size.to_owned())]),
            price: 49900,
            currency: "CNY".into(),
            stock: 10,
            low_stock_threshold: 2,
        }
    }

    fn product(variants: Vec<NewVariant>) -> NewProduct {
        NewProduct {
            name: " 跑步鞋 Pro ".into(),
            description: None,
            category_id: None,
            brand_id: None,
            status: None,
            images: vec!["https://img.example.cn/p/1.jpg".into()],
            external_id: None,
            custom_fields: Default::default(),
            variants,
        }
    }

    fn codes(errors: FieldErrors) -> Vec<(String, &'static str)> {
        errors.0.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn a_product_has_distinct_variants_and_every_mistake_is_named() {
        let checked = product(vec![variant("RS-42", "42"), variant("RS-43", "43")])
            .check(&[])
            .unwrap();
        assert_eq!(checked.name, "跑步鞋 Pro");
        assert_eq!(checked.status, ProductStatus::Active);
        let refused = product(vec![variant("RS-42", "42"), variant("RS-42", "42")])
            .check(&[])
            .unwrap_err();
        assert_eq!(
            codes(refused),
            [
                ("variants[1].sku".to_owned(), "duplicate"),
                ("variants[1].options".to_owned(), "duplicate")
            ]
        );
        let mut bad = variant("RS 42", "42");
        bad.currency = "rmb".into();
        bad.price = -1;
        let refused = product(vec![bad]).check(&[]).unwrap_err();
        assert_eq!(
            codes(refused),
            [
                ("variants[0].sku".to_owned(), "invalid_sku"),
                ("variants[0].price".to_owned(), "out_of_range"),
                ("variants[0].currency".to_owned(), "invalid_currency"),
            ]
        );
        assert_eq!(
            codes(product(vec![]).check(&[]).unwrap_err()),
            [("variants".to_owned(), "out_of_range")]
        );
    }

    #[test]
    fn images_are_http_urls() {
        let mut errors = FieldErrors::new();
        let kept = images(
            &mut errors,
            &[
                "https://img.example.cn/a.jpg".into(),
                "javascript:alert(1)".into(),
                "https://".into(),
                "http://x/ y".into(),
            ],
        );
        assert_eq!(kept, ["https://img.example.cn/a.jpg"]);
        assert_eq!(errors.0.len(), 3);
    }

    #[test]
    fn a_threshold_is_crossed_once_on_the_way_down() {
        assert!(crosses_threshold(3, 2, 2));
        assert!(crosses_threshold(10, 0, 2));
        assert!(!crosses_threshold(2, 1, 2));
        assert!(!crosses_threshold(1, 5, 2));
        assert!(!crosses_threshold(5, 3, 2));
    }

    #[test]
    fn adjustments_move_stock_and_say_why() {
        let ok = NewAdjustment {
            delta: -3,
            reason: " damaged ".into(),
            reference: Some("".into()),
        }
        .check()
        .unwrap();
        assert_eq!((ok.reason.as_str(), ok.reference), ("damaged", None));
        let refused = NewAdjustment {
            delta: 0,
            reason: " ".into(),
            reference: None,
        }
        .check()
        .unwrap_err();
        assert_eq!(
            codes(refused),
            [
                ("delta".to_owned(), "out_of_range"),
                ("reason".to_owned(), "blank")
            ]
        );
    }
}
