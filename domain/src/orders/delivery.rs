//! Who receives an order and where it goes, as the storefront or ERP sends them with it.

use serde::{Deserialize, Serialize};

use crate::FieldErrors;
use crate::customers::Address;
use crate::validation::optional_text;
use crate::values::Phone;

/// The longest recipient name.
pub const MAX_RECIPIENT_NAME: usize = 200;

/// The person who receives the order; both parts optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// Their name, at most [`MAX_RECIPIENT_NAME`] characters.
    pub name: Option<String>,
    /// Their phone, normalised as a customer's is.
    pub phone: Option<String>,
}

impl Recipient {
    /// The recipient trimmed and checked; its mistakes go to `errors` at `recipient.<part>`.
    pub fn check(self, errors: &mut FieldErrors) -> Option<Recipient> {
        let name = errors.take(optional_text(
            "recipient.name",
            self.name.as_deref(),
            MAX_RECIPIENT_NAME,
        ));
        let phone = match self.phone.as_deref() {
            None => Some(None),
            Some(raw) => errors
                .take(Phone::parse_optional("recipient.phone", raw))
                .map(|phone| phone.map(String::from)),
        };
        Some(Recipient {
            name: name?,
            phone: phone?,
        })
    }
}

/// The address to ship to, each part trimmed and checked; mistakes go to `errors` at
/// `ship_to.<part>`.
pub fn check_ship_to(raw: Address, errors: &mut FieldErrors) -> Option<Address> {
    Address::parse("ship_to", raw)
        .map_err(|mistakes| errors.0.extend(mistakes))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipient_and_an_address_name_each_mistake_at_its_part() {
        let mut errors = FieldErrors::new();
        let recipient = Recipient {
            name: Some("  王伟 ".into()),
            phone: Some("not a phone".into()),
        }
        .check(&mut errors);
        let address = check_ship_to(
            Address {
                city: Some("x".repeat(201)),
                ..Address::default()
            },
            &mut errors,
        );
        assert_eq!((recipient, address), (None, None));
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["recipient.phone", "ship_to.city"]);

        let mut errors = FieldErrors::new();
        let recipient = Recipient {
            name: Some("  王伟 ".into()),
            phone: None,
        }
        .check(&mut errors);
        assert_eq!(recipient.and_then(|r| r.name).as_deref(), Some("王伟"));
        assert!(errors.is_empty());
    }
}
