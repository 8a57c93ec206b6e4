//! The environments recon was built for, reviewed: the original, mistaken versions (kept under
//! `tests/fixtures/`) give exactly the findings their mistakes call for, and the fixed specs in
//! `specs/` give none but the deliberate, silenced ones.
//!
//! One row per spec.

use std::path::Path;

/// `rule address path` per finding (`silenced ` in front of silenced ones), in report order.
fn review(file: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    // A file of several environments is reviewed as its largest one, `prod`; a template of
    // the catalog as its first project.
    let values = file.strip_suffix("project.yaml").map(|dir| {
        let name = format!("{dir}projects/alpha.yaml");
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(&name),
        );
        recon_spec::SourceFile {
            name,
            text: text.unwrap_or_else(|e| panic!("{file}'s values: {e}")),
        }
    });
    let inputs = recon_spec::Inputs {
        env: text.contains("\nenvironments:").then(|| "prod".to_owned()),
        values,
        ..recon_spec::Inputs::default()
    };
    let parsed = recon_spec::parse_with(
        &recon_spec::SourceFile {
            name: file.into(),
            text,
        },
        &inputs,
    )
    .unwrap_or_else(|e| panic!("{file} is invalid: {:?}", miette::Report::new(e)));
    let review = recon_review::review(&parsed.spec, &parsed.silences);
    let show = |f: &recon_review::Finding| format!("{} {} {}", f.rule, f.address, f.path.join("."));
    review
        .findings
        .iter()
        .map(show)
        .chain(
            review
                .silenced
                .iter()
                .map(|s| format!("silenced {}", show(&s.finding))),
        )
        .collect()
}

const CASES: &[(&str, &[&str])] = &[
    (
        "tests/fixtures/irb-original.yaml",
        &[
            "net/nat-in-private-subnet nat_gateway.main subnet",
            "net/admin-port-open security_group.bastion ingress.0.from",
            "efs/mount-target-nfs-closed efs_mount_target.data security_groups",
            "net/public-ip-in-private-subnet launch_template.compute associate_public_ip",
        ],
    ),
    (
        "tests/fixtures/research-original.yaml",
        &[
            "net/private-subnet-internet-route route_table.research routes.0.internet_gateway",
            "net/admin-port-open security_group.dmz ingress.0.from",
            "net/admin-port-open security_group.dmz ingress.2.from",
            "net/admin-port-open security_group.research ingress.0.from",
            "net/admin-port-open security_group.research ingress.1.from",
            "net/admin-port-open security_group.production ingress.1.from",
            "ec2/imdsv1-allowed instance.vpn ",
            "ec2/imdsv1-allowed instance.voila ",
            "ec2/imdsv1-allowed instance.jupyter ",
        ],
    ),
    (
        "tests/fixtures/web-original.yaml",
        &["net/admin-port-open security_group.web ingress.1.from"],
    ),
    (
        "specs/web.yaml",
        &["silenced net/admin-port-open security_group.web ingress.1.from"],
    ),
    (
        "specs/network.yaml",
        &["silenced net/admin-port-open security_group.bastion ingress.0.from"],
    ),
    (
        "specs/irb.yaml",
        &["silenced net/admin-port-open security_group.bastion ingress.0.from"],
    ),
    ("specs/platform.yaml", &[]),
    ("specs/catalog/project.yaml", &[]),
    (
        "specs/research.yaml",
        &[
            "silenced net/admin-port-open security_group.dmz ingress.0.from",
            "silenced net/admin-port-open security_group.dmz ingress.2.from",
        ],
    ),
];

#[test]
fn each_environment_gives_exactly_its_expected_findings() {
    let mut wrong = Vec::new();
    for (file, expected) in CASES {
        let got = review(file);
        if got != *expected {
            wrong.push(format!("{file}:\n  expected {expected:#?}\n  got {got:#?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_spec_and_fixture_is_in_the_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for dir in ["specs", "specs/catalog", "tests/fixtures"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let name = format!("{dir}/{}", entry.unwrap().file_name().to_string_lossy());
            if name.ends_with(".yaml") {
                assert!(
                    CASES.iter().any(|(f, _)| *f == name),
                    "{name} has no row in CASES"
                );
            }
        }
    }
}
