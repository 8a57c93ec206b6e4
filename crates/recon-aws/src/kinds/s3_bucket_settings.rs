//! An S3 bucket's settings, each read and written with its own call: default encryption, the
//! public access block, versioning, lifecycle rules and the bucket policy. `s3_bucket.rs`
//! reads them together after a bucket's tags and writes them in its update.

use std::collections::BTreeMap;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketVersioningStatus,
    ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use recon_model::Value;
use recon_provider::ProviderError;
use tracing::debug;

use super::optional_text;
use super::s3_bucket::unless_code;
use crate::errors::{self, invalid};

/// The KMS key id of the default encryption; `None` for SSE-S3 (or no configuration, which
/// only moto answers: AWS encrypts every bucket).
pub(super) async fn encryption_key(
    client: &Client,
    name: &str,
) -> Result<Option<String>, ProviderError> {
    debug!(op = "GetBucketEncryption", name, "aws call");
    let out = client.get_bucket_encryption().bucket(name).send().await;
    let Some(out) = unless_code(
        out.map_err(|e| errors::sdk("GetBucketEncryption", e)),
        "ServerSideEncryptionConfigurationNotFoundError",
    )?
    else {
        return Ok(None);
    };
    Ok(out
        .server_side_encryption_configuration()
        .into_iter()
        .flat_map(|c| c.rules())
        .filter_map(|r| r.apply_server_side_encryption_by_default())
        .find(|d| *d.sse_algorithm() != ServerSideEncryption::Aes256)
        .and_then(|d| d.kms_master_key_id())
        .map(|k| super::kms_key_id(k).to_owned()))
}

/// Whether all four public access blocks are on; no configuration blocks nothing.
pub(super) async fn public_access_blocked(
    client: &Client,
    name: &str,
) -> Result<bool, ProviderError> {
    debug!(op = "GetPublicAccessBlock", name, "aws call");
    let out = client.get_public_access_block().bucket(name).send().await;
    let out = unless_code(
        out.map_err(|e| errors::sdk("GetPublicAccessBlock", e)),
        "NoSuchPublicAccessBlockConfiguration",
    )?;
    Ok(out
        .as_ref()
        .and_then(|o| o.public_access_block_configuration())
        .is_some_and(|c| {
            [
                c.block_public_acls(),
                c.ignore_public_acls(),
                c.block_public_policy(),
                c.restrict_public_buckets(),
            ]
            .iter()
            .all(|b| *b == Some(true))
        }))
}

/// Whether versioning is enabled (suspended and never enabled are both off).
pub(super) async fn versioning(client: &Client, name: &str) -> Result<bool, ProviderError> {
    debug!(op = "GetBucketVersioning", name, "aws call");
    match client.get_bucket_versioning().bucket(name).send().await {
        Ok(out) => Ok(out.status() == Some(&BucketVersioningStatus::Enabled)),
        // moto 5.2 names the answer's root `GetBucketVersioningResponse` (AWS:
        // `VersioningConfiguration`), which the SDK refuses: read the status from the body.
        Err(SdkError::ServiceError(e)) if e.raw().status().is_success() => {
            let body = e.raw().body().bytes().map(String::from_utf8_lossy);
            Ok(body.is_some_and(|b| b.contains("<Status>Enabled</Status>")))
        }
        Err(e) => Err(errors::sdk("GetBucketVersioning", e)),
    }
}

pub(super) async fn lifecycle_rules(
    client: &Client,
    name: &str,
) -> Result<Vec<Value>, ProviderError> {
    debug!(op = "GetBucketLifecycleConfiguration", name, "aws call");
    let out = client
        .get_bucket_lifecycle_configuration()
        .bucket(name)
        .send()
        .await;
    let out = unless_code(
        out.map_err(|e| errors::sdk("GetBucketLifecycleConfiguration", e)),
        "NoSuchLifecycleConfiguration",
    )?;
    Ok(out
        .map(|o| o.rules().iter().filter_map(rule_value).collect())
        .unwrap_or_default())
}

/// The bucket policy as a value; `None` when it has none.
pub(super) async fn policy(client: &Client, name: &str) -> Result<Option<Value>, ProviderError> {
    debug!(op = "GetBucketPolicy", name, "aws call");
    let out = client.get_bucket_policy().bucket(name).send().await;
    let out = unless_code(
        out.map_err(|e| errors::sdk("GetBucketPolicy", e)),
        "NoSuchBucketPolicy",
    )?;
    Ok(out
        .and_then(|o| o.policy)
        .map(|text| policy_value(name, text)))
}

