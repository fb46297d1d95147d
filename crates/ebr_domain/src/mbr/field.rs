//! Fields: the parameters recorded in a step.

use serde::{Deserialize, Serialize};

use crate::limits::{NumericLimits, Range};
use crate::number::Number;

/// A parameter recorded in a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// Key, unique in its step.
    pub key: String,
    /// Label shown to operators.
    pub label: String,
    /// Whether the step can only be signed once this field has a value (R36).
    #[serde(default = "yes")]
    pub required: bool,
    /// What kind of value the field holds, with its limits.
    #[serde(flatten)]
    pub kind: FieldKind,
}

fn yes() -> bool {
    true
}

/// The computed value an amount aims at, and how far it may miss.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aim {
    /// The computed field, as a formula reference: `{field}` (this step)
    /// or `{step.field}`.
    pub computed: String,
    /// How far the amount may miss, in percent of the computed value.
    pub tolerance_percent: Number,
}

/// How a computed value is rounded to its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// To the nearest multiple, a tie to the even one.
    #[default]
    HalfEven,
    /// Toward zero (e.g. whole vials that can be filled).
    Down,
}

impl Rounding {
    fn is_default(&self) -> bool {
        *self == Rounding::HalfEven
    }
}

/// The kinds of value a field can hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FieldKind {
    /// A number with a unit, a target and alert/action ranges.
    Number {
        /// The unit the value and limits are in.
        unit: String,
        /// A computed value this amount is to match, e.g. the CS10 volume
        /// ebr computed for the volume actually added (issue 16).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        aim: Option<Aim>,
        /// The set point.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<Number>,
        /// Normal operating range.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alert: Option<Range>,
        /// Specification range.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        action: Option<Range>,
    },
    /// Free text.
    Text {
        /// Maximum length in characters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<u32>,
    },
    /// One of a fixed list of options.
    Choice {
        /// The options offered.
        options: Vec<String>,
        /// The options that are within specification (all, when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        acceptable: Option<Vec<String>>,
    },
    /// A pass/fail check; a fail is out of specification.
    Check {},
    /// A lot of the named material (scanned).
    Material {
        /// The material code.
        material: String,
    },
    /// A piece of equipment of the named type (scanned).
    Equipment {
        /// The equipment type code.
        equipment_type: String,
    },
    /// A date and time (of an activity, e.g. a feed).
    DateTime {},
    /// A number the server computes from recorded values once they are all
    /// recorded (see [`crate::formula`]), with limits like a number.
    Computed {
        /// The formula, e.g. `{target_density} × {s2-seed.area} ÷ {viable}`.
        formula: String,
        /// The unit of the result (the formula's dimension must match it).
        unit: String,
        /// The result is rounded to a multiple of this.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        round_to: Option<Number>,
        /// How: half to even (the default), or down (whole vials).
        #[serde(default, skip_serializing_if = "Rounding::is_default")]
        rounding: Rounding,
        /// The set point.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<Number>,
        /// Normal operating range.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alert: Option<Range>,
        /// Specification range.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        action: Option<Range>,
    },
}

impl FieldKind {
    /// The numeric limits of a number field.
    pub fn numeric_limits(&self) -> Option<NumericLimits> {
        match self {
            FieldKind::Number {
                unit,
                target,
                alert,
                action,
                ..
            }
            | FieldKind::Computed {
                unit,
                target,
                alert,
                action,
                ..
            } => Some(NumericLimits {
                unit: unit.clone(),
                target: *target,
                alert: alert.clone(),
                action: action.clone(),
            }),
            _ => None,
        }
    }
}
