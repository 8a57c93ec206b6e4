//! Policy documents (IAM, bucket and endpoint policies) between AWS's JSON text and recon's
//! values, so that a policy compares as a value: key order, layout and IAM's URL-encoding never
//! show as a change.

use recon_model::Value;
use recon_provider::ProviderError;

use crate::errors::invalid;

/// The JSON text of a policy written in the spec (references already resolved).
pub(crate) fn to_json(field: &str, policy: &Value) -> Result<String, ProviderError> {
    if !policy.is_known() {
        return Err(invalid(format!(
            "`{field}` is not resolved yet ({policy}): its dependencies must be applied first"
        )));
    }
    serde_json::to_string(&json(policy))
        .map_err(|e| invalid(format!("`{field}` cannot be written as JSON: {e}")))
}

/// A policy as AWS returns it: JSON text, URL-encoded by IAM (`%7B%22Version…`).
pub(crate) fn from_aws(text: &str) -> Result<Value, ProviderError> {
    let decoded = if text.trim_start().starts_with('{') {
        text.to_owned()
    } else {
        percent_decode(text)
    };
    let parsed: serde_json::Value = serde_json::from_str(&decoded)
        .map_err(|e| invalid(format!("AWS returned a policy that is not JSON: {e}")))?;
    Ok(value(parsed))
}

/// A policy AWS returned, as a value; text that is not JSON stays text (with a warning), so that
/// it shows as a change rather than failing the read.
pub(crate) fn read(what: &str, text: &str) -> Value {
    from_aws(text).unwrap_or_else(|e| {
        tracing::warn!("{what}: {e}");
        Value::str(text)
    })
}

fn json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::String(s) => J::String(s.clone()),
        Value::List(l) => J::Array(l.iter().map(json).collect()),
        Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), json(v))).collect()),
        // `to_json` refuses unresolved values before getting here.
        other => J::String(other.to_string()),
    }
}

fn value(j: serde_json::Value) -> Value {
    use serde_json::Value as J;
    match j {
        J::Null => Value::str(""),
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => n
            .as_i64()
            .map_or_else(|| Value::String(n.to_string()), Value::Int),
        J::String(s) => Value::String(s),
        J::Array(a) => Value::List(a.into_iter().map(value).collect()),
        J::Object(o) => Value::Map(o.into_iter().map(|(k, v)| (k, value(v))).collect()),
    }
}

/// `%XX` escapes and `+` (IAM's encoding of policy documents) back to text.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_encoded_and_plain_policies_read_the_same() {
        let plain = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
        let reordered = r#"{ "Statement": [ {"Resource":"*", "Action":"s3:GetObject", "Effect":"Allow"} ], "Version": "2012-10-17" }"#;
        let a = from_aws(plain).unwrap();
        assert_eq!(from_aws(encoded).unwrap(), a);
        assert_eq!(from_aws(reordered).unwrap(), a);
        assert_eq!(from_aws(&to_json("policy", &a).unwrap()).unwrap(), a);
    }
}
