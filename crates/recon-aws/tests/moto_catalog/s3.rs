//! `s3_bucket` against moto: creation (tagged, the name checked first), the settings the update
//! after the create converges, reads and discovery, the object count, and deletes with and
//! without `force_destroy`.

use std::collections::BTreeMap;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use recon_model::kinds::s3_bucket::FORCE_DESTROY_TAG;
use recon_model::{Attrs, Kind, LiveResource, Value};
use recon_provider::{CreateRequest, ErrorKind, Provider};

use crate::support::{Harness, b, expected_tags, harness, list, map, s, unique_env};

// ---- helpers -----------------------------------------------------------------------------------

impl Harness {
    /// The bucket `<env>-<name>`'s wanted attributes: the schema's defaults, then `fields`.
    fn bucket(&self, name: &str, fields: &[(&str, Value)], tags: &[(&str, &str)]) -> Attrs {
        self.bucket_in(&self.env, name, fields, tags)
    }

    fn bucket_in(
        &self,
        env: &str,
        name: &str,
        fields: &[(&str, Value)],
        tags: &[(&str, &str)],
    ) -> Attrs {
        let bucket_name = format!("{env}-{name}");
        let mut all = vec![
            ("name", s(&bucket_name)),
            ("block_public_access", b(true)),
            ("versioning", b(false)),
            ("lifecycle_rules", list(vec![])),
            ("force_destroy", b(false)),
        ];
        for (k, v) in fields {
            all.retain(|(n, _)| n != k);
            all.push((k, v.clone()));
        }
        self.wanted_in(env, &format!("s3_bucket.{name}"), &all, tags)
    }

    /// What the executor does after a create: read the bucket, then converge what differs.
    async fn make_bucket(&self, name: &str, wanted: &Attrs) -> LiveResource {
        let created = self.create(&format!("s3_bucket.{name}"), wanted).await;
        let live = self
            .read(Kind::S3Bucket, &created.id)
            .await
            .expect("created");
        if recon_model::diff_attrs(Kind::S3Bucket, wanted, &live.attrs).is_empty() {
            live
        } else {
            self.converge(&live, wanted).await
        }
    }

    async fn bucket_tags(&self, bucket: &str) -> BTreeMap<String, String> {
        let out = self
            .s3
            .get_bucket_tagging()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
        out.tag_set()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()
    }

    /// Whether a bucket has no tags (recon did not tag what it refused to create).
    async fn bucket_tags_absent(&self, bucket: &str) -> bool {
        self.config_code(self.s3.get_bucket_tagging().bucket(bucket).send())
            .await
            .as_deref()
            == Some("NoSuchTagSet")
    }

    async fn put_object(&self, bucket: &str, key: &str) {
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from_static(b"data"))
            .send()
            .await
            .unwrap();
    }

    /// Object versions and delete markers in the bucket.
    async fn versions(&self, bucket: &str) -> usize {
        let out = self
            .s3
            .list_object_versions()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
        out.versions().len() + out.delete_markers().len()
    }

    /// The bucket's versioning status. moto 5.2 answers under a root element the SDK refuses
    /// (`GetBucketVersioningResponse`), so then the status is read from the raw answer.
    async fn versioning_status(&self, bucket: &str) -> String {
        match self.s3.get_bucket_versioning().bucket(bucket).send().await {
            Ok(out) => out
                .status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            Err(aws_sdk_s3::error::SdkError::ServiceError(e)) => {
                let body = String::from_utf8_lossy(e.raw().body().bytes().unwrap()).into_owned();
                body.split("<Status>")
                    .nth(1)
                    .and_then(|rest| rest.split("</Status>").next())
                    .unwrap_or_default()
                    .to_owned()
            }
            Err(e) => panic!("GetBucketVersioning {bucket}: {e}"),
        }
    }

    async fn bucket_exists(&self, bucket: &str) -> bool {
        self.s3.head_bucket().bucket(bucket).send().await.is_ok()
    }

    /// An error code of an S3 call, for configurations that are absent.
    async fn config_code<T, E>(
        &self,
        call: impl Future<Output = Result<T, aws_sdk_s3::error::SdkError<E>>>,
    ) -> Option<String>
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata,
    {
        call.await.err().and_then(|e| e.code().map(str::to_owned))
    }
}

