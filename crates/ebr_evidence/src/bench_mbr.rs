//! The benchmark master batch record: the reference MBR with one extra stage
//! in front, built for measuring.
//!
//! - `b0-entries` has [`ENTRY_FIELDS`] optional number fields (`v001`…) and
//!   one optional text field (`note`), so a batch takes hundreds of
//!   independent unsigned entries, and the step can be signed with none.
//! - `b0-sign-001`… ([`SIGN_STEPS`] steps) each have one required number
//!   field `v`: record it, sign the step, go on to the next.
//!
//! Everything after the extra stage is the reference process unchanged, so
//! the MBR passes the same validation as the real one.

/// Optional number fields in `b0-entries`.
pub const ENTRY_FIELDS: usize = 400;
/// Steps of one required field each, to be recorded and signed in turn.
pub const SIGN_STEPS: usize = 60;
/// The step of many unsigned entries.
pub const ENTRY_STEP: &str = "b0-entries";
/// The longest `note` the MBR accepts.
pub const NOTE_MAX_LENGTH: usize = 500;

const STAGE_0_MARKER: &str = "# =================================================== stage 0";

/// The key of number field `i` (0-based) of `b0-entries`.
pub fn entry_field(i: usize) -> String {
    format!("v{:03}", i + 1)
}

/// The key of sign step `i` (0-based).
pub fn sign_step(i: usize) -> String {
    format!("b0-sign-{:03}", i + 1)
}

/// The benchmark MBR as TOML, or an error if the reference file changed shape.
pub fn toml() -> Result<String, crate::Error> {
    let reference = ebr_testdb::fixtures::REFERENCE_MBR;
    let at = reference
        .find(STAGE_0_MARKER)
        .ok_or_else(|| anyhow::anyhow!("the reference MBR has no '{STAGE_0_MARKER}' line"))?;
    let (head, tail) = reference.split_at(at);
    let head = head
        .replacen("code = \"MBR-MNP-001\"", "code = \"MBR-BENCH-001\"", 1)
        .replacen("title = \"", "title = \"[benchmark] ", 1);
    let mut stage = String::from(
        "# =================================================== benchmark stage\n\
         [[stages]]\nkey = \"b0-bench\"\nname = \"Benchmark stage (not a manufacturing step)\"\n\n",
    );
    stage.push_str(&format!(
        "[[stages.steps]]\nkey = \"{ENTRY_STEP}\"\nname = \"Many readings\"\n\
         instructions = \"Record each reading as it is taken.\"\n"
    ));
    for i in 0..ENTRY_FIELDS {
        stage.push_str(&format!(
            "[[stages.steps.fields]]\nkey = \"{}\"\nlabel = \"Reading {}\"\nkind = \"number\"\n\
             unit = \"%\"\nrequired = false\naction = {{ min = 0, max = 100 }}\n",
            entry_field(i),
            i + 1
        ));
    }
    stage.push_str(&format!(
        "[[stages.steps.fields]]\nkey = \"note\"\nlabel = \"Note\"\nkind = \"text\"\n\
         required = false\nmax_length = {NOTE_MAX_LENGTH}\n\n"
    ));
    for i in 0..SIGN_STEPS {
        stage.push_str(&format!(
            "[[stages.steps]]\nkey = \"{}\"\nname = \"Signed reading {}\"\n\
             instructions = \"Record the reading, then sign the step.\"\n\
             [[stages.steps.fields]]\nkey = \"v\"\nlabel = \"Reading\"\nkind = \"number\"\n\
             unit = \"%\"\naction = {{ min = 0, max = 100 }}\n\n",
            sign_step(i),
            i + 1
        ));
    }
    Ok(format!("{head}{stage}{tail}"))
}

/// The benchmark MBR for the baseline server of the same-run comparison,
/// which predates computed fields and training: the same MBR without its
/// computed fields, the aims that point at them, the steps' skills and the
/// read-and-understood flag (the benchmark records only in its own stage,
/// so what it measures is unchanged).
pub fn toml_for_baseline() -> Result<String, crate::Error> {
    let full = toml()?;
    let mut out = String::with_capacity(full.len());
    let mut block: Vec<&str> = Vec::new();
    let flush = |block: &mut Vec<&str>, out: &mut String| {
        if !block.iter().any(|l| l.trim() == "kind = \"computed\"") {
            for line in block.iter() {
                out.push_str(line);
                out.push('\n');
            }
        }
        block.clear();
    };
    for line in full.lines() {
        if line.starts_with("[[") || line.starts_with("# ====") {
            flush(&mut block, &mut out);
        }
        let trimmed = line.trim_start();
        let newer = ["aim = ", "skills = ", "requires_read_and_understood = "];
        if !newer.iter().any(|key| trimmed.starts_with(key)) {
            block.push(line);
        }
    }
    flush(&mut block, &mut out);
    Ok(out)
}
