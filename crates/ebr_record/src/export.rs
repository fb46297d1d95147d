//! The machine-readable batch record: named sections, and a manifest of the
//! SHA-256 of each section's canonical JSON and of the whole (R2, R11).
//!
//! Deterministic: the same sections give the same document, byte for byte.

use std::collections::BTreeMap;

use ebr_domain::canonical::{sha256_hex, to_canonical_json, value_to_canonical_json};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The format identifier of the export.
pub const FORMAT: &str = "ebr.batch-record/1";

/// The export: sections, and the manifest of their hashes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordExport {
    /// Always [`FORMAT`].
    pub format: String,
    /// The software that produced it (R11); not part of the record hash.
    pub generator: String,
    /// Every section, by name.
    pub sections: BTreeMap<String, Value>,
    /// SHA-256 of each section's canonical JSON, and of the whole.
    pub manifest: Manifest,
}

/// The hash manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Section name → SHA-256 of its canonical JSON.
    pub sections: BTreeMap<String, String>,
    /// SHA-256 of the canonical JSON of `sections` (the record's hash; printed
    /// on every page of the PDF).
    pub record_sha256: String,
}

impl Manifest {
    /// The manifest of `sections`: what [`RecordExport::seal`] computes and
    /// what a verifier recomputes.
    pub fn of(sections: &BTreeMap<String, Value>) -> Manifest {
        let hashes: BTreeMap<String, String> = sections
            .iter()
            .map(|(k, section)| {
                (
                    k.clone(),
                    sha256_hex(value_to_canonical_json(section).as_bytes()),
                )
            })
            .collect();
        let record_sha256 = sha256_hex(to_canonical_json(&hashes).unwrap_or_default().as_bytes());
        Manifest {
            sections: hashes,
            record_sha256,
        }
    }
}

impl RecordExport {
    /// The export of `sections`, with its manifest computed from them.
    pub fn seal(generator: &str, sections: BTreeMap<String, Value>) -> RecordExport {
        let manifest = Manifest::of(&sections);
        RecordExport {
            format: FORMAT.to_string(),
            generator: generator.to_string(),
            sections,
            manifest,
        }
    }

    /// The canonical JSON text of the whole export (what is downloaded as
    /// `record.json` and embedded in the PDF).
    pub fn to_canonical_json(&self) -> String {
        // Written field by field in key order (format, generator, manifest,
        // sections), each section from its tree as it is: the same text as
        // the generic canonical serializer, without a copy of the whole.
        let text = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let mut out = String::new();
        out.push_str("{\"format\":");
        out.push_str(&text(&self.format));
        out.push_str(",\"generator\":");
        out.push_str(&text(&self.generator));
        out.push_str(",\"manifest\":");
        out.push_str(&to_canonical_json(&self.manifest).unwrap_or_default());
        out.push_str(",\"sections\":{");
        for (i, (name, section)) in self.sections.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&text(name));
            out.push(':');
            out.push_str(&value_to_canonical_json(section));
        }
        out.push_str("}}");
        out
    }

    /// Reads an export from JSON text, or says why it is not one.
    pub fn parse(json: &str) -> Result<RecordExport, String> {
        let export: RecordExport =
            serde_json::from_str(json).map_err(|e| format!("not an ebr record export: {e}"))?;
        if export.format != FORMAT {
            return Err(format!(
                "unknown record format `{}` (this verifier reads `{FORMAT}`)",
                export.format
            ));
        }
        Ok(export)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// R2: the field-by-field writer gives exactly the generic canonical text.
    #[test]
    fn r2_export_text_equals_the_generic_canonical_json() {
        let sections = BTreeMap::from([
            (
                "z".to_string(),
                json!({"b": [1, {"y": "µ\"", "x": null}], "a": true}),
            ),
            ("a".to_string(), json!([{"k": "v"}])),
        ]);
        let export = RecordExport::seal("ebr test", sections);
        assert_eq!(
            export.to_canonical_json(),
            to_canonical_json(&export).unwrap()
        );
    }
}
