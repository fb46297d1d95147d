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

/// The kinds of value a field can hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FieldKind {
    /// A number with a unit, a target and alert/action ranges.
    Number {
        /// The unit the value and limits are in.
        unit: String,
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
