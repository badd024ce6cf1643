//! Money: whole amounts of a currency's minor unit (分 for CNY, cents for USD, yen for JPY), never
//! a fraction, with the currency named by its ISO 4217 code.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::FieldError;

/// The largest amount in minor units: 10^15, ten trillion yuan, far beyond any order yet well
/// inside what every client's numbers hold exactly (2^53).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// A currency money can be kept in: an ISO 4217 code (upper case) of a currency with minor units
/// (precious metals and testing codes have none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// The currency of `raw` for `field`: a known ISO 4217 code with minor units.
    pub fn parse(field: &str, raw: &str) -> Result<Currency, FieldError> {
        iso_currency::Currency::from_code(raw)
            .filter(|c| c.exponent().is_some() && c.code() == raw)
            .map(Currency)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    "invalid_currency",
                    "must be an ISO 4217 currency code in capitals, such as CNY",
                )
            })
    }

    /// The code, such as `CNY`.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Digits after the decimal point of a major unit: 2 for CNY, 0 for JPY, 3 for KWD.
    pub fn exponent(self) -> u16 {
        self.0.exponent().unwrap_or(0)
    }

    /// Every code [`Currency::parse`] accepts, sorted: the document's list.
    pub fn codes() -> Vec<&'static str> {
        use iso_currency::IntoEnumIterator;
        let mut codes: Vec<&'static str> = iso_currency::Currency::iter()
            .filter(|c| c.exponent().is_some())
            .map(|c| c.code())
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Currency::parse("currency", &raw).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// Checks an amount in minor units: 0 to [`MAX_AMOUNT`].
pub fn amount(field: &str, value: i64) -> Result<i64, FieldError> {
    if (0..=MAX_AMOUNT).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(
            field,
            "out_of_range",
            format!("must be between 0 and {MAX_AMOUNT} (in the currency's minor unit)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_iso_codes_in_capitals_with_minor_units() {
        assert_eq!(Currency::parse("c", "CNY").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("c", "JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("c", "KWD").unwrap().exponent(), 3);
        for bad in ["cny", "XAU", "RMB", "", "CNYY"] {
            assert!(Currency::parse("c", bad).is_err(), "{bad}");
        }
        let codes = Currency::codes();
        assert!(codes.contains(&"CNY") && !codes.contains(&"XAU"));
        assert!(codes.iter().all(|c| Currency::parse("c", c).is_ok()));
    }

    #[test]
    fn amounts_are_whole_minor_units_within_range() {
        assert_eq!(amount("price", 0), Ok(0));
        assert_eq!(amount("price", MAX_AMOUNT), Ok(MAX_AMOUNT));
        assert!(amount("price", -1).is_err());
        assert!(amount("price", MAX_AMOUNT + 1).is_err());
    }
}