/// PutBucketEncryption: SSE-KMS with `key` and a bucket key, or SSE-S3 without one.
pub(super) async fn put_encryption(
    client: &Client,
    name: &str,
    key: Option<&str>,
) -> Result<(), ProviderError> {
    let default = match key {
        Some(key) => ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .kms_master_key_id(key),
        None => {
            ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256)
        }
    }
    .build()
    .map_err(|e| invalid(format!("encryption of S3 bucket {name}: {e}")))?;
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(default)
        .bucket_key_enabled(key.is_some())
        .build();
    let config = ServerSideEncryptionConfiguration::builder()
        .rules(rule)
        .build()
        .map_err(|e| invalid(format!("encryption of S3 bucket {name}: {e}")))?;
    debug!(op = "PutBucketEncryption", name, key = ?key, "aws call");
    client
        .put_bucket_encryption()
        .bucket(name)
        .server_side_encryption_configuration(config)
        .send()
        .await
        .map_err(|e| errors::sdk("PutBucketEncryption", e))?;
    Ok(())
}

/// PutPublicAccessBlock with all four on, or DeletePublicAccessBlock.
pub(super) async fn put_public_access_block(
    client: &Client,
    name: &str,
    block: bool,
) -> Result<(), ProviderError> {
    if block {
        debug!(op = "PutPublicAccessBlock", name, "aws call");
        client
            .put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| errors::sdk("PutPublicAccessBlock", e))?;
    } else {
        debug!(op = "DeletePublicAccessBlock", name, "aws call");
        client
            .delete_public_access_block()
            .bucket(name)
            .send()
            .await
            .map_err(|e| errors::sdk("DeletePublicAccessBlock", e))?;
    }
    Ok(())
}

/// PutBucketVersioning: Enabled, or Suspended (a bucket once versioned never returns to
/// unversioned).
pub(super) async fn put_versioning(
    client: &Client,
    name: &str,
    on: bool,
) -> Result<(), ProviderError> {
    let status = if on {
        BucketVersioningStatus::Enabled
    } else {
        BucketVersioningStatus::Suspended
    };
    debug!(
        op = "PutBucketVersioning",
        name,
        status = status.as_str(),
        "aws call"
    );
    client
        .put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .map_err(|e| errors::sdk("PutBucketVersioning", e))?;
    Ok(())
}

/// PutBucketLifecycleConfiguration with `rules`, or DeleteBucketLifecycle when there are none
/// (S3 refuses an empty configuration).
pub(super) async fn put_lifecycle(
    client: &Client,
    name: &str,
    rules: Vec<LifecycleRule>,
) -> Result<(), ProviderError> {
    if rules.is_empty() {
        debug!(op = "DeleteBucketLifecycle", name, "aws call");
        client
            .delete_bucket_lifecycle()
            .bucket(name)
            .send()
            .await
            .map_err(|e| errors::sdk("DeleteBucketLifecycle", e))?;
        return Ok(());
    }
    let config = BucketLifecycleConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(|e| invalid(format!("lifecycle of S3 bucket {name}: {e}")))?;
    debug!(op = "PutBucketLifecycleConfiguration", name, "aws call");
    client
        .put_bucket_lifecycle_configuration()
        .bucket(name)
        .lifecycle_configuration(config)
        .send()
        .await
        .map_err(|e| errors::sdk("PutBucketLifecycleConfiguration", e))?;
    Ok(())
}

/// PutBucketPolicy with the policy as JSON, or DeleteBucketPolicy.
pub(super) async fn put_policy(
    client: &Client,
    name: &str,
    policy: Option<&Value>,
) -> Result<(), ProviderError> {
    match policy {
        Some(policy) => {
            let text = crate::policy::to_json("policy", policy)?;
            debug!(op = "PutBucketPolicy", name, "aws call");
            client
                .put_bucket_policy()
                .bucket(name)
                .policy(text)
                .send()
                .await
                .map_err(|e| errors::sdk("PutBucketPolicy", e))?;
        }
        None => {
            debug!(op = "DeleteBucketPolicy", name, "aws call");
            client
                .delete_bucket_policy()
                .bucket(name)
                .send()
                .await
                .map_err(|e| errors::sdk("DeleteBucketPolicy", e))?;
        }
    }
    Ok(())
}

