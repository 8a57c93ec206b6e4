//! Shared helpers for the moto tests (`moto.rs`, `moto_compute.rs`, `moto_storage.rs`,
//! `moto_web.rs`): the moto endpoint and SDK config, unique environment names, value builders,
//! and the `Harness` that drives the provider and checks its work with the SDK directly.
//!
//! Each test binary uses a subset of these, hence the `dead_code` allowance.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_ec2::types::Filter;
use recon_aws::AwsProvider;
use recon_model::tags::{ENV, ID, NAME};
use recon_model::{Address, Attrs, Kind, LiveResource, Value, diff_attrs};
use recon_provider::{CreateRequest, Provider, UpdateRequest};

// ---- the server --------------------------------------------------------------------------------

/// The moto endpoint. Never skip: without it, fail and say how to run the tests.
pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").expect(
        "AWS_ENDPOINT_URL is not set: these tests need a moto server; run them with \
         `scripts/test.sh`, which starts one",
    )
}

/// The SDK config for the moto server (which `AWS_ENDPOINT_URL` points the SDK at).
pub async fn config() -> aws_config::SdkConfig {
    endpoint();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await
}

/// An environment name no other test (or earlier run against the same server) uses.
pub fn unique_env(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "aws-{prefix}-{:x}{:x}",
        std::process::id() % 0xffff,
        (nanos ^ N.fetch_add(1, Ordering::SeqCst)) % 0xfffff
    )
}

// ---- values ------------------------------------------------------------------------------------

pub fn s(v: &str) -> Value {
    Value::str(v)
}

pub fn b(v: bool) -> Value {
    Value::Bool(v)
}

pub fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

pub fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

pub fn strs(items: &[&str]) -> Value {
    Value::List(items.iter().map(|x| s(x)).collect())
}

