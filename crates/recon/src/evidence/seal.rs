//! Tamper evidence for records: the sha256 of a record's canonical form, stored in the record
//! (`record_sha256`) and quoted by its Markdown rendering.
//!
//! The canonical form is the JSON document without `record_sha256`, with object keys sorted,
//! no insignificant whitespace, and serde_json's number and string forms. Anyone can recompute
//! it (`jq -cS 'del(.record_sha256)' FILE | tr -d '\n' | sha256sum` gives the same for
//! records without non-ASCII text); `recon verify-record` does.

use recon_model::sha256_hex;
use serde_json::Value;

/// The field holding the seal.
pub const FIELD: &str = "record_sha256";

/// The sha256 (hex) of `record`'s canonical form, ignoring any [`FIELD`] it has.
pub fn digest(record: &Value) -> String {
    digest_without(record, FIELD)
}

/// The sha256 (hex) of `document`'s canonical form, ignoring its top-level `field` (where the
/// digest itself is kept: `record_sha256` in records, `plan_sha256` in saved plans).
pub fn digest_without(document: &Value, field: &str) -> String {
    let mut text = String::new();
    canonical(document, Some(field), &mut text);
    sha256_hex(text.as_bytes())
}

/// `record` with [`FIELD`] set to its [`digest`]. A record that is not a JSON object is
/// returned as is (records always are).
pub fn seal(mut record: Value) -> Value {
    let d = digest(&record);
    if let Value::Object(map) = &mut record {
        map.insert(FIELD.to_owned(), Value::String(d));
    }
    record
}

/// Why a record's seal does not hold.
#[derive(Debug, PartialEq, Eq)]
pub enum Broken {
    /// No `record_sha256` field.
    Unsealed,
    /// The content's digest differs from the one recorded.
    Mismatch { recorded: String, computed: String },
}

/// Checks `record`'s seal; returns the digest when it holds.
pub fn check(record: &Value) -> Result<String, Broken> {
    let recorded = record
        .get(FIELD)
        .and_then(Value::as_str)
        .ok_or(Broken::Unsealed)?;
    let computed = digest(record);
    if recorded == computed {
        Ok(computed)
    } else {
        Err(Broken::Mismatch {
            recorded: recorded.to_owned(),
            computed,
        })
    }
}

/// Writes `v` canonically, leaving the field `skip` out (given at the top level only).
fn canonical(v: &Value, skip: Option<&str>, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().filter(|k| Some(k.as_str()) != skip).collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&map[k], None, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, None, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_digest_ignores_key_order_and_the_seal_itself() {
        let a = json!({"b": 1, "a": {"y": [1, "x"], "x": null}});
        let b = json!({"a": {"x": null, "y": [1, "x"]}, "b": 1, FIELD: "anything"});
        assert_eq!(digest(&a), digest(&b));
        assert_eq!(
            digest(&a),
            sha256_hex(br#"{"a":{"x":null,"y":[1,"x"]},"b":1}"#)
        );
    }

    #[test]
    fn a_sealed_record_checks_and_any_change_breaks_it() {
        let sealed = seal(json!({"environment": "irb", "resources": [{"status": "deleted"}]}));
        let d = check(&sealed).unwrap();
        assert_eq!(sealed[FIELD], d);

        let mut edited = sealed.clone();
        edited["resources"][0]["status"] = json!("deletes");
        assert!(matches!(check(&edited), Err(Broken::Mismatch { recorded, .. }) if recorded == d));
        // A nested field named like the seal is content, not the seal.
        let mut nested = sealed.clone();
        nested["resources"][0][FIELD] = json!("x");
        assert!(check(&nested).is_err());
        assert_eq!(check(&json!({"a": 1})), Err(Broken::Unsealed));
    }
}
