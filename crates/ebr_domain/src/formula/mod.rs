//! Computed fields (issue 16): a formula over recorded values, checked for
//! dimensions when the MBR is imported, evaluated exactly when its inputs
//! are recorded, rounded as the field declares, and written out with the
//! values substituted for the record.

mod expr;
mod quantity;

use rust_decimal::{Decimal, RoundingStrategy};

pub use expr::{Expr, FieldRef, Op};
pub use quantity::{Dimension, Quantity};

use crate::mbr::Rounding;
use crate::number::Number;
use crate::units::Unit;

/// A recorded value a formula reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The exact value.
    pub value: Number,
    /// Its unit.
    pub unit: Unit,
    /// As it was typed (or as a computed value was printed).
    pub as_typed: String,
}

/// The dimension of `expr`, given the unit of each field it reads (`None`:
/// the field is not a number); an addition or subtraction of different
/// dimensions is refused, naming them.
pub fn dimension(
    expr: &Expr,
    unit_of: &dyn Fn(&FieldRef) -> Option<Unit>,
) -> Result<Dimension, String> {
    match expr {
        Expr::Const { unit, .. } => Ok(unit.map_or_else(Quantity::pure, Quantity::of).dimension),
        Expr::Field(r) => unit_of(r)
            .map(|u| Quantity::of(u).dimension)
            .ok_or_else(|| format!("{r} is not a number field the formula can read")),
        Expr::Binary(op, a, b) => {
            let (da, db) = (dimension(a, unit_of)?, dimension(b, unit_of)?);
            match op {
                Op::Mul => Ok(da.times(&db)),
                Op::Div => Ok(da.over(&db)),
                Op::Add | Op::Sub if da == db => Ok(da),
                Op::Add | Op::Sub => Err(format!(
                    "`{expr}` adds or subtracts {da} and {db}, which are different dimensions"
                )),
            }
        }
    }
}

/// Evaluates `expr` exactly in base units (a division rounds only past 28
/// significant digits), converts the result into `result`, and rounds it to
/// a multiple of `round_to` as `rounding` says when the field declares one.
/// A missing input, a division by zero or an overflow is an error saying
/// which.
pub fn evaluate(
    expr: &Expr,
    result: Unit,
    round_to: Option<Number>,
    rounding: Rounding,
    input: &dyn Fn(&FieldRef) -> Option<Input>,
) -> Result<Number, String> {
    let base = in_base_units(expr, input)?;
    let value = base
        .checked_div(Quantity::of(result).factor)
        .ok_or_else(|| "the result does not fit a number".to_string())?;
    Ok(Number::new(match round_to {
        Some(step) => round_to_step(value, step.value(), rounding)?,
        None => value.normalize(),
    }))
}

fn in_base_units(
    expr: &Expr,
    input: &dyn Fn(&FieldRef) -> Option<Input>,
) -> Result<Decimal, String> {
    match expr {
        Expr::Const { value, unit, .. } => {
            let factor = unit.map_or(Decimal::ONE, |u| Quantity::of(u).factor);
            value
                .value()
                .checked_mul(factor)
                .ok_or_else(|| format!("{expr} does not fit a number"))
        }
        Expr::Field(r) => {
            let i = input(r).ok_or_else(|| format!("{r} has no value recorded"))?;
            i.value
                .value()
                .checked_mul(Quantity::of(i.unit).factor)
                .ok_or_else(|| format!("{r} does not fit a number"))
        }
        Expr::Binary(op, a, b) => {
            let (x, y) = (in_base_units(a, input)?, in_base_units(b, input)?);
            let out = match op {
                Op::Add => x.checked_add(y),
                Op::Sub => x.checked_sub(y),
                Op::Mul => x.checked_mul(y),
                Op::Div if y.is_zero() => {
                    return Err(format!("`{b}` is zero, and `{expr}` divides by it"))
                }
                Op::Div => x.checked_div(y),
            };
            out.ok_or_else(|| format!("`{expr}` does not fit a number"))
        }
    }
}

/// `value` rounded to a multiple of `step`: the nearest (a tie to the even
/// one), or toward zero.
pub fn round_to_step(value: Decimal, step: Decimal, rounding: Rounding) -> Result<Decimal, String> {
    if step <= Decimal::ZERO {
        return Err(format!("the rounding step {step} is not positive"));
    }
    let multiples = value
        .checked_div(step)
        .ok_or_else(|| "the result does not fit a number".to_string())?
        .round_dp_with_strategy(
            0,
            match rounding {
                Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
                Rounding::Down => RoundingStrategy::ToZero,
            },
        );
    multiples
        .checked_mul(step)
        .ok_or_else(|| "the result does not fit a number".to_string())
}

/// The calculation as the record prints it: the formula with each input's
/// value as recorded and its unit, then the result, e.g.
/// `100000000 cells ÷ 2.0e6 cells/mL = 50.0 mL`.
pub fn substituted(
    expr: &Expr,
    input: &dyn Fn(&FieldRef) -> Option<Input>,
    result: &str,
) -> String {
    let shown = expr.render(&|r| {
        input(r).map_or_else(
            || r.to_string(),
            |i| format!("{} {}", i.as_typed, i.unit.symbol),
        )
    });
    format!("{shown} = {result}")
}

