use std::fmt;

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// A phone number reduced to an optional leading `+` and its digits, so that
/// `+86 138-0013-8000` and `+8613800138000` are the same number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Parses a number for `field`, accepting spaces, dashes, dots and parentheses as separators.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        let invalid = || {
            FieldError::new(
                field,
                "invalid_phone",
                "must be 5 to 20 digits, optionally with a leading +",
            )
        };
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => ("+", rest),
            None => ("", trimmed),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(invalid()),
            }
        }
        if (5..=20).contains(&digits.len()) {
            Ok(Self(format!("{plus}{digits}")))
        } else {
            Err(invalid())
        }
    }

    /// The normalised number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Phone {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("phone", &value).map_err(|e| e.message)
    }
}

impl From<Phone> for String {
    fn from(phone: Phone) -> Self {
        phone.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn separators_are_removed() {
        assert_eq!(
            Phone::parse("phone", "+86 138-0013-8000").unwrap().as_str(),
            "+8613800138000"
        );
        assert_eq!(
            Phone::parse("phone", "(021) 6234 5678").unwrap().as_str(),
            "02162345678"
        );
    }

    #[test]
    fn letters_and_short_numbers_are_refused() {
        for raw in ["", "12a45678", "1234", "++8613800138000", "+"] {
            assert!(Phone::parse("phone", raw).is_err(), "{raw}");
        }
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent(digits in "[0-9]{5,20}", plus in proptest::bool::ANY) {
            let raw = if plus { format!("+{digits}") } else { digits };
            let once = Phone::parse("phone", &raw).unwrap();
            let twice = Phone::parse("phone", once.as_str()).unwrap();
            prop_assert_eq!(once, twice);
        }
    }
}
