//! What a deal filter can test (`POST /deals/search`), by the names the deal's JSON uses; custom
//! fields (`custom_fields.<key>`) follow their definitions, text matched exactly.

use crate::custom_fields::Definition;
use crate::filter::{Catalogue, FieldKind, FieldSpec};

use super::DealStatus;

/// Every field a deal filter may test: the deal's own, then the custom fields defined for deals.
pub fn catalogue(definitions: &[Definition]) -> Catalogue {
    use FieldKind::*;
    let statuses = DealStatus::ALL
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    let mut fields = vec![
        FieldSpec::new("name", Text, false),
        FieldSpec::new("status", Enum(statuses), false),
        FieldSpec::new("customer_id", Uuid, false),
        FieldSpec::new("pipeline_id", Uuid, false),
        FieldSpec::new("stage_id", Uuid, false),
        FieldSpec::new("owner_id", Uuid, true),
        FieldSpec::new("amount", Number, false),
        FieldSpec::new("currency", Keyword, false),
        FieldSpec::new("expected_close_date", Date, true),
        FieldSpec::new("lost_reason", Text, true),
        FieldSpec::new("closed_at", DateTime, true),
        FieldSpec::new("stage_entered_at", DateTime, false),
        FieldSpec::new("created_at", DateTime, false),
        FieldSpec::new("updated_at", DateTime, false),
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
        for field in super::super::SORTABLE {
            assert!(catalogue.get(field).is_some(), "{field}");
        }
    }
}
