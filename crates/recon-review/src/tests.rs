//! The review as a whole: ordering, silences, annotation problems.

use crate::rules::test_support::NETWORK;
use crate::{ALL, Severity, review};

fn run(resources: &str) -> crate::Review {
    let file = recon_spec::SourceFile {
        name: "t.yaml".into(),
        text: format!("environment: test\nregion: us-east-1\nresources:\n{resources}"),
    };
    let parsed = recon_spec::parse_document(&file).expect("a valid spec");
    review(&parsed.spec, &parsed.silences)
}

fn ids(findings: &[crate::Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| format!("{} {} {}", f.rule, f.address, f.path.join(".")))
        .collect()
}

#[test]
fn rule_ids_are_unique_and_well_formed() {
    let mut seen = std::collections::BTreeSet::new();
    for rule in ALL {
        assert!(seen.insert(rule.id), "{} twice", rule.id);
        let (area, name) = rule.id.split_once('/').expect("area/name");
        assert!(
            [area, name].iter().all(|p| !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')),
            "{}",
            rule.id
        );
        assert!(rule.summary.ends_with('.'), "{}", rule.id);
        assert!(!rule.help.ends_with('.'), "{}", rule.id);
    }
}

const BASTION: &str = "  security_group.bastion:
    vpc: vpc.main
    ingress: [ { protocol: tcp, ports: 22, from: 0.0.0.0/0 } ]
";

#[test]
fn an_unknown_rule_is_an_error_with_a_suggestion() {
    let r = run(&format!(
        "{NETWORK}{BASTION}    review:\n      silence: [ {{ rule: net/admin-ports-open, reason: only way in }} ]\n"
    ));
    assert_eq!(
        ids(&r.findings),
        [
            "net/admin-port-open security_group.bastion ingress.0.from",
            "review/unknown-rule security_group.bastion review.silence.0.rule",
        ]
    );
    assert_eq!(r.findings[1].severity, Severity::Error);
    assert_eq!(r.findings[1].help, "did you mean `net/admin-port-open`?");
    assert!(r.has_errors());
}

#[test]
fn a_silence_that_silences_nothing_is_a_warning() {
    let r = run(&format!(
        "{NETWORK}{BASTION}    review:\n      silence:\n        - {{ rule: net/admin-port-open, reason: only way in }}\n        - {{ rule: kms/rotation-disabled, reason: not a key }}\n"
    ));
    assert_eq!(
        ids(&r.findings),
        ["review/unused-silence security_group.bastion review.silence.1.rule"]
    );
    assert_eq!(r.findings[0].severity, Severity::Warning);
    assert_eq!(r.silenced.len(), 1);
    assert_eq!(r.silenced[0].reason, "only way in");
    assert!(!r.has_errors());
}

#[test]
fn findings_come_in_spec_order_then_rule_order() {
    let r = run(&format!(
        "{BASTION}{NETWORK}  efs_file_system.data: {{ encrypted: false }}\n  kms_key.data: {{ enable_key_rotation: false }}\n"
    ));
    assert_eq!(
        ids(&r.findings),
        [
            "net/admin-port-open security_group.bastion ingress.0.from",
            "enc/efs-unencrypted efs_file_system.data encrypted",
            "kms/rotation-disabled kms_key.data enable_key_rotation",
        ]
    );
}
