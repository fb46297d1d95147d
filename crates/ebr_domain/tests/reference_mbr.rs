//! The reference MBR fixture (iPSC → motor-neuron progenitors) and the
//! validator's behaviour on a copy with injected mistakes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests fail loudly; helpers outside #[test] functions included"
)]

use ebr_domain::limits::Evaluation;
use ebr_domain::mbr::{parse_toml, validate, FieldKind, MasterBatchRecord};
use ebr_domain::number::Number;

#[path = "../../ebr_testdb/src/fixtures.rs"]
mod fixtures;

const REFERENCE: &str = fixtures::REFERENCE_MBR;

fn reference() -> MasterBatchRecord {
    match parse_toml(REFERENCE) {
        Ok(mbr) => mbr,
        Err(problems) => panic!("reference MBR invalid: {problems:#?}"),
    }
}

#[test]
fn reference_mbr_is_valid_and_complete() {
    let mbr = reference();
    assert_eq!(mbr.stages.len(), 10, "stages 0-9");
    assert!(mbr.steps().count() >= 40, "at least 40 steps");
    assert!(mbr.steps().filter(|(_, s)| s.critical).count() >= 10);
    assert!(mbr.steps().any(|(_, s)| !s.hold_times.is_empty()));
    let categories: Vec<_> = mbr.release_panel.iter().map(|t| t.category).collect();
    for required in ebr_domain::mbr::REQUIRED_RELEASE_CATEGORIES {
        assert!(categories.contains(required));
    }
}

#[test]
fn reference_hash_is_stable_and_content_sensitive() {
    let a = reference();
    let b = reference();
    assert_eq!(a.content_hash(), b.content_hash());
    assert_eq!(a.content_hash().len(), 64);
    let mut changed = reference();
    changed.title.push('!');
    assert_ne!(a.content_hash(), changed.content_hash());
    // The canonical text reads back into the same MBR (what the database stores).
    let back: MasterBatchRecord = serde_json::from_str(&a.canonical_json()).unwrap();
    assert_eq!(back, a);
}

#[test]
fn post_thaw_viability_is_evaluated_against_its_limits() {
    let mbr = reference();
    let step = mbr.step("s1-post-thaw-count").unwrap();
    let field = step.fields.iter().find(|f| f.key == "viability").unwrap();
    let limits = field.kind.numeric_limits().unwrap();
    let eval = |v: &str| limits.evaluate(Number::parse(v).unwrap(), "%").unwrap();
    assert_eq!(eval("91"), Evaluation::WithinSpecification);
    assert_eq!(eval("75"), Evaluation::Alert);
    assert_eq!(eval("65"), Evaluation::OutOfSpecification);
}

/// Five mistakes, each in a different part of the MBR: all five are reported,
/// each with its path.
#[test]
fn r21_five_injected_mistakes_are_all_reported_with_paths() {
    let broken = fixtures::five_mistakes(REFERENCE);
    let problems = parse_toml(&broken).unwrap_err();
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 5, "{text:#?}");
    for (path, message) in fixtures::FIVE_MISTAKES {
        assert!(
            problems
                .iter()
                .any(|p| p.path == path && p.message.contains(message)),
            "missing {path}: {message} in {text:#?}"
        );
    }
}

#[test]
fn an_empty_stage_and_contradicting_limits_are_reported() {
    let mut mbr = reference();
    mbr.stages[9].steps.clear();
    if let FieldKind::Number { alert, .. } = &mut mbr.stages[1].steps[0].fields[1].kind {
        *alert = Some(ebr_domain::limits::Range {
            max: Some(Number::from(5)),
            ..Default::default()
        });
    }
    let problems = validate(&mbr);
    assert!(problems
        .iter()
        .any(|p| p.path == "stages[9].steps" && p.message.contains("has no steps")));
    assert!(problems
        .iter()
        .any(|p| p.path == "stages[1].steps[0].fields[1].alert"
            && p.message.contains("not inside the action range")));
}

#[test]
fn a_syntax_error_names_its_line() {
    let problems = parse_toml("code = \"X\"\ntitle = \n").unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].path.starts_with("line 2"), "{}", problems[0]);
}

mod properties {
    use super::*;
    use ebr_domain::limits::Range;
    use proptest::prelude::*;