/// A lifecycle rule as recon's value; `None` for a disabled rule (recon's are enabled, so a
/// disabled one shows as missing and an update enables it again).
pub(super) fn rule_value(rule: &LifecycleRule) -> Option<Value> {
    if *rule.status() != ExpirationStatus::Enabled {
        return None;
    }
    #[expect(
        deprecated,
        reason = "rules written before `Filter` existed keep their prefix here"
    )]
    let old_prefix = rule.prefix();
    let filter = rule.filter();
    let prefix = filter
        .and_then(|f| f.prefix().or_else(|| f.and().and_then(|a| a.prefix())))
        .or(old_prefix)
        .unwrap_or("");
    let mut m = BTreeMap::new();
    m.insert("id".to_owned(), Value::str(rule.id().unwrap_or_default()));
    m.insert("prefix".to_owned(), Value::str(prefix));
    let days = [
        ("expiration_days", rule.expiration().and_then(|e| e.days())),
        (
            "noncurrent_expiration_days",
            rule.noncurrent_version_expiration()
                .and_then(|e| e.noncurrent_days()),
        ),
        (
            "abort_incomplete_upload_days",
            rule.abort_incomplete_multipart_upload()
                .and_then(|a| a.days_after_initiation()),
        ),
    ];
    for (field, days) in days {
        if let Some(days) = days {
            m.insert(field.to_owned(), Value::Int(i64::from(days)));
        }
    }
    Some(Value::Map(m))
}

/// A wanted lifecycle rule as S3's: enabled, filtered on its prefix.
pub(super) fn lifecycle_rule(rule: &Value) -> Result<LifecycleRule, ProviderError> {
    let m = rule
        .as_map()
        .ok_or_else(|| invalid(format!("a lifecycle rule must be a map, got {rule}")))?;
    let id = super::text(m, "id")?;
    let prefix = optional_text(m, "prefix")?.unwrap_or("");
    let days = |field: &str| -> Result<Option<i32>, ProviderError> {
        match m.get(field) {
            None => Ok(None),
            Some(Value::Int(d)) => i32::try_from(*d)
                .map(Some)
                .map_err(|_| invalid(format!("`{field}` of lifecycle rule `{id}` is too large"))),
            Some(other) => Err(invalid(format!(
                "`{field}` of lifecycle rule `{id}` must be a number of days, got {other}"
            ))),
        }
    };
    LifecycleRule::builder()
        .id(id)
        .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
        .status(ExpirationStatus::Enabled)
        .set_expiration(
            days("expiration_days")?.map(|d| LifecycleExpiration::builder().days(d).build()),
        )
        .set_noncurrent_version_expiration(days("noncurrent_expiration_days")?.map(|d| {
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(d)
                .build()
        }))
        .set_abort_incomplete_multipart_upload(days("abort_incomplete_upload_days")?.map(|d| {
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(d)
                .build()
        }))
        .build()
        .map_err(|e| invalid(format!("lifecycle rule `{id}`: {e}")))
}

/// A bucket policy's JSON as a value (text that is not JSON stays text: it shows as a change,
/// and an update writes the wanted policy).
pub(super) fn policy_value(name: &str, text: String) -> Value {
    crate::policy::read(&format!("the policy of S3 bucket {name}"), &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_read_and_write_as_values() {
        let text = r#" { "Version": "2012-10-17", "Statement": [ { "Effect": "Deny",
            "Principal": "*", "Action": ["s3:*"], "Resource": "arn:aws:s3:::b/*",
            "Condition": { "Bool": { "aws:SecureTransport": false }, "NumericLessThan":
            { "s3:TlsVersion": 12 } }, "Sid": "a\"b\u00e9" } ] } "#;
        let v = policy_value("b", text.to_owned());
        let statement = &v.as_map().unwrap()["Statement"].as_list()[0];
        let m = statement.as_map().unwrap();
        assert_eq!(m["Sid"], Value::str("a\"b\u{e9}"));
        assert_eq!(
            m["Condition"].as_map().unwrap()["NumericLessThan"],
            Value::Map([("s3:TlsVersion".to_owned(), Value::Int(12))].into())
        );
        assert_eq!(m["Action"], Value::List(vec![Value::str("s3:*")]));
        // Written and read again: the same value.
        let written = crate::policy::to_json("policy", &v).unwrap();
        assert_eq!(policy_value("b", written), v);
        // Text that is not JSON stays text.
        assert_eq!(policy_value("b", "{".to_owned()), Value::str("{"));
    }

    #[test]
    fn lifecycle_rules_round_trip() {
        let wanted = Value::Map(
            [
                ("id".to_owned(), Value::str("logs")),
                ("prefix".to_owned(), Value::str("logs/")),
                ("noncurrent_expiration_days".to_owned(), Value::Int(30)),
                ("abort_incomplete_upload_days".to_owned(), Value::Int(7)),
            ]
            .into(),
        );
        let rule = lifecycle_rule(&wanted).unwrap();
        assert_eq!(rule_value(&rule), Some(wanted));
        let disabled = LifecycleRule::builder()
            .id("off")
            .status(ExpirationStatus::Disabled)
            .build()
            .unwrap();
        assert_eq!(rule_value(&disabled), None);
        assert!(lifecycle_rule(&Value::str("x")).is_err());
    }
}
