//! Validation of a whole MBR: every problem, each with its path.

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;

use super::field::{Field, FieldKind};
use super::model::{MasterBatchRecord, Step};
use super::qc_panel::{QcSpecification, REQUIRED_RELEASE_CATEGORIES};
use crate::limits::Range;
use crate::units::Unit;

/// One thing wrong with an MBR, located by a path such as
/// `stages[3].steps[2].fields[1].action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where the problem is, in the MBR's own structure (indices from 0).
    pub path: String,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem in `mbr`, in document order. An empty list means the MBR may
/// be stored as a draft; nothing is ever reported only as "the first error".
pub fn validate(mbr: &MasterBatchRecord) -> Vec<Problem> {
    let mut v = Validator::default();
    v.header(mbr);
    v.catalogues(mbr);
    v.stages(mbr);
    v.release_panel(mbr);
    v.label_templates(mbr);
    v.problems
}

#[derive(Default)]
struct Validator {
    problems: Vec<Problem>,
}

impl Validator {
    /// Label templates: unique keys, `vial` or `box` kind, fields that exist and are
    /// numbers, statements present; each labelling step names a template
    /// and comes after the step that serialises the vials.
    fn label_templates(&mut self, mbr: &MasterBatchRecord) {
        let mut keys = HashSet::new();
        for (i, t) in mbr.label_templates.iter().enumerate() {
            let p = format!("label_templates[{i}]");
            self.unique(&mut keys, format!("{p}.key"), &t.key, "label template key");
            self.not_blank(format!("{p}.name"), &t.name);
            self.not_blank(format!("{p}.storage"), &t.storage);
            self.not_blank(
                format!("{p}.investigational_statement"),
                &t.investigational_statement,
            );
            if t.kind != "vial" && t.kind != "box" {
                self.push(format!("{p}.kind"), "must be `vial` or `box`");
            }
            if t.shelf_life_days == 0 {
                self.push(format!("{p}.shelf_life_days"), "must be greater than zero");
            }
            for (name, reference) in [("cells_per_vial", &t.cells_per_vial), ("volume", &t.volume)]
            {
                let numeric = reference.split_once('.').and_then(|(step, field)| {
                    mbr.step(step)?.fields.iter().find(|f| f.key == field)
                });
                if !matches!(
                    numeric.map(|f| &f.kind),
                    Some(FieldKind::Number { .. } | FieldKind::Computed { .. })
                ) {
                    self.push(
                        format!("{p}.{name}"),
                        format!("`{reference}` is not a number field (`step.field`) of this MBR"),
                    );
                }
            }
        }
        let mut vials_issued = false;
        for (si, stage) in mbr.stages.iter().enumerate() {
            for (ti, step) in stage.steps.iter().enumerate() {
                let p = format!("stages[{si}].steps[{ti}].prints_labels");
                for key in &step.prints_labels {
                    if !mbr.label_templates.iter().any(|t| &t.key == key) {
                        self.push(p.clone(), format!("no label template `{key}`"));
                    }
                }
                if !step.prints_labels.is_empty() && !vials_issued {
                    self.push(p, "labels are printed after the step that serialises the vials (issues_vials)");
                }
                vials_issued |= step.issues_vials.is_some();
            }
        }
    }

    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn not_blank(&mut self, path: String, value: &str) {
        if value.trim().is_empty() {
            self.push(path, "must not be empty");
        }
    }

