//! `efs_file_system`: CreateFileSystem (tagged, `CreationToken` = the request's token),
//! UpdateFileSystem for the throughput mode, PutBackupPolicy for `backups`,
//! TagResource/UntagResource, DeleteFileSystem.
//!
//! EFS has no tag filter: discovery is DescribeFileSystems (paginated, tags inline) filtered on
//! the client side. `backups` is CreateFileSystem's `Backup` parameter, read back with
//! DescribeBackupPolicy, and changed in place with PutBackupPolicy (moto lacks that
//! call: it is tested against the scripted endpoint). A one-zone file system always has
//! backups on moto. `size_bytes` (an output) is the metered size, for the plan's data-loss
//! section. `kms_key` is reported as a key id (EFS reports an ARN).
//!
//! A repeated create with the same token answers `FileSystemAlreadyExists`: the file system
//! the first call made is returned. Deleting one that still has mount targets answers
//! `FileSystemInUse` (a dependency violation: the executor retries once they are gone).
//!
//! Tags `recon:mt:<subnet id>` on a file system belong to its mount targets (see
//! `efs_mount_target`): they are not reported in `tags` and never removed by a tag update.

use std::sync::LazyLock;

use aws_sdk_efs::Client;
use aws_sdk_efs::types::{
    FileSystemDescription, LifeCycleState, PerformanceMode, Tag, ThroughputMode,
};
use futures::{StreamExt, TryStreamExt};
use recon_model::tags::{ENV, is_aws_managed};
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ErrorKind, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, known, not_in_place, optional_text};
use crate::errors::{self, gone_is_ok, invalid, missing, unless_not_found};
use crate::in_flight::InFlight;
use crate::tags;

/// The prefix of the tags mount targets keep on their file system.
pub(crate) const MOUNT_TARGET_TAG: &str = "recon:mt:";

// ---- discover ----------------------------------------------------------------------------------

/// The account's file system listings in flight, which both EFS kinds' discoveries share.
static LISTINGS: LazyLock<InFlight<Vec<FileSystemDescription>>> = LazyLock::new(Default::default);

/// Every file system tagged `recon:env` = `environment`, not yet deleted: one paginated
/// DescribeFileSystems of the whole account (EFS has no tag filter), shared with the other EFS
/// kind's discovery when both ask at once.
pub(crate) async fn describe_env(
    client: &Client,
    environment: &str,
) -> Result<Vec<FileSystemDescription>, ProviderError> {
    // The client's configuration tells one endpoint and account from another (tests run
    // several at once); clones of a client share it.
    let key = format!("{:p} {environment}", client.config());
    let (client, environment) = (client.clone(), environment.to_owned());
    let listed = LISTINGS
        .read(key, || async move { list(&client, &environment).await })
        .await?;
    Ok(listed.as_ref().clone())
}