fn rule(id: &str, prefix: &str, days: &[(&str, i64)]) -> Value {
    let mut fields = vec![("id", s(id)), ("prefix", s(prefix))];
    fields.extend(days.iter().map(|(k, d)| (*k, Value::Int(*d))));
    map(&fields)
}

/// A policy letting the account read the bucket's objects.
fn policy(bucket: &str) -> Value {
    map(&[
        ("Version", s("2012-10-17")),
        (
            "Statement",
            list(vec![map(&[
                ("Sid", s("AccountReads")),
                ("Effect", s("Allow")),
                (
                    "Principal",
                    map(&[("AWS", s("arn:aws:iam::123456789012:root"))]),
                ),
                ("Action", list(vec![s("s3:GetObject"), s("s3:ListBucket")])),
                (
                    "Resource",
                    list(vec![
                        s(&format!("arn:aws:s3:::{bucket}")),
                        s(&format!("arn:aws:s3:::{bucket}/*")),
                    ]),
                ),
                (
                    "Condition",
                    map(&[("Bool", map(&[("aws:SecureTransport", b(true))]))]),
                ),
            ])]),
        ),
    ])
}

// ---- create, converge, read, discover, update ----------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn s3_bucket_create_converge_discover_update() {
    let h = harness("s3").await;
    let name = format!("{}-data", h.env);
    let wanted = h.bucket("data", &[], &[("Project", "irb")]);
    let created = h.create("s3_bucket.data", &wanted).await;
    assert_eq!(created.id, name);
    assert_eq!(created.outputs["arn"], s(&format!("arn:aws:s3:::{name}")));
    assert_eq!(created.outputs["name"], s(&name));
    // Tagged by the create, without a force-destroy tag.
    assert_eq!(
        h.bucket_tags(&name).await,
        expected_tags(&h.env, "s3_bucket.data", &[("Project", "irb")])
    );
    let live = h.read(Kind::S3Bucket, &name).await.expect("created");
    assert_eq!(live.attrs["tags"], wanted["tags"]);
    assert_eq!(live.attrs["force_destroy"], b(false));
    assert_eq!(live.outputs["objects"], Value::Int(0));
    assert!(!live.outputs.contains_key("objects_at_least"));

    // The update after the create: a KMS key, versioning, lifecycle rules, a policy, and (on
    // moto, which gives a new bucket none) the public access block.
    let key = h.kms.create_key().send().await.unwrap();
    let key = key.key_metadata().unwrap().key_id().to_owned();
    let rules = list(vec![
        rule("logs", "logs/", &[("expiration_days", 90)]),
        rule(
            "old-versions",
            "",
            &[
                ("noncurrent_expiration_days", 30),
                ("abort_incomplete_upload_days", 7),
            ],
        ),
    ]);
    let configured = h.bucket(
        "data",
        &[
            ("kms_key", s(&key)),
            ("versioning", b(true)),
            ("lifecycle_rules", rules.clone()),
            ("policy", policy(&name)),
        ],
        &[("Project", "irb")],
    );
    let bucket = h.converge(&live, &configured).await;
    assert_eq!(bucket.attrs["kms_key"], s(&key));
    assert_eq!(bucket.attrs["lifecycle_rules"], rules);
    assert_eq!(bucket.attrs["policy"], policy(&name));

    assert_eq!(h.versioning_status(&name).await, "Enabled");
    let block =
        h.s3.get_public_access_block()
            .bucket(&name)
            .send()
            .await
            .unwrap();
    let block = block.public_access_block_configuration().unwrap();
    assert_eq!(
        [
            block.block_public_acls(),
            block.ignore_public_acls(),
            block.block_public_policy(),
            block.restrict_public_buckets()
        ],
        [Some(true); 4]
    );
    let encryption =
        h.s3.get_bucket_encryption()
            .bucket(&name)
            .send()
            .await
            .unwrap();
    let rule0 = &encryption
        .server_side_encryption_configuration()
        .unwrap()
        .rules()[0];
    let default = rule0.apply_server_side_encryption_by_default().unwrap();
    assert_eq!(default.sse_algorithm().as_str(), "aws:kms");
    assert!(default.kms_master_key_id().unwrap().contains(&key));
    assert_eq!(rule0.bucket_key_enabled(), Some(true));
    let lifecycle =
        h.s3.get_bucket_lifecycle_configuration()
            .bucket(&name)
            .send()
            .await
            .unwrap();
    let ids: Vec<_> = lifecycle.rules().iter().filter_map(|r| r.id()).collect();
    assert_eq!(ids, ["logs", "old-versions"]);
    let text = h.s3.get_bucket_policy().bucket(&name).send().await.unwrap();
    assert!(text.policy().unwrap().contains("\"AccountReads\""));

    // The same policy written by hand, keys in another order and spaced out: the same value.
    let by_hand = format!(
        r#"{{
          "Statement": [ {{
            "Resource": ["arn:aws:s3:::{name}", "arn:aws:s3:::{name}/*"],
            "Condition": {{ "Bool": {{ "aws:SecureTransport": true }} }},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Principal": {{ "AWS": "arn:aws:iam::123456789012:root" }},
            "Effect": "Allow", "Sid": "AccountReads"
          }} ],
          "Version": "2012-10-17"
        }}"#
    );
    h.s3.put_bucket_policy()
        .bucket(&name)
        .policy(by_hand)
        .send()
        .await
        .unwrap();
    let read = h.read(Kind::S3Bucket, &name).await.unwrap();
    assert_eq!(read.attrs, bucket.attrs);
    assert_eq!(
        recon_model::diff_attrs(Kind::S3Bucket, &configured, &read.attrs),
        vec![]
    );

    // Another environment's bucket is not discovered.
    let other_env = unique_env("s3-other");
    let other_wanted = h.bucket_in(&other_env, "data", &[], &[]);
    let other = h
        .create_in(&other_env, "s3_bucket.data", &other_wanted)
        .await;
    let found = h.discover(Kind::S3Bucket).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, name);
    assert_eq!(found[0].attrs, bucket.attrs);
    assert_eq!(found[0].outputs, bucket.outputs);

    // Everything back off, and the tags changed.
    let plain = h.bucket(
        "data",
        &[("block_public_access", b(false))],
        &[("Owner", "research")],
    );
    let bucket = h.converge(&bucket, &plain).await;
    assert!(!bucket.attrs.contains_key("kms_key"));
    assert!(!bucket.attrs.contains_key("policy"));
    assert_eq!(h.versioning_status(&name).await, "Suspended");
    let encryption =
        h.s3.get_bucket_encryption()
            .bucket(&name)
            .send()
            .await
            .unwrap();
    let rule0 = &encryption
        .server_side_encryption_configuration()
        .unwrap()
        .rules()[0];
    assert_eq!(
        rule0
            .apply_server_side_encryption_by_default()
            .unwrap()
            .sse_algorithm()
            .as_str(),
        "AES256"
    );
    assert_eq!(
        h.config_code(h.s3.get_bucket_policy().bucket(&name).send())
            .await
            .as_deref(),
        Some("NoSuchBucketPolicy")
    );
    assert_eq!(
        h.config_code(
            h.s3.get_bucket_lifecycle_configuration()
                .bucket(&name)
                .send()
        )
        .await
        .as_deref(),
        Some("NoSuchLifecycleConfiguration")
    );
    assert_eq!(
        h.config_code(h.s3.get_public_access_block().bucket(&name).send())
            .await
            .as_deref(),
        Some("NoSuchPublicAccessBlockConfiguration")
    );
    assert_eq!(
        h.bucket_tags(&name).await,
        expected_tags(&h.env, "s3_bucket.data", &[("Owner", "research")])
    );

    // Empty buckets are deleted without force_destroy.
    h.delete(&bucket).await;
    assert!(!h.bucket_exists(&name).await);
    h.delete(&other).await;
}

