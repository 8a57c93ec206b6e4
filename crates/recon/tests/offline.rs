//! What recon does before (and without) contacting AWS: validation, the bad-spec corpus, plan
//! files, `graph` and `schema`. Each bad spec is run through `recon plan` with the AWS endpoint
//! pointed at a listener this test owns, which must see no connection at all; so are `graph` and
//! `schema`.

mod support;

use std::net::TcpListener;
use std::path::PathBuf;

use support::{Workspace, repo_root, says};

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
        run.stderr_says("No saved plan at `.recon/plan.json`"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr_says("recon plan SPEC"), "{}", run.stderr());
}

#[test]
fn apply_refuses_a_file_that_is_not_a_plan() {
    let ws = Workspace::new("network.yaml", "offline-badplan");
    ws.write_spec("plan.json", "{\"hello\": 1}");
    let run = ws.recon(&["apply", "--plan", "plan.json"]);
    run.code_is(1);
    assert!(
        run.stderr_says("`plan.json` is not a recon plan"),
        "{}",
        run.stderr()
    );
}

#[test]
fn destroy_needs_a_spec_or_an_environment() {
    let ws = Workspace::new("network.yaml", "offline-destroy");
    let run = ws.recon(&["destroy"]);
    run.code_is(2);
    assert!(run.stderr_says("--env"), "{}", run.stderr());
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
            // A listener that never answers fails a call in 2 s, not the default 20 s.
            .env("RECON_READ_TIMEOUT", "2s")
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
/// something the spec no longer has; the rest unchanged. Each change lists what it depends on,
/// as the planner writes it: the drawing orders changed resources by the plan's step graph.
const IRB_PLAN: &str = r#"{
  "format_version": 1,
  "mode": "apply",
  "environment": "irb",
  "region": "us-east-1",
  "live_fingerprint": "0",
  "changes": [
    { "address": "security_group.efs", "action": "create",
      "depends_on": ["security_group.compute", "vpc.main"] },
    { "address": "efs_mount_target.data", "action": "create",
      "depends_on": ["efs_file_system.data", "security_group.efs", "subnet.private"] },
    { "address": "subnet.public", "action": "update", "id": "subnet-1",
      "depends_on": ["vpc.main"], "live_depends_on": ["vpc.main"] },
    { "address": "instance.compute", "action": "replace", "id": "i-1",
      "depends_on": ["kms_key.data", "launch_template.compute"],
      "live_depends_on": ["kms_key.data", "launch_template.compute"] },
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
        refused.stderr_says("is for environment `other`"),
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

/// The original, mistaken environments: the review's errors stop `validate`, `plan` and
/// `apply SPEC` before any AWS call, each finding at its file, line and column.
#[test]
fn review_errors_stop_before_any_aws_call() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let cases = [
        (
            "irb-original.yaml",
            &[
                ("net/nat-in-private-subnet", "irb-original.yaml:42:13"),
                (
                    "net/public-ip-in-private-subnet",
                    "irb-original.yaml:105:26",
                ),
            ][..],
        ),
        (
            "research-original.yaml",
            &[(
                "net/private-subnet-internet-route",
                "research-original.yaml:59:59",
            )][..],
        ),
    ];
    for (name, expected) in cases {
        let file = repo_root().join("tests/fixtures").join(name);
        for command in [&["validate"][..], &["plan"], &["apply", "--auto-approve"]] {
            let out = assert_cmd::Command::cargo_bin("recon")
                .unwrap()
                .env("NO_COLOR", "1")
                .env("AWS_ENDPOINT_URL", &endpoint)
                .env("AWS_MAX_ATTEMPTS", "1")
                .args(command)
                .arg(&file)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{command:?} {name}:\n{stderr}");
            assert!(
                says(&stderr, "found errors") && says(&stderr, "nothing was planned"),
                "{command:?} {name}:\n{stderr}"
            );
            for (rule, position) in expected {
                assert!(
                    says(&stderr, rule) && says(&stderr, position),
                    "{command:?} {name}: no {rule} at {position} in\n{stderr}"
                );
            }
        }
    }
    assert!(
        listener.accept().is_err(),
        "a spec with review errors made recon contact AWS"
    );
}

#[test]
fn validate_shows_silenced_findings_with_their_reasons() {
    let ws = Workspace::new("irb.yaml", "offline-silenced");
    let run = ws.recon(&["validate", "spec.yaml"]);
    run.success();
    assert!(
        run.stdout().contains("Silenced review findings:")
            && run.stdout().contains("net/admin-port-open at spec.yaml:")
            && run
                .stdout()
                .contains("reason: The bastion is the only way in; SSH keys only, access logged."),
        "{}",
        run.stdout()
    );
    assert!(
        run.stderr_says("Review of spec.yaml: 1 silenced."),
        "{}",
        run.stderr()
    );
}

#[test]
fn review_warnings_are_shown_with_positions_and_counted() {
    let ws = Workspace::new("network.yaml", "offline-warnings");
    let text = Workspace::spec_text("network.yaml", "offline-warnings").replace(
        "    review:\n      silence:\n        - rule: net/admin-port-open\n          reason: \"The bastion is the only way in; SSH keys only, access logged.\"\n",
        "",
    );
    ws.write_spec("spec.yaml", &text);
    let run = ws.recon(&["validate", "spec.yaml"]);
    run.success();
    assert!(
        run.stderr_says("net/admin-port-open")
            && run.stderr_says("spec.yaml:65:43")
            && run.stderr_says("Review of spec.yaml: 1 warning."),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_silence_naming_no_rule_is_an_error_with_a_suggestion() {
    let ws = Workspace::new("network.yaml", "offline-badsilence");
    let text = Workspace::spec_text("network.yaml", "offline-badsilence")
        .replace("rule: net/admin-port-open", "rule: net/admin-ports-open");
    ws.write_spec("spec.yaml", &text);
    let run = ws.recon(&["validate", "spec.yaml"]);
    run.code_is(1);
    assert!(
        run.stderr_says("review/unknown-rule")
            && run.stderr_says("did you mean `net/admin-port-open`?"),
        "{}",
        run.stderr()
    );
}

fn sarif_schema() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/sarif-schema-2.1.0.json"),
        )
        .unwrap(),
    )
    .unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn sarif(file: &std::path::Path, code: i32) -> serde_json::Value {
    let out = assert_cmd::Command::cargo_bin("recon")
        .unwrap()
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .args(["validate", "--format", "sarif"])
        .arg(file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF on stdout");
    let errors: Vec<String> = sarif_schema()
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not valid SARIF 2.1.0: {errors:#?}");
    log
}

#[test]
fn validate_writes_sarif_that_the_schema_accepts() {
    // Findings, errors among them: the log is written and the run fails.
    let log = sarif(std::path::Path::new("tests/fixtures/irb-original.yaml"), 1);
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["name"], "recon");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(
        |r| r["id"] == "net/admin-port-open" && r["defaultConfiguration"]["level"] == "warning"
    ));
    let results: Vec<(String, String, String, u64, u64)> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let location = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                r["level"].as_str().unwrap().to_owned(),
                location["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                location["region"]["startLine"].as_u64().unwrap(),
                location["region"]["startColumn"].as_u64().unwrap(),
            )
        })
        .collect();
    let uri = "tests/fixtures/irb-original.yaml".to_owned();
    assert_eq!(
        results,
        [
            (
                "net/nat-in-private-subnet".into(),
                "error".into(),
                uri.clone(),
                42,
                13
            ),
            (
                "net/admin-port-open".into(),
                "warning".into(),
                uri.clone(),
                56,
                43
            ),
            (
                "efs/mount-target-nfs-closed".into(),
                "error".into(),
                uri.clone(),
                85,
                22
            ),
            (
                "net/public-ip-in-private-subnet".into(),
                "error".into(),
                uri,
                105,
                26
            ),
        ]
    );

    // The schema does check: a level SARIF does not have is refused.
    let mut bad = log.clone();
    bad["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!sarif_schema().is_valid(&bad));

    // Silenced findings are results with an in-source suppression carrying the reason.
    let log = sarif(std::path::Path::new("specs/research.yaml"), 0);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{results:#?}");
    for r in results {
        assert_eq!(r["suppressions"][0]["kind"], "inSource");
        assert!(
            r["suppressions"][0]["justification"]
                .as_str()
                .unwrap()
                .starts_with("The VPN server is how users reach the lab")
        );
    }
}

/// A saved plan of `specs/platform.yaml --env staging --values values.yaml`, with `db_port`
/// recorded as `db_port` (the rest as the file gives it).
fn platform_plan(spec: &str, values: &str, db_port: u16) -> String {
    serde_json::json!({
        "format_version": 1,
        "mode": "apply",
        "environment": "platform-staging",
        "region": "us-east-1",
        "live_fingerprint": "0",
        "spec": {
            "path": "platform.yaml",
            "sha256": recon_model::sha256_hex(spec.as_bytes()),
            "env": "staging",
            "parameters": {
                "azs": ["us-east-1a", "us-east-1b"],
                "cidr": "10.20.0.0/16",
                "db_clients": ["10.20.0.0/16"],
                "db_port": db_port,
                "nat_per_az": true,
            },
            "values": { "path": "values.yaml", "sha256": recon_model::sha256_hex(values.as_bytes()) },
        },
        "changes": [],
    })
    .to_string()
}

#[test]
fn apply_refuses_a_plan_whose_environment_or_values_changed() {
    let (listener, endpoint) = listener();
    let ws = Workspace::new("network.yaml", "offline-values");
    let spec = std::fs::read_to_string(repo_root().join("specs/platform.yaml")).unwrap();
    let values = "db_port: 6000\n";
    ws.write_spec("platform.yaml", &spec);
    ws.write_spec("values.yaml", values);
    let stale = |run: &support::Run, what: &str| {
        run.code_is(1);
        assert!(
            run.stderr_says("The saved plan is stale"),
            "{}",
            run.stderr()
        );
        assert!(run.stderr_says(what), "{what}:\n{}", run.stderr());
        assert!(
            run.stderr_says("recon plan platform.yaml --env staging --values values.yaml"),
            "{}",
            run.stderr()
        );
    };

    // Another parameter value than the files give today.
    ws.write_spec("plan.json", &platform_plan(&spec, values, 5999));
    let run = offline(ws.path(), &endpoint, &["apply", "--plan", "plan.json"]);
    stale(
        &run,
        "parameter values changed after the plan was made: `db_port` 5999 -> 6000",
    );

    // The values file edited after planning.
    ws.write_spec("plan.json", &platform_plan(&spec, values, 6000));
    ws.write_spec("values.yaml", "db_port: 6001\n");
    let run = offline(ws.path(), &endpoint, &["apply", "--plan", "plan.json"]);
    stale(
        &run,
        "the values file `values.yaml` changed after the plan was made",
    );
    ws.write_spec("values.yaml", values);

    // Another environment than the plan's.
    let run = offline(
        ws.path(),
        &endpoint,
        &["apply", "--plan", "plan.json", "--env", "prod"],
    );
    stale(&run, "it was made for `--env staging`, not `--env prod`");
    assert!(
        listener.accept().is_err(),
        "a stale plan made recon contact AWS"
    );

    // The same values: past the check, on to AWS (here, the listener).
    let run = offline(ws.path(), &endpoint, &["apply", "--plan", "plan.json"]);
    run.code_is(1);
    assert!(!run.stderr_says("stale"), "{}", run.stderr());
}

#[test]
fn a_file_of_environments_validates_each_and_graphs_its_instances() {
    let (listener, endpoint) = listener();
    let ws = Workspace::new("network.yaml", "offline-platform");
    let spec = std::fs::read_to_string(repo_root().join("specs/platform.yaml")).unwrap();
    ws.write_spec("platform.yaml", &spec);
    for (env, count) in [("prod", 20), ("staging", 15), ("dev", 10)] {
        let run = offline(
            ws.path(),
            &endpoint,
            &["validate", "platform.yaml", "--env", env],
        );
        run.success();
        assert!(
            run.stdout().contains(&format!("{count} resources"))
                && run.stdout().contains(&format!("`platform-{env}`")),
            "{}",
            run.stdout()
        );
    }
    let run = offline(ws.path(), &endpoint, &["validate", "platform.yaml"]);
    run.code_is(1);
    assert!(
        run.stderr_says("choose one with `--env`"),
        "{}",
        run.stderr()
    );
    let run = offline(
        ws.path(),
        &endpoint,
        &[
            "validate",
            "platform.yaml",
            "--env",
            "dev",
            "--set",
            "nat_per_a=false",
        ],
    );
    run.code_is(1);
    assert!(run.stderr_says("--set:1:1"), "{}", run.stderr());
    assert!(
        run.stderr_says("did you mean `nat_per_az`?"),
        "{}",
        run.stderr()
    );

    let run = offline(
        ws.path(),
        &endpoint,
        &["graph", "platform.yaml", "--env", "staging"],
    );
    run.success();
    let out = run.stdout();
    assert!(
        out.contains("subnet_public_us_east_1a_[\"subnet.public[us-east-1a]<br/>subnet\"]"),
        "{out}"
    );
    assert!(
        out.contains("subnet_public_us_east_1b_ --> route_table_public"),
        "{out}"
    );
    assert!(listener.accept().is_err(), "recon contacted AWS");
}

#[test]
fn a_public_key_file_must_be_a_small_openssh_key_inside_the_spec_folder() {
    let (listener, endpoint) = listener();
    let ws = Workspace::new("network.yaml", "offline-keys");
    let spec = "environment: offline-keys\nregion: us-east-1\nresources:\n  key_pair.admin:\n    public_key_file: key.pub\n";
    ws.write_spec("spec.yaml", spec);
    let refused = |why: &str| {
        let run = offline(ws.path(), &endpoint, &["validate", "spec.yaml"]);
        run.code_is(1);
        assert!(run.stderr_says(why), "{why}:\n{}", run.stderr());
        // At the field, in the spec.
        assert!(run.stderr_says("spec.yaml:5:22"), "{}", run.stderr());
    };
    let key = ws.path().join("key.pub");

    std::fs::write(&key, "hello world\n").unwrap();
    refused("is not an OpenSSH public key");

    std::fs::write(&key, vec![b'a'; 20 * 1024]).unwrap();
    refused("a public key file is at most 16 KiB");

    std::fs::remove_file(&key).unwrap();
    std::fs::create_dir(&key).unwrap();
    refused("is not a regular file");
    std::fs::remove_dir(&key).unwrap();

    for outside in ["/etc/passwd", "/dev/zero"] {
        std::os::unix::fs::symlink(outside, &key).unwrap();
        refused("leads outside the spec's folder");
        std::fs::remove_file(&key).unwrap();
    }

    // A real key is read, and validate passes.
    std::fs::write(
        &key,
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA4l81xWo9YEaXlWk8pdC+I2kS3h6DQ5cvFcxvu22QNW me@laptop\n",
    )
    .unwrap();
    offline(ws.path(), &endpoint, &["validate", "spec.yaml"]).success();
    assert!(listener.accept().is_err(), "validate contacted AWS");
}
