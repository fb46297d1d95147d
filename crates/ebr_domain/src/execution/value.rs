//! Values recorded against fields: parsed by field kind, evaluated against limits.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::limits::Evaluation;
use crate::mbr::{Field, FieldKind};
use crate::number::Number;
use crate::units::Unit;
use crate::DomainError;

/// A value as recorded, typed by its field's kind. Stored as canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordedValue {
    /// A number and the unit it was entered in.
    Number {
        /// The exact value (normalized: `37.0` and `37` are equal).
        value: Number,
        /// The unit it was entered in (converted for evaluation).
        unit: String,
        /// The number as the operator typed it (`37.0`, `2.4e8`), kept so the
        /// record prints the precision that was recorded. Absent in entries
        /// recorded before it was kept; [`RecordedValue::as_recorded`] then
        /// falls back to the exact value.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        as_typed: Option<String>,
    },
    /// Free text.
    Text {
        /// The text.
        text: String,
    },
    /// One of the field's options.
    Choice {
        /// The option.
        option: String,
    },
    /// A pass/fail check.
    Check {
        /// Whether it passed.
        passed: bool,
    },
    /// A material lot, by lot number (as scanned).
    Material {
        /// The lot number.
        lot_number: String,
    },
    /// Equipment, by asset code (as scanned).
    Equipment {
        /// The asset code.
        code: String,
    },
    /// A date and time.
    DateTime {
        /// The time, UTC.
        at: DateTime<Utc>,
    },
    /// A number the server computed from recorded values (issue 16).
    Computed {
        /// The exact result, rounded as the field declares.
        value: Number,
        /// The field's unit.
        unit: String,
        /// The result as printed (to the places of the rounding step).
        shown: String,
        /// The formula with the inputs substituted and the result, e.g.
        /// `2.0e4 cells/cm² × 75 cm² ÷ 1.2e6 cells/mL = 1.2 mL`.
        calculation: String,
        /// The entries it was computed from.
        inputs: Vec<uuid::Uuid>,
    },
}

impl RecordedValue {
    /// The value in words as the record prints it: a number as it was typed
    /// with its unit (`37.0 °C`, `2.4e8 cells`), a check as `pass`/`fail`,
    /// a lot or asset code as scanned, a time in RFC 3339.
    pub fn as_recorded(&self) -> String {
        match self {
            Self::Number {
                value,
                unit,
                as_typed,
            } => match as_typed {
                Some(text) => format!("{text} {unit}"),
                None => format!("{value} {unit}"),
            },
            Self::Text { text } => text.clone(),
            Self::Choice { option } => option.clone(),
            Self::Check { passed } => if *passed { "pass" } else { "fail" }.into(),
            Self::Material { lot_number } => lot_number.clone(),
            Self::Equipment { code } => code.clone(),
            Self::DateTime { at } => at.to_rfc3339(),
            Self::Computed { shown, unit, .. } => format!("{shown} {unit}"),
        }
    }
}

fn invalid(field: &Field, reason: impl Into<String>) -> DomainError {
    DomainError::InvalidValue {
        field: field.key.clone(),
        reason: reason.into(),
    }
}

fn text_of(field: &Field, raw: &Value) -> Result<String, DomainError> {
    match raw {
        Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Value::String(_) => Err(invalid(field, "an empty value cannot be recorded")),
        other => Err(invalid(field, format!("expected text, got {other}"))),
    }
}

