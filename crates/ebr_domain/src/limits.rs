//! Numeric limits and the evaluation of a recorded value against them.
//!
//! A number field has an optional *alert* range (inside it: normal) and an
//! optional *action* range, the specification (outside it: out of
//! specification). A value outside the alert range but inside the action range
//! is an alert. Evaluation is unit-safe: the value is converted into the
//! field's unit first, exactly, and a value in another dimension is refused.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::number::Number;
use crate::units::Unit;
use crate::DomainError;

/// A range with optional bounds. `min`/`max` are inclusive (≥, ≤);
/// `above`/`below` are exclusive (>, <). At most one lower and one upper bound
/// is meaningful; [`Range::problems`] reports contradictions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// Inclusive lower bound (value ≥ min).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Number>,
    /// Exclusive lower bound (value > above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<Number>,
    /// Inclusive upper bound (value ≤ max).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Number>,
    /// Exclusive upper bound (value < below).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<Number>,
}

/// A lower or upper bound and whether the bound value itself is inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// The bound's value.
    pub value: Number,
    /// Whether a value equal to the bound is inside the range.
    pub inclusive: bool,
}

impl Range {
    /// The lower bound, preferring the inclusive one when both are (wrongly) set.
    pub fn lower(&self) -> Option<Bound> {
        bound(self.min, self.above)
    }

    /// The upper bound, preferring the inclusive one when both are (wrongly) set.
    pub fn upper(&self) -> Option<Bound> {
        bound(self.max, self.below)
    }

    /// Whether `value` lies inside the range (bounds in the same unit).
    pub fn contains(&self, value: Number) -> bool {
        let above_lower = self.lower().is_none_or(|b| {
            if b.inclusive {
                value >= b.value
            } else {
                value > b.value
            }
        });
        let below_upper = self.upper().is_none_or(|b| {
            if b.inclusive {
                value <= b.value
            } else {
                value < b.value
            }
        });
        above_lower && below_upper
    }

    /// Whether every value inside `self` is also inside `outer`.
    pub fn is_within(&self, outer: &Range) -> bool {
        let lower_ok = match (outer.lower(), self.lower()) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(o), Some(s)) => {
                s.value > o.value || (s.value == o.value && (o.inclusive || !s.inclusive))
            }
        };
        let upper_ok = match (outer.upper(), self.upper()) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(o), Some(s)) => {
                s.value < o.value || (s.value == o.value && (o.inclusive || !s.inclusive))
            }
        };
        lower_ok && upper_ok
    }

    /// Everything wrong with the range on its own: no bound at all, two lower or
    /// two upper bounds, or a lower bound above the upper one (an empty range).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.min.is_some() && self.above.is_some() {
            problems.push("both `min` and `above` given: use one lower bound".to_string());
        }
        if self.max.is_some() && self.below.is_some() {
            problems.push("both `max` and `below` given: use one upper bound".to_string());
        }
        match (self.lower(), self.upper()) {
            (None, None) => problems.push("a range needs at least one bound".to_string()),
            (Some(low), Some(high)) => {
                let empty = low.value > high.value
                    || (low.value == high.value && !(low.inclusive && high.inclusive));
                if empty {
                    problems.push(format!("low > high: the range {self} contains no value"));
                }
            }
            _ => {}
        }
        problems
    }
}

fn bound(inclusive: Option<Number>, exclusive: Option<Number>) -> Option<Bound> {
    inclusive
        .map(|value| Bound {
            value,
            inclusive: true,
        })
        .or(exclusive.map(|value| Bound {
            value,
            inclusive: false,
        }))
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.lower(), self.upper()) {
            (Some(l), Some(u)) if l.inclusive && u.inclusive => {
                write!(f, "{}–{}", l.value, u.value)
            }
            (Some(l), Some(u)) => write!(
                f,
                "{} {} and {} {}",
                if l.inclusive { "≥" } else { ">" },
                l.value,
                if u.inclusive { "≤" } else { "<" },
                u.value
            ),
            (Some(l), None) => write!(f, "{} {}", if l.inclusive { "≥" } else { ">" }, l.value),
            (None, Some(u)) => write!(f, "{} {}", if u.inclusive { "≤" } else { "<" }, u.value),
            (None, None) => f.write_str("any value"),
        }
    }
}

/// The limits of a number field, all in `unit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumericLimits {
    /// The unit the limits are expressed in.
    pub unit: String,
    /// The target (set point) value, if the process has one.
    pub target: Option<Number>,
    /// Normal operating range; outside it (but within `action`) is an alert.
    pub alert: Option<Range>,
    /// The specification; outside it is out of specification.
    pub action: Option<Range>,
}

/// The outcome of comparing a value with its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evaluation {
    /// Inside the alert range (or no limits apply).
    WithinSpecification,
    /// Outside the alert range but inside the specification.
    Alert,
    /// Outside the specification (action range).
    OutOfSpecification,
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::WithinSpecification => "within specification",
            Self::Alert => "alert",
            Self::OutOfSpecification => "out of specification",
        })
    }
}