async fn list(
    client: &Client,
    environment: &str,
) -> Result<Vec<FileSystemDescription>, ProviderError> {
    debug!(op = "DescribeFileSystems", environment, "aws call");
    let all: Vec<FileSystemDescription> = client
        .describe_file_systems()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeFileSystems", e))?;
    Ok(all
        .into_iter()
        .filter(|f| tag(f.tags(), ENV) == Some(environment))
        .filter(|f| *f.life_cycle_state() != LifeCycleState::Deleted)
        .collect())
}

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    // Each file system's backup policy (one call per file system: EFS has no batch form),
    // concurrently.
    let found: Vec<Vec<Found>> = futures::stream::iter(describe_env(client, environment).await?)
        .map(|fs| async move {
            let backups = backups(client, fs.file_system_id()).await?;
            Ok::<_, ProviderError>(to_found(&fs, backups).into_iter().collect())
        })
        .buffered(super::DISCOVERY_READS_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

// ---- read --------------------------------------------------------------------------------------

/// DescribeFileSystems for one id; `None` when it does not exist (or is deleted).
pub(crate) async fn describe(
    client: &Client,
    id: &str,
) -> Result<Option<FileSystemDescription>, ProviderError> {
    debug!(op = "DescribeFileSystems", id, "aws call");
    let out = client
        .describe_file_systems()
        .file_system_id(id)
        .send()
        .await;
    let Some(out) = unless_not_found(out.map_err(|e| errors::sdk("DescribeFileSystems", e)))?
    else {
        return Ok(None);
    };
    Ok(out
        .file_systems()
        .iter()
        .find(|f| f.file_system_id() == id && *f.life_cycle_state() != LifeCycleState::Deleted)
        .cloned())
}

pub(crate) async fn read(client: &Client, id: &str) -> Result<Option<Found>, ProviderError> {
    let Some(fs) = describe(client, id).await? else {
        return Ok(None);
    };
    let backups = backups(client, id).await?;
    Ok(to_found(&fs, backups))
}

/// Whether automatic backups are on (DescribeBackupPolicy; no policy means off).
async fn backups(client: &Client, id: &str) -> Result<Option<bool>, ProviderError> {
    debug!(op = "DescribeBackupPolicy", id, "aws call");
    let out = client
        .describe_backup_policy()
        .file_system_id(id)
        .send()
        .await;
    match out.map_err(|e| errors::sdk("DescribeBackupPolicy", e)) {
        Ok(o) => Ok(Some(o.backup_policy().is_some_and(|p| {
            matches!(p.status().as_str(), "ENABLED" | "ENABLING")
        }))),
        Err(e) if errors::has_code(&e, "PolicyNotFound") => Ok(Some(false)),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

// ---- create ------------------------------------------------------------------------------------

pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let attrs = request.attrs;
    let performance = optional_text(attrs, "performance_mode")?.unwrap_or("generalPurpose");
    let throughput = optional_text(attrs, "throughput_mode")?.unwrap_or("bursting");
    let encrypted = attrs
        .get("encrypted")
        .is_none_or(|v| v.as_bool() != Some(false));
    let kms_key = optional_text(attrs, "kms_key")?;
    let zone = optional_text(attrs, "availability_zone")?;
    let backup = attrs
        .get("backups")
        .is_none_or(|v| v.as_bool() != Some(false));
    let wanted = tags::wanted(attrs)?;
    let efs_tags = wanted
        .iter()
        .map(|(k, v)| efs_tag(k, v))
        .collect::<Result<Vec<_>, _>>()?;
    debug!(
        op = "CreateFileSystem",
        address = %request.address,
        performance,
        throughput,
        encrypted,
        kms_key,
        zone,
        backup,
        "aws call"
    );
    let out = client
        .create_file_system()
        .creation_token(request.token)
        .performance_mode(PerformanceMode::from(performance))
        .throughput_mode(ThroughputMode::from(throughput))
        .encrypted(encrypted)
        .set_kms_key_id(kms_key.map(str::to_owned))
        .set_availability_zone_name(zone.map(str::to_owned))
        .backup(backup)
        .set_tags(Some(efs_tags))
        .send()
        .await;
    match out {
        Ok(out) => {
            let mut found = Found::new(out.file_system_id(), LiveState::Pending, Attrs::new());
            if let Some(f) = read(client, out.file_system_id()).await? {
                found = f;
            }
            Ok(found)
        }
        Err(e) => {
            let e = errors::sdk("CreateFileSystem", e);
            if !errors::has_code(&e, "FileSystemAlreadyExists") {
                return Err(e);
            }
            // The same token: a create that already happened. Return what it made.
            debug!(
                op = "DescribeFileSystems",
                token = request.token,
                "aws call"
            );
            let existing = client
                .describe_file_systems()
                .creation_token(request.token)
                .send()
                .await
                .map_err(|e| errors::sdk("DescribeFileSystems", e))?;
            let fs = existing
                .file_systems()
                .first()
                .ok_or_else(|| missing("DescribeFileSystems", "the file system of the token"))?;
            let backups = backups(client, fs.file_system_id()).await?;
            to_found(fs, backups).ok_or(e)
        }
    }
}

// ---- update ------------------------------------------------------------------------------------

pub(crate) async fn update(
    client: &Client,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    let id = current.id.as_str();
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        match diff.field.as_str() {
            "throughput_mode" => {
                let mode = after
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid("`throughput_mode` is required"))?;
                debug!(op = "UpdateFileSystem", id, mode, "aws call");
                client
                    .update_file_system()
                    .file_system_id(id)
                    .throughput_mode(ThroughputMode::from(mode))
                    .send()
                    .await
                    .map_err(|e| errors::sdk("UpdateFileSystem", e))?;
            }
            "backups" => {
                let on = after.and_then(Value::as_bool).unwrap_or(true);
                put_backup_policy(client, id, on).await?;
            }
            "tags" => update_tags(client, id, current.attrs.get("tags"), after).await?,
            other => return Err(not_in_place(Kind::EfsFileSystem, other)),
        }
    }
    Ok(())
}

