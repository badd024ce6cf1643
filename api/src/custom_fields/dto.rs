//! What goes over the wire for custom field definitions, and its translation to domain values.

use chrono::{DateTime, Utc};
use rapport_domain::FieldErrors;
use rapport_domain::custom_fields::{
    Definition, DefinitionChanges, DefinitionInput, FieldOwner, FieldType,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::extract::nullable;

/// The kind of record a custom field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    /// Customers: values in the customer's `custom_fields`.
    Customer,
    /// Contacts: values in the contact's `custom_fields`.
    Contact,
    /// Products: values in the product's `custom_fields`.
    Product,
    /// Orders: values in the order's `custom_fields`.
    Order,
    /// Deals: values in the deal's `custom_fields`.
    Deal,
    /// Tickets: values in the ticket's `custom_fields`.
    Ticket,
}

mirror!(ResourceType <=> FieldOwner { Customer, Contact, Product, Order, Deal, Ticket });

/// What a custom field holds, and the JSON its values take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomFieldType {
    /// Text, 1 to 2000 characters.
    Text,
    /// A JSON number; integers within ±2^53.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A date as text, `YYYY-MM-DD`.
    Date,
    /// One of the options, as text.
    Enum,
    /// A list of options, each at most once.
    MultiEnum,
}

impl From<CustomFieldType> for FieldType {
    fn from(t: CustomFieldType) -> Self {
        match t {
            CustomFieldType::Text => FieldType::Text,
            CustomFieldType::Number => FieldType::Number,
            CustomFieldType::Boolean => FieldType::Boolean,
            CustomFieldType::Date => FieldType::Date,
            CustomFieldType::Enum => FieldType::Enum,
            CustomFieldType::MultiEnum => FieldType::MultiEnum,
        }
    }
}

impl From<FieldType> for CustomFieldType {
    fn from(t: FieldType) -> Self {
        match t {
            FieldType::Text => CustomFieldType::Text,
            FieldType::Number => CustomFieldType::Number,
            FieldType::Boolean => CustomFieldType::Boolean,
            FieldType::Date => CustomFieldType::Date,
            FieldType::Enum => CustomFieldType::Enum,
            FieldType::MultiEnum => CustomFieldType::MultiEnum,
        }
    }
}

/// A custom field definition.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c31",
    "resource_type": "customer",
    "key": "industry",
    "label": "Industry",
    "field_type": "enum",
    "options": ["retail", "food", "services"],
    "required": false,
    "description": "The customer's main line of business",
    "created_at": "2026-11-23T08:00:00Z",
    "updated_at": "2026-11-23T08:00:00Z",
    "version": 1
}))]
pub struct CustomFieldView {
    /// Identifier.
    pub id: Uuid,
    /// The kind of record it belongs to.
    pub resource_type: ResourceType,
    /// The key in the record's `custom_fields`; unique per resource type, fixed once defined.
    pub key: String,
    /// What people see.
    pub label: String,
    /// What it holds; fixed once defined.
    pub field_type: CustomFieldType,
    /// The choices of an `enum` or `multi_enum` field, in display order; empty otherwise.
    pub options: Vec<String>,
    /// Whether a new record must have a value; a value cannot be removed while required.
    pub required: bool,
    /// A longer explanation.
    #[schema(required = true)]
    pub description: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change; the `ETag`.
    pub version: i64,
}

impl From<Definition> for CustomFieldView {
    fn from(d: Definition) -> Self {
        CustomFieldView {
            id: d.id,
            resource_type: d.owner.into(),
            key: d.key,
            label: d.label,
            field_type: d.field_type.into(),
            options: d.options,
            required: d.required,
            description: d.description,
            created_at: d.created_at,
            updated_at: d.updated_at,
            version: d.version,
        }
    }
}

/// A new custom field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "resource_type": "customer",
    "key": "industry",
    "label": "Industry",
    "field_type": "enum",
    "options": ["retail", "food", "services"],
    "required": false,
    "description": "The customer's main line of business"
}))]
pub struct CreateCustomField {
    /// The kind of record it belongs to.
    pub resource_type: ResourceType,
    /// 1 to 64 characters of a-z, 0-9 and `_`, starting with a letter.
    #[schema(min_length = 1, max_length = 64)]
    pub key: String,
    /// 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub label: String,
    /// What it holds.
    pub field_type: CustomFieldType,
    /// For `enum` and `multi_enum` (and only for them): 1 to 100 options of 1 to 100 characters,
    /// trimmed; an option given twice is kept once.
    #[schema(max_items = 100)]
    pub options: Option<Vec<String>>,
    /// Whether a new record must have a value (default false).
    pub required: Option<bool>,
    /// Up to 500 characters.
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

impl CreateCustomField {
    /// The domain's definition input, or every rule the request broke.
    pub fn into_domain(self) -> Result<DefinitionInput, FieldErrors> {
        DefinitionInput {
            owner: self.resource_type.into(),
            key: self.key,
            label: self.label,
            field_type: self.field_type.into(),
            options: self.options.unwrap_or_default(),
            required: self.required.unwrap_or(false),
            description: self.description,
        }
        .parse()
        .map_err(FieldErrors)
    }
}

/// Changes to a custom field. Key, type and resource type are fixed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"label": "Line of business", "options": ["retail", "food", "services", "wholesale"]}))]
pub struct UpdateCustomField {
    /// 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub label: Option<String>,
    /// For `enum` and `multi_enum` fields: the options, replaced as a whole. Records keep a
    /// removed option until they are changed.
    #[schema(max_items = 100)]
    pub options: Option<Vec<String>>,
    /// Whether a new record must have a value.
    pub required: Option<bool>,
    /// Up to 500 characters, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub description: Option<Option<String>>,
}

impl UpdateCustomField {
    /// The domain's change, checked as far as it can be without the stored definition (which
    /// checks the rest), or every rule it broke.
    pub fn into_domain(self) -> Result<DefinitionChanges, FieldErrors> {
        DefinitionChanges {
            label: self.label,
            options: self.options,
            required: self.required,
            description: self.description,
        }
        .parse()
        .map_err(FieldErrors)
    }
}

/// The filters of `GET /custom-fields`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomFieldListQuery {
    /// Only the fields of this kind of record.
    pub resource_type: Option<ResourceType>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}