/// Parses a raw JSON value for `field`. Numbers are `"92.5"`, `92.5` or
/// `{"value": "0.5", "unit": "h"}` (unit defaults to the field's, and must be
/// of the same dimension); checks are `true`/`false`; materials and equipment
/// are the scanned lot number or asset code; date-times are RFC 3339.
pub fn parse_value(field: &Field, raw: &Value) -> Result<RecordedValue, DomainError> {
    match &field.kind {
        FieldKind::Number { unit, .. } => {
            let (number, given_unit) = match raw {
                Value::Object(map) => {
                    let v = map
                        .get("value")
                        .ok_or_else(|| invalid(field, "a number needs `value`"))?;
                    let u = match map.get("unit") {
                        Some(Value::String(u)) => u.clone(),
                        None => unit.clone(),
                        Some(other) => {
                            return Err(invalid(field, format!("`unit` must be text, got {other}")))
                        }
                    };
                    (v.clone(), u)
                }
                other => (other.clone(), unit.clone()),
            };
            let typed = match &number {
                Value::String(s) => s.trim().to_string(),
                Value::Number(n) => n.to_string(),
                other => return Err(invalid(field, format!("expected a number, got {other}"))),
            };
            let number = Number::parse(&typed).map_err(|e| match e {
                DomainError::NumberTooPrecise { .. } => invalid(field, e.to_string()),
                _ => invalid(field, format!("`{typed}` is not a number")),
            })?;
            let entered = Unit::parse(&given_unit)?;
            entered.convert(number, Unit::parse(unit)?)?;
            Ok(RecordedValue::Number {
                value: number,
                unit: entered.symbol.to_string(),
                as_typed: Some(typed),
            })
        }
        FieldKind::Text { max_length } => {
            // Free text is stored exactly as typed (ALCOA+ original); scanned
            // codes and choices above and below are trimmed of a scanner's
            // trailing line break.
            let text = match raw {
                Value::String(s) if !s.trim().is_empty() => s.clone(),
                _ => text_of(field, raw)?,
            };
            if let Some(c) = text.chars().find(|c| is_forbidden_control(*c)) {
                return Err(invalid(
                    field,
                    format!(
                        "contains the control character U+{:04X}; only tab and line breaks are allowed in text",
                        u32::from(c)
                    ),
                ));
            }
            if let Some(max) = max_length {
                if text.chars().count() > *max as usize {
                    return Err(invalid(field, format!("at most {max} characters")));
                }
            }
            Ok(RecordedValue::Text { text })
        }
        FieldKind::Choice { options, .. } => {
            let option = text_of(field, raw)?;
            if !options.contains(&option) {
                return Err(invalid(
                    field,
                    format!("`{option}` is not one of: {}", options.join(", ")),
                ));
            }
            Ok(RecordedValue::Choice { option })
        }
        FieldKind::Check {} => match raw {
            Value::Bool(passed) => Ok(RecordedValue::Check { passed: *passed }),
            Value::String(s) if s.eq_ignore_ascii_case("pass") => {
                Ok(RecordedValue::Check { passed: true })
            }
            Value::String(s) if s.eq_ignore_ascii_case("fail") => {
                Ok(RecordedValue::Check { passed: false })
            }
            other => Err(invalid(
                field,
                format!("expected true/false (or \"pass\"/\"fail\"), got {other}"),
            )),
        },
        FieldKind::Material { .. } => Ok(RecordedValue::Material {
            lot_number: text_of(field, raw)?,
        }),
        FieldKind::Equipment { .. } => Ok(RecordedValue::Equipment {
            code: text_of(field, raw)?,
        }),
        FieldKind::DateTime {} => {
            let text = text_of(field, raw)?;
            let at = DateTime::parse_from_rfc3339(&text).map_err(|_| {
                invalid(
                    field,
                    format!("`{text}` is not an RFC 3339 date-time (e.g. 2026-11-25T09:30:00Z)"),
                )
            })?;
            Ok(RecordedValue::DateTime { at: at.to_utc() })
        }
        FieldKind::Computed { .. } => Err(DomainError::ComputedByServer(field.key.clone())),
    }
}

/// How a recorded value compares with its field's limits; `None` for kinds
/// without limits (text, material, equipment, date-time).
pub fn evaluate(field: &Field, value: &RecordedValue) -> Result<Option<Evaluation>, DomainError> {
    Ok(match (&field.kind, value) {
        (FieldKind::Number { .. }, RecordedValue::Number { value, unit, .. })
        | (FieldKind::Computed { .. }, RecordedValue::Computed { value, unit, .. }) => {
            match field.kind.numeric_limits() {
                Some(limits) => Some(limits.evaluate(*value, unit)?),
                None => None,
            }
        }
        (FieldKind::Choice { acceptable, .. }, RecordedValue::Choice { option }) => {
            Some(match acceptable {
                Some(ok) if !ok.contains(option) => Evaluation::OutOfSpecification,
                _ => Evaluation::WithinSpecification,
            })
        }
        (FieldKind::Check {}, RecordedValue::Check { passed }) => Some(if *passed {
            Evaluation::WithinSpecification
        } else {
            Evaluation::OutOfSpecification
        }),
        _ => None,
    })
}

