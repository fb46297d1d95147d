//! The formula language of computed fields: field references `{field}` (this
//! step) or `{step.field}` (an earlier step), constants with an optional
//! unit in brackets (`1e6 [cells/vial]`), `+ - × ÷` (also `* /`) and
//! parentheses, with the usual precedence.

use std::fmt;

use crate::number::Number;
use crate::units::Unit;

/// A field a formula reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldRef {
    /// The step (`None`: the computed field's own step).
    pub step: Option<String>,
    /// The field key.
    pub field: String,
}

impl fmt::Display for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.step {
            Some(step) => write!(f, "{{{step}.{}}}", self.field),
            None => write!(f, "{{{}}}", self.field),
        }
    }
}

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `×` or `*`
    Mul,
    /// `÷` or `/`
    Div,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Add => "+",
            Op::Sub => "−",
            Op::Mul => "×",
            Op::Div => "÷",
        }
    }
}

/// A parsed formula.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A constant, with the text it was written as and its unit.
    Const {
        /// The exact value.
        value: Number,
        /// As written.
        text: String,
        /// Its unit (`None`: a pure number).
        unit: Option<Unit>,
    },
    /// A recorded (or computed) value.
    Field(FieldRef),
    /// An operation.
    Binary(Op, Box<Expr>, Box<Expr>),
}

impl Expr {
    /// Parses `text`; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<Expr, String> {
        let mut p = Parser {
            chars: text.chars().collect(),
            pos: 0,
        };
        let expr = p.sum()?;
        p.skip_space();
        if p.pos < p.chars.len() {
            return Err(format!(
                "unexpected `{}` at character {}",
                p.text(p.pos, p.chars.len()),
                p.pos + 1
            ));
        }
        Ok(expr)
    }

    /// Every field the formula reads, in order of appearance (repeats kept).
    pub fn references(&self) -> Vec<&FieldRef> {
        match self {
            Expr::Const { .. } => vec![],
            Expr::Field(r) => vec![r],
            Expr::Binary(_, a, b) => {
                let mut out = a.references();
                out.extend(b.references());
                out
            }
        }
    }

    /// The formula written out, each reference replaced by `show(reference)`
    /// (e.g. its value as recorded with its unit), parenthesised where
    /// precedence needs it.
    pub fn render(&self, show: &dyn Fn(&FieldRef) -> String) -> String {
        self.render_at(show, 0)
    }

    fn render_at(&self, show: &dyn Fn(&FieldRef) -> String, outer: u8) -> String {
        match self {
            Expr::Const { text, unit, .. } => match unit {
                Some(u) => format!("{text} {}", u.symbol),
                None => text.clone(),
            },
            Expr::Field(r) => show(r),
            Expr::Binary(op, a, b) => {
                let level = if matches!(op, Op::Add | Op::Sub) {
                    1
                } else {
                    2
                };
                let inner = format!(
                    "{} {} {}",
                    a.render_at(show, level),
                    op.symbol(),
                    b.render_at(show, level + 1)
                );
                if level < outer {
                    format!("({inner})")
                } else {
                    inner
                }
            }
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&|r| r.to_string()))
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    /// The characters from `from` to `to` (empty when out of range).
    fn text(&self, from: usize, to: usize) -> String {
        self.chars
            .get(from..to)
            .map(|c| c.iter().collect())
            .unwrap_or_default()
    }

    /// Where `c` next occurs at or after `from`.
    fn find(&self, from: usize, c: char) -> Option<usize> {
        self.chars
            .get(from..)?
            .iter()
            .position(|x| *x == c)
            .map(|i| from + i)
    }

    fn skip_space(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_space();
        self.chars.get(self.pos).copied()
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut left = self.product()?;
        while let Some(op) = match self.peek() {
            Some('+') => Some(Op::Add),
            Some('-' | '−') => Some(Op::Sub),
            _ => None,
        } {
            self.pos += 1;
            let right = self.product()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut left = self.atom()?;
        while let Some(op) = match self.peek() {
            Some('*' | '×') => Some(Op::Mul),
            Some('/' | '÷') => Some(Op::Div),
            _ => None,
        } {
            self.pos += 1;
            let right = self.atom()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn atom(&mut self) -> Result<Expr, String> {
        match self.peek() {
            Some('(') => {
                self.pos += 1;
                let inner = self.sum()?;
                if self.peek() != Some(')') {
                    return Err(format!("`)` expected at character {}", self.pos + 1));
                }
                self.pos += 1;
                Ok(inner)
            }
            Some('{') => {
                let start = self.pos + 1;
                let end = self
                    .find(start, '}')
                    .ok_or_else(|| format!("`}}` expected after character {start}"))?;
                let name = self.text(start, end);
                self.pos = end + 1;
                let (step, field) = match name.rsplit_once('.') {
                    Some((step, field)) => (Some(step.trim().to_string()), field.trim()),
                    None => (None, name.trim()),
                };
                if field.is_empty() || step.as_deref() == Some("") {
                    return Err(format!("empty field reference `{{{name}}}`"));
                }
                Ok(Expr::Field(FieldRef {
                    step,
                    field: field.to_string(),
                }))
            }
            Some(c) if c.is_ascii_digit() || c == '.' => {
                let start = self.pos;
                while let Some(&c) = self.chars.get(self.pos) {
                    let exponent_sign = matches!(c, '+' | '-')
                        && matches!(self.chars.get(self.pos.wrapping_sub(1)), Some('e' | 'E'));
                    if c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E' || exponent_sign {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                let text = self.text(start, self.pos);
                let value = Number::parse(&text)
                    .map_err(|_| format!("`{text}` is not a number"))?;
                let unit = if self.peek() == Some('[') {
                    let from = self.pos + 1;
                    let to = self
                        .find(from, ']')
                        .ok_or_else(|| format!("`]` expected after character {from}"))?;
                    let symbol = self.text(from, to);
                    self.pos = to + 1;
                    Some(Unit::parse(&symbol).map_err(|_| format!("unknown unit `{symbol}`"))?)
                } else {
                    None
                };
                Ok(Expr::Const { value, text, unit })
            }
            Some(c) => Err(format!(
                "unexpected `{c}` at character {}: a field `{{field}}`, a number or `(` was expected",
                self.pos + 1
            )),
            None => Err("the formula ends where a value was expected".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references_constants_units_and_precedence() {
        let e = Expr::parse("{target_density} × {s1.vessel_area} ÷ {viable}").unwrap();
        assert_eq!(
            e.to_string(),
            "{target_density} × {s1.vessel_area} ÷ {viable}"
        );
        assert_eq!(e.references().len(), 3);
        assert_eq!(e.references()[1].step.as_deref(), Some("s1"));
        let e = Expr::parse("{vials} * 1e6 [cells/vial] / ({a} - {b})").unwrap();
        assert_eq!(e.to_string(), "{vials} × 1e6 cells/vial ÷ ({a} − {b})");
        assert!(Expr::parse("{a} +").unwrap_err().contains("ends"));
        assert!(Expr::parse("{a} ) ").unwrap_err().contains("unexpected"));
        assert!(Expr::parse("2 [furlongs]")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(Expr::parse("{}").unwrap_err().contains("empty"));
    }
}
