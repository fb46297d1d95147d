//! Canonical serialization and content hashing.
//!
//! The canonical form is JSON with object keys sorted by their UTF-8 bytes, no
//! insignificant whitespace, and numbers exactly as serde produced them (the
//! domain writes decimals as strings). It does not depend on serde_json's map
//! ordering features, so a dependency enabling `preserve_order` elsewhere in
//! the workspace cannot change a hash.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The canonical JSON text of `value`: same value, same text, always.
pub fn to_canonical_json<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let tree = serde_json::to_value(value)?;
    let mut out = String::new();
    write_value(&tree, &mut out)?;
    Ok(out)
}

/// The canonical JSON text of a JSON tree already built: the same text as
/// [`to_canonical_json`] gives for it, without copying the tree first (a
/// batch record's sections are megabytes).
pub fn value_to_canonical_json(value: &Value) -> String {
    let mut out = String::new();
    // Writing a Value to a String cannot fail.
    let _ = write_value(value, &mut out);
    out
}

/// The lowercase hexadecimal SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn write_value(value: &Value, out: &mut String) -> Result<(), serde_json::Error> {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key)?);
                out.push(':');
                write_value(item, out)?;
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out)?;
            }
            out.push(']');
        }
        scalar => out.push_str(&serde_json::to_string(scalar)?),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_at_every_depth_and_whitespace_is_dropped() {
        let v = json!({"b": 1, "a": {"z": [3, {"y": "µ", "x": null}], "c": true}});
        assert_eq!(
            to_canonical_json(&v).unwrap(),
            r#"{"a":{"c":true,"z":[3,{"x":null,"y":"µ"}]},"b":1}"#
        );
    }

    #[test]
    fn sha256_matches_the_standard_test_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