/// Control characters a person cannot have meant to type into a text field
/// (NUL, bell, escape, …); tab, line feed and carriage return are allowed.
fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn number_field() -> Field {
        serde_json::from_value(json!({
            "key": "viability", "label": "Viability", "kind": "number", "unit": "%",
            "alert": { "min": "80" }, "action": { "min": "70" }
        }))
        .unwrap()
    }

    /// R34 (original): a number keeps the text the operator typed,
    /// so `92.50` prints as `92.50 %`, while comparing exactly; a number
    /// with more digits than the exact type keeps is refused, naming the limit.
    #[test]
    fn r34_numbers_keep_what_was_typed_and_refuse_lost_digits() {
        let f = number_field();
        let v = parse_value(&f, &json!("92.50")).unwrap();
        assert_eq!(v.as_recorded(), "92.50 %");
        assert_eq!(v, parse_value(&f, &json!("92.50")).unwrap());
        let RecordedValue::Number { value, .. } = &v else {
            panic!("a number")
        };
        assert_eq!(value.to_string(), "92.5");
        let err = parse_value(&f, &json!("91.0000000000000000000000000000000000001")).unwrap_err();
        assert_eq!(err.rule(), "invalid_value");
        assert!(err.to_string().contains("28 significant digits"), "{err}");
        let old: RecordedValue =
            serde_json::from_str(r#"{"kind":"number","value":"37","unit":"°C"}"#).unwrap();
        assert_eq!(old.as_recorded(), "37 °C");
    }

    #[test]
    fn numbers_parse_in_every_form_and_evaluate() {
        let f = number_field();
        for raw in [
            json!("91"),
            json!(91),
            json!({ "value": "91" }),
            json!({ "value": 91, "unit": "%" }),
        ] {
            let v = parse_value(&f, &raw).unwrap();
            assert_eq!(
                evaluate(&f, &v).unwrap(),
                Some(Evaluation::WithinSpecification),
                "{raw}"
            );
        }
        let oos = parse_value(&f, &json!("65")).unwrap();
        assert_eq!(
            evaluate(&f, &oos).unwrap(),
            Some(Evaluation::OutOfSpecification)
        );
        assert!(matches!(
            parse_value(&f, &json!("sixty")),
            Err(DomainError::InvalidValue { .. })
        ));
        assert!(matches!(
            parse_value(&f, &json!({ "value": "1", "unit": "mL" })),
            Err(DomainError::UnitMismatch { .. })
        ));
    }

    #[test]
    fn text_refuses_control_characters_but_keeps_tabs_and_line_breaks() {
        let note: Field = serde_json::from_value(
            json!({ "key": "note", "label": "Note", "kind": "text", "max_length": 20 }),
        )
        .unwrap();
        for bad in ["a\u{0}b", "bell\u{7}", "esc\u{1b}", "del\u{7f}", "c1\u{85}"] {
            assert!(
                matches!(
                    parse_value(&note, &json!(bad)),
                    Err(DomainError::InvalidValue { .. })
                ),
                "{bad:?}"
            );
        }
        let kept = parse_value(&note, &json!("a\tb\r\nc 雪")).unwrap();
        assert_eq!(
            kept,
            RecordedValue::Text {
                text: "a\tb\r\nc 雪".into()
            }
        );
    }

    #[test]
    fn checks_choices_and_times() {
        let check: Field =
            serde_json::from_value(json!({ "key": "ok", "label": "OK", "kind": "check" })).unwrap();
        assert_eq!(
            evaluate(&check, &parse_value(&check, &json!(false)).unwrap()).unwrap(),
            Some(Evaluation::OutOfSpecification)
        );
        let choice: Field = serde_json::from_value(json!({
            "key": "room", "label": "Room", "kind": "choice", "options": ["Clean", "Not clean"], "acceptable": ["Clean"]
        }))
        .unwrap();
        assert!(parse_value(&choice, &json!("Dirty")).is_err());
        assert_eq!(
            evaluate(&choice, &parse_value(&choice, &json!("Not clean")).unwrap()).unwrap(),
            Some(Evaluation::OutOfSpecification)
        );
        let at: Field =
            serde_json::from_value(json!({ "key": "t", "label": "T", "kind": "date_time" }))
                .unwrap();
        assert!(parse_value(&at, &json!("yesterday")).is_err());
        assert!(parse_value(&at, &json!("2026-11-25T09:30:00+08:00")).is_ok());
    }
}
