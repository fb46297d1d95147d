//! Exact decimal numbers for recorded values and limits.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

/// An exact decimal number. Limits and recorded values are compared exactly, so
/// a viability of `70` against a limit of `≥ 70` is never lost to binary
/// floating point. Serializes as a string (canonical, lossless); deserializes
/// from strings (`"2.5e7"`, `"0.1"`), integers and floats (through their
/// shortest decimal representation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Number(Decimal);

impl Number {
    /// Wraps a decimal.
    pub fn new(value: Decimal) -> Self {
        Self(value.normalize())
    }

    /// The decimal value.
    pub fn value(self) -> Decimal {
        self.0
    }

    /// The most significant digits, and the most decimal places, a number
    /// keeps exactly.
    pub const MAX_DIGITS: u32 = 28;

    /// Parses plain (`12.5`, `-3`) and scientific (`2.5e7`, `1.5E-3`)
    /// notation. A number with more significant digits or decimal places
    /// than [`Number::MAX_DIGITS`] is refused (`number_too_precise`) rather
    /// than silently rounded.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let trimmed = text.trim();
        check_precision(trimmed)?;
        let parsed = if trimmed.contains(['e', 'E']) {
            Decimal::from_scientific(trimmed)
        } else {
            Decimal::from_str(trimmed)
        };
        parsed
            .map(Self::new)
            .map_err(|_| DomainError::NotANumber(text.to_string()))
    }
}

/// Refuses text whose digits a [`Decimal`] cannot keep exactly. Text that is
/// not a number at all passes here and is refused by the parser.
fn check_precision(text: &str) -> Result<(), DomainError> {
    let unsigned = text.trim_start_matches(['+', '-']);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => match e.parse::<i64>() {
            Ok(e) => (m, e),
            Err(_) => return Ok(()),
        },
        None => (unsigned, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return Ok(());
    }
    let digits = format!("{int}{frac}");
    let significant = digits.trim_start_matches('0').len() as i64;
    let scale = frac.len() as i64 - exponent;
    let max = i64::from(Number::MAX_DIGITS);
    if significant > max || scale > max {
        return Err(DomainError::NumberTooPrecise {
            text: text.to_string(),
            max_digits: Number::MAX_DIGITS,
            max_scale: Number::MAX_DIGITS,
        });
    }
    Ok(())
}

impl From<i64> for Number {
    fn from(value: i64) -> Self {
        Self::new(Decimal::from(value))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl FromStr for Number {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NumberVisitor)
    }
}

struct NumberVisitor;

impl de::Visitor<'_> for NumberVisitor {
    type Value = Number;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, or a string holding a decimal number")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
        Ok(Number::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
        Ok(Number::new(Decimal::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
        if !v.is_finite() {
            return Err(E::custom("a limit or value must be a finite number"));
        }
        // `f64`'s Display is the shortest text that round-trips, so 0.1 stays 0.1.
        Number::parse(&format!("{v}")).map_err(E::custom)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
        Number::parse(v).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_scientific_notation_exactly() {
        assert_eq!(Number::parse("2.5e7").unwrap(), Number::from(25_000_000));
        assert_eq!(
            Number::parse(" 70 ").unwrap(),
            Number::parse("70.000").unwrap()
        );
        assert_eq!(Number::parse("1.5E-3").unwrap().to_string(), "0.0015");
        assert!(Number::parse("seventy").is_err());
        assert!(Number::parse("").is_err());
    }

    /// A number with more digits than the exact type keeps is refused and
    /// names the limit, never silently rounded.
    #[test]
    fn too_many_digits_are_refused_not_rounded() {
        let forty = "1234567890123456789012345678901234567890";
        let err = Number::parse(forty).unwrap_err();
        assert_eq!(err.rule(), "number_too_precise");
        assert!(err.to_string().contains("28"));
        assert_eq!(
            Number::parse("0.12345678901234567890123456789")
                .unwrap_err()
                .rule(),
            "number_too_precise"
        );
        assert!(Number::parse("1234567890123456789012345678").is_ok());
        assert!(Number::parse("2.4e8").is_ok());
        assert!(Number::parse("0.000000000000000000000000001").is_ok());
    }

    #[test]
    fn floats_keep_their_shortest_decimal_form() {
        let n: Number = serde_json::from_str("0.1").unwrap();
        assert_eq!(n.to_string(), "0.1");
        let big: Number = serde_json::from_str("25000000.0").unwrap();
        assert_eq!(big, Number::from(25_000_000));
    }

    #[test]
    fn serializes_as_string() {
        assert_eq!(
            serde_json::to_string(&Number::parse("0.10").unwrap()).unwrap(),
            "\"0.1\""
        );
    }
}
