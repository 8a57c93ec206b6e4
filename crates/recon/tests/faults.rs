//! Faults of the environment, each against a local listener on 127.0.0.1 (no network beyond
//! loopback): one message naming the cause, the AWS action and what to do; exit code 1; and the
//! run ends within 10 s of the fault being known. The SDK's detail never shows without `-v`.

mod support;

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use support::http::next_request;
use support::{Run, Workspace, says};

/// The loose bound the issue sets: a fault ends the run within 10 s of being known.
const BOUND: Duration = Duration::from_secs(10);

/// Runs recon in `ws` with static test credentials and `endpoint`, nothing else from the
/// caller's AWS setup (no profile, no instance metadata), and times it.
fn run_against(
    ws: &Workspace,
    endpoint: &str,
    env: &[(&str, &str)],
    args: &[&str],
) -> (Run, Duration) {
    let mut cmd = assert_cmd::Command::cargo_bin("recon").unwrap();
    cmd.current_dir(ws.path());
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("RECON_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("NO_COLOR", "1")
        .env("HOME", ws.path())
        .env("AWS_CONFIG_FILE", ws.path().join("no-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            ws.path().join("no-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_ENDPOINT_URL", endpoint);
    for (k, v) in env {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    let started = Instant::now();
    let output = cmd.args(args).output().unwrap();
    (Run(output), started.elapsed())
}

/// One error report, no SDK dump, no log lines.
#[track_caller]
fn one_clean_message(run: &Run) {
    let err = run.stderr();
    assert_eq!(
        err.matches("×").count(),
        1,
        "one error, not one per kind:\n{err}"
    );
    for dump in [
        "DispatchFailure",
        "ConnectorError",
        "SdkError",
        "WARN",
        "source:",
    ] {
        assert!(!err.contains(dump), "`{dump}` in:\n{err}");
    }
}

/// A port nothing listens on.
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    endpoint
}

/// A listener that accepts every connection and never answers.
fn silent() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    endpoint
}

/// A tiny HTTP responder answering every AWS call with the error `code`, in each protocol's
/// shape: EC2's XML, the Query APIs' XML (Auto Scaling, ELB), JSON for KMS and EFS.
fn answering(code: &'static str, status: u16) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || respond(stream, code, status));
        }
    });
    endpoint
}