impl NumericLimits {
    /// Evaluates `value` given in `unit` against these limits, converting it to
    /// the limits' unit first. Refuses unknown units and other dimensions.
    pub fn evaluate(&self, value: Number, unit: &str) -> Result<Evaluation, DomainError> {
        let target_unit = Unit::parse(&self.unit)?;
        let converted = Unit::parse(unit)?.convert(value, target_unit)?;
        if self.action.as_ref().is_some_and(|r| !r.contains(converted)) {
            return Ok(Evaluation::OutOfSpecification);
        }
        if self.alert.as_ref().is_some_and(|r| !r.contains(converted)) {
            return Ok(Evaluation::Alert);
        }
        Ok(Evaluation::WithinSpecification)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    fn viability() -> NumericLimits {
        NumericLimits {
            unit: "%".into(),
            target: Some(n("90")),
            alert: Some(Range {
                min: Some(n("80")),
                max: Some(n("100")),
                ..Range::default()
            }),
            action: Some(Range {
                min: Some(n("70")),
                max: Some(n("100")),
                ..Range::default()
            }),
        }
    }

    #[test]
    fn classifies_within_alert_and_out_of_specification() {
        let l = viability();
        assert_eq!(
            l.evaluate(n("92"), "%").unwrap(),
            Evaluation::WithinSpecification
        );
        assert_eq!(
            l.evaluate(n("80"), "%").unwrap(),
            Evaluation::WithinSpecification
        );
        assert_eq!(l.evaluate(n("79.9"), "%").unwrap(), Evaluation::Alert);
        assert_eq!(l.evaluate(n("70"), "%").unwrap(), Evaluation::Alert);
        assert_eq!(
            l.evaluate(n("69.99"), "%").unwrap(),
            Evaluation::OutOfSpecification
        );
        assert_eq!(
            l.evaluate(n("100.1"), "%").unwrap(),
            Evaluation::OutOfSpecification
        );
    }

    #[test]
    fn exclusive_bounds_exclude_the_bound_itself() {
        let residual = NumericLimits {
            unit: "%".into(),
            target: None,
            alert: None,
            action: Some(Range {
                below: Some(n("0.1")),
                ..Range::default()
            }),
        };
        assert_eq!(
            residual.evaluate(n("0.1"), "%").unwrap(),
            Evaluation::OutOfSpecification
        );
        assert_eq!(
            residual.evaluate(n("0.099"), "%").unwrap(),
            Evaluation::WithinSpecification
        );
    }

    #[test]
    fn converts_units_before_comparing_and_refuses_other_dimensions() {
        let hold = NumericLimits {
            unit: "min".into(),
            target: None,
            alert: None,
            action: Some(Range {
                max: Some(n("45")),
                ..Range::default()
            }),
        };
        assert_eq!(
            hold.evaluate(n("0.75"), "h").unwrap(),
            Evaluation::WithinSpecification
        );
        assert_eq!(
            hold.evaluate(n("2701"), "s").unwrap(),
            Evaluation::OutOfSpecification
        );
        assert!(matches!(
            hold.evaluate(n("1"), "mL"),
            Err(DomainError::UnitMismatch { .. })
        ));
        assert!(matches!(
            hold.evaluate(n("1"), "fortnights"),
            Err(DomainError::UnknownUnit(_))
        ));
    }

    #[test]
    fn range_problems_name_contradictions() {
        let empty = Range {
            min: Some(n("5")),
            max: Some(n("1")),
            ..Range::default()
        };
        assert!(empty.problems()[0].starts_with("low > high"));
        let point_exclusive = Range {
            min: Some(n("5")),
            below: Some(n("5")),
            ..Range::default()
        };
        assert_eq!(point_exclusive.problems().len(), 1);
        assert_eq!(
            Range::default().problems(),
            vec!["a range needs at least one bound"]
        );
        let doubled = Range {
            min: Some(n("1")),
            above: Some(n("2")),
            ..Range::default()
        };
        assert!(doubled.problems()[0].contains("both `min` and `above`"));
    }

    fn decimal() -> impl Strategy<Value = Number> {
        (-1_000_000i64..1_000_000, 0u32..4)
            .prop_map(|(m, s)| Number::new(rust_decimal::Decimal::new(m, s)))
    }

    fn range() -> impl Strategy<Value = Range> {
        (decimal(), decimal(), any::<bool>(), any::<bool>()).prop_map(|(a, b, li, ui)| {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            Range {
                min: li.then_some(lo),
                above: (!li).then_some(lo),
                max: ui.then_some(hi),
                below: (!ui).then_some(hi),
            }
        })
    }

    proptest! {
        /// A value inside the alert range, when the alert range lies within the
        /// specification, is never out of specification.
        #[test]
        fn inside_alert_is_never_out_of_specification(alert in range(), widen in 0i64..1000, v in decimal()) {
            let widen = Number::from(widen);
            let action = Range {
                min: alert.lower().map(|b| Number::new(b.value.value() - widen.value())),
                max: alert.upper().map(|b| Number::new(b.value.value() + widen.value())),
                ..Range::default()
            };
            prop_assert!(alert.is_within(&action));
            let limits = NumericLimits { unit: "%".into(), target: None, alert: Some(alert.clone()), action: Some(action) };
            let e = limits.evaluate(v, "%").unwrap();
            if alert.contains(v) {
                prop_assert_eq!(e, Evaluation::WithinSpecification);
            } else {
                prop_assert_ne!(e, Evaluation::WithinSpecification);
            }
        }

        /// The same quantity in another unit of the same dimension evaluates alike.
        #[test]
        fn evaluation_is_unit_independent(action in range(), v in decimal()) {
            let limits = NumericLimits { unit: "mL".into(), target: None, alert: None, action: Some(action) };
            let in_ul = Number::new(v.value() * rust_decimal::Decimal::from(1000));
            prop_assert_eq!(limits.evaluate(v, "mL").unwrap(), limits.evaluate(in_ul, "µL").unwrap());
        }

        /// Evaluation is monotone around a one-sided lower specification.
        #[test]
        fn lower_limit_is_monotone(lo in decimal(), a in decimal(), b in decimal()) {
            let limits = NumericLimits { unit: "%".into(), target: None, alert: None,
                action: Some(Range { min: Some(lo), ..Range::default() }) };
            let (small, large) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(limits.evaluate(small, "%").unwrap() >= limits.evaluate(large, "%").unwrap());
        }
    }
}
