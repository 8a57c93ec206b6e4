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
    BucketLocationConstraint, CreateBucketConfiguration, Delete, ObjectIdentifier, Tag, Tagging,
};
use futures::{StreamExt, TryStreamExt, stream};
use recon_model::kinds::s3_bucket::{DEF, FORCE_DESTROY_TAG, derived_name};
use recon_model::tags::{ENV, ID, is_aws_managed};
use recon_model::{AttrDiff, Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ErrorKind, ProviderError, UpdateRequest};
use tracing::debug;

use super::s3_bucket_settings::{
    encryption_key, lifecycle_rule, lifecycle_rules, policy, public_access_blocked, put_encryption,
    put_lifecycle, put_policy, put_public_access_block, put_versioning, versioning,
};
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
    found
        .outputs
        .insert("arn".into(), Value::String(bucket_arn(region, name)));
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

/// `Ok(None)` where S3 answered `code` (a configuration the bucket does not have).
pub(super) fn unless_code<T>(
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

/// A bucket's ARN: S3's have no region or account, only the partition.
pub(crate) fn bucket_arn(region: &str, name: &str) -> String {
    format!(
        "arn:{}:s3:::{name}",
        recon_model::regions::partition(region)
    )
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
}
