//! Customers, their tags and contacts.

pub mod batch;
pub mod bulk;
mod columns;
pub mod contacts;
pub mod entity;
pub mod merge;
pub mod privacy;
mod queries;
pub mod selection;
pub mod tags;
mod use_cases;

pub use queries::{CustomerFilter, CustomerSearch, count, get, list, search, search_statement};
pub use use_cases::{create, delete, fill_derived_text, update};

use crate::error::UniqueRule;

pub(crate) const UNIQUE: &[UniqueRule] = &[
    UniqueRule {
        needles: &["customers_email_unique", "customers.email"],
        code: "email_taken",
        field: "email",
        message: "another customer has this email",
    },
    UniqueRule {
        needles: &["customers_phone_unique", "customers.phone"],
        code: "phone_taken",
        field: "phone",
        message: "another customer has this phone number",
    },
    UniqueRule {
        needles: &["customers_external_id_unique"],
        code: "external_id_taken",
        field: "external_id",
        message: "another customer from this source has this external id",
    },
];
