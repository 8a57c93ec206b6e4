//! What recon does before (and without) contacting AWS: validation, the bad-spec corpus, plan
//! files, `graph` and `schema`. Each bad spec is run through `recon plan` with the AWS endpoint
//! pointed at a listener this test owns, which must see no connection at all; so are `graph` and
//! `schema`.

mod support;

use std::net::TcpListener;
use std::path::PathBuf;

use support::{Workspace, repo_root};

fn bad_specs() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join("tests/bad-specs"))
        .expect("tests/bad-specs exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_example_spec_validates() {
    let ws = Workspace::new("network.yaml", "offline-valid");
    let run = ws.recon(&["validate", "spec.yaml"]);
    run.success();
    assert!(
        run.stdout().contains("spec.yaml is valid:") && run.stdout().contains("`offline-valid`"),
        "{}",
        run.stdout()
    );
}

#[test]
fn bad_specs_are_reported_with_positions_and_make_no_aws_call() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let files = bad_specs();
    assert!(files.len() >= 15, "the corpus has {} specs", files.len());
    for file in &files {
        for command in ["validate", "plan"] {
            let out = assert_cmd::Command::cargo_bin("recon")
                .unwrap()
                .env("NO_COLOR", "1")
                .env("AWS_ENDPOINT_URL", &endpoint)
                .env("AWS_MAX_ATTEMPTS", "1")
                .args([command, file.to_str().unwrap()])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let name = file.file_name().unwrap().to_str().unwrap();
            assert_eq!(out.status.code(), Some(1), "{command} {name}:\n{stderr}");
            assert!(
                stderr.contains(name),
                "{command} {name}: no file name in\n{stderr}"
            );
            assert!(
                stderr.contains(&format!("{name}:")),
                "{command} {name}: no line:column in\n{stderr}"
            );
        }
    }
    assert!(
        listener.accept().is_err(),
        "a bad spec made recon contact AWS"
    );
}

#[test]
fn apply_without_a_saved_plan_says_how_to_make_one() {
    let ws = Workspace::new("network.yaml", "offline-noplan");
    let run = ws.recon(&["apply"]);
    run.code_is(1);
    assert!(
        run.stderr().contains("No saved plan at `.recon/plan.json`"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("recon plan SPEC"), "{}", run.stderr());
}

#[test]
fn apply_refuses_a_file_that_is_not_a_plan() {
    let ws = Workspace::new("network.yaml", "offline-badplan");
    ws.write_spec("plan.json", "{\"hello\": 1}");
    let run = ws.recon(&["apply", "--plan", "plan.json"]);
    run.code_is(1);
    assert!(
        run.stderr().contains("`plan.json` is not a recon plan"),
        "{}",
        run.stderr()
    );
}

#[test]
fn destroy_needs_a_spec_or_an_environment() {
    let ws = Workspace::new("network.yaml", "offline-destroy");
    let run = ws.recon(&["destroy"]);
    run.code_is(2);
    assert!(run.stderr().contains("--env"), "{}", run.stderr());
}

/// Runs recon in `dir` with the AWS endpoint at `endpoint` (a listener that must see nothing).
fn offline(dir: &std::path::Path, endpoint: &str, args: &[&str]) -> support::Run {
    support::Run(
        assert_cmd::Command::cargo_bin("recon")
            .unwrap()
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_MAX_ATTEMPTS", "1")
            .args(args)
            .output()
            .unwrap(),
    )
}

fn listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    (listener, endpoint)
}

/// A saved plan for `specs/irb.yaml` by hand: a create, an update, a replacement, a delete of
/// something the spec no longer has; the rest unchanged.
const IRB_PLAN: &str = r#"{
  "format_version": 1,
  "mode": "apply",
  "environment": "irb",
  "region": "us-east-1",
  "live_fingerprint": "0",
  "changes": [
    { "address": "security_group.efs", "action": "create" },
    { "address": "efs_mount_target.data", "action": "create" },
    { "address": "subnet.public", "action": "update", "id": "subnet-1" },
    { "address": "instance.compute", "action": "replace", "id": "i-1" },
    { "address": "security_group.legacy", "action": "delete", "id": "sg-1",
      "live_depends_on": ["vpc.main"] }
  ]
}"#;

#[test]
fn graph_prints_mermaid_and_dot_and_makes_no_aws_call() {
    let (listener, endpoint) = listener();
    let ws = Workspace::new("irb.yaml", "irb");
    ws.write_spec("plan.json", IRB_PLAN);
    let dir = ws.path();

    let mermaid = offline(dir, &endpoint, &["graph", "spec.yaml"]);
    mermaid.success();
    insta::assert_snapshot!("graph_irb_mermaid", mermaid.stdout());
    let dot = offline(dir, &endpoint, &["graph", "spec.yaml", "--format", "dot"]);
    dot.success();
    insta::assert_snapshot!("graph_irb_dot", dot.stdout());

    let args = ["graph", "spec.yaml", "--plan", "plan.json"];
    let coloured = offline(dir, &endpoint, &args);
    coloured.success();
    insta::assert_snapshot!("graph_irb_mermaid_plan", coloured.stdout());
    let args = [
        "graph",
        "spec.yaml",
        "--plan",
        "plan.json",
        "--format",
        "dot",
    ];
    let coloured = offline(dir, &endpoint, &args);
    coloured.success();
    let out = coloured.stdout();
    assert!(
        out.contains(r##""security_group.legacy" [label="security_group.legacy\nsecurity_group (delete)", class="security_group", fillcolor="#ffcdd2""##),
        "{out}"
    );
    assert!(
        out.contains(r#""vpc.main" -> "security_group.legacy";"#),
        "{out}"
    );

    // A plan of another environment is refused.
    ws.write_spec("other.json", &IRB_PLAN.replace("\"irb\"", "\"other\""));
    let refused = offline(
        dir,
        &endpoint,
        &["graph", "spec.yaml", "--plan", "other.json"],
    );
    refused.code_is(1);
    assert!(
        refused.stderr().contains("is for environment `other`"),
        "{}",
        refused.stderr()
    );

    assert!(listener.accept().is_err(), "recon graph contacted AWS");
}

#[test]
fn schema_prints_the_committed_schema_and_makes_no_aws_call() {
    let (listener, endpoint) = listener();
    let run = offline(&repo_root(), &endpoint, &["schema"]);
    run.success();
    let printed: serde_json::Value = serde_json::from_str(&run.stdout()).expect("JSON");
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("docs/recon.schema.json")).unwrap(),
    )
    .unwrap();
    assert!(
        printed == committed,
        "docs/recon.schema.json is out of date; regenerate it with\n\n    cargo run -q -p recon -- schema > docs/recon.schema.json\n"
    );
    assert!(listener.accept().is_err(), "recon schema contacted AWS");
}