    fn unique<'a>(&mut self, seen: &mut HashSet<&'a str>, path: String, key: &'a str, what: &str) {
        if key.trim().is_empty() {
            self.push(path, format!("{what} must not be empty"));
        } else if !seen.insert(key) {
            self.push(path, format!("duplicate {what} `{key}`"));
        }
    }

    fn unit(&mut self, path: String, symbol: &str) -> Option<Unit> {
        match Unit::parse(symbol) {
            Ok(unit) => Some(unit),
            Err(_) => {
                self.push(path, format!("unknown unit `{symbol}`"));
                None
            }
        }
    }

    fn range(&mut self, path: String, range: &Range) {
        for problem in range.problems() {
            self.push(path.clone(), problem);
        }
    }

    fn header(&mut self, mbr: &MasterBatchRecord) {
        let code_ok = !mbr.code.is_empty()
            && mbr
                .code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
        if !code_ok {
            self.push(
                "code",
                "must be upper-case letters, digits and hyphens (e.g. MBR-MNP-001)",
            );
        }
        self.not_blank("title".into(), &mbr.title);
        self.not_blank("product.code".into(), &mbr.product.code);
        self.not_blank("product.name".into(), &mbr.product.name);
    }

    fn catalogues(&mut self, mbr: &MasterBatchRecord) {
        let mut seen = HashSet::new();
        for (i, m) in mbr.materials.iter().enumerate() {
            self.unique(
                &mut seen,
                format!("materials[{i}].code"),
                &m.code,
                "material code",
            );
            self.not_blank(format!("materials[{i}].name"), &m.name);
        }
        if let Some(start) = &mbr.starting_material {
            if !mbr.materials.iter().any(|m| &m.code == start) {
                self.push("starting_material", format!("unknown material `{start}`"));
            }
        }
        let mut seen = HashSet::new();
        for (i, e) in mbr.equipment_types.iter().enumerate() {
            self.unique(
                &mut seen,
                format!("equipment_types[{i}].code"),
                &e.code,
                "equipment type code",
            );
            self.not_blank(format!("equipment_types[{i}].name"), &e.name);
        }
    }

    fn stages(&mut self, mbr: &MasterBatchRecord) {
        if mbr.stages.is_empty() {
            self.push("stages", "an MBR needs at least one stage");
        }
        let materials: HashSet<&str> = mbr.materials.iter().map(|m| m.code.as_str()).collect();
        let equipment: HashSet<&str> = mbr
            .equipment_types
            .iter()
            .map(|e| e.code.as_str())
            .collect();
        let mut stage_keys = HashSet::new();
        let mut step_keys = HashSet::new();
        let mut earlier_steps: HashSet<&str> = HashSet::new();
        let all_steps: HashSet<&str> = mbr.steps().map(|(_, s)| s.key.as_str()).collect();
        for (si, stage) in mbr.stages.iter().enumerate() {
            let path = format!("stages[{si}]");
            self.unique(
                &mut stage_keys,
                format!("{path}.key"),
                &stage.key,
                "stage key",
            );
            self.not_blank(format!("{path}.name"), &stage.name);
            if stage.steps.is_empty() {
                self.push(
                    format!("{path}.steps"),
                    format!("stage `{}` has no steps", stage.key),
                );
            }
            for (ti, step) in stage.steps.iter().enumerate() {
                let path = format!("{path}.steps[{ti}]");
                self.unique(&mut step_keys, format!("{path}.key"), &step.key, "step key");
                let ctx = StepContext {
                    mbr,
                    materials: &materials,
                    equipment: &equipment,
                    earlier_steps: &earlier_steps,
                    all_steps: &all_steps,
                };
                self.step(&path, step, &ctx);
                earlier_steps.insert(step.key.as_str());
            }
        }
    }

    fn step(&mut self, path: &str, step: &Step, ctx: &StepContext<'_>) {
        self.not_blank(format!("{path}.name"), &step.name);
        self.not_blank(format!("{path}.instructions"), &step.instructions);
        let mut skills = HashSet::new();
        for (i, skill) in step.skills.iter().enumerate() {
            if !crate::training::is_skill_name(skill) {
                self.push(
                    format!("{path}.skills[{i}]"),
                    format!("skill `{skill}`: use 2-32 of a-z, 0-9 and _, starting with a letter"),
                );
            }
            if !skills.insert(skill.as_str()) {
                self.push(
                    format!("{path}.skills[{i}]"),
                    format!("skill `{skill}` listed twice"),
                );
            }
        }
        let mut bom = HashSet::new();
        for (i, line) in step.bill_of_materials.iter().enumerate() {
            let p = format!("{path}.bill_of_materials[{i}]");
            if !ctx.materials.contains(line.material.as_str()) {
                self.push(
                    format!("{p}.material"),
                    format!("unknown material `{}`", line.material),
                );
            }
            if !bom.insert(line.material.as_str()) {
                self.push(
                    format!("{p}.material"),
                    format!("material `{}` listed twice", line.material),
                );
            }
            match (&line.quantity, &line.unit) {
                (Some(q), Some(u)) => {
                    self.unit(format!("{p}.unit"), u);
                    if q.value().is_sign_negative() || q.value().is_zero() {
                        self.push(format!("{p}.quantity"), "must be greater than zero");
                    }
                }
                (Some(_), None) => self.push(format!("{p}.unit"), "a quantity needs a unit"),
                (None, Some(_)) => self.push(format!("{p}.quantity"), "a unit without a quantity"),
                (None, None) => {}
            }
        }
        let mut used_equipment = HashSet::new();
        for (i, e) in step.equipment.iter().enumerate() {
            if !ctx.equipment.contains(e.as_str()) {
                self.push(
                    format!("{path}.equipment[{i}]"),
                    format!("unknown equipment type `{e}`"),
                );
            }
            if !used_equipment.insert(e.as_str()) {
                self.push(
                    format!("{path}.equipment[{i}]"),
                    format!("equipment type `{e}` listed twice"),
                );
            }
        }
        for (i, hold) in step.hold_times.iter().enumerate() {
            let p = format!("{path}.hold_times[{i}]");
            if hold.after == step.key {
                self.push(
                    format!("{p}.after"),
                    "a hold time cannot refer to its own step",
                );
            } else if !ctx.all_steps.contains(hold.after.as_str()) {
                self.push(
                    format!("{p}.after"),
                    format!("hold time points at unknown step `{}`", hold.after),
                );
            } else if !ctx.earlier_steps.contains(hold.after.as_str()) {
                self.push(
                    format!("{p}.after"),
                    format!(
                        "hold time must refer to an earlier step; `{}` comes later",
                        hold.after
                    ),
                );
            }
            if hold.max_minutes == 0 {
                self.push(format!("{p}.max_minutes"), "must be greater than zero");
            }
        }
        let mut field_keys = HashSet::new();
        for (i, field) in step.fields.iter().enumerate() {
            let p = format!("{path}.fields[{i}]");
            self.unique(&mut field_keys, format!("{p}.key"), &field.key, "field key");
            self.not_blank(format!("{p}.label"), &field.label);
            self.field(&p, field, step, ctx);
        }
        if let Some(key) = &step.issues_vials {
            let counts_vials = step.fields.iter().any(|f| {
                &f.key == key
                    && matches!(&f.kind, FieldKind::Number { unit, .. } if unit == "vials")
            });
            if !counts_vials {
                self.push(
                    format!("{path}.issues_vials"),
                    format!("`{key}` is not a number field in vials of this step"),
                );
            }
        }
        if step.fields.is_empty() {
            self.push(
                format!("{path}.fields"),
                format!("step `{}` records nothing", step.key),
            );
        }
    }

    fn field(&mut self, p: &str, field: &Field, step: &Step, ctx: &StepContext<'_>) {
        match &field.kind {
            FieldKind::Number {
                unit,
                target,
                alert,
                action,
                aim,
            } => {
                self.numeric(p, unit, target.as_ref(), alert.as_ref(), action.as_ref());
                if let Some(aim) = aim {
                    self.aim(p, field, aim, unit, step, ctx);
                }
            }
            FieldKind::Computed {
                formula,
                unit,
                round_to,
                target,
                alert,
                action,
                ..
            } => {
                self.numeric(p, unit, target.as_ref(), alert.as_ref(), action.as_ref());
                if round_to.is_some_and(|r| r.value() <= rust_decimal::Decimal::ZERO) {
                    self.push(format!("{p}.round_to"), "must be greater than zero");
                }
                self.formula(p, field, formula, unit, step, ctx);
            }
            FieldKind::Text { max_length } => {
                if *max_length == Some(0) {
                    self.push(format!("{p}.max_length"), "must be greater than zero");
                }
            }
            FieldKind::Choice {
                options,
                acceptable,
            } => {
                if options.is_empty() {
                    self.push(format!("{p}.options"), "a choice needs at least one option");
                }
                let mut seen = HashSet::new();
                for (i, o) in options.iter().enumerate() {
                    self.unique(&mut seen, format!("{p}.options[{i}]"), o, "option");
                }
                if let Some(acceptable) = acceptable {
                    if acceptable.is_empty() {
                        self.push(format!("{p}.acceptable"), "no option would be acceptable");
                    }
                    for (i, a) in acceptable.iter().enumerate() {
                        if !options.contains(a) {
                            self.push(
                                format!("{p}.acceptable[{i}]"),
                                format!("`{a}` is not one of the options"),
                            );
                        }
                    }
                }
            }
            FieldKind::Material { material } => {
                if !ctx.materials.contains(material.as_str()) {
                    self.push(
                        format!("{p}.material"),
                        format!("unknown material `{material}`"),
                    );
                } else if !step
                    .bill_of_materials
                    .iter()
                    .any(|l| &l.material == material)
                {
                    self.push(
                        format!("{p}.material"),
                        format!(
                            "material `{material}` is not on step `{}`'s bill of materials",
                            step.key
                        ),
                    );
                }
            }
            FieldKind::Equipment { equipment_type } => {
                if !ctx.equipment.contains(equipment_type.as_str()) {
                    self.push(
                        format!("{p}.equipment_type"),
                        format!("unknown equipment type `{equipment_type}`"),
                    );
                } else if !step.equipment.contains(equipment_type) {
                    self.push(
                        format!("{p}.equipment_type"),
                        format!(
                            "equipment type `{equipment_type}` is not in step `{}`'s equipment",
                            step.key
                        ),
                    );
                }
            }
            FieldKind::Check {} | FieldKind::DateTime {} => {}
        }
    }

    /// A number's unit, ranges and target.
    fn numeric(
        &mut self,
        p: &str,
        unit: &str,
        target: Option<&crate::number::Number>,
        alert: Option<&Range>,
        action: Option<&Range>,
    ) {
        self.unit(format!("{p}.unit"), unit);
        if let Some(alert) = alert {
            self.range(format!("{p}.alert"), alert);
        }
        if let Some(action) = action {
            self.range(format!("{p}.action"), action);
        }
        if let (Some(alert), Some(action)) = (alert, action) {
            if alert.problems().is_empty()
                && action.problems().is_empty()
                && !alert.is_within(action)
            {
                self.push(
                    format!("{p}.alert"),
                    format!("alert range {alert} is not inside the action range {action}"),
                );
            }
        }
        if let Some(target) = target {
            let inner = alert.or(action);
            if let Some(range) = inner.filter(|r| r.problems().is_empty()) {
                if !range.contains(*target) {
                    self.push(
                        format!("{p}.target"),
                        format!("target {target} is outside {range}"),
                    );
                }
            }
        }
    }

    /// An amount's aim (issue 16): one computed field before it in its step
    /// or in an earlier step, of the amount's dimension, with a positive
    /// tolerance.
    fn aim(
        &mut self,
        p: &str,
        field: &Field,
        aim: &super::field::Aim,
        unit: &str,
        step: &Step,
        ctx: &StepContext<'_>,
    ) {
        let path = format!("{p}.aim.computed");
        let Ok(crate::formula::Expr::Field(r)) = crate::formula::Expr::parse(&aim.computed) else {
            return self.push(path, "name one computed field: `{field}` or `{step.field}`");
        };
        let own_index = step
            .fields
            .iter()
            .position(|f| f.key == field.key)
            .unwrap_or(0);
        let source = match &r.step {
            None => step
                .fields
                .iter()
                .take(own_index)
                .find(|f| f.key == r.field),
            Some(key) if ctx.earlier_steps.contains(key.as_str()) => ctx
                .mbr
                .step(key)
                .and_then(|s| s.fields.iter().find(|f| f.key == r.field)),
            Some(_) => None,
        };
        match source.map(|f| &f.kind) {
            Some(FieldKind::Computed { unit: aimed, .. }) => {
                let dimension = |u: &str| {
                    Unit::parse(u)
                        .ok()
                        .map(|u| crate::formula::Quantity::of(u).dimension)
                };
                if dimension(aimed) != dimension(unit) {
                    self.push(
                        path,
                        format!("{r} is in {aimed}, which is not the dimension of {unit}"),
                    );
                }
            }
            _ => self.push(
                path,
                format!("{r} is not a computed field before `{}`", field.key),
            ),
        }
        if aim.tolerance_percent.value() <= rust_decimal::Decimal::ZERO {
            self.push(
                format!("{p}.aim.tolerance_percent"),
                "must be greater than zero",
            );
        }
    }

    /// A computed field's formula (issue 16): it parses; it reads number or
    /// computed fields that come before it in its step, or of an earlier
    /// step; its dimension is its unit's.
    fn formula(
        &mut self,
        p: &str,
        field: &Field,
        formula: &str,
        unit: &str,
        step: &Step,
        ctx: &StepContext<'_>,
    ) {
        let path = format!("{p}.formula");
        let expr = match crate::formula::Expr::parse(formula) {
            Ok(expr) => expr,
            Err(reason) => return self.push(path, reason),
        };
        let own_index = step.fields.iter().position(|f| f.key == field.key);
        let unit_of = |r: &crate::formula::FieldRef| -> Option<Unit> {
            let source: &Field = match &r.step {
                None => step
                    .fields
                    .iter()
                    .take(own_index.unwrap_or(0))
                    .find(|f| f.key == r.field)?,
                Some(key) if ctx.earlier_steps.contains(key.as_str()) => ctx
                    .mbr
                    .step(key)?
                    .fields
                    .iter()
                    .find(|f| f.key == r.field)?,
                Some(_) => return None,
            };
            match &source.kind {
                FieldKind::Number { unit, .. } | FieldKind::Computed { unit, .. } => {
                    Unit::parse(unit).ok()
                }
                _ => None,
            }
        };
        for r in expr.references() {
            if unit_of(r).is_none() {
                self.push(
                    path.clone(),
                    format!(
                        "{r} is not a number field before `{}` in this step or in an earlier step",
                        field.key
                    ),
                );
                return;
            }
        }
        let (Ok(dimension), Ok(result)) = (
            crate::formula::dimension(&expr, &unit_of),
            Unit::parse(unit),
        ) else {
            if let Err(reason) = crate::formula::dimension(&expr, &unit_of) {
                self.push(path, reason);
            }
            return;
        };
        let expected = crate::formula::Quantity::of(result).dimension;
        if dimension != expected {
            self.push(
                path,
                format!("`{expr}` is {dimension}, but the field's unit {unit} is {expected}"),
            );
        }
    }

    fn release_panel(&mut self, mbr: &MasterBatchRecord) {
        if mbr.release_panel.is_empty() {
            self.push("release_panel", "an MBR needs a release panel");
        }
        let mut keys = HashSet::new();
        for (i, test) in mbr.release_panel.iter().enumerate() {
            let p = format!("release_panel[{i}]");
            self.unique(&mut keys, format!("{p}.key"), &test.key, "test key");
            self.not_blank(format!("{p}.name"), &test.name);
            self.not_blank(format!("{p}.method"), &test.method);
            match &test.spec {
                QcSpecification::Numeric { unit, acceptance } => {
                    self.unit(format!("{p}.unit"), unit);
                    self.range(format!("{p}.acceptance"), acceptance);
                }
                QcSpecification::Expected { expected, outcomes } => {
                    self.not_blank(format!("{p}.expected"), expected);
                    if !outcomes.contains(expected) {
                        self.push(
                            format!("{p}.outcomes"),
                            format!("the outcomes do not include the expected `{expected}`"),
                        );
                    }
                    let mut seen = HashSet::new();
                    for (j, o) in outcomes.iter().enumerate() {
                        self.unique(&mut seen, format!("{p}.outcomes[{j}]"), o, "outcome");
                    }
                }
            }
        }
        for required in REQUIRED_RELEASE_CATEGORIES {
            if !mbr
                .release_panel
                .iter()
                .any(|t| t.category == *required && !t.report_only)
            {
                let name = serde_json::to_value(required)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                self.push(
                    "release_panel",
                    format!("the release panel has no (non report-only) {name} test"),
                );
            }
        }
    }
}

struct StepContext<'a> {
    mbr: &'a MasterBatchRecord,
    materials: &'a HashSet<&'a str>,
    equipment: &'a HashSet<&'a str>,
    earlier_steps: &'a HashSet<&'a str>,
    all_steps: &'a HashSet<&'a str>,
}
