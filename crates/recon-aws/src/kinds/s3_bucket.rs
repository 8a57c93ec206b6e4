//! `s3_bucket`: HeadBucket (the name must be free), CreateBucket (tagged in its configuration),
//! then PutBucketEncryption, PutPublicAccessBlock, PutBucketVersioning,
//! PutBucketLifecycleConfiguration and PutBucketPolicy converge the rest; deleting empties the
//! bucket only when its `recon:force-destroy` tag says so.
//!
//! The id is the bucket's name, which is global: a name that exists anywhere (this account's,
//! another environment's, another account's) is an error before anything is made, unless the
//! bucket is this very resource's (a create whose answer was lost, sent again).
//!
//! # Discovery
//! S3 has no tag filter. Discovery is ListBuckets (paginated, `BucketRegion` = the client's
//! region, and buckets reported in another region skipped), then for each bucket, at most
//! [`DISCOVERY_READS_IN_FLIGHT`] at a time: GetBucketTagging; only the environment's buckets
//! are read fully (encryption, public access block, versioning, lifecycle, policy and one
//! ListObjectVersions page, concurrently). That is 1 call per bucket in the account and region
//! plus 6 per owned bucket. Buckets whose tags the caller may not read (a bucket policy that
//! denies it) are skipped with a warning.
//!
//! # Fields S3 does not store
//! `force_destroy` is kept in the tag `recon:force-destroy` = `true` and reported as the field,
//! not as a tag. PutBucketTagging replaces the whole tag set, so every tag change writes the
//! wanted tags and that tag together. The outputs `objects` (object versions and delete markers,
//! from one page of at most 1000) and `objects_at_least` (set when there are more) say what a
//! delete loses.
//!
//! # moto
//! moto 5.2 ignores the tags of CreateBucketConfiguration (AWS applies them), so a create whose
//! bucket comes back without its ownership tags tags it with PutBucketTagging (on AWS, one
//! GetBucketTagging finds them there). moto answers GetBucketEncryption for a new bucket with
//! `ServerSideEncryptionConfigurationNotFoundError` and GetPublicAccessBlock with
//! `NoSuchPublicAccessBlockConfiguration` where AWS reports SSE-S3 and all four blocks on: both
//! read as what they mean. Its GetBucketVersioning answer has a root element the SDK refuses,
//! so the status is then read from the raw answer. Its ListBuckets has no continuation token
//! and reports no bucket region.

use std::collections::BTreeMap;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint,
    BucketVersioningStatus, CreateBucketConfiguration, Delete, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration,
    ObjectIdentifier, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tag, Tagging, VersioningConfiguration,
};
use futures::{StreamExt, TryStreamExt, stream};
use recon_model::kinds::s3_bucket::{DEF, FORCE_DESTROY_TAG, derived_name};
use recon_model::tags::{ENV, ID, is_aws_managed};
use recon_model::{AttrDiff, Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ErrorKind, ProviderError, UpdateRequest};
use tracing::debug;

use super::{DISCOVERY_READS_IN_FLIGHT, Found, known, not_in_place, optional_text};
use crate::errors::{self, has_code, invalid};
use crate::tags;

/// Object versions and delete markers one ListObjectVersions page holds (S3's maximum), and one
/// DeleteObjects call deletes.
const OBJECTS_PER_PAGE: i32 = 1000;
/// Buckets per ListBuckets page (AWS asks for paginated listings).
const BUCKETS_PER_PAGE: i32 = 1000;
/// The bucket does not exist (any more).
const NO_SUCH_BUCKET: &str = "NoSuchBucket";

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    let region = region_of(client);
    debug!(op = "ListBuckets", environment, region, "aws call");
    let buckets: Vec<_> = client
        .list_buckets()
        .bucket_region(&region)
        .into_paginator()
        .page_size(BUCKETS_PER_PAGE)
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("ListBuckets", e))?;
    // Another region's bucket answers every call here with a redirect: it is not this
    // region's resource (when the API ignored `BucketRegion`).
    let names: Vec<String> = buckets
        .into_iter()
        .filter(|b| b.bucket_region().is_none_or(|r| r == region))
        .filter_map(|b| b.name)
        .collect();
    let region = region.as_str();
    let found: Vec<Option<Found>> = stream::iter(names)
        .map(|name| async move {
            // Tags first: only the environment's buckets are read further.
            let tags = match bucket_tags(client, &name).await {
                Ok(Some(tags)) => tags,
                Ok(None) => return Ok(None),
                // A bucket whose policy denies this caller its tags is not recon's (recon writes
                // the policy, and would not lock itself out); one in another region (an
                // endpoint that ignored `BucketRegion`) is not this region's.
                Err(e) if has_code(&e, "AccessDenied") || has_code(&e, "PermanentRedirect") => {
                    tracing::warn!(name, "skipping an S3 bucket this caller may not read: {e}");
                    return Ok(None);
                }
                Err(e) => return Err(e),
            };
            if tag_value(&tags, ENV) != Some(environment) {
                return Ok(None);
            }
            complete(client, region, &name, &tags).await
        })
        .buffer_unordered(DISCOVERY_READS_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, name: &str) -> Result<Option<Found>, ProviderError> {
    let Some(tags) = bucket_tags(client, name).await? else {
        return Ok(None);
    };
    complete(client, &region_of(client), name, &tags).await
}