/// How a computed value is printed: to the places of its rounding step.
pub fn shown(value: Number, round_to: Option<Number>) -> String {
    match round_to {
        Some(step) => {
            let places = step.value().normalize().scale();
            let mut v = value.value();
            v.rescale(places);
            v.to_string()
        }
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    fn u(s: &str) -> Unit {
        Unit::parse(s).unwrap()
    }

    fn inputs(r: &FieldRef) -> Option<Input> {
        let (v, unit) = match r.field.as_str() {
            "density" => ("2.0e4", "cells/cm²"),
            "area" => ("75", "cm²"),
            "viable" => ("1.2e6", "cells/mL"),
            "zero" => ("0", "cells/mL"),
            "vials" => ("20", "vials"),
            _ => return None,
        };
        Some(Input {
            value: n(v),
            unit: u(unit),
            as_typed: v.to_string(),
        })
    }

    fn unit_of(r: &FieldRef) -> Option<Unit> {
        inputs(r).map(|i| i.unit)
    }

    /// The seeding volume: density × area ÷ concentration is a volume,
    /// evaluated exactly and rounded to 0.1 mL half to even.
    #[test]
    fn seeding_volume_with_units_and_rounding() {
        let e = Expr::parse("{density} × {area} ÷ {viable}").unwrap();
        assert_eq!(
            dimension(&e, &unit_of).unwrap(),
            Quantity::of(u("mL")).dimension
        );
        let v = evaluate(&e, u("mL"), Some(n("0.1")), Rounding::HalfEven, &inputs).unwrap();
        assert_eq!(v, n("1.2")); // 2e4 × 75 ÷ 1.2e6 = 1.25 mL → 1.2 (half to even)
        assert_eq!(shown(v, Some(n("0.1"))), "1.2");
        let down = evaluate(&e, u("mL"), Some(n("1")), Rounding::Down, &inputs).unwrap();
        assert_eq!(down, n("1"));
        let exact = evaluate(&e, u("µL"), None, Rounding::HalfEven, &inputs).unwrap();
        assert_eq!(exact, n("1250"));
        assert_eq!(
            substituted(&e, &inputs, "1.2 mL"),
            "2.0e4 cells/cm² × 75 cm² ÷ 1.2e6 cells/mL = 1.2 mL"
        );
    }

    /// A dimension mismatch, a missing input and a division by zero are
    /// errors that say what is wrong.
    #[test]
    fn mismatches_missing_inputs_and_zero_divisors_are_named() {
        let e = Expr::parse("{density} + {area}").unwrap();
        assert!(dimension(&e, &unit_of)
            .unwrap_err()
            .contains("different dimensions"));
        let e = Expr::parse("{density} × {area} ÷ {missing}").unwrap();
        assert!(dimension(&e, &unit_of).unwrap_err().contains("{missing}"));
        assert!(evaluate(&e, u("mL"), None, Rounding::HalfEven, &inputs)
            .unwrap_err()
            .contains("no value"));
        let e = Expr::parse("{density} × {area} ÷ {zero}").unwrap();
        assert!(evaluate(&e, u("mL"), None, Rounding::HalfEven, &inputs)
            .unwrap_err()
            .contains("is zero"));
        let e = Expr::parse("{vials} × 5e7 [cells/vial]").unwrap();
        assert_eq!(
            dimension(&e, &unit_of).unwrap(),
            Quantity::of(u("cells")).dimension
        );
        assert_eq!(
            evaluate(&e, u("cells"), None, Rounding::HalfEven, &inputs).unwrap(),
            n("1e9")
        );
    }

    proptest! {
        /// Sums, differences and products of decimals are exact: the
        /// formula gives what decimal arithmetic gives, digit for digit.
        #[test]
        fn evaluation_is_exact_for_decimals(a in -1_000_000_000i64..1_000_000_000, sa in 0u32..6,
                                            b in -1_000_000_000i64..1_000_000_000, sb in 0u32..6) {
            let (x, y) = (Decimal::new(a, sa), Decimal::new(b, sb));
            let input = |r: &FieldRef| -> Option<Input> {
                let v = if r.field == "x" { x } else { y };
                Some(Input { value: Number::new(v), unit: u("mL"), as_typed: v.to_string() })
            };
            let thousand = Decimal::from(1000);
            for (formula, expected) in [("{x} + {y}", (x + y) * thousand), ("{x} - {y}", (x - y) * thousand)] {
                let e = Expr::parse(formula).unwrap();
                prop_assert_eq!(evaluate(&e, u("µL"), None, Rounding::HalfEven, &input).unwrap().value(), expected);
            }
            let e = Expr::parse("{x} × {y} ÷ 1 [mL]").unwrap();
            prop_assert_eq!(evaluate(&e, u("mL"), None, Rounding::HalfEven, &input).unwrap().value(), x * y);
        }
    }
}
