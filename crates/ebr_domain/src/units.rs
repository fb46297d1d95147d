//! The unit table: every unit an MBR may use, its dimension and its exact
//! conversion factor to the dimension's base unit.
//!
//! Conversions only happen inside one dimension (µL ↔ mL, min ↔ h, nM ↔ µM).
//! Temperatures are °C only, so no offset conversion is ever needed. Count-like
//! units (vials, passages, metaphases) are each their own dimension: a number of
//! vials can never be compared with a number of passages.

use rust_decimal::Decimal;

use crate::number::Number;
use crate::DomainError;

/// A unit from the table. Two units are compatible when their dimensions match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    /// The canonical symbol, as printed on records (e.g. `µM`).
    pub symbol: &'static str,
    /// The physical dimension; only units of one dimension convert.
    pub dimension: &'static str,
    /// The factor to the dimension's base unit, as (mantissa, decimal scale).
    factor: (i64, u32),
}

const fn unit(symbol: &'static str, dimension: &'static str, mantissa: i64, scale: u32) -> Unit {
    Unit {
        symbol,
        dimension,
        factor: (mantissa, scale),
    }
}

/// Every known unit. Aliases (ASCII spellings a scanner or keyboard produces)
/// are resolved by [`Unit::parse`].
pub const UNITS: &[Unit] = &[
    unit("%", "fraction", 1, 0),
    unit("°C", "temperature", 1, 0),
    unit("°C/min", "temperature_rate", 1, 0),
    unit("s", "time", 1, 0),
    unit("min", "time", 60, 0),
    unit("h", "time", 3600, 0),
    unit("d", "time", 86_400, 0),
    unit("L", "volume", 1, 0),
    unit("mL", "volume", 1, 3),
    unit("µL", "volume", 1, 6),
    unit("g", "mass", 1, 0),
    unit("mg", "mass", 1, 3),
    unit("µg", "mass", 1, 6),
    unit("ng", "mass", 1, 9),
    unit("M", "molar_concentration", 1, 0),
    unit("mM", "molar_concentration", 1, 3),
    unit("µM", "molar_concentration", 1, 6),
    unit("nM", "molar_concentration", 1, 9),
    unit("mg/mL", "mass_concentration", 1, 0),
    unit("µg/mL", "mass_concentration", 1, 3),
    unit("ng/mL", "mass_concentration", 1, 6),
    unit("µm", "length", 1, 6),
    unit("mm", "length", 1, 3),
    unit("cm²", "area", 1, 0),
    unit("cells", "cells", 1, 0),
    unit("cells/mL", "cells_per_volume", 1, 0),
    unit("cells/cm²", "cells_per_area", 1, 0),
    unit("cells/vial", "cells_per_vial", 1, 0),
    unit("×g", "relative_centrifugal_force", 1, 0),
    unit("rpm", "rotational_speed", 1, 0),
    unit("EU/mL", "endotoxin_concentration", 1, 0),
    unit("CFU/plate", "cfu_per_plate", 1, 0),
    unit("CFU/m³", "cfu_per_volume", 1, 0),
    unit("particles/m³", "particles_per_volume", 1, 0),
    unit("Pa", "pressure", 1, 0),
    unit("fold", "fold", 1, 0),
    unit("doublings", "doublings", 1, 0),
    unit("passages", "passages", 1, 0),
    unit("vials", "vials", 1, 0),
    unit("labels", "labels", 1, 0),
    unit("plates", "plates", 1, 0),
    unit("metaphases", "metaphases", 1, 0),
    unit("pH", "ph", 1, 0),
];

const ALIASES: &[(&str, &str)] = &[
    ("degC", "°C"),
    ("C", "°C"),
    ("degC/min", "°C/min"),
    ("uL", "µL"),
    ("μL", "µL"),
    ("ul", "µL"),
    ("ml", "mL"),
    ("l", "L"),
    ("ug", "µg"),
    ("μg", "µg"),
    ("uM", "µM"),
    ("μM", "µM"),
    ("ug/mL", "µg/mL"),
    ("μg/mL", "µg/mL"),
    ("um", "µm"),
    ("μm", "µm"),
    ("cm2", "cm²"),
    ("cells/cm2", "cells/cm²"),
    ("xg", "×g"),
    ("x g", "×g"),
    ("× g", "×g"),
    ("CFU/m3", "CFU/m³"),
    ("particles/m3", "particles/m³"),
    ("sec", "s"),
    ("hours", "h"),
    ("days", "d"),
];

impl Unit {
    /// Looks a symbol or alias up in the table.
    pub fn parse(symbol: &str) -> Result<Unit, DomainError> {
        let symbol = symbol.trim();
        let canonical = ALIASES
            .iter()
            .find(|(alias, _)| *alias == symbol)
            .map_or(symbol, |(_, canonical)| canonical);
        UNITS
            .iter()
            .find(|u| u.symbol == canonical)
            .copied()
            .ok_or_else(|| DomainError::UnknownUnit(symbol.to_string()))
    }

    fn factor(self) -> Decimal {
        Decimal::new(self.factor.0, self.factor.1)
    }

    /// Converts `value`, given in `self`, into `target`. Exact; refuses units of
    /// another dimension.
    pub fn convert(self, value: Number, target: Unit) -> Result<Number, DomainError> {
        if self.dimension != target.dimension {
            return Err(DomainError::UnitMismatch {
                given: self.symbol.to_string(),
                expected: target.symbol.to_string(),
            });
        }
        if self == target {
            return Ok(value);
        }
        let converted = value
            .value()
            .checked_mul(self.factor())
            .and_then(|base| base.checked_div(target.factor()))
            .ok_or_else(|| DomainError::NotANumber(value.to_string()))?;
        Ok(Number::new(converted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn converts_exactly_within_a_dimension() {
        let ul = Unit::parse("µL").unwrap();
        let ml = Unit::parse("mL").unwrap();
        assert_eq!(ul.convert(n("2000"), ml).unwrap(), n("2"));
        let nm = Unit::parse("nM").unwrap();
        let um = Unit::parse("uM").unwrap();
        assert_eq!(um.convert(n("0.1"), nm).unwrap(), n("100"));
        let h = Unit::parse("h").unwrap();
        let min = Unit::parse("min").unwrap();
        assert_eq!(h.convert(n("0.75"), min).unwrap(), n("45"));
    }

    #[test]
    fn refuses_other_dimensions_and_unknown_units() {
        let vials = Unit::parse("vials").unwrap();
        let passages = Unit::parse("passages").unwrap();
        assert!(matches!(
            vials.convert(n("1"), passages),
            Err(DomainError::UnitMismatch { .. })
        ));
        assert_eq!(
            Unit::parse("furlongs"),
            Err(DomainError::UnknownUnit("furlongs".into()))
        );
    }

    #[test]
    fn every_alias_points_at_a_known_unit_and_symbols_are_unique() {
        for (alias, canonical) in ALIASES {
            assert_eq!(Unit::parse(alias).unwrap().symbol, *canonical);
        }
        for (i, a) in UNITS.iter().enumerate() {
            assert!(UNITS.iter().skip(i + 1).all(|b| b.symbol != a.symbol));
        }
    }
}
