//! Value types that cannot hold bad data: a value that exists is a valid value.

mod email;
pub mod money;
mod phone;

pub use email::Email;
pub use money::Currency;
pub use phone::Phone;

use crate::FieldErrors;

/// Reads an optional email field, recording a bad one in `errors`: absent, `null` or `""` mean none.
pub fn optional_email(errors: &mut FieldErrors, raw: Option<String>) -> Option<Email> {
    raw.and_then(|e| errors.take(Email::parse_optional("email", &e)).flatten())
}

/// Reads an optional phone field, recording a bad one in `errors`: absent, `null` or `""` mean none.
pub fn optional_phone(errors: &mut FieldErrors, raw: Option<String>) -> Option<Phone> {
    raw.and_then(|p| errors.take(Phone::parse_optional("phone", &p)).flatten())
}