    /// Paths of every number field with an action range in the reference MBR.
    fn number_fields(mbr: &MasterBatchRecord) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for (si, stage) in mbr.stages.iter().enumerate() {
            for (ti, step) in stage.steps.iter().enumerate() {
                for (fi, field) in step.fields.iter().enumerate() {
                    if matches!(
                        &field.kind,
                        FieldKind::Number {
                            action: Some(_),
                            ..
                        }
                    ) {
                        out.push((si, ti, fi));
                    }
                }
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Breaking any subset of number fields (an empty action range) is
        /// reported once per broken field, each at its own path, and nothing
        /// else is reported: validation finds every problem, not the first.
        #[test]
        fn every_broken_range_is_reported_at_its_path(picks in proptest::collection::btree_set(0usize..200, 1..8)) {
            let mut mbr = reference();
            let fields = number_fields(&mbr);
            let chosen: std::collections::BTreeSet<_> = picks.into_iter().map(|i| fields[i % fields.len()]).collect();
            for &(si, ti, fi) in &chosen {
                if let FieldKind::Number { action, alert, target, .. } = &mut mbr.stages[si].steps[ti].fields[fi].kind {
                    *action = Some(Range { min: Some(Number::from(10)), max: Some(Number::from(1)), ..Range::default() });
                    *alert = None;
                    *target = None;
                }
            }
            let problems = validate(&mbr);
            prop_assert_eq!(problems.len(), chosen.len(), "{:?}", problems);
            for (si, ti, fi) in chosen {
                let path = format!("stages[{si}].steps[{ti}].fields[{fi}].action");
                prop_assert!(problems.iter().any(|p| p.path == path && p.message.starts_with("low > high")));
            }
        }

        /// Renaming a step to the key of any other step is always caught as a
        /// duplicate at the renamed step's path.
        #[test]
        fn any_duplicate_step_key_is_reported(a in 0usize..47, b in 0usize..47) {
            prop_assume!(a != b);
            let mut mbr = reference();
            let positions: Vec<(usize, usize)> = mbr
                .stages
                .iter()
                .enumerate()
                .flat_map(|(si, s)| (0..s.steps.len()).map(move |ti| (si, ti)))
                .collect();
            let (sa, ta) = positions[a % positions.len()];
            let (sb, tb) = positions[b % positions.len()];
            let key = mbr.stages[sa].steps[ta].key.clone();
            // Only rename steps that no hold time refers to, so exactly one problem results.
            let referenced = mbr.steps().any(|(_, s)| s.hold_times.iter().any(|h| h.after == mbr.stages[sb].steps[tb].key));
            prop_assume!(!referenced);
            mbr.stages[sb].steps[tb].key = key.clone();
            let later = if (sa, ta) < (sb, tb) { (sb, tb) } else { (sa, ta) };
            let problems = validate(&mbr);
            let path = format!("stages[{}].steps[{}].key", later.0, later.1);
            prop_assert!(problems.iter().any(|p| p.path == path && p.message == format!("duplicate step key `{key}`")), "{:?}", problems);
        }

        /// Validation is a pure function: the same MBR always gives the same problems.
        #[test]
        fn validation_is_deterministic(seed in 0usize..47) {
            let mut mbr = reference();
            let positions: Vec<(usize, usize)> = mbr.stages.iter().enumerate().flat_map(|(si, s)| (0..s.steps.len()).map(move |ti| (si, ti))).collect();
            let (si, ti) = positions[seed % positions.len()];
            mbr.stages[si].steps[ti].instructions.clear();
            prop_assert_eq!(validate(&mbr), validate(&mbr));
            prop_assert_eq!(validate(&mbr).len(), 1);
        }
    }
}

/// Issue 16: a computed field whose formula's dimension is not its unit's,
/// or that reads a later or unknown field, or does not parse, is refused at
/// import with its path.
#[test]
fn computed_field_problems_are_reported_at_their_paths() {
    let mut mbr = reference();
    let (si, ti, fi) = mbr
        .stages
        .iter()
        .enumerate()
        .flat_map(|(si, stage)| {
            stage.steps.iter().enumerate().flat_map(move |(ti, step)| {
                step.fields
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.key == "cs10_volume")
                    .map(move |(fi, _)| (si, ti, fi))
            })
        })
        .next()
        .expect("the reference MBR computes the CS10 volume");
    let path = format!("stages[{si}].steps[{ti}].fields[{fi}].formula");
    let set = |mbr: &mut MasterBatchRecord, text: &str| {
        if let FieldKind::Computed { formula, .. } = &mut mbr.stages[si].steps[ti].fields[fi].kind {
            *formula = text.to_string();
        }
    };
    for (formula, message) in [
        (
            "{s6-harvest-count.total_viable_cells} × 2 [mL]",
            "but the field's unit mL",
        ),
        ("{planned_vials} × 2 [mL]", "is not a number field before"),
        (
            "{s6-harvest-count.viability} + 2 [mL]",
            "different dimensions",
        ),
        ("{s6-harvest-count.total_viable_cells} ÷", "ends"),
    ] {
        set(&mut mbr, formula);
        let problems = validate(&mbr);
        assert!(
            problems
                .iter()
                .any(|p| p.path == path && p.message.contains(message)),
            "{formula}: {problems:#?}"
        );
    }
}
