//! Deterministic idempotency tokens.

use recon_model::schema::canonical;
use recon_model::{Address, Attrs, kinds, sha256_hex};

/// The client token for creating `address` with `attrs` (references resolved): the first 32
/// hex characters of sha256(`environment` ‖ `\0` ‖ `address` ‖ `\0` ‖ canonical JSON of
/// `attrs`), followed by `\0` ‖ the replaced id for the create half of a replacement.
///
/// # Guarantees
/// - The same environment, address and attributes give the same token on every run and
///   machine, so a re-run after a crash asks for the resource the crashed run made.
/// - Canonical JSON: object keys sorted, set-typed fields sorted by the kind's schema, so the
///   order of set elements in a spec does not change the token.
/// - A replacement's create never reuses the token of the resource it replaces, even with
///   identical attributes (replacing a `failed` NAT gateway must make a new one).
pub fn idempotency_token(
    environment: &str,
    address: &Address,
    attrs: &Attrs,
    replaces: Option<&str>,
) -> String {
    let def = kinds::def(address.kind);
    let json: serde_json::Map<String, serde_json::Value> = attrs
        .iter()
        .map(|(name, value)| {
            let value = match def.field(name) {
                Some(field) => canonical(&field.ty, value),
                None => value.clone(),
            };
            (name.clone(), value.into())
        })
        .collect();
    let mut material = Vec::new();
    material.extend_from_slice(environment.as_bytes());
    material.push(0);
    material.extend_from_slice(address.to_string().as_bytes());
    material.push(0);
    material.extend_from_slice(
        serde_json::to_string(&sort_keys(serde_json::Value::Object(json)))
            .expect("JSON values serialize")
            .as_bytes(),
    );
    if let Some(id) = replaces {
        material.push(0);
        material.extend_from_slice(id.as_bytes());
    }
    sha256_hex(&material)[..32].to_owned()
}

/// Sorts object keys at every depth, whatever `serde_json`'s map preserves.
fn sort_keys(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::Object(m) => {
            let mut entries: Vec<(String, J)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            J::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect(),
            )
        }
        J::Array(a) => J::Array(a.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use recon_model::{Kind, Value};

    #[test]
    fn stable_and_sensitive() {
        let a = Address::new(Kind::NatGateway, "main");
        let attrs = |s: &str| Attrs::from([("subnet".to_owned(), Value::str(s))]);
        let t = idempotency_token("dev", &a, &attrs("subnet-1"), None);
        assert_eq!(t.len(), 32);
        assert!(t.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(t, idempotency_token("dev", &a, &attrs("subnet-1"), None));
        assert_ne!(t, idempotency_token("prod", &a, &attrs("subnet-1"), None));
        assert_ne!(t, idempotency_token("dev", &a, &attrs("subnet-2"), None));
        assert_ne!(
            t,
            idempotency_token("dev", &a, &attrs("subnet-1"), Some("nat-1"))
        );
        // The documented formula, pinned: a change here breaks crash recovery across versions.
        let expected = sha256_hex(b"dev\0nat_gateway.main\0{\"subnet\":\"subnet-1\"}");
        assert_eq!(t, expected[..32]);
    }

    #[test]
    fn set_order_does_not_matter() {
        let a = Address::new(Kind::RouteTable, "r");
        let subnets = |l: &[&str]| {
            Attrs::from([(
                "subnets".to_owned(),
                Value::List(l.iter().map(|s| Value::str(*s)).collect()),
            )])
        };
        assert_eq!(
            idempotency_token("dev", &a, &subnets(&["subnet-1", "subnet-2"]), None),
            idempotency_token("dev", &a, &subnets(&["subnet-2", "subnet-1"]), None)
        );
    }
}
