//! The manifest of a validation pack: the SHA-256 of every file in it, so a
//! reviewer can tell the pack they were given is the pack that was made.

use std::path::Path;

/// The manifest (canonical JSON: relative path → SHA-256) of every file
/// under `dir`, the manifest itself excluded.
pub fn of_dir(dir: &Path) -> Result<String, String> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(dir)
                .map_err(|e| e.to_string())?
                .to_string_lossy()
                .into_owned();
            if relative == "manifest.json" {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            files.insert(relative, ebr_domain::canonical::sha256_hex(&bytes));
        }
    }
    ebr_domain::canonical::to_canonical_json(&serde_json::json!({ "sha256": files }))
        .map_err(|e| e.to_string())
}

/// The files of `dir` whose SHA-256 differs from the manifest's, or that
/// it does not list, or that are missing (empty: the pack is intact).
pub fn verify(dir: &Path) -> Result<Vec<String>, String> {
    let written = std::fs::read_to_string(dir.join("manifest.json"))
        .map_err(|e| format!("manifest.json: {e}"))?;
    let now = of_dir(dir)?;
    let parse = |text: &str| -> Result<std::collections::BTreeMap<String, String>, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        serde_json::from_value(v.get("sha256").cloned().unwrap_or_default())
            .map_err(|e| e.to_string())
    };
    let (written, now) = (parse(&written)?, parse(&now)?);
    let mut problems: Vec<String> = now
        .iter()
        .filter(|(f, h)| written.get(*f) != Some(*h))
        .map(|(f, _)| f.clone())
        .collect();
    problems.extend(written.keys().filter(|f| !now.contains_key(*f)).cloned());
    Ok(problems)
}
