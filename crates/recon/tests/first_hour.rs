//! Small defects a new user met in the first hour, each asserted offline (no AWS call succeeds:
//! the endpoint, where one is needed, is a closed port on 127.0.0.1).

mod support;

use std::process::Stdio;

use support::{Run, repo_root, says};

fn recon() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("recon").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

fn temp_spec(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spec.yaml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

const HEAD: &str = "environment: t\nregion: us-east-1\nresources:\n";

#[test]
fn closed_stdout_and_stderr_end_the_run_without_a_panic() {
    let (_dir, path) = temp_spec(&format!("{HEAD}  vpc.main: {{ cidr_blok: 10.0.0.0/16 }}\n"));
    // Pipes whose reading ends are closed before recon starts: every write fails with EPIPE.
    let (out_reader, out_writer) = std::io::pipe().unwrap();
    let (err_reader, err_writer) = std::io::pipe().unwrap();
    drop(out_reader);
    drop(err_reader);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_recon"))
        .arg("validate")
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out_writer))
        .stderr(Stdio::from(err_writer))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1), "a spec error, not a panic (101)");
}

#[test]
fn a_diagnostic_past_column_65535_is_shown_without_a_panic() {
    let long = "x".repeat(70_000);
    let (_dir, path) = temp_spec(&format!(
        "{HEAD}  vpc.main: {{ cidr_block: 10.0.0.0/16, tags: {{ Name: {long} }}, bogus: 1 }}\n"
    ));
    let run = Run(recon().arg("validate").arg(&path).output().unwrap());
    run.code_is(1);
    let err = run.stderr();
    assert!(
        err.contains(":4:700"),
        "positioned at line 4, column 700xx:\n{}",
        &err[..err.len().min(2000)]
    );
    assert!(
        says(&err, "unknown field `bogus`"),
        "{}",
        &err[..err.len().min(2000)]
    );
    assert!(
        err.len() < 5_000,
        "a window of the line, not all of it: {} bytes",
        err.len()
    );
}

#[test]
fn escape_bytes_from_a_spec_never_reach_the_terminal() {
    let (_dir, path) = temp_spec(&format!(
        "{HEAD}  vpc.main: {{ cidr_block: 10.0.0.0/16, \"\\e[31mred\\e]0;title\\a\": 1 }}\n"
    ));
    let run = Run(recon().arg("validate").arg(&path).output().unwrap());
    run.code_is(1);
    let err = run.stderr();
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(
        err.contains("\\u{1b}[31mred"),
        "escaped in the message: {err}"
    );

    // Raw bytes in the file reach the report through the quoted source line.
    let (_dir, path) = temp_spec(&format!(
        "{HEAD}  vpc.main: {{ cidr_block: 10.0.0.0/16, bogus: \"\u{1b}]0;title\u{7}\u{1b}[2J\" }}\n"
    ));
    let run = Run(recon().arg("validate").arg(&path).output().unwrap());
    run.code_is(1);
    let err = run.stderr();
    assert!(says(&err, "bogus"), "{err}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
}

#[test]
fn help_speaks_to_users() {
    let out = recon().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Declarative AWS environments"), "{text}");
    assert!(!text.contains("crate"), "{text}");
}

#[test]
fn counts_are_singular_for_one() {
    let (_dir, path) = temp_spec(
        "environment: t\nregion: us-east-1\nlookups:\n  vpc.default: { default: true }\nresources:\n  subnet.a: { vpc: vpc.default, cidr_block: 172.31.200.0/24 }\n",
    );
    let run = Run(recon().arg("validate").arg(&path).output().unwrap());
    run.success();
    assert!(
        run.stdout()
            .contains("1 resource and 1 lookup (found at plan time)"),
        "{}",
        run.stdout()
    );
}

#[test]
fn verbose_logs_carry_no_colour_codes_when_piped() {
    let (_dir, path) = temp_spec(&format!(
        "{HEAD}  vpc.main: {{ cidr_block: 10.0.0.0/16 }}\n"
    ));
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let output = assert_cmd::Command::cargo_bin("recon")
        .unwrap()
        .env_remove("NO_COLOR")
        .env("AWS_ENDPOINT_URL", &closed)
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["-v", "plan"])
        .arg(&path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("DEBUG"), "-v logs: {err}");
    assert!(!err.contains('\u{1b}'), "{err:?}");
}

fn sarif_schema() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            repo_root().join("crates/recon/tests/data/sarif-schema-2.1.0.json"),
        )
        .unwrap(),
    )
    .unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

#[test]
fn sarif_of_a_spec_with_parse_errors_has_a_result_per_error() {
    let out = recon()
        .current_dir(repo_root())
        .args([
            "validate",
            "--format",
            "sarif",
            "tests/bad-specs/10-unknown-field.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF on stdout");
    let errors: Vec<String> = sarif_schema()
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not valid SARIF 2.1.0: {errors:#?}");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        assert_eq!(r["ruleId"], "recon::spec::unknown_field");
        assert_eq!(r["level"], "error");
        let location = &r["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"]["uri"],
            "tests/bad-specs/10-unknown-field.yaml"
        );
        assert!(location["region"]["startLine"].as_u64().unwrap() > 1);
    }
}
