//! The report of an "irb"-shaped environment: built from live resources as discovery reports
//! them, checked fact by fact, and its Markdown rendering snapshotted.

use std::collections::BTreeMap;

use recon_model::{Address, LiveResource, LiveState, Value};
use recon_review::{Finding, Review, Severity, Silenced};

use super::build::Inputs;
use super::*;
use crate::evidence::provenance::GitState;

fn live(address: &str, id: &str, attrs: Value, outputs: &[(&str, &str)]) -> LiveResource {
    LiveResource {
        address: address.parse::<Address>().unwrap(),
        id: id.to_owned(),
        state: LiveState::Available,
        attrs: attrs.as_map().cloned().unwrap_or_default(),
        outputs: outputs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::str(*v)))
            .collect(),
    }
}

fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn rule(protocol: &str, ports: &str, from: &str) -> Value {
    map(&[
        ("protocol", Value::str(protocol)),
        ("ports", Value::str(ports)),
        ("from", Value::str(from)),
    ])
}

fn irb_live() -> Vec<LiveResource> {
    vec![
        live("vpc.main", "vpc-1", map(&[]), &[]),
        live(
            "security_group.bastion",
            "sg-b",
            map(&[("ingress", Value::List(vec![rule("tcp", "22", "0.0.0.0/0")]))]),
            &[],
        ),
        live(
            "security_group.compute",
            "sg-c",
            map(&[(
                "ingress",
                Value::List(vec![
                    rule("tcp", "22", "sg-b"),
                    rule("tcp", "2049", "10.0.0.0/16"),
                ]),
            )]),
            &[],
        ),
        live(
            "kms_key.data",
            "mrk-1",
            map(&[(
                "grants",
                Value::List(vec![map(&[
                    ("name", Value::str("analyst")),
                    (
                        "grantee_principal",
                        Value::str("arn:aws:iam::123456789012:role/irb-analyst"),
                    ),
                    (
                        "operations",
                        Value::List(vec![Value::str("Decrypt"), Value::str("Encrypt")]),
                    ),
                ])]),
            )]),
            &[],
        ),
        live(
            "efs_file_system.data",
            "fs-1",
            map(&[
                ("encrypted", Value::Bool(true)),
                ("kms_key", Value::str("mrk-1")),
                ("backups", Value::Bool(true)),
            ]),
            &[],
        ),
        live(
            "instance.bastion",
            "i-b",
            map(&[
                ("security_groups", Value::List(vec![Value::str("sg-b")])),
                ("root_volume", map(&[("encrypted", Value::Bool(false))])),
            ]),
            &[
                ("public_ip_address", "54.0.0.10"),
                ("private_ip_address", "10.0.1.10"),
            ],
        ),
        live(
            "instance.compute",
            "i-c",
            map(&[
                ("security_groups", Value::List(vec![Value::str("sg-c")])),
                (
                    "root_volume",
                    map(&[
                        ("encrypted", Value::Bool(true)),
                        ("kms_key", Value::str("mrk-1")),
                    ]),
                ),
            ]),
            &[("private_ip_address", "10.0.2.10")],
        ),
        live(
            "elastic_ip.nat",
            "eipalloc-1",
            map(&[]),
            &[("public_ip", "54.0.0.20")],
        ),
    ]
}

fn silenced_review() -> Review {
    Review {
        findings: vec![],
        silenced: vec![Silenced {
            finding: Finding {
                rule: "net/admin-port-open",
                severity: Severity::Warning,
                address: "security_group.bastion".parse().unwrap(),
                path: vec!["ingress".into(), "0".into(), "from".into()],
                message: "SSH (22) is open to the whole internet".into(),
                label: String::new(),
                help: String::new(),
            },
            reason: "The bastion is the only way in; SSH keys only, access logged.".into(),
        }],
    }
}

fn report(live: &[LiveResource], review: Option<&Review>) -> Report {
    build(Inputs {
        environment: "irb".into(),
        region: "us-east-1".into(),
        run_by: RunBy {
            account: "123456789012".into(),
            caller_arn: "arn:aws:sts::123456789012:assumed-role/Admin/alice".into(),
            recon_version: "0.1.0".into(),
        },
        spec: Some(SpecProvenance {
            path: "specs/irb.yaml".into(),
            absolute_path: "/home/alice/study/specs/irb.yaml".into(),
            sha256: "5e1f".into(),
            git: Some(GitState {
                repository: "/home/alice/study".into(),
                commit: "0123456789abcdef0123456789abcdef01234567".into(),
                dirty: false,
                spec_committed: true,
            }),
            file_environment: None,
            values: None,
            parameters: Default::default(),
        }),
        at: "2026-11-30T09:00:00Z".into(),
        live,
        review,
    })
}

#[test]
fn the_bastion_is_reachable_on_22_and_every_store_is_encrypted_with_its_key() {
    let live = irb_live();
    let review = silenced_review();
    let r = report(&live, Some(&review));
    let bastion = r
        .internet
        .reachable
        .iter()
        .find(|e| e.address == "instance.bastion")
        .expect("the bastion is reachable");
    assert_eq!(bastion.public_address, "54.0.0.10");
    assert_eq!(
        bastion.open,
        vec!["tcp 22 from 0.0.0.0/0 (security_group.bastion)"]
    );
    assert!(
        !r.internet
            .reachable
            .iter()
            .any(|e| e.address == "instance.compute"),
        "compute has no public IP"
    );
    // Only the world-open rule: compute's rules admit the VPC and the bastion's group.
    assert_eq!(r.internet.open_rules.len(), 1);

    let efs = r
        .encryption
        .iter()
        .find(|s| s.address == "efs_file_system.data")
        .unwrap();
    assert!(efs.encrypted);
    assert_eq!(efs.kms_key_address.as_deref(), Some("kms_key.data"));
    let compute = r
        .encryption
        .iter()
        .find(|s| s.address == "instance.compute")
        .unwrap();
    assert!(compute.encrypted);
    assert_eq!(compute.kms_key_address.as_deref(), Some("kms_key.data"));
    let bastion_disk = r
        .encryption
        .iter()
        .find(|s| s.address == "instance.bastion")
        .unwrap();
    assert!(!bastion_disk.encrypted, "stated as AWS reported it");

    assert_eq!(
        r.decrypt[0].grants[0].operations,
        vec!["Decrypt", "Encrypt"]
    );
    assert_eq!(r.backups[0].automatic_backups, Some(true));
    let findings = r.review.as_ref().unwrap();
    assert_eq!(
        findings[0].silenced_because.as_deref(),
        Some("The bastion is the only way in; SSH keys only, access logged.")
    );
}

#[test]
fn report_markdown() {
    let live = irb_live();
    let review = silenced_review();
    let mut r = report(&live, Some(&review));
    r.record_sha256 =
        Some("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into());
    insta::assert_snapshot!("report_markdown", markdown(&r));
}

#[test]
fn a_report_survives_its_json_unchanged() {
    let live = irb_live();
    let r = report(&live, None);
    let back: Report = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
    assert_eq!(back, r);
    assert!(markdown(&back).contains("No spec given: no review."));
}