/// GetBucketTagging: `None` when the bucket does not exist; a bucket without tags has none.
async fn bucket_tags(client: &Client, name: &str) -> Result<Option<Vec<Tag>>, ProviderError> {
    debug!(op = "GetBucketTagging", name, "aws call");
    let out = client.get_bucket_tagging().bucket(name).send().await;
    match out.map_err(|e| errors::sdk("GetBucketTagging", e)) {
        Ok(out) => Ok(Some(out.tag_set)),
        Err(e) if has_code(&e, "NoSuchTagSet") => Ok(Some(Vec::new())),
        Err(e) if has_code(&e, NO_SUCH_BUCKET) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The rest of a bucket around its tags, read concurrently; `None` when it is gone meanwhile.
async fn complete(
    client: &Client,
    region: &str,
    name: &str,
    tags: &[Tag],
) -> Result<Option<Found>, ProviderError> {
    let read = futures::try_join!(
        encryption_key(client, name),
        public_access_blocked(client, name),
        versioning(client, name),
        lifecycle_rules(client, name),
        policy(client, name),
        objects(client, name),
    );
    match read {
        Ok((kms_key, block_public_access, versioning, lifecycle_rules, policy, objects)) => {
            let config = Config {
                kms_key,
                block_public_access,
                versioning,
                lifecycle_rules,
                policy,
                objects,
            };
            Ok(Some(to_found(region, name, tags, config)))
        }
        Err(e) if has_code(&e, NO_SUCH_BUCKET) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The KMS key id of the default encryption; `None` for SSE-S3 (or no configuration, which
/// only moto answers: AWS encrypts every bucket).
async fn encryption_key(client: &Client, name: &str) -> Result<Option<String>, ProviderError> {
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
async fn public_access_blocked(client: &Client, name: &str) -> Result<bool, ProviderError> {
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
async fn versioning(client: &Client, name: &str) -> Result<bool, ProviderError> {
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

async fn lifecycle_rules(client: &Client, name: &str) -> Result<Vec<Value>, ProviderError> {
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
async fn policy(client: &Client, name: &str) -> Result<Option<Value>, ProviderError> {
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

/// How many object versions and delete markers the bucket holds, from one ListObjectVersions
/// page, and whether there are more.
async fn objects(client: &Client, name: &str) -> Result<(i64, bool), ProviderError> {
    debug!(op = "ListObjectVersions", name, "aws call");
    let out = client
        .list_object_versions()
        .bucket(name)
        .max_keys(OBJECTS_PER_PAGE)
        .send()
        .await
        .map_err(|e| errors::sdk("ListObjectVersions", e))?;
    let count = out.versions().len() + out.delete_markers().len();
    Ok((count as i64, out.is_truncated() == Some(true)))
}

// ---- create ------------------------------------------------------------------------------------

/// HeadBucket (the name must be free), then CreateBucket with the tags (and the
/// `recon:force-destroy` tag) in its configuration, sent once. Encryption, public access,
/// versioning, lifecycle and policy are set by [`update`] afterwards.
pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let attrs = request.attrs;
    let name = match optional_text(attrs, "name")? {
        Some(name) => name.to_owned(),
        None => derived_name(request.environment, &request.address.name),
    };
    let mut wanted = tags::wanted(attrs)?;
    if super::flag("force_destroy", attrs.get("force_destroy"))? {
        wanted.insert(FORCE_DESTROY_TAG.into(), "true".into());
    }
    if let Some(existing) = taken(client, &name, request).await? {
        return Ok(existing);
    }
    let region = region_of(client);
    let mut config = CreateBucketConfiguration::builder().set_tags(Some(s3_tags(&wanted)?));
    // us-east-1 takes no location constraint (it refuses its own name as one).
    if region != "us-east-1" {
        config = config.location_constraint(BucketLocationConstraint::from(region.as_str()));
    }
    debug!(op = "CreateBucket", address = %request.address, name, region, "aws call");
    let created = client
        .create_bucket()
        .bucket(&name)
        .create_bucket_configuration(config.build())
        .customize()
        .config_override(crate::sent_once!(aws_sdk_s3))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateBucket", e));
    match created {
        Ok(_) => {}
        // Made by someone else between the HeadBucket and now.
        Err(e)
            if has_code(&e, "BucketAlreadyExists") || has_code(&e, "BucketAlreadyOwnedByYou") =>
        {
            return Err(name_taken(&name, "already exists"));
        }
        Err(e) => return Err(e),
    }
    // moto drops the configuration's tags; AWS keeps them, and this is one read.
    let tagged = bucket_tags(client, &name).await?.unwrap_or_default();
    if tag_value(&tagged, ENV) != Some(request.environment) {
        put_tags(client, &name, &wanted).await?;
    }
    // What AWS gives a new bucket (the kind's facts), until the update after the create.
    let initial = |field: &str| {
        DEF.aws
            .set_after_create
            .iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, value)| value())
    };
    let config = Config {
        kms_key: None,
        block_public_access: initial("block_public_access") == Some(Value::Bool(true)),
        versioning: initial("versioning") == Some(Value::Bool(true)),
        lifecycle_rules: Vec::new(),
        policy: None,
        objects: (0, false),
    };
    Ok(to_found(&region, &name, &s3_tags(&wanted)?, config))
}

/// `Some(bucket)` when `name` is this very resource's bucket (an earlier create of it whose
/// answer was lost); an error when it is anyone else's; `None` when the name is free.
async fn taken(
    client: &Client,
    name: &str,
    request: &CreateRequest<'_>,
) -> Result<Option<Found>, ProviderError> {
    debug!(op = "HeadBucket", name, "aws call");
    let status = match client.head_bucket().bucket(name).send().await {
        Ok(_) => 200,
        // 404: free; 403: another account's (or this one's, out of this caller's reach); 301:
        // a bucket in another region. A HEAD answer has no body, so the status is all there is.
        Err(SdkError::ServiceError(e)) if matches!(e.raw().status().as_u16(), 301 | 403 | 404) => {
            e.raw().status().as_u16()
        }
        Err(e) => return Err(errors::sdk("HeadBucket", e)),
    };
    match status {
        404 => Ok(None),
        200 => {
            // Reachable: ours only if tagged as this very resource (tags unreadable: not ours).
            let tags = bucket_tags(client, name)
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            let ours = tag_value(&tags, ENV) == Some(request.environment)
                && tag_value(&tags, ID) == Some(request.address.to_string().as_str());
            if !ours {
                return Err(name_taken(name, "already exists"));
            }
            read(client, name).await
        }
        _ => Err(name_taken(
            name,
            "exists out of this caller's reach (another account's, or in another region)",
        )),
    }
}

fn name_taken(name: &str, why: &str) -> ProviderError {
    ProviderError::new(
        ErrorKind::AlreadyExists,
        format!(
            "the S3 bucket name `{name}` is taken: a bucket of that name {why} (bucket names are \
             global across every AWS account, and this account or another holds it); set the \
             bucket's `name:` to another value"
        ),
    )
}

// ---- update ------------------------------------------------------------------------------------

pub(crate) async fn update(
    client: &Client,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    let name = current.id.as_str();
    // A public policy is refused while public access is blocked: unblock before the policy
    // changes, block after.
    let mut diffs: Vec<&AttrDiff> = request.diffs.iter().collect();
    diffs.sort_by_key(|d| match (d.field.as_str(), &d.after) {
        ("block_public_access", Some(Value::Bool(true))) => 2,
        ("block_public_access", _) => 0,
        _ => 1,
    });
    let mut retag = false;
    for diff in diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        match diff.field.as_str() {
            "kms_key" => {
                let key = after.map(|k| super::as_text("kms_key", k)).transpose()?;
                put_encryption(client, name, key).await?;
            }
            "block_public_access" => {
                put_public_access_block(client, name, super::flag("block_public_access", after)?)
                    .await?;
            }
            "versioning" => {
                put_versioning(client, name, super::flag("versioning", after)?).await?;
            }
            "lifecycle_rules" => {
                let rules = super::items("lifecycle_rules", after)?
                    .iter()
                    .map(lifecycle_rule)
                    .collect::<Result<Vec<_>, _>>()?;
                put_lifecycle(client, name, rules).await?;
            }
            "policy" => put_policy(client, name, after).await?,
            // One PutBucketTagging for both: it replaces the whole tag set.
            "tags" | "force_destroy" => retag = true,
            other => return Err(not_in_place(Kind::S3Bucket, other)),
        }
    }
    if retag {
        put_tags(client, name, &tag_set(current, request.diffs)?).await?;
    }
    Ok(())
}

/// PutBucketEncryption: SSE-KMS with `key` and a bucket key, or SSE-S3 without one.
async fn put_encryption(
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
async fn put_public_access_block(
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
async fn put_versioning(client: &Client, name: &str, on: bool) -> Result<(), ProviderError> {
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
async fn put_lifecycle(
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
async fn put_policy(
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

/// PutBucketTagging with the whole set (S3 has no call that adds or removes one tag, short of
/// the ABAC TagResource API, which recon's buckets do not use).
async fn put_tags(
    client: &Client,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    let tagging = Tagging::builder()
        .set_tag_set(Some(s3_tags(tags)?))
        .build()
        .map_err(|e| invalid(format!("tags of S3 bucket {name}: {e}")))?;
    debug!(op = "PutBucketTagging", name, keys = ?tags.keys().collect::<Vec<_>>(), "aws call");
    client
        .put_bucket_tagging()
        .bucket(name)
        .tagging(tagging)
        .send()
        .await
        .map_err(|e| errors::sdk("PutBucketTagging", e))?;
    Ok(())
}

/// The tag set an update writes: the wanted tags (or the current ones, if `tags` does not
/// change), with the ownership tags kept, and `recon:force-destroy` as wanted (or as it is).
fn tag_set(current: &Found, diffs: &[AttrDiff]) -> Result<BTreeMap<String, String>, ProviderError> {
    let changed = |field: &str| diffs.iter().find(|d| d.field == field);
    let tags = match changed("tags") {
        Some(d) => d.after.as_ref(),
        None => current.attrs.get("tags"),
    };
    let mut set = tags::from_value(tags)?;
    set.retain(|k, _| !is_aws_managed(k) && k != FORCE_DESTROY_TAG);
    for key in [ENV, ID] {
        if !set.contains_key(key)
            && let Some(value) = current.tag(key)
        {
            set.insert(key.to_owned(), value.to_owned());
        }
    }
    let force = match changed("force_destroy") {
        Some(d) => d.after.as_ref(),
        None => current.attrs.get("force_destroy"),
    };
    if super::flag("force_destroy", force)? {
        set.insert(FORCE_DESTROY_TAG.to_owned(), "true".to_owned());
    }
    Ok(set)
}

// ---- delete ------------------------------------------------------------------------------------

/// DeleteBucket. A bucket that holds objects (any version or delete marker) is deleted only
/// when its `recon:force-destroy` tag is `true`: then every version and delete marker goes
/// first (ListObjectVersions, DeleteObjects, 1000 at a time).
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    let name = current.id.as_str();
    let (count, more) = match objects(client, name).await {
        Ok(counted) => counted,
        Err(e) if has_code(&e, NO_SUCH_BUCKET) => return Ok(()),
        Err(e) => return Err(e),
    };
    if count > 0 {
        if current.attrs.get("force_destroy") != Some(&Value::Bool(true)) {
            let count = if more {
                format!("{count} or more")
            } else {
                count.to_string()
            };
            return Err(invalid(format!(
                "S3 bucket {name} still holds {count} objects (versions and delete markers); \
                 recon deletes a bucket with objects only when its spec says \
                 `force_destroy: true` (applied before the delete), or once it is empty"
            )));
        }
        empty(client, name).await?;
    }
    debug!(op = "DeleteBucket", name, "aws call");
    let out = client.delete_bucket().bucket(name).send().await;
    match out.map_err(|e| errors::sdk("DeleteBucket", e)) {
        Ok(_) => Ok(()),
        Err(e) if has_code(&e, NO_SUCH_BUCKET) => Ok(()),
        // Written to since it was emptied: the executor retries, and the retry looks again.
        Err(mut e) if has_code(&e, "BucketNotEmpty") => {
            e.kind = ErrorKind::DependencyViolation;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// Deletes every object version and delete marker, a page at a time. Each page is listed from
/// the start: what the last one deleted is gone, so no markers are needed.
async fn empty(client: &Client, name: &str) -> Result<(), ProviderError> {
    loop {
        debug!(op = "ListObjectVersions", name, "aws call");
        let page = client
            .list_object_versions()
            .bucket(name)
            .max_keys(OBJECTS_PER_PAGE)
            .send()
            .await
            .map_err(|e| errors::sdk("ListObjectVersions", e))?;
        let versions = page.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = page
            .delete_markers()
            .iter()
            .map(|m| (m.key(), m.version_id()));
        let ids = versions
            .chain(markers)
            .filter_map(|(key, version)| {
                Some(
                    ObjectIdentifier::builder()
                        .key(key?)
                        .set_version_id(version.map(str::to_owned))
                        .build()
                        .map_err(|e| invalid(format!("an object of S3 bucket {name}: {e}"))),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            return Ok(());
        }
        let batch = Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()
            .map_err(|e| invalid(format!("objects of S3 bucket {name}: {e}")))?;
        debug!(op = "DeleteObjects", name, "aws call");
        let out = client
            .delete_objects()
            .bucket(name)
            .delete(batch)
            .send()
            .await
            .map_err(|e| errors::sdk("DeleteObjects", e))?;
        // Quiet: only failures are reported (an object under Object Lock, a denied key).
        if let Some(failed) = out.errors().first() {
            return Err(ProviderError::new(
                ErrorKind::Other,
                format!(
                    "S3 bucket {name}: {} of its objects could not be deleted; the first, `{}`: {}: {}",
                    out.errors().len(),
                    failed.key().unwrap_or_default(),
                    failed.code().unwrap_or_default(),
                    failed.message().unwrap_or_default(),
                ),
            ));
        }
    }
}

// ---- mapping -----------------------------------------------------------------------------------

/// What the reads after the tags found.
struct Config {
    kms_key: Option<String>,
    block_public_access: bool,
    versioning: bool,
    lifecycle_rules: Vec<Value>,
    policy: Option<Value>,
    /// Object versions and delete markers counted, and whether there are more.
    objects: (i64, bool),
}

fn to_found(region: &str, name: &str, tags: &[Tag], config: Config) -> Found {
    let mut attrs = Attrs::new();
    attrs.insert("name".into(), Value::str(name));
    super::put(&mut attrs, "kms_key", config.kms_key.as_deref());
    attrs.insert(
        "block_public_access".into(),
        Value::Bool(config.block_public_access),
    );
    attrs.insert("versioning".into(), Value::Bool(config.versioning));
    attrs.insert(
        "lifecycle_rules".into(),
        Value::List(config.lifecycle_rules),
    );
    if let Some(policy) = config.policy {
        attrs.insert("policy".into(), policy);
    }
    attrs.insert(
        "force_destroy".into(),
        Value::Bool(tag_value(tags, FORCE_DESTROY_TAG) == Some("true")),
    );
    attrs.insert(
        "tags".into(),
        Value::Map(
            tags.iter()
                .filter(|t| !is_aws_managed(t.key()) && t.key() != FORCE_DESTROY_TAG)
                .map(|t| (t.key().to_owned(), Value::str(t.value())))
                .collect(),
        ),
    );
    let mut found = Found::new(name, LiveState::Available, attrs);
    found.outputs.insert(
        "arn".into(),
        Value::String(format!("arn:{}:s3:::{name}", partition(region))),
    );
    found.outputs.insert("name".into(), Value::str(name));
    let (count, more) = config.objects;
    found.outputs.insert("objects".into(), Value::Int(count));
    if more {
        found
            .outputs
            .insert("objects_at_least".into(), Value::Bool(true));
    }
    found
}

/// A lifecycle rule as recon's value; `None` for a disabled rule (recon's are enabled, so a
/// disabled one shows as missing and an update enables it again).
fn rule_value(rule: &LifecycleRule) -> Option<Value> {
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
fn lifecycle_rule(rule: &Value) -> Result<LifecycleRule, ProviderError> {
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

/// `Ok(None)` where S3 answered `code` (a configuration the bucket does not have).
fn unless_code<T>(
    result: Result<T, ProviderError>,
    code: &str,
) -> Result<Option<T>, ProviderError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if has_code(&e, code) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The region the client sends to (the provider's).
fn region_of(client: &Client) -> String {
    client
        .config()
        .region()
        .map(|r| r.as_ref().to_owned())
        .unwrap_or_default()
}

/// The ARN partition of `region`.
fn partition(region: &str) -> &'static str {
    match region {
        r if r.starts_with("cn-") => "aws-cn",
        r if r.starts_with("us-gov-") => "aws-us-gov",
        r if r.starts_with("us-isob-") => "aws-iso-b",
        r if r.starts_with("us-isof-") => "aws-iso-f",
        r if r.starts_with("us-iso-") => "aws-iso",
        r if r.starts_with("eu-isoe-") => "aws-iso-e",
        r if r.starts_with("eusc-") => "aws-eusc",
        _ => "aws",
    }
}

fn s3_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| invalid(format!("tag `{k}`: {e}")))
        })
        .collect()
}

fn tag_value<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key() == key).map(|t| t.value())
}

/// A bucket policy's JSON as a value (text that is not JSON stays text: it shows as a change,
/// and an update writes the wanted policy).
fn policy_value(name: &str, text: String) -> Value {
    crate::policy::read(&format!("the policy of S3 bucket {name}"), &text)
}

// ---- the kind ----------------------------------------------------------------------------------

// `s3_bucket`'s [`AwsKind`](super::AwsKind): the functions above, on the S3 client.
super::aws_kind_calls!(S3Bucket, s3);

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(k: &str, v: &str) -> Tag {
        Tag::builder().key(k).value(v).build().unwrap()
    }

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
    fn force_destroy_is_a_field_not_a_tag() {
        let tags = [
            tag(ENV, "irb"),
            tag(FORCE_DESTROY_TAG, "true"),
            tag("aws:cloudformation:stack-name", "s"),
        ];
        let config = Config {
            kms_key: Some("k-1".into()),
            block_public_access: true,
            versioning: false,
            lifecycle_rules: vec![],
            policy: None,
            objects: (1000, true),
        };
        let found = to_found("cn-north-1", "irb-data", &tags, config);
        assert_eq!(found.attrs["force_destroy"], Value::Bool(true));
        assert_eq!(
            found.attrs["tags"],
            Value::Map([(ENV.to_owned(), Value::str("irb"))].into())
        );
        assert_eq!(found.attrs["kms_key"], Value::str("k-1"));
        assert!(!found.attrs.contains_key("policy"));
        assert_eq!(found.outputs["arn"], Value::str("arn:aws-cn:s3:::irb-data"));
        assert_eq!(found.outputs["objects"], Value::Int(1000));
        assert_eq!(found.outputs["objects_at_least"], Value::Bool(true));
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition("eu-west-1"), "aws");

        // An update of the tags alone keeps the force-destroy tag; one of force_destroy alone
        // keeps the tags; the ownership tags are never dropped.
        let diff = |field: &str, after: Value| AttrDiff {
            field: field.into(),
            before: None,
            after: Some(after),
            forces_replacement: false,
        };
        let set = tag_set(
            &found,
            &[diff(
                "tags",
                Value::Map([("Project".to_owned(), Value::str("x"))].into()),
            )],
        )
        .unwrap();
        assert_eq!(
            set.keys().map(String::as_str).collect::<Vec<_>>(),
            ["Project", ENV, FORCE_DESTROY_TAG]
        );
        let set = tag_set(&found, &[diff("force_destroy", Value::Bool(false))]).unwrap();
        assert_eq!(set.keys().map(String::as_str).collect::<Vec<_>>(), [ENV]);
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
