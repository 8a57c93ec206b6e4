//! Shared helpers for the binary's tests: running `recon`, unique environments, the moto server.

#![allow(dead_code)]

pub mod backup;
pub mod http;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The moto endpoint from `scripts/test.sh`. Integration tests never skip: without it they fail
/// and say how to run them.
pub fn moto_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").expect(
        "AWS_ENDPOINT_URL is not set: run the suite with `scripts/test.sh`, which starts a local moto server",
    )
}

/// An environment name no other test (or earlier run against the same server) uses.
pub fn unique_env(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}-{:x}{:x}",
        std::process::id() % 0xffff,
        (nanos ^ N.fetch_add(1, Ordering::SeqCst)) % 0xfffff
    )
}

/// A working directory holding a copy of `specs/<name>` with its environment renamed.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    pub env: String,
}

impl Workspace {
    pub fn new(spec: &str, env: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace {
            dir,
            env: env.to_owned(),
        };
        ws.write_spec("spec.yaml", &Self::spec_text(spec, env));
        ws
    }

    pub fn spec_text(spec: &str, env: &str) -> String {
        let text = std::fs::read_to_string(repo_root().join("specs").join(spec)).unwrap();
        let mut out = String::new();
        for line in text.lines() {
            if line.starts_with("environment:") {
                out.push_str(&format!("environment: {env}\n"));
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    pub fn write_spec(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).unwrap();
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `recon` in the workspace with no terminal on stdin.
    pub fn recon(&self, args: &[&str]) -> Run {
        self.recon_with(args, &[])
    }

    /// [`Self::recon`] with more environment variables (e.g. another service's endpoint).
    pub fn recon_with(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let output = assert_cmd::Command::cargo_bin("recon")
            .unwrap()
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .envs(vars.iter().copied())
            .args(args)
            .output()
            .unwrap();
        Run(output)
    }
}

pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    /// Whether stderr says `phrase`, however miette wrapped it.
    pub fn stderr_says(&self, phrase: &str) -> bool {
        says(&self.stderr(), phrase)
    }
    #[track_caller]
    pub fn success(&self) -> &Self {
        assert_eq!(
            self.code(),
            0,
            "expected success\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
    #[track_caller]
    pub fn code_is(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// Whether `text` contains `phrase` once miette's line wrapping is undone. Reports wrap at
/// 80 columns, so where a phrase breaks depends on the lengths of the paths before it (the
/// checkout's, the temporary directory's): compare runs of words, not lines.
pub fn says(text: &str, phrase: &str) -> bool {
    words(text).contains(&words(phrase))
}

fn words(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '│')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Replaces AWS ids and timings so plan and progress text can be snapshotted.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for token in split_keep(text) {
        out.push_str(&redact_token(token));
    }
    out
}

fn split_keep(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if !(c.is_ascii_alphanumeric() || c == '-') {
            if start < i {
                parts.push(&text[start..i]);
            }
            parts.push(&text[i..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    if start < text.len() {
        parts.push(&text[start..]);
    }
    parts
}

fn redact_token(token: &str) -> String {
    const PREFIXES: &[&str] = &[
        "vpc", "subnet", "igw", "rtb", "eipalloc", "nat", "sg", "eni",
    ];
    match token.split_once('-') {
        Some((prefix, rest))
            if PREFIXES.contains(&prefix)
                && rest.len() >= 8
                && rest.chars().all(|c| c.is_ascii_hexdigit()) =>
        {
            format!("{prefix}-[id]")
        }
        _ => token.to_owned(),
    }
}

/// An EC2 client on the moto server, for out-of-band changes and independent checks.
pub async fn ec2() -> aws_sdk_ec2::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    aws_sdk_ec2::Client::new(&config)
}

/// Ids of every resource (of the kinds recon manages) tagged `recon:env` = `env`, checked with the
/// SDK directly rather than through recon.
pub async fn owned_ids(env: &str) -> Vec<String> {
    use aws_sdk_ec2::types::Filter;
    let c = ec2().await;
    let f = || Filter::builder().name("tag:recon:env").values(env).build();
    let mut ids = Vec::new();
    for v in c.describe_vpcs().filters(f()).send().await.unwrap().vpcs() {
        ids.push(v.vpc_id().unwrap().to_owned());
    }
    for s in c
        .describe_subnets()
        .filters(f())
        .send()
        .await
        .unwrap()
        .subnets()
    {
        ids.push(s.subnet_id().unwrap().to_owned());
    }
    for g in c
        .describe_internet_gateways()
        .filters(f())
        .send()
        .await
        .unwrap()
        .internet_gateways()
    {
        ids.push(g.internet_gateway_id().unwrap().to_owned());
    }
    for t in c
        .describe_route_tables()
        .filters(f())
        .send()
        .await
        .unwrap()
        .route_tables()
    {
        ids.push(t.route_table_id().unwrap().to_owned());
    }
    for a in c
        .describe_addresses()
        .filters(f())
        .send()
        .await
        .unwrap()
        .addresses()
    {
        ids.push(a.allocation_id().unwrap().to_owned());
    }
    // moto ignores tag filters on NAT gateways: check the tags here.
    for n in c
        .describe_nat_gateways()
        .send()
        .await
        .unwrap()
        .nat_gateways()
    {
        let owned = n
            .tags()
            .iter()
            .any(|t| t.key() == Some("recon:env") && t.value() == Some(env));
        let gone = matches!(
            n.state(),
            Some(aws_sdk_ec2::types::NatGatewayState::Deleted)
        );
        if owned && !gone {
            ids.push(n.nat_gateway_id().unwrap().to_owned());
        }
    }
    for g in c
        .describe_security_groups()
        .filters(f())
        .send()
        .await
        .unwrap()
        .security_groups()
    {
        ids.push(g.group_id().unwrap().to_owned());
    }
    for e in c
        .describe_vpc_endpoints()
        .filters(f())
        .send()
        .await
        .unwrap()
        .vpc_endpoints()
    {
        // EC2 spells endpoint states in lower case (`deleted`), which the SDK's `State` does
        // not parse: compare the text.
        let state = e.state().map(|s| s.as_str().to_ascii_lowercase());
        let gone = matches!(state.as_deref(), Some("deleted" | "deleting"));
        if !gone {
            ids.push(e.vpc_endpoint_id().unwrap().to_owned());
        }
    }
    for l in c
        .describe_flow_logs()
        .filter(f())
        .send()
        .await
        .unwrap()
        .flow_logs()
    {
        ids.push(l.flow_log_id().unwrap().to_owned());
    }
    ids.extend(owned_outside_ec2(env).await);
    ids
}

async fn config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await
}

/// IAM roles and instance profiles (under recon's path for the environment, `/recon/<env>/`),
/// S3 buckets and log groups tagged `recon:env` = `env`, checked with the SDK directly.
pub async fn owned_outside_ec2(env: &str) -> Vec<String> {
    let config = config().await;
    let mut ids = Vec::new();
    let iam = aws_sdk_iam::Client::new(&config);
    let path = format!("/recon/{env}/");
    let roles = iam.list_roles().path_prefix(&path).send().await.unwrap();
    ids.extend(
        roles
            .roles()
            .iter()
            .map(|r| format!("role {}", r.role_name())),
    );
    let profiles = iam
        .list_instance_profiles()
        .path_prefix(&path)
        .send()
        .await
        .unwrap();
    ids.extend(
        profiles
            .instance_profiles()
            .iter()
            .filter(|p| p.path() == path)
            .map(|p| format!("instance profile {}", p.instance_profile_name())),
    );
    let s3 = s3(&config);
    for b in s3.list_buckets().send().await.unwrap().buckets() {
        let name = b.name().unwrap_or_default();
        let Ok(tags) = s3.get_bucket_tagging().bucket(name).send().await else {
            continue;
        };
        if tags
            .tag_set()
            .iter()
            .any(|t| t.key() == "recon:env" && t.value() == env)
        {
            ids.push(format!("bucket {name}"));
        }
    }
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let groups = logs
        .describe_log_groups()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    for g in &groups {
        let Some(arn) = g.log_group_arn() else {
            continue;
        };
        let arn = arn.trim_end_matches(":*");
        let Ok(tags) = logs.list_tags_for_resource().resource_arn(arn).send().await else {
            continue;
        };
        if tags
            .tags()
            .and_then(|t| t.get("recon:env"))
            .map(String::as_str)
            == Some(env)
        {
            ids.push(format!(
                "log group {}",
                g.log_group_name().unwrap_or_default()
            ));
        }
    }
    ids
}

/// An S3 client on the moto server (path-style, as moto needs).
pub async fn s3_client() -> aws_sdk_s3::Client {
    s3(&config().await)
}

fn s3(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}
