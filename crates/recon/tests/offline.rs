//! What recon does before (and without) contacting AWS: validation, the bad-spec corpus, plan
//! files. Each bad spec is run through `recon plan` with the AWS endpoint pointed at a listener
//! this test owns, which must see no connection at all.

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
