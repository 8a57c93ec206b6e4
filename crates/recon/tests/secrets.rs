//! Secrets never reach recon's output: not the credentials it signs with (the secret key, the
//! session token), not the private key AWS returns once for a created key pair. Checked over a
//! whole life on moto at the most verbose logging (`-vv`, the SDK's debug logs included), in
//! stdout, stderr, the saved plan, `show`, `report` and the teardown record.

mod support;

use support::{Run, Workspace, moto_endpoint, unique_env};

const SECRET_KEY: &str = "reconTestSecretKeyDoNotPrint0123456789abcd";
const SESSION_TOKEN: &str = "reconTestSessionTokenDoNotPrint9876543210";

#[test]
fn no_secret_key_session_token_or_private_key_reaches_any_output() {
    moto_endpoint();
    let env = unique_env("secrets");
    let ws = Workspace::new("network.yaml", &env);
    ws.write_spec(
        "spec.yaml",
        &format!(
            "environment: {env}\nregion: us-east-1\nresources:\n  \
             vpc.main: {{ cidr_block: 10.0.0.0/16 }}\n  \
             key_pair.admin:\n    private_key_file: .recon/keys/admin.pem\n"
        ),
    );
    let creds = [
        ("AWS_ACCESS_KEY_ID", "AKIARECONTESTKEY0001"),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN),
    ];
    let mut runs: Vec<(String, Run)> = Vec::new();
    let mut run = |args: &[&str]| {
        let r = ws.recon_with(args, &creds);
        runs.push((args.join(" "), r));
    };
    run(&["-vv", "plan", "spec.yaml", "-o", "plan.json"]);
    run(&["-vv", "apply", "--plan", "plan.json"]);
    run(&["-vv", "plan", "spec.yaml", "--format", "json"]);
    run(&["-vv", "show", "spec.yaml"]);
    run(&["-vv", "report", "spec.yaml"]);
    run(&[
        "-vv",
        "destroy",
        "spec.yaml",
        "--auto-approve",
        "--record",
        "record.json",
    ]);
    for (args, r) in &runs {
        assert_eq!(r.code(), 0, "recon {args}\n{}\n{}", r.stdout(), r.stderr());
    }

    // The private key was written, once, to its file: its body is what must appear nowhere else.
    let pem = std::fs::read_to_string(ws.path().join(".recon/keys/admin.pem")).unwrap();
    assert!(pem.contains("PRIVATE KEY"), "{pem}");
    let body: Vec<&str> = pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .collect();
    assert!(!body.is_empty());

    let mut outputs: Vec<(String, String)> = Vec::new();
    for (args, r) in &runs {
        outputs.push((format!("stdout of recon {args}"), r.stdout()));
        outputs.push((format!("stderr of recon {args}"), r.stderr()));
    }
    for file in ["plan.json", "record.json"] {
        let text = std::fs::read_to_string(ws.path().join(file)).unwrap();
        outputs.push((file.to_owned(), text));
    }
    assert!(
        outputs
            .iter()
            .any(|(what, text)| what.starts_with("stderr") && text.contains("DEBUG")),
        "-vv logs at debug level, so this test reads the most verbose output"
    );
    for (what, text) in &outputs {
        for secret in [SECRET_KEY, SESSION_TOKEN, "PRIVATE KEY"]
            .into_iter()
            .chain(body.iter().copied())
        {
            assert!(
                !text.contains(secret),
                "{what} contains a secret ({}…)",
                &secret[..8]
            );
        }
    }
}
