//! The report from what discovery found and what the review said: a pure function, so the
//! rendering can be tested without AWS.

use recon_model::{Kind, LiveResource, Value};

use super::{
    BackupState, Exposure, Grant, Internet, KeyAccess, OpenRule, Owned, REPORT_FORMAT_VERSION,
    Report, ReviewFinding, Store,
};
use crate::evidence::RunBy;
use crate::evidence::provenance::SpecProvenance;

/// Who asked, where, when, and what was found.
pub struct Inputs<'a> {
    pub environment: String,
    pub region: String,
    pub run_by: RunBy,
    pub spec: Option<SpecProvenance>,
    pub at: String,
    pub live: &'a [LiveResource],
    pub review: Option<&'a recon_review::Review>,
}

/// Sources that admit anyone on the internet.
const WORLD: [&str; 2] = ["0.0.0.0/0", "::/0"];

/// The report of `inputs`.
///
/// # Guarantees
/// - States only what discovery reported: a store whose encryption AWS did not report is
///   listed as unencrypted, never assumed encrypted.
/// - Lists are in address order.
pub fn build(inputs: Inputs<'_>) -> Report {
    let mut live: Vec<&LiveResource> = inputs.live.iter().collect();
    live.sort_by(|a, b| a.address.cmp(&b.address));
    let address_of = |id: &str| {
        live.iter()
            .find(|r| r.id == id)
            .map(|r| r.address.to_string())
    };
    let of_kind = |kind: Kind| live.iter().copied().filter(move |r| r.kind() == kind);

    let resources = live
        .iter()
        .map(|r| Owned {
            kind: r.kind().to_string(),
            address: r.address.to_string(),
            id: r.id.clone(),
        })
        .collect();

    let mut encryption = Vec::new();
    for fs in of_kind(Kind::EfsFileSystem) {
        encryption.push(store("EFS file system", fs, &fs.attrs, &address_of));
    }
    for i in of_kind(Kind::Instance) {
        if let Some(root) = i.attrs.get("root_volume").and_then(Value::as_map) {
            encryption.push(store("EBS root volume", i, root, &address_of));
        }
    }

    let open_rules: Vec<OpenRule> = of_kind(Kind::SecurityGroup)
        .flat_map(|sg| {
            rules(sg)
                .filter(|(_, _, from)| WORLD.contains(from))
                .map(|(protocol, ports, from)| OpenRule {
                    address: sg.address.to_string(),
                    id: sg.id.clone(),
                    protocol: protocol.to_owned(),
                    ports: ports.to_owned(),
                    from: from.to_owned(),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    // What the world may open through a resource's security groups.
    let opened_by = |groups: &[Value]| -> Vec<String> {
        groups
            .iter()
            .filter_map(Value::as_str)
            .flat_map(|g| {
                open_rules
                    .iter()
                    .filter(move |r| r.id == g)
                    .map(|r| format!("{} {} from {} ({})", r.protocol, r.ports, r.from, r.address))
            })
            .collect()
    };
    let mut reachable = Vec::new();
    for i in of_kind(Kind::Instance) {
        if let Some(ip) = i.outputs.get("public_ip_address").and_then(Value::as_str) {
            let groups = i
                .attrs
                .get("security_groups")
                .map_or(&[][..], Value::as_list);
            reachable.push(Exposure {
                address: i.address.to_string(),
                id: i.id.clone(),
                public_address: ip.to_owned(),
                open: opened_by(groups),
            });
        }
    }
    for lb in of_kind(Kind::LoadBalancer) {
        if lb.attrs.get("scheme").and_then(Value::as_str) == Some("internal") {
            continue;
        }
        let mut open: Vec<String> = lb
            .attrs
            .get("listeners")
            .map_or(&[][..], Value::as_list)
            .iter()
            .filter_map(Value::as_map)
            .map(|l| {
                format!(
                    "listener {} {}",
                    l.get("protocol").and_then(Value::as_str).unwrap_or("?"),
                    l.get("port").map(ToString::to_string).unwrap_or_default()
                )
            })
            .collect();
        open.extend(opened_by(
            lb.attrs
                .get("security_groups")
                .map_or(&[][..], Value::as_list),
        ));
        reachable.push(Exposure {
            address: lb.address.to_string(),
            id: lb.id.clone(),
            public_address: lb
                .outputs
                .get("dns_name")
                .and_then(Value::as_str)
                .unwrap_or("(internet-facing)")
                .to_owned(),
            open,
        });
    }
    for eip in of_kind(Kind::ElasticIp) {
        if let Some(ip) = eip.outputs.get("public_ip").and_then(Value::as_str) {
            reachable.push(Exposure {
                address: eip.address.to_string(),
                id: eip.id.clone(),
                public_address: ip.to_owned(),
                open: Vec::new(),
            });
        }
    }

    let decrypt = of_kind(Kind::KmsKey)
        .map(|k| KeyAccess {
            address: k.address.to_string(),
            id: k.id.clone(),
            grants: k
                .attrs
                .get("grants")
                .map_or(&[][..], Value::as_list)
                .iter()
                .filter_map(Value::as_map)
                .map(|g| Grant {
                    name: text(g.get("name")),
                    grantee_principal: text(g.get("grantee_principal")),
                    operations: g
                        .get("operations")
                        .map_or(&[][..], Value::as_list)
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                })
                .collect(),
        })
        .collect();

    let backups = of_kind(Kind::EfsFileSystem)
        .map(|fs| BackupState {
            address: fs.address.to_string(),
            id: fs.id.clone(),
            automatic_backups: fs.attrs.get("backups").and_then(Value::as_bool),
        })
        .collect();

    let review = inputs.review.map(|r| {
        r.findings
            .iter()
            .map(|f| (f, None))
            .chain(
                r.silenced
                    .iter()
                    .map(|s| (&s.finding, Some(s.reason.clone()))),
            )
            .map(|(f, reason)| ReviewFinding {
                rule: f.rule.to_owned(),
                severity: f.severity.to_string(),
                address: f.address.to_string(),
                message: f.message.clone(),
                silenced_because: reason,
            })
            .collect()
    });

    Report {
        format_version: REPORT_FORMAT_VERSION,
        environment: inputs.environment,
        region: inputs.region,
        run_by: inputs.run_by,
        spec: inputs.spec,
        at: inputs.at,
        resources,
        encryption,
        internet: Internet {
            reachable,
            open_rules,
        },
        decrypt,
        backups,
        review,
        record_sha256: None,
    }
}

fn store(
    what: &str,
    r: &LiveResource,
    attrs: &std::collections::BTreeMap<String, Value>,
    address_of: &dyn Fn(&str) -> Option<String>,
) -> Store {
    let kms_key = attrs
        .get("kms_key")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Store {
        store: what.to_owned(),
        address: r.address.to_string(),
        id: r.id.clone(),
        encrypted: attrs.get("encrypted").and_then(Value::as_bool) == Some(true),
        kms_key_address: kms_key.as_deref().and_then(address_of),
        kms_key,
    }
}

/// A security group's ingress rules as `(protocol, ports, from)`.
fn rules(sg: &LiveResource) -> impl Iterator<Item = (&str, &str, &str)> {
    sg.attrs
        .get("ingress")
        .map_or(&[][..], Value::as_list)
        .iter()
        .filter_map(Value::as_map)
        .filter_map(|r| {
            Some((
                r.get("protocol")?.as_str()?,
                r.get("ports")?.as_str()?,
                r.get("from")?.as_str()?,
            ))
        })
}

fn text(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or_default().to_owned()
}
