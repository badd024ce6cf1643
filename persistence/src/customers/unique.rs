//! The unique values of customers, and the conflicts their violations mean.

use crate::error::UniqueRule;

/// Email, phone, and (source, external id).
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