pub fn attrs(pairs: &[(&str, Value)]) -> Attrs {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

pub fn address(a: &str) -> Address {
    a.parse().unwrap()
}

// ---- tags --------------------------------------------------------------------------------------

/// The full tag set a resource of `env` at `address` carries: Name (where AWS keeps tags), the
/// ownership tags and `extra` (which may override them).
pub fn expected_tags(env: &str, address: &str, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let name = address.split_once('.').unwrap().1;
    let mut tags = BTreeMap::from([
        (ENV.to_owned(), env.to_owned()),
        (ID.to_owned(), address.to_owned()),
    ]);
    let kind = address.parse::<Address>().unwrap().kind;
    if recon_model::kinds::def(kind).aws.has_tags {
        tags.insert(NAME.to_owned(), format!("{env}-{name}"));
    }
    for (k, v) in extra {
        tags.insert((*k).to_owned(), (*v).to_owned());
    }
    tags
}

/// The `tags` attribute of wanted attributes, as plain strings.
pub fn tags_of(wanted: &Attrs) -> BTreeMap<String, String> {
    wanted["tags"]
        .as_map()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

// ---- the harness -------------------------------------------------------------------------------

/// One test's environment, the provider under test, and SDK clients to check its work with.
pub struct Harness {
    pub env: String,
    pub provider: AwsProvider,
    /// The EC2 client.
    pub sdk: aws_sdk_ec2::Client,
    pub kms: aws_sdk_kms::Client,
    pub efs: aws_sdk_efs::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub iam: aws_sdk_iam::Client,
    /// Path-style, as moto needs.
    pub s3: aws_sdk_s3::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

pub async fn harness(prefix: &str) -> Harness {
    endpoint();
    let provider = AwsProvider::new("us-east-1").await.unwrap();
    let config = config().await;
    Harness {
        env: unique_env(prefix),
        provider,
        sdk: aws_sdk_ec2::Client::new(&config),
        kms: aws_sdk_kms::Client::new(&config),
        efs: aws_sdk_efs::Client::new(&config),
        autoscaling: aws_sdk_autoscaling::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
        s3: aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        ),
        logs: aws_sdk_cloudwatchlogs::Client::new(&config),
    }
}

impl Harness {
    /// The full tag set a resource of this environment carries, as a value.
    pub fn tags(&self, address: &str, extra: &[(&str, &str)]) -> Value {
        Value::Map(
            expected_tags(&self.env, address, extra)
                .into_iter()
                .map(|(k, v)| (k, Value::str(v)))
                .collect(),
        )
    }

    /// `fields` plus the full tag set of a resource of `env`.
    pub fn wanted_in(
        &self,
        env: &str,
        address: &str,
        fields: &[(&str, Value)],
        extra: &[(&str, &str)],
    ) -> Attrs {
        let mut a = attrs(fields);
        a.insert(
            "tags".into(),
            Value::Map(
                expected_tags(env, address, extra)
                    .into_iter()
                    .map(|(k, v)| (k, Value::str(v)))
                    .collect(),
            ),
        );
        a
    }

    /// `fields` plus the full tag set of a resource of this environment.
    pub fn wanted(&self, address: &str, fields: &[(&str, Value)], extra: &[(&str, &str)]) -> Attrs {
        self.wanted_in(&self.env, address, fields, extra)
    }

    /// Creates the resource in `env`, with the token the executor would use.
    pub async fn create_in(&self, env: &str, addr: &str, wanted: &Attrs) -> LiveResource {
        let address = address(addr);
        let token = format!("{env}-{addr}");
        let live = self
            .provider
            .create(CreateRequest {
                address: &address,
                environment: env,
                attrs: wanted,
                token: &token,
            })
            .await
            .unwrap_or_else(|e| panic!("create {addr}: {e}"));
        assert_eq!(live.address, address);
        assert!(!live.id.is_empty());
        live
    }

    /// Creates the resource in this environment.
    pub async fn create(&self, addr: &str, wanted: &Attrs) -> LiveResource {
        self.create_in(&self.env, addr, wanted).await
    }

    /// What the executor does: updates the fields that differ, then checks that nothing does
    /// any more, both in the update's answer and in a fresh read.
    pub async fn converge(&self, live: &LiveResource, wanted: &Attrs) -> LiveResource {
        let kind = live.kind();
        let diffs = diff_attrs(kind, wanted, &live.attrs);
        assert!(
            !diffs.is_empty(),
            "nothing to converge for {}",
            live.address
        );
        let after = self
            .provider
            .update(UpdateRequest {
                live,
                attrs: wanted,
                diffs: &diffs,
            })
            .await
            .unwrap_or_else(|e| panic!("update {}: {e} ({diffs:?})", live.address));
        assert_eq!(diff_attrs(kind, wanted, &after.attrs), vec![], "{after:?}");
        assert_eq!(after.address, live.address);
        assert_eq!(after.id, live.id);
        let read = self.read(kind, &live.id).await.expect("still there");
        assert_eq!(read.attrs, after.attrs);
        after
    }

    /// Create, then converge the fields the create call does not set.
    pub async fn make(&self, addr: &str, wanted: &Attrs) -> LiveResource {
        let live = self.create(addr, wanted).await;
        if diff_attrs(live.kind(), wanted, &live.attrs).is_empty() {
            live
        } else {
            self.converge(&live, wanted).await
        }
    }

    pub async fn read(&self, kind: Kind, id: &str) -> Option<LiveResource> {
        self.provider.read(kind, id).await.unwrap()
    }

    pub async fn discover(&self, kind: Kind) -> Vec<LiveResource> {
        self.provider.discover(kind, &self.env).await.unwrap()
    }

    /// Deletes, checks the resource is gone, and that deleting it again is success.
    pub async fn delete(&self, live: &LiveResource) {
        self.provider
            .delete(live)
            .await
            .unwrap_or_else(|e| panic!("delete {}: {e}", live.address));
        assert_eq!(
            self.read(live.kind(), &live.id).await,
            None,
            "{} is gone",
            live.address
        );
        // Deleting what is gone is success.
        self.provider.delete(live).await.unwrap();
    }

    /// An EC2 resource's tags as AWS has them, read with the SDK directly.
    pub async fn aws_tags(&self, id: &str) -> BTreeMap<String, String> {
        let out = self
            .sdk
            .describe_tags()
            .filters(Filter::builder().name("resource-id").values(id).build())
            .send()
            .await
            .unwrap();
        out.tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap().to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}
