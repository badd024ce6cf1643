use std::fmt;

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// A phone number reduced to an optional leading `+` and its digits, so that
/// `+86 138-0013-8000` and `+8613800138000` are the same number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// The most characters a phone number may be sent with, separators included.
    pub const MAX_LEN: usize = 32;

    /// The OpenAPI pattern of what [`Phone::parse`] accepts (with `maxLength` 32).
    pub fn pattern() -> String {
        r"^\+?[ .()-]*([0-9][ .()-]*){5,20}$".to_owned()
    }

    /// Parses a number for `field`: an optional leading `+`, then 5 to 20 digits with spaces,
    /// dashes, dots and parentheses as separators. Nothing else, not even surrounding whitespace,
    /// which is what the OpenAPI document's pattern for phone numbers says.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw;
        let invalid = || {
            FieldError::new(
                field,
                "invalid_phone",
                "must be 5 to 20 digits, optionally with a leading +",
            )
        };
        if raw.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new(
                field,
                "too_long",
                "must be at most 32 characters",
            ));
        }
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

    /// The number as a caller without access to contact details sees it: every digit but the
    /// last four replaced (`+*********8000`).
    pub fn masked(&self) -> String {
        let shown = self.0.len().saturating_sub(4);
        self.0
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i < shown && c.is_ascii_digit() {
                    '*'
                } else {
                    c
                }
            })
            .collect()
    }

    /// A number read back from storage, which only ever holds what [`Phone::parse`] returned:
    /// taken as it is, without parsing it again on every read.
    pub fn from_stored(normalised: String) -> Self {
        Self(normalised)
    }

    /// Like [`Phone::parse`], but an empty string means "none".
    pub fn parse_optional(field: &str, raw: &str) -> Result<Option<Self>, FieldError> {
        if raw.is_empty() {
            Ok(None)
        } else {
            Self::parse(field, raw).map(Some)
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
        for raw in [
            "",
            "12a45678",
            "1234",
            "++8613800138000",
            "+",
            "\t12345",
            " +8612345",
        ] {
            assert!(Phone::parse("phone", raw).is_err(), "{raw}");
        }
    }

    proptest! {
        #[test]
        fn parse_accepts_exactly_what_the_pattern_matches(raw in crate::validation::tests::tricky_text()) {
            let pattern = regex_lite::Regex::new(&Phone::pattern()).unwrap();
            let short_enough = raw.chars().count() <= Phone::MAX_LEN;
            proptest::prop_assert_eq!(Phone::parse("phone", &raw).is_ok(), short_enough && pattern.is_match(&raw), "{:?}", raw);
        }

        #[test]
        fn parsing_is_idempotent(digits in "[0-9]{5,20}", plus in proptest::bool::ANY) {
            let raw = if plus { format!("+{digits}") } else { digits };
            let once = Phone::parse("phone", &raw).unwrap();
            let twice = Phone::parse("phone", once.as_str()).unwrap();
            prop_assert_eq!(once, twice);
        }
    }
}