/// PutBackupPolicy: automatic backups on (`ENABLED`) or off (`DISABLED`).
async fn put_backup_policy(client: &Client, id: &str, on: bool) -> Result<(), ProviderError> {
    let status = if on { "ENABLED" } else { "DISABLED" };
    debug!(op = "PutBackupPolicy", id, status, "aws call");
    let policy = aws_sdk_efs::types::BackupPolicy::builder()
        .status(aws_sdk_efs::types::Status::from(status))
        .build()
        .map_err(|e| invalid(format!("backup policy: {e}")))?;
    client
        .put_backup_policy()
        .file_system_id(id)
        .backup_policy(policy)
        .send()
        .await
        .map_err(|e| errors::sdk("PutBackupPolicy", e))?;
    Ok(())
}

async fn update_tags(
    client: &Client,
    id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<(), ProviderError> {
    let changes = tags::changes(before, after, |k| k.starts_with(MOUNT_TARGET_TAG))?;
    let set: Vec<Tag> = changes
        .set
        .iter()
        .map(|(k, v)| efs_tag(k, v))
        .collect::<Result<_, _>>()?;
    let removed = changes.removed;
    if !set.is_empty() {
        debug!(op = "TagResource", id, "aws call");
        client
            .tag_resource()
            .resource_id(id)
            .set_tags(Some(set))
            .send()
            .await
            .map_err(|e| errors::sdk("TagResource", e))?;
    }
    if !removed.is_empty() {
        debug!(op = "UntagResource", id, keys = ?removed, "aws call");
        client
            .untag_resource()
            .resource_id(id)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| errors::sdk("UntagResource", e))?;
    }
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

/// DeleteFileSystem unless it is already being deleted. `FileSystemInUse` while mount targets
/// remain is a dependency violation.
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    if current.state == LiveState::Deleting {
        return Ok(());
    }
    debug!(op = "DeleteFileSystem", id = current.id, "aws call");
    let out = client
        .delete_file_system()
        .file_system_id(&current.id)
        .send()
        .await;
    gone_is_ok(out.map_err(|e| errors::sdk("DeleteFileSystem", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

pub(crate) fn efs_tag(key: &str, value: &str) -> Result<Tag, ProviderError> {
    Tag::builder()
        .key(key)
        .value(value)
        .build()
        .map_err(|e| invalid(format!("tag `{key}`: {e}")))
}

pub(crate) fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key() == key).map(|t| t.value())
}

/// The tags a file system reports: all but `aws:*` and its mount targets' tags.
pub(crate) fn tags_value(tags: &[Tag]) -> Value {
    Value::Map(
        tags.iter()
            .filter(|t| !is_aws_managed(t.key()) && !t.key().starts_with(MOUNT_TARGET_TAG))
            .map(|t| (t.key().to_owned(), Value::str(t.value())))
            .collect(),
    )
}

/// `None` for a deleted file system. `backups` is `None` when it could not be read.
pub(crate) fn to_found(fs: &FileSystemDescription, backups: Option<bool>) -> Option<Found> {
    let state = match fs.life_cycle_state() {
        LifeCycleState::Deleted => return None,
        LifeCycleState::Creating => LiveState::Pending,
        LifeCycleState::Deleting => LiveState::Deleting,
        LifeCycleState::Error => LiveState::Failed,
        _ => LiveState::Available,
    };
    let mut attrs = Attrs::new();
    attrs.insert(
        "performance_mode".into(),
        Value::str(fs.performance_mode().as_str()),
    );
    super::put(
        &mut attrs,
        "throughput_mode",
        fs.throughput_mode().map(ThroughputMode::as_str),
    );
    let encrypted = fs.encrypted().unwrap_or(false);
    attrs.insert("encrypted".into(), Value::Bool(encrypted));
    super::put(
        &mut attrs,
        "kms_key",
        fs.kms_key_id().map(super::kms_key_id),
    );
    super::put(&mut attrs, "availability_zone", fs.availability_zone_name());
    if let Some(b) = backups {
        attrs.insert("backups".into(), Value::Bool(b));
    }
    attrs.insert("tags".into(), tags_value(fs.tags()));
    let mut found = Found::new(fs.file_system_id(), state, attrs);
    super::put(&mut found.outputs, "arn", fs.file_system_arn());
    if let Some(size) = fs.size_in_bytes() {
        found
            .outputs
            .insert("size_bytes".into(), Value::Int(size.value()));
    }
    Some(found)
}

// ---- the kind ----------------------------------------------------------------------------------

// `efs_file_system`'s [`AwsKind`](super::AwsKind): the functions above, on the EFS client.
super::aws_kind_calls!(EfsFileSystem, efs);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub_rest::{RestStub, Step};
    use recon_model::{Address, AttrDiff};

    fn file_system(backups: bool) -> Found {
        let mut attrs = Attrs::new();
        attrs.insert("backups".into(), Value::Bool(backups));
        attrs.insert(
            "tags".into(),
            Value::Map([(ENV.to_owned(), Value::str("irb"))].into()),
        );
        Found::new("fs-1", LiveState::Available, attrs)
    }

    /// Toggles `backups` from `before` to `after` through `update`, against a scripted EFS.
    async fn toggle(before: bool, after: bool) -> RestStub {
        let status = if after { "ENABLED" } else { "DISABLED" };
        let stub = RestStub::start(vec![Step::ok(
            "PUT /2015-02-01/file-systems/fs-1/backup-policy",
            format!(r#"{{"BackupPolicy":{{"Status":"{status}"}}}}"#),
        )]);
        let current = file_system(before);
        let live = current
            .clone()
            .with_address(Address::new(Kind::EfsFileSystem, "data"));
        let diffs = [AttrDiff {
            field: "backups".into(),
            before: Some(Value::Bool(before)),
            after: Some(Value::Bool(after)),
            forces_replacement: false,
        }];
        let request = UpdateRequest {
            live: &live,
            attrs: &live.attrs,
            diffs: &diffs,
        };
        update(&stub.efs(), &current, &request)
            .await
            .expect("PutBackupPolicy succeeds");
        stub
    }

    #[tokio::test]
    async fn backups_change_in_place_with_put_backup_policy() {
        for (before, after, status) in [(true, false, "DISABLED"), (false, true, "ENABLED")] {
            let stub = toggle(before, after).await;
            let requests = stub.requests();
            assert_eq!(
                requests.len(),
                1,
                "one call, no create or delete: {requests:?}"
            );
            assert!(
                requests[0].starts_with("PUT /2015-02-01/file-systems/fs-1/backup-policy "),
                "{requests:?}"
            );
            let body: String = requests[0].split_whitespace().collect();
            assert!(
                body.contains(&format!(r#"{{"BackupPolicy":{{"Status":"{status}"}}}}"#)),
                "{body}"
            );
            assert_eq!(stub.unused(), 0);
        }
    }
}
