//! Quantities for calculations: every unit of the unit table as a product
//! of base quantities with an exact factor, so that products and quotients
//! of units (cells/cm² × cm² ÷ cells/mL = mL) are checked and converted
//! exactly. Conversions between units of one dimension stay with
//! [`crate::units::Unit::convert`]; this table only adds how dimensions
//! multiply.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;

use crate::units::Unit;

/// A dimension: each base quantity with its exponent (none: dimensionless).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dimension(BTreeMap<&'static str, i8>);

impl Dimension {
    /// The dimension of a product.
    pub fn times(&self, other: &Dimension) -> Dimension {
        self.combine(other, 1)
    }

    /// The dimension of a quotient.
    pub fn over(&self, other: &Dimension) -> Dimension {
        self.combine(other, -1)
    }

    fn combine(&self, other: &Dimension, sign: i8) -> Dimension {
        let mut out = self.0.clone();
        for (base, exponent) in &other.0 {
            let e = out.entry(base).or_insert(0);
            *e += sign * exponent;
            if *e == 0 {
                out.remove(base);
            }
        }
        Dimension(out)
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("a pure number");
        }
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(base, e)| {
                if *e == 1 {
                    (*base).to_string()
                } else {
                    format!("{base}^{e}")
                }
            })
            .collect();
        f.write_str(&parts.join("·"))
    }
}

/// A unit symbol, its base quantities with exponents, and its factor as
/// (mantissa, decimal scale).
type UnitQuantity = (&'static str, &'static [(&'static str, i8)], (i64, u32));

/// Each unit symbol: its base quantities with exponents, and the factor
/// from the unit to the product of those base quantities' units (cells,
/// litres, metres, seconds, grams, moles; count-like units are their own
/// base; % and fold are pure numbers).
const QUANTITIES: &[UnitQuantity] = &[
    ("%", &[], (1, 2)),
    ("fold", &[], (1, 0)),
    ("°C", &[("°C", 1)], (1, 0)),
    ("°C/min", &[("°C", 1), ("s", -1)], (1, 0)),
    ("s", &[("s", 1)], (1, 0)),
    ("min", &[("s", 1)], (60, 0)),
    ("h", &[("s", 1)], (3600, 0)),
    ("d", &[("s", 1)], (86_400, 0)),
    ("L", &[("L", 1)], (1, 0)),
    ("mL", &[("L", 1)], (1, 3)),
    ("µL", &[("L", 1)], (1, 6)),
    ("g", &[("g", 1)], (1, 0)),
    ("mg", &[("g", 1)], (1, 3)),
    ("µg", &[("g", 1)], (1, 6)),
    ("ng", &[("g", 1)], (1, 9)),
    ("M", &[("mol", 1), ("L", -1)], (1, 0)),
    ("mM", &[("mol", 1), ("L", -1)], (1, 3)),
    ("µM", &[("mol", 1), ("L", -1)], (1, 6)),
    ("nM", &[("mol", 1), ("L", -1)], (1, 9)),
    ("mg/mL", &[("g", 1), ("L", -1)], (1, 0)),
    ("µg/mL", &[("g", 1), ("L", -1)], (1, 3)),
    ("ng/mL", &[("g", 1), ("L", -1)], (1, 6)),
    ("µm", &[("m", 1)], (1, 6)),
    ("mm", &[("m", 1)], (1, 3)),
    ("cm²", &[("m", 2)], (1, 4)),
    ("cells", &[("cells", 1)], (1, 0)),
    ("cells/mL", &[("cells", 1), ("L", -1)], (1000, 0)),
    ("cells/cm²", &[("cells", 1), ("m", -2)], (10_000, 0)),
    ("cells/vial", &[("cells", 1), ("vials", -1)], (1, 0)),
    ("×g", &[("×g", 1)], (1, 0)),
    ("rpm", &[("rpm", 1)], (1, 0)),
    ("EU/mL", &[("EU", 1), ("L", -1)], (1000, 0)),
    ("CFU/plate", &[("CFU", 1), ("plates", -1)], (1, 0)),
    ("CFU/m³", &[("CFU", 1), ("m", -3)], (1, 0)),
    ("particles/m³", &[("particles", 1), ("m", -3)], (1, 0)),
    ("Pa", &[("Pa", 1)], (1, 0)),
    ("doublings", &[("doublings", 1)], (1, 0)),
    ("passages", &[("passages", 1)], (1, 0)),
    ("vials", &[("vials", 1)], (1, 0)),
    ("labels", &[("labels", 1)], (1, 0)),
    ("plates", &[("plates", 1)], (1, 0)),
    ("metaphases", &[("metaphases", 1)], (1, 0)),
    ("pH", &[("pH", 1)], (1, 0)),
];

/// A unit as a quantity: its dimension and the exact factor to base units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity {
    /// The dimension.
    pub dimension: Dimension,
    /// One of the unit, in base units.
    pub factor: Decimal,
}

impl Quantity {
    /// The quantity of a unit of the table (every unit has one).
    pub fn of(unit: Unit) -> Quantity {
        let (_, bases, (mantissa, scale)) = QUANTITIES
            .iter()
            .find(|(symbol, _, _)| *symbol == unit.symbol)
            .copied()
            .unwrap_or((unit.symbol, &[], (1, 0)));
        Quantity {
            dimension: Dimension(bases.iter().copied().collect()),
            factor: Decimal::new(mantissa, scale),
        }
    }

    /// A pure number.
    pub fn pure() -> Quantity {
        Quantity {
            dimension: Dimension::default(),
            factor: Decimal::ONE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::UNITS;

    /// Every unit of the unit table has its quantity, and units of one
    /// dimension of the table share one dimension here.
    #[test]
    fn every_unit_has_a_quantity_consistent_with_the_table() {
        for u in UNITS {
            assert!(
                QUANTITIES.iter().any(|(s, _, _)| *s == u.symbol),
                "{} has no quantity",
                u.symbol
            );
            for v in UNITS.iter().filter(|v| v.dimension == u.dimension) {
                assert_eq!(
                    Quantity::of(*u).dimension,
                    Quantity::of(*v).dimension,
                    "{} and {}",
                    u.symbol,
                    v.symbol
                );
            }
        }
    }

    #[test]
    fn products_and_quotients_of_dimensions() {
        let q = |s: &str| Quantity::of(Unit::parse(s).unwrap()).dimension;
        assert_eq!(q("cells/cm²").times(&q("cm²")), q("cells"));
        assert_eq!(q("cells").over(&q("cells/mL")), q("mL"));
        assert_eq!(q("cells").over(&q("cells")), Dimension::default());
        assert_eq!(q("%"), Dimension::default());
    }
}
