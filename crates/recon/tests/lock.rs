//! One apply of an environment at a time: two applies started together on moto, a killed
//! apply's lock taken over by the next run on its host, and a lock of another host broken by
//! `recon unlock`. Checked with the SDK directly.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Run, Workspace, ec2, moto_endpoint, unique_env};

fn recon(ws: &Workspace, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_recon"));
    c.current_dir(ws.path())
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Whether the environment's lock (its key pair) exists, by the SDK.
async fn locked(env: &str) -> bool {
    // With the public key, as recon asks: moto shares this setting between concurrent requests.
    let out = ec2()
        .await
        .describe_key_pairs()
        .include_public_key(true)
        .send()
        .await
        .unwrap();
    out.key_pairs()
        .iter()
        .any(|k| k.key_name() == Some(format!("recon-lock-{env}").as_str()))
}

async fn vpc_count(env: &str) -> usize {
    ec2()
        .await
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:recon:env")
                .values(env)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .vpcs()
        .len()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_applies_at_once_one_mutates_the_other_names_the_holder() {
    moto_endpoint();
    let env = unique_env("lock");
    let ws = Workspace::new("irb.yaml", &env);
    let text = Workspace::spec_text("irb.yaml", &env)
        .replace("alias: irb-data", &format!("alias: {env}-data"));
    ws.write_spec("spec.yaml", &text);

    let a = recon(&ws, &["apply", "spec.yaml", "--auto-approve"])
        .spawn()
        .unwrap();
    let b = recon(&ws, &["apply", "spec.yaml", "--auto-approve"])
        .spawn()
        .unwrap();
    let runs = [
        Run(a.wait_with_output().unwrap()),
        Run(b.wait_with_output().unwrap()),
    ];
    let codes: Vec<i32> = runs.iter().map(Run::code).collect();
    let (won, lost) = match codes.as_slice() {
        [0, 1] => (&runs[0], &runs[1]),
        [1, 0] => (&runs[1], &runs[0]),
        _ => panic!(
            "expected one success and one failure, got {codes:?}\n--- a\n{}\n{}\n--- b\n{}\n{}",
            runs[0].stdout(),
            runs[0].stderr(),
            runs[1].stdout(),
            runs[1].stderr()
        ),
    };
    assert!(won.stdout().contains("Apply complete! Resources: 19 added"));
    assert!(
        lost.stderr_says(&format!("Environment `{env}` is locked by")),
        "{}",
        lost.stderr()
    );
    assert!(lost.stderr_says("(apply, since"), "{}", lost.stderr());
    assert!(
        !lost.stdout().contains("Apply complete"),
        "the other changed nothing"
    );
    // No duplicate: one VPC, and discovery accepts the environment.
    assert_eq!(vpc_count(&env).await, 1);
    assert!(!locked(&env).await, "released on success");
    ws.recon(&["plan", "spec.yaml", "--detailed-exitcode"])
        .code_is(0);
    ws.recon(&["destroy", "spec.yaml", "--auto-approve"])
        .success();
    assert!(!locked(&env).await, "released after destroy");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_applys_lock_is_taken_over_by_the_next_run_on_its_host() {
    moto_endpoint();
    let env = unique_env("kill");
    let ws = Workspace::new("irb.yaml", &env);
    let text = Workspace::spec_text("irb.yaml", &env)
        .replace("alias: irb-data", &format!("alias: {env}-data"));
    ws.write_spec("spec.yaml", &text);

    let mut child = recon(&ws, &["apply", "spec.yaml", "--auto-approve"])
        .spawn()
        .unwrap();
    // Kill -9 as soon as it holds the lock.
    let started = Instant::now();
    while !locked(&env).await {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the apply ended before it could be killed holding the lock"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "never locked");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    let _ = child.wait();
    assert!(locked(&env).await, "a killed run cannot release its lock");

    // Its process is gone from this host: the next run says so, takes the lock over and
    // finishes the environment, which then plans clean and destroys.
    let run = ws.recon(&["apply", "spec.yaml", "--auto-approve"]);
    run.success();
    assert!(
        run.stderr_says("a run on this host that has ended; taking the lock over"),
        "{}",
        run.stderr()
    );
    assert!(!locked(&env).await, "released after the apply");
    assert_eq!(vpc_count(&env).await, 1, "one VPC, not two");
    let plan = ws.recon(&["plan", "spec.yaml", "--detailed-exitcode"]);
    plan.code_is(0);
    ws.recon(&["destroy", "spec.yaml", "--auto-approve"])
        .success();
    assert!(!locked(&env).await);
}

/// A lock as a run on `host` with process id `pid` leaves it.
async fn lock_as(env: &str, host: &str, pid: u32) {
    let tag = |k: &str, v: &str| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build();
    ec2()
        .await
        .create_key_pair()
        .key_name(format!("recon-lock-{env}"))
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::KeyPair)
                .tags(tag("recon:lock", env))
                .tags(tag("recon:lock:who", "ana"))
                .tags(tag("recon:lock:host", host))
                .tags(tag("recon:lock:since", "2026-11-30T09:00:00Z"))
                .tags(tag("recon:lock:operation", "apply"))
                .tags(tag("recon:lock:run", &format!("{pid}-1")))
                .build(),
        )
        .send()
        .await
        .unwrap();
}

fn this_host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .expect("a host name")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_of_another_host_or_a_live_run_is_never_taken_over_and_unlock_breaks_it() {
    moto_endpoint();
    let env = unique_env("host");
    let ws = Workspace::new("network.yaml", &env);
    ws.write_spec(
        "spec.yaml",
        &format!("environment: {env}\nregion: us-east-1\nresources:\n  vpc.main: {{ cidr_block: 10.0.0.0/16 }}\n"),
    );
    // Another host: recon cannot know whether that run is alive.
    lock_as(&env, "elsewhere.example", 999_999_999).await;
    let run = ws.recon(&["apply", "spec.yaml", "--auto-approve"]);
    run.code_is(1);
    assert!(
        run.stderr_says("is locked by ana on elsewhere.example (apply, since"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr_says(&format!("recon unlock --env {env} --region us-east-1")),
        "{}",
        run.stderr()
    );
    assert_eq!(vpc_count(&env).await, 0, "nothing changed");

    // `recon unlock` without a terminal or --auto-approve refuses; with it, shows and breaks.
    ws.recon(&["unlock", "--env", &env, "--region", "us-east-1"])
        .code_is(1);
    assert!(locked(&env).await);
    let run = ws.recon(&[
        "unlock",
        "--env",
        &env,
        "--region",
        "us-east-1",
        "--auto-approve",
    ]);
    run.success();
    assert!(
        run.stdout().contains("is locked by ana"),
        "{}",
        run.stdout()
    );
    assert!(!locked(&env).await);

    // This host, and a process that is alive (this test's own): never taken over.
    lock_as(&env, &this_host(), std::process::id()).await;
    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .code_is(1);
    assert_eq!(vpc_count(&env).await, 0, "nothing changed");
    ws.recon(&[
        "unlock",
        "--env",
        &env,
        "--region",
        "us-east-1",
        "--auto-approve",
    ])
    .success();

    // This host, and a process that has ended: taken over at once.
    lock_as(&env, &this_host(), 999_999_999).await;
    let run = ws.recon(&["apply", "spec.yaml", "--auto-approve"]);
    run.success();
    assert!(run.stderr_says("taking the lock over"), "{}", run.stderr());
    assert_eq!(vpc_count(&env).await, 1);
    assert!(!locked(&env).await);
    ws.recon(&["destroy", "spec.yaml", "--auto-approve"])
        .success();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_never_takes_the_lock_and_lock_wait_waits() {
    moto_endpoint();
    let env = unique_env("wait");
    let ws = Workspace::new("network.yaml", &env);
    ws.write_spec(
        "spec.yaml",
        &format!("environment: {env}\nregion: us-east-1\nresources:\n  vpc.main: {{ cidr_block: 10.0.0.0/16 }}\n"),
    );
    // Someone else holds it (as a killed run would leave it).
    ec2()
        .await
        .create_key_pair()
        .key_name(format!("recon-lock-{env}"))
        .send()
        .await
        .unwrap();
    ws.recon(&["plan", "spec.yaml"]).success();
    let started = Instant::now();
    let run = ws.recon(&["apply", "--lock-wait", "2s"]);
    run.code_is(1);
    assert!(started.elapsed() >= Duration::from_secs(2), "it waited");
    assert!(run.stderr_says("is locked by"), "{}", run.stderr());
    assert_eq!(vpc_count(&env).await, 0, "nothing changed");
    ws.recon(&[
        "unlock",
        "--env",
        &env,
        "--region",
        "us-east-1",
        "--auto-approve",
    ])
    .success();
    ws.recon(&["apply"]).success();
    assert_eq!(vpc_count(&env).await, 1);
    ws.recon(&["destroy", "spec.yaml", "--auto-approve"])
        .success();
}