// ---- objects and deletes -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn s3_bucket_with_objects_is_kept_without_force_destroy() {
    let h = harness("s3-kept").await;
    let name = format!("{}-kept", h.env);
    let wanted = h.bucket("kept", &[], &[]);
    let bucket = h.make_bucket("kept", &wanted).await;
    for key in ["a", "b/c", "d"] {
        h.put_object(&name, key).await;
    }
    let bucket = h.read(Kind::S3Bucket, &bucket.id).await.unwrap();
    assert_eq!(bucket.outputs["objects"], Value::Int(3));

    let err = h.provider.delete(&bucket).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid, "{err}");
    assert!(
        err.message
            .contains(&format!("S3 bucket {name} still holds 3 objects")),
        "{err}"
    );
    assert!(err.message.contains("`force_destroy: true`"), "{err}");
    // Nothing was deleted.
    assert!(h.bucket_exists(&name).await);
    assert_eq!(h.versions(&name).await, 3);

    // force_destroy is a tag on the bucket, reported as the field and not among the tags.
    let forced = h.bucket("kept", &[("force_destroy", b(true))], &[]);
    let bucket = h.converge(&bucket, &forced).await;
    assert_eq!(bucket.attrs["force_destroy"], b(true));
    assert_eq!(bucket.attrs["tags"], forced["tags"]);
    let mut tags = expected_tags(&h.env, "s3_bucket.kept", &[]);
    tags.insert(FORCE_DESTROY_TAG.into(), "true".into());
    assert_eq!(h.bucket_tags(&name).await, tags);

    // Now the objects (unversioned: `null` versions) go with it.
    h.delete(&bucket).await;
    assert!(!h.bucket_exists(&name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_bucket_force_destroy_deletes_versions_and_delete_markers() {
    let h = harness("s3-force").await;
    let name = format!("{}-scratch", h.env);
    let wanted = h.bucket(
        "scratch",
        &[("force_destroy", b(true)), ("versioning", b(true))],
        &[],
    );
    let created = h.create("s3_bucket.scratch", &wanted).await;
    // Tagged at creation with the force-destroy tag, which is not reported as a tag.
    assert_eq!(created.attrs["force_destroy"], b(true));
    assert_eq!(created.attrs["tags"], wanted["tags"]);
    assert_eq!(
        h.bucket_tags(&name).await[FORCE_DESTROY_TAG],
        "true".to_owned()
    );
    let live = h.read(Kind::S3Bucket, &name).await.unwrap();
    let bucket = h.converge(&live, &wanted).await;

    // Two versions of one key and a delete marker.
    h.put_object(&name, "a").await;
    h.put_object(&name, "a").await;
    h.s3.delete_object()
        .bucket(&name)
        .key("a")
        .send()
        .await
        .unwrap();
    assert_eq!(h.versions(&name).await, 3);
    let bucket = h.read(Kind::S3Bucket, &bucket.id).await.unwrap();
    assert_eq!(bucket.outputs["objects"], Value::Int(3));

    h.delete(&bucket).await;
    assert!(!h.bucket_exists(&name).await);
}

// ---- names -------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn s3_bucket_name_taken_is_a_clear_error() {
    let h = harness("s3-taken").await;
    let create = |env: &str, address: &str, wanted: Attrs| {
        let address = address.parse().unwrap();
        let env = env.to_owned();
        let provider = h.provider.clone();
        async move {
            let token = format!("{env}-{address}");
            provider
                .create(CreateRequest {
                    address: &address,
                    environment: &env,
                    attrs: &wanted,
                    token: &token,
                })
                .await
        }
    };

    // A bucket of this account made outside recon.
    let mine = format!("{}-mine", h.env);
    h.s3.create_bucket().bucket(&mine).send().await.unwrap();
    let err = create(&h.env, "s3_bucket.mine", h.bucket("mine", &[], &[]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::AlreadyExists, "{err}");
    assert!(err.message.contains(&format!("`{mine}` is taken")), "{err}");
    assert!(err.message.contains("set the bucket's `name:`"), "{err}");
    assert!(h.bucket_tags_absent(&mine).await);

    // Another account's bucket (moto takes the account from this header).
    let theirs = format!("{}-theirs", h.env);
    h.s3.create_bucket()
        .bucket(&theirs)
        .customize()
        .mutate_request(|r| {
            r.headers_mut().insert("x-moto-account-id", "111122223333");
        })
        .send()
        .await
        .unwrap();
    let err = create(&h.env, "s3_bucket.theirs", h.bucket("theirs", &[], &[]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::AlreadyExists, "{err}");
    assert!(
        err.message.contains(&format!("`{theirs}` is taken")),
        "{err}"
    );

    // Another environment's bucket of the same name.
    let other_env = unique_env("s3-taken-other");
    let shared = h.bucket("shared", &[], &[]);
    let first = h.create("s3_bucket.shared", &shared).await;
    let mut elsewhere = h.bucket_in(&other_env, "shared", &[], &[]);
    elsewhere.insert("name".into(), shared["name"].clone());
    let err = create(&other_env, "s3_bucket.shared", elsewhere)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::AlreadyExists, "{err}");

    // The same resource created again (an answer lost, the create sent again): its bucket.
    let again = create(&h.env, "s3_bucket.shared", shared).await.unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.attrs["tags"], first.attrs["tags"]);
    h.delete(&first).await;
}
