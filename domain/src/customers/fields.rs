//! What a customer search can test and sort by: the customer's own fields and the workspace's
//! custom fields, named as the filter language names them (`address.city`,
//! `custom_fields.industry`).

use serde_json::{Map, Value};

use super::{Customer, CustomerKind, Gender, LifecycleStage};
use crate::custom_fields::{Definition, FieldType};
use crate::filter::{Catalogue, FieldKind, FieldSpec};
use crate::sort::SortKey;

pub use crate::custom_fields::CUSTOM_FIELD_PREFIX;

/// The customer's own fields that sort orders take; custom fields of every type but `multi_enum`
/// sort too (see [`sortable_fields`]).
pub const SORTABLE_FIELDS: &[&str] = &[
    "created_at",
    "updated_at",
    "name",
    "orders_count",
    "total_spent",
    "average_order_value",
    "first_order_at",
    "last_order_at",
    "last_activity_at",
];

/// Newest first.
pub fn default_sort() -> SortKey {
    SortKey::descending("created_at")
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<String> {
    all.iter().map(|v| name(*v).to_owned()).collect()
}

/// The parts of an address, as they appear after `address.`.
pub const ADDRESS_PARTS: [&str; 6] = [
    "country",
    "province",
    "city",
    "district",
    "street",
    "postal_code",
];

/// The fields that hold contact details: who lacks `contact_details:read` sees them masked, and
/// cannot filter by them or find customers by them any other way.
pub const CONTACT_DETAIL_FIELDS: [&str; 2] = ["email", "phone"];

/// [`catalogue`] without the [`CONTACT_DETAIL_FIELDS`]: what a caller who sees contact details
/// masked may filter by.
pub fn catalogue_without_contact_details(definitions: &[Definition]) -> Catalogue {
    let mut catalogue = catalogue(definitions);
    catalogue
        .fields
        .retain(|f| !CONTACT_DETAIL_FIELDS.contains(&f.name.as_str()));
    catalogue
}

/// Whether `filter` tests a contact detail anywhere in it.
pub fn tests_contact_details(filter: &crate::filter::Filter) -> bool {
    filter
        .conditions()
        .any(|c| CONTACT_DETAIL_FIELDS.contains(&c.field.as_str()))
}

/// Every field a customer filter may test: the customer's own, then each custom field defined for
/// customers (`custom_fields.<key>`), typed by its definition.
pub fn catalogue(definitions: &[Definition]) -> Catalogue {
    use FieldKind::*;
    let mut fields = vec![
        FieldSpec::new(
            "kind",
            Enum(names(CustomerKind::ALL, CustomerKind::as_str)),
            false,
        ),
        FieldSpec::new("name", Text, false),
        FieldSpec::new("email", Text, true),
        FieldSpec::new("phone", Text, true),
        FieldSpec::new("gender", Enum(names(Gender::ALL, Gender::as_str)), true),
        FieldSpec::new("birthday", Date, true),
    ];
    fields.extend(
        ADDRESS_PARTS
            .iter()
            .map(|part| FieldSpec::new(format!("address.{part}"), Text, true)),
    );
    fields.extend([
        FieldSpec::new("source", Text, true),
        FieldSpec::new(
            "lifecycle_stage",
            Enum(names(LifecycleStage::ALL, LifecycleStage::as_str)),
            false,
        ),
        FieldSpec::new("tags", TextList, false),
        FieldSpec::new("owner_id", Uuid, true),
        FieldSpec::new("external_id", Text, true),
        FieldSpec::new("marketing_consent.opted_in", Boolean, false),
        FieldSpec::new("marketing_consent.channel", Text, true),
        FieldSpec::new("orders_count", Number, false),
        FieldSpec::new("total_spent", Number, false),
        FieldSpec::new("average_order_value", Number, false),
        FieldSpec::new("first_order_at", DateTime, true),
        FieldSpec::new("last_order_at", DateTime, true),
        FieldSpec::new("last_activity_at", DateTime, true),
        FieldSpec::new("level_id", Uuid, true),
        FieldSpec::new("tier_id", Uuid, true),
        FieldSpec::new("member_number", Keyword, true),
        FieldSpec::new("member_since", DateTime, true),
        FieldSpec::new("purchases", Purchases, false),
        FieldSpec::new("created_at", DateTime, false),
        FieldSpec::new("updated_at", DateTime, false),
    ]);
    fields.extend(crate::custom_fields::filter_fields(definitions, &Text));
    Catalogue::new(fields)
}

/// The fields a customer list or search can be sorted by: [`SORTABLE_FIELDS`], then every
/// custom field but the multi-choice ones. Records without a value sort last either way.
pub fn sortable_fields(definitions: &[Definition]) -> Vec<String> {
    SORTABLE_FIELDS
        .iter()
        .map(|f| (*f).to_owned())
        .chain(
            definitions
                .iter()
                .filter(|d| d.field_type != FieldType::MultiEnum)
                .map(|d| format!("{CUSTOM_FIELD_PREFIX}{}", d.key)),
        )
        .collect()
}

/// The sortable fields as the OpenAPI document states them: regular expressions, custom fields
/// as the family of names they may take.
pub fn sortable_field_patterns() -> Vec<String> {
    SORTABLE_FIELDS
        .iter()
        .map(|f| (*f).to_owned())
        .chain(std::iter::once(
            r"custom_fields\.[a-z][a-z0-9_]{0,63}".to_owned(),
        ))
        .collect()
}

/// The lower-cased text of every text field a filter can match with `contains` or
/// `starts_with`, keyed by field name: what those case-insensitive operators compare with, kept
/// beside the record so both databases agree whatever their locale. Custom fields contribute
/// their text values.
pub fn folded_text(c: &Customer) -> Map<String, Value> {
    let mut folded = Map::new();
    let mut put = |name: &str, text: Option<&str>| {
        if let Some(text) = text {
            folded.insert(name.to_owned(), Value::from(text.to_lowercase()));
        }
    };
    put("name", Some(&c.name));
    put("email", c.email.as_ref().map(|e| e.as_str()));
    put("phone", c.phone.as_ref().map(|p| p.as_str()));
    for (part, value) in ADDRESS_PARTS.iter().zip(c.address.parts()) {
        put(&format!("address.{part}"), value.as_deref());
    }
    put("source", c.source.as_deref());
    put("external_id", c.external_id.as_deref());
    put(
        "marketing_consent.channel",
        c.marketing_consent.channel.as_deref(),
    );
    for (key, value) in &c.custom_fields {
        put(&format!("{CUSTOM_FIELD_PREFIX}{key}"), value.as_str());
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_field_that_takes_contains_on_text_is_folded() {
        let catalogue = catalogue(&[]);
        let texts: Vec<&str> = catalogue
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::Text)
            .map(|f| f.name.as_str())
            .collect();
        let customer = Customer {
            id: uuid::Uuid::nil(),
            kind: CustomerKind::Company,
            name: "Müller GmbH".into(),
            email: Some(crate::values::Email::parse("email", "Ann@Example.com").unwrap()),
            phone: Some(crate::values::Phone::parse("phone", "+49 30 1234567").unwrap()),
            gender: None,
            birthday: None,
            address: super::super::Address {
                country: Some("DE".into()),
                province: Some("Berlin".into()),
                city: Some("Berlin".into()),
                district: Some("Mitte".into()),
                street: Some("Straße 1".into()),
                postal_code: Some("10115".into()),
            },
            source: Some("Shop".into()),
            lifecycle_stage: LifecycleStage::Lead,
            tags: vec![],
            owner_id: None,
            external_id: Some("X-1".into()),
            marketing_consent: super::super::Consent {
                opted_in: true,
                channel: Some("Web".into()),
                updated_at: None,
            },
            notes: None,
            custom_fields: Map::new(),
            anonymised_at: None,
            purchases: Default::default(),
            last_activity_at: None,
            level_id: None,
            tier_id: None,
            member_number: None,
            member_since: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            version: 1,
        };
        let folded = folded_text(&customer);
        for name in texts {
            assert!(folded.contains_key(name), "{name} is not folded");
        }
        assert_eq!(folded["name"], "müller gmbh");
        assert_eq!(folded["address.street"], "straße 1");
    }

    #[test]
    fn sort_patterns_cover_every_sortable_field() {
        let pattern =
            regex_lite::Regex::new(&format!("^({})$", sortable_field_patterns().join("|")))
                .unwrap();
        for field in ["created_at", "name", "custom_fields.tier_2"] {
            assert!(pattern.is_match(field), "{field}");
        }
        assert!(!pattern.is_match("custom_fields.Tier"));
    }
}