fn respond(stream: TcpStream, code: &str, status: u16) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    while let Some((request_line, body)) = next_request(&mut reader) {
        // S3 speaks REST-XML: a request without a Query or JSON body that is not EFS's
        // (`/2015-02-01/...`, REST-JSON).
        let s3 = !body.starts_with("Action=")
            && !body.starts_with('{')
            && !request_line.contains(" /2015-02-01/");
        let (content_type, reply) = if s3 {
            (
                "application/xml",
                format!(
                    "<Error><Code>{code}</Code><Message>refused by the test</Message><RequestId>r</RequestId></Error>"
                ),
            )
        } else if body.contains("Version=2016-11-15") {
            (
                "text/xml",
                format!(
                    "<Response><Errors><Error><Code>{code}</Code><Message>refused by the test</Message></Error></Errors><RequestID>r</RequestID></Response>"
                ),
            )
        } else if body.starts_with("Action=") {
            (
                "text/xml",
                format!(
                    "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>refused by the test</Message></Error><RequestId>r</RequestId></ErrorResponse>"
                ),
            )
        } else {
            (
                "application/x-amz-json-1.1",
                format!(r#"{{"__type":"{code}","message":"refused by the test"}}"#),
            )
        };
        let response = format!(
            "HTTP/1.1 {status} Error\r\nContent-Type: {content_type}\r\nx-amzn-ErrorType: {code}\r\nContent-Length: {}\r\n\r\n{reply}",
            reply.len()
        );
        let mut stream = &stream;
        if stream.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn network() -> Workspace {
    Workspace::new("network.yaml", "faults")
}

#[test]
fn a_refused_connection_is_one_message_naming_the_endpoint_within_seconds() {
    let ws = network();
    let endpoint = closed_port();
    let (run, took) = run_against(&ws, &endpoint, &[], &["plan", "spec.yaml"]);
    run.code_is(1);
    one_clean_message(&run);
    assert!(
        run.stderr_says("The AWS endpoint refused the connection, while listing the"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr_says("(ec2:Describe")
            || run.stderr_says("(kms:")
            || run.stderr_says("(elasticfilesystem:")
            || run.stderr_says("(autoscaling:")
            || run.stderr_says("(elasticloadbalancing:"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr_says(&format!("`AWS_ENDPOINT_URL` is `{endpoint}`")),
        "{}",
        run.stderr()
    );
    assert!(took < BOUND, "took {took:?}");
}

#[test]
fn a_refused_connection_during_lookups_does_not_blame_the_spec() {
    let ws = Workspace::new("web.yaml", "faults");
    let (run, took) = run_against(&ws, &closed_port(), &[], &["plan", "spec.yaml"]);
    run.code_is(1);
    one_clean_message(&run);
    assert!(
        run.stderr_says("refused the connection, while looking up"),
        "{}",
        run.stderr()
    );
    assert!(!run.stderr_says("fix the lookups"), "{}", run.stderr());
    assert!(took < BOUND, "took {took:?}");
}

#[test]
fn an_endpoint_that_never_answers_ends_after_the_read_timeout() {
    let ws = network();
    let (run, took) = run_against(
        &ws,
        &silent(),
        &[("RECON_READ_TIMEOUT", "1s")],
        &["plan", "spec.yaml"],
    );
    run.code_is(1);
    one_clean_message(&run);
    assert!(
        run.stderr_says("The AWS endpoint did not answer in time"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr_says("`RECON_READ_TIMEOUT`"), "{}", run.stderr());
    assert!(took < Duration::from_secs(1) + BOUND, "took {took:?}");
}

#[test]
fn no_credentials_is_one_message_saying_how_to_sign_in() {
    let ws = network();
    let (run, took) = run_against(
        &ws,
        &closed_port(),
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
        &["plan", "spec.yaml"],
    );
    run.code_is(1);
    one_clean_message(&run);
    assert!(
        run.stderr_says("No AWS credentials were found"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr_says("`aws sso login`"), "{}", run.stderr());
    assert!(run.stderr().lines().count() < 10, "{}", run.stderr());
    assert!(took < BOUND, "took {took:?}");
}

#[test]
fn expired_and_invalid_credentials_stop_at_the_first_call() {
    let ws = network();
    for (code, says_what, advice) in [
        (
            "RequestExpired",
            "The AWS credentials have expired",
            "`aws sso login`",
        ),
        (
            "ExpiredTokenException",
            "The AWS credentials have expired",
            "`aws sso login`",
        ),
        (
            "AuthFailure",
            "AWS does not recognise the credentials",
            "`AWS_SECRET_ACCESS_KEY`",
        ),
    ] {
        let (run, took) = run_against(&ws, &answering(code, 400), &[], &["plan", "spec.yaml"]);
        run.code_is(1);
        one_clean_message(&run);
        assert!(run.stderr_says(says_what), "{code}: {}", run.stderr());
        assert!(run.stderr_says(advice), "{code}: {}", run.stderr());
        assert!(took < BOUND, "{code} took {took:?}");
    }
}

#[test]
fn access_denied_names_the_iam_action_to_grant() {
    let ws = network();
    let (run, took) = run_against(
        &ws,
        &answering("UnauthorizedOperation", 403),
        &[],
        &["plan", "spec.yaml"],
    );
    run.code_is(1);
    assert!(
        run.stderr_says("grant `ec2:DescribeVpcs`"),
        "{}",
        run.stderr()
    );
    assert!(
        !run.stderr().contains("DispatchFailure"),
        "{}",
        run.stderr()
    );
    assert!(took < BOUND, "took {took:?}");
}

#[test]
fn a_tls_failure_is_named_as_such() {
    let ws = network();
    // A plain-HTTP listener where recon expects TLS.
    let endpoint = answering("AuthFailure", 400).replace("http://", "https://");
    let (run, took) = run_against(&ws, &endpoint, &[], &["plan", "spec.yaml"]);
    run.code_is(1);
    one_clean_message(&run);
    assert!(
        run.stderr_says("The TLS handshake with the AWS endpoint failed"),
        "{}",
        run.stderr()
    );
    assert!(took < BOUND, "took {took:?}");
}

#[test]
fn an_unknown_region_is_refused_offline() {
    let ws = network();
    let text = std::fs::read_to_string(ws.path().join("spec.yaml"))
        .unwrap()
        .replace("region: us-east-1", "region: us-east-9");
    ws.write_spec("spec.yaml", &text);
    // A closed port: any AWS call would be refused, and say so; none is made.
    let (run, _) = run_against(&ws, &closed_port(), &[], &["validate", "spec.yaml"]);
    run.code_is(1);
    assert!(
        run.stderr_says("`us-east-9` is not an AWS region"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr_says("did you mean `us-east-1`?"),
        "{}",
        run.stderr()
    );

    let (run, _) = run_against(
        &ws,
        &closed_port(),
        &[],
        &["destroy", "--env", "faults", "--region", "us-east-9"],
    );
    run.code_is(2);
    assert!(
        says(&run.stderr(), "`us-east-9` is not an AWS region"),
        "{}",
        run.stderr()
    );
    assert!(!run.stderr_says("refused"), "{}", run.stderr());
}

#[test]
fn destroy_report_and_unlock_with_the_endpoint_down_are_one_message() {
    let ws = network();
    let endpoint = closed_port();
    for (args, doing) in [
        (
            &[
                "destroy",
                "--env",
                "faults",
                "--region",
                "us-east-1",
                "--auto-approve",
            ][..],
            "while asking AWS who runs recon (sts:GetCallerIdentity)",
        ),
        (
            &["report", "--env", "faults", "--region", "us-east-1"][..],
            "while asking AWS who runs recon (sts:GetCallerIdentity)",
        ),
        (
            &[
                "unlock",
                "--env",
                "faults",
                "--region",
                "us-east-1",
                "--auto-approve",
            ][..],
            "while reading the lock of environment `faults`",
        ),
    ] {
        let (run, took) = run_against(&ws, &endpoint, &[], args);
        run.code_is(1);
        one_clean_message(&run);
        assert!(
            run.stderr_says("refused the connection"),
            "{}",
            run.stderr()
        );
        assert!(run.stderr_says(doing), "{args:?}: {}", run.stderr());
        assert!(took < BOUND, "{args:?} took {took:?}");
    }
}

#[test]
fn access_denied_on_a_lookup_names_the_action_and_does_not_blame_the_spec() {
    let ws = Workspace::new("web.yaml", "faults");
    let (run, took) = run_against(
        &ws,
        &answering("UnauthorizedOperation", 403),
        &[],
        &["plan", "spec.yaml"],
    );
    run.code_is(1);
    one_clean_message(&run);
    assert!(run.stderr_says("while looking up"), "{}", run.stderr());
    assert!(run.stderr_says("grant `ec2:Describe"), "{}", run.stderr());
    assert!(!run.stderr_says("fix the lookups"), "{}", run.stderr());
    assert!(took < BOUND, "took {took:?}");
}

/// A web server that is not AWS: every request gets an HTML page with status 200.
fn not_aws() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                while next_request(&mut reader).is_some() {
                    let page = "<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>";
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{page}",
                        page.len()
                    );
                    let mut stream = &stream;
                    if stream.write_all(response.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    endpoint
}

#[test]
fn an_endpoint_that_is_not_aws_is_named_as_such() {
    let ws = network();
    let (run, took) = run_against(&ws, &not_aws(), &[], &["plan", "spec.yaml"]);
    run.code_is(1);
    one_clean_message(&run);
    assert!(run.stderr_says("AWS_ENDPOINT_URL"), "{}", run.stderr());
    assert!(!run.stderr_says("error parsing"), "{}", run.stderr());
    assert!(took < BOUND, "took {took:?}");
}
