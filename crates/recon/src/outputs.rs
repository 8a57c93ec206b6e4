//! The spec's `outputs:` read from the live resources (there is no state file): after apply and
//! for `recon output`. Also where apply wrote private keys, which a user looks for next.

use std::fmt::Write as _;

use recon_model::value::Part;
use recon_model::{Kind, LiveResource, Plan, Value};
use serde_json::json;

/// An output's value, or why it has none yet.
pub type Resolved = Result<String, String>;

/// Each output with its value read from `live`.
pub fn resolve(outputs: &[(String, Value)], live: &[LiveResource]) -> Vec<(String, Resolved)> {
    outputs
        .iter()
        .map(|(name, value)| (name.clone(), value_of(value, live)))
        .collect()
}

fn value_of(value: &Value, live: &[LiveResource]) -> Resolved {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Ref(r) => attribute(&r.address, &r.attr, live),
        Value::Template(parts) => parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => Ok(t.clone()),
                Part::Ref(r) => attribute(&r.address, &r.attr, live),
            })
            .collect(),
        other => Ok(other.to_string()),
    }
}

fn attribute(address: &recon_model::Address, attr: &str, live: &[LiveResource]) -> Resolved {
    let Some(resource) = live.iter().find(|r| &r.address == address) else {
        return Err(format!("`{address}` does not exist (yet)"));
    };
    match resource.attribute(attr) {
        Some(Value::String(s)) => Ok(s),
        Some(Value::Unknown) | None => Err(format!("`{address}` has no `{attr}` (yet)")),
        Some(other) => Ok(serde_json::Value::from(other).to_string()),
    }
}

/// `Outputs:` and one `name = "value"` per line, Terraform-like; empty without outputs.
pub fn text(resolved: &[(String, Resolved)]) -> String {
    let mut out = String::new();
    if resolved.is_empty() {
        return out;
    }
    out.push_str("\nOutputs:\n\n");
    for (name, value) in resolved {
        let _ = match value {
            Ok(v) => writeln!(out, "{name} = {v:?}"),
            Err(why) => writeln!(out, "{name} = (not known: {why})"),
        };
    }
    out
}

/// `{ "name": "value" | null }`.
pub fn json(resolved: &[(String, Resolved)]) -> serde_json::Value {
    serde_json::Value::Object(
        resolved
            .iter()
            .map(|(name, v)| (name.clone(), v.as_ref().map_or(json!(null), |v| json!(v))))
            .collect(),
    )
}

/// Where apply wrote the private key of each key pair it created.
pub fn private_keys_written(plan: &Plan, live: &[LiveResource]) -> String {
    let mut out = String::new();
    for change in plan
        .changes
        .iter()
        .filter(|c| c.address.kind == Kind::KeyPair)
    {
        let file = live
            .iter()
            .find(|r| r.address == change.address)
            .and_then(|r| r.attrs.get("private_key_file"))
            .and_then(Value::as_str);
        if let (Some(file), recon_model::Action::Create | recon_model::Action::Replace) =
            (file, change.action)
        {
            let _ = writeln!(
                out,
                "Wrote the private key of `{}` to {file} (mode 0600; AWS keeps no copy).",
                change.address
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use recon_model::{Address, LiveState, Reference};
    use std::collections::BTreeMap;

    fn instance() -> LiveResource {
        LiveResource {
            address: "instance.bastion".parse().unwrap(),
            id: "i-1".into(),
            state: LiveState::Available,
            attrs: BTreeMap::new(),
            outputs: BTreeMap::from([("public_ip_address".into(), Value::str("3.4.5.6"))]),
        }
    }

    #[test]
    fn outputs_read_live_attributes_and_say_what_is_missing() {
        let address: Address = "instance.bastion".parse().unwrap();
        let outputs = vec![
            (
                "ip".to_owned(),
                Value::Ref(Reference {
                    address: address.clone(),
                    attr: "public_ip_address".into(),
                }),
            ),
            (
                "ssh".to_owned(),
                Value::Template(
                    Value::parse_template("ec2-user@${instance.bastion.public_ip_address}")
                        .unwrap()
                        .unwrap(),
                ),
            ),
            (
                "gone".to_owned(),
                Value::Template(
                    Value::parse_template("${instance.other.id}")
                        .unwrap()
                        .unwrap(),
                ),
            ),
        ];
        let resolved = resolve(&outputs, &[instance()]);
        assert_eq!(resolved[0].1, Ok("3.4.5.6".to_owned()));
        assert_eq!(resolved[1].1, Ok("ec2-user@3.4.5.6".to_owned()));
        assert!(resolved[2].1.is_err());
        assert_eq!(
            text(&resolved),
            "\nOutputs:\n\nip = \"3.4.5.6\"\nssh = \"ec2-user@3.4.5.6\"\ngone = (not known: `instance.other` does not exist (yet))\n"
        );
        assert_eq!(json(&resolved)["gone"], serde_json::Value::Null);
    }
}
