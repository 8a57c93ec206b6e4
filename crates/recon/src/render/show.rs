//! `recon show`: the environment's live resources, as text and as JSON.
//!
//! Each resource with its address, kind, AWS id, state and the attributes people look up: what
//! other resources can reference (`public_ip`, `dns_name`, `arn`...) and a few identifying
//! fields. An allow-list, so nothing secret (user data, policies) is ever shown.

use std::fmt::Write as _;

use recon_model::{LiveResource, LiveState, Value, kinds};
use serde_json::{Map, json};

/// Fields worth showing when a kind has them.
const FIELDS: &[&str] = &[
    "cidr_block",
    "availability_zone",
    "instance_type",
    "private_key_file",
];

fn state(s: LiveState) -> &'static str {
    match s {
        LiveState::Pending => "pending",
        LiveState::Available => "available",
        LiveState::Deleting => "deleting",
        LiveState::Failed => "failed",
    }
}

/// The shown attributes of `r`, by name.
fn attributes(r: &LiveResource) -> Vec<(String, Value)> {
    let def = kinds::def(r.kind());
    let mut out: Vec<(String, Value)> = def
        .attributes
        .iter()
        .filter(|a| **a != "id")
        .chain(FIELDS.iter().filter(|f| def.field(f).is_some()))
        .filter_map(|name| Some(((*name).to_owned(), r.attribute(name)?)))
        .filter(|(_, v)| !matches!(v, Value::Unknown))
        .collect();
    if let Some(name) = r.tag(recon_model::tags::NAME) {
        out.push(("Name".to_owned(), Value::str(name)));
    }
    out
}

pub fn text(environment: &str, region: &str, live: &[LiveResource]) -> String {
    let mut out = String::new();
    if live.is_empty() {
        let _ = writeln!(
            out,
            "Environment `{environment}` owns nothing in {region}: no resource is tagged recon:env={environment}."
        );
        return out;
    }
    let _ = writeln!(
        out,
        "Environment `{environment}` in {region}: {} resource{}.\n",
        live.len(),
        if live.len() == 1 { "" } else { "s" }
    );
    for r in live {
        let _ = writeln!(out, "{}  {}  {}", r.address, r.id, state(r.state));
        for (name, value) in attributes(r) {
            let _ = writeln!(out, "    {name} = {value}");
        }
    }
    out
}

pub fn json(environment: &str, region: &str, live: &[LiveResource]) -> serde_json::Value {
    let resources: Vec<serde_json::Value> = live
        .iter()
        .map(|r| {
            let attrs: Map<String, serde_json::Value> = attributes(r)
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::from(v)))
                .collect();
            json!({
                "address": r.address.to_string(),
                "kind": r.kind().as_str(),
                "id": r.id,
                "state": state(r.state),
                "attributes": attrs,
            })
        })
        .collect();
    json!({ "environment": environment, "region": region, "resources": resources })
}
