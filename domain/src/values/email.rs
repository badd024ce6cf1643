use std::fmt;

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// An email address, lower-cased, so that two spellings of one address are equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// The longest address SMTP allows.
    pub const MAX_LEN: usize = 254;

    /// The OpenAPI pattern of what [`Email::parse`] accepts (with `maxLength` 254).
    pub fn pattern() -> String {
        let not = crate::validation::WHITESPACE_OR_CONTROL;
        format!("^[^@{not}]{{1,64}}@[^@.{not}]+(\\.[^@.{not}]+)+$")
    }

    /// Parses an address for `field`, or says why it is not one: at most 254 characters, a local
    /// part of 1 to 64 characters, `@`, and a domain of two or more non-empty dot-separated labels
    /// (`example.cn`, not `localhost`), with no whitespace or control characters anywhere (the
    /// OpenAPI document's pattern for emails).
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(field, "invalid_email", "not an email address");
        if raw.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new(
                field,
                "too_long",
                "must be at most 254 characters",
            ));
        }
        let (local, domain) = raw.split_once('@').ok_or_else(invalid)?;
        let well_formed = (1..=64).contains(&local.chars().count())
            && !domain.contains('@')
            && domain.contains('.')
            && domain.split('.').all(|label| !label.is_empty())
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
        if well_formed {
            Ok(Self(raw.to_lowercase()))
        } else {
            Err(invalid())
        }
    }

    /// An address read back from storage, which only ever holds what [`Email::parse`] returned:
    /// taken as it is, without parsing it again on every read.
    pub fn from_stored(normalised: String) -> Self {
        Self(normalised)
    }

    /// An address typed to sign in, normalised as stored addresses are, without the rules a new
    /// address must follow: an account made under older rules (`admin@localhost`) still signs in.
    /// `None` for what no account can have: no `@`, or longer than any address.
    pub fn typed_at_sign_in(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        (raw.contains('@') && raw.chars().nth(Self::MAX_LEN).is_none())
            .then(|| Self(raw.to_lowercase()))
    }

    /// Like [`Email::parse`], but an empty string means "none".
    pub fn parse_optional(field: &str, raw: &str) -> Result<Option<Self>, FieldError> {
        if raw.is_empty() {
            Ok(None)
        } else {
            Self::parse(field, raw).map(Some)
        }
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address as a caller without access to contact details sees it: the local part's first
    /// character and the domain (`w***@example.cn`).
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or((&self.0, ""));
        let first: String = local.chars().take(1).collect();
        format!("{first}***@{domain}")
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("email", &value).map_err(|e| e.message)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalised_to_lower_case() {
        assert_eq!(
            Email::parse("email", "Li.Na@Example.COM").unwrap().as_str(),
            "li.na@example.com"
        );
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for raw in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@@b.com",
            "a b@c.com",
            "a@.com",
            "a@b..com",
            "a@b.com.",
            " a@b.com",
            "a@b.com\n",
        ] {
            assert_eq!(
                Email::parse("email", raw).unwrap_err().code,
                "invalid_email",
                "{raw}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_accepts_exactly_what_the_pattern_matches(
            local in crate::validation::tests::tricky_text(),
            domain in crate::validation::tests::tricky_text(),
            at in proptest::bool::ANY,
        ) {
            let raw = if at { format!("{local}@{domain}") } else { format!("{local}{domain}") };
            let pattern = regex_lite::Regex::new(&Email::pattern()).unwrap();
            proptest::prop_assert_eq!(Email::parse("email", &raw).is_ok(), pattern.is_match(&raw), "{:?}", raw);
        }
    }

    #[test]
    fn a_domain_has_a_dot_but_old_accounts_still_sign_in() {
        assert!(
            Email::parse("email", "admin@localhost").is_err(),
            "a domain has a dot"
        );
        assert!(
            Email::typed_at_sign_in(" Admin@Localhost ")
                .is_some_and(|e| e.as_str() == "admin@localhost")
        );
    }

    #[test]
    fn overlong_addresses_are_refused() {
        let raw = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse("email", &raw).unwrap_err().code, "too_long");
    }
}
