//! `efs_mount_target`: CreateMountTarget, ModifyMountTargetSecurityGroups, DeleteMountTarget.
//!
//! # Ownership without tags
//! Mount targets cannot be tagged. recon records a mount target's address on its file system
//! instead: the tag `recon:mt:<subnet id>` = `efs_mount_target.<name>` (a file system has at
//! most one mount target per subnet, since it has one per availability zone). The tag is set
//! (TagResource) *before* CreateMountTarget, so a mount target never exists unrecorded, and the
//! create refuses a file system not tagged with the request's environment. The mount target's
//! `recon:env` is its file system's, which is also what update and delete re-check.
//!
//! The tag is not removed when the mount target is deleted (until it is gone, the executor
//! still reads it by id and needs its address): a stale tag names a subnet without a mount
//! target, is ignored by discovery, overwritten by the next create in that subnet, and goes
//! away with the file system.
//!
//! Discovery: the environment's file systems (see `efs_file_system`), then DescribeMountTargets
//! and DescribeMountTargetSecurityGroups for each. The reported `tags` are the file system's
//! (without its own mount target tags and its `Name`) with the mount target's `recon:id`, which
//! is what the spec asks for (a mount target gets no `Name`: AWS could not keep it) unless it
//! gives the mount target tags of its own: those cannot be applied, and a `tags` update is a no-op, except for a new `recon:id`
//! (a `moved:` rename), which rewrites the file system's `recon:mt:<subnet id>` tag. The file
//! system's `recon:protect` tag is not reported: a mount target cannot be protected itself.
//!
//! A conflicting create (`MountTargetConflict`: the file system already has one in this
//! subnet's zone) returns the existing mount target when it is in the same subnet.

use aws_sdk_efs::Client;
use aws_sdk_efs::types::{FileSystemDescription, LifeCycleState, MountTargetDescription};
use futures::{StreamExt, TryStreamExt};
use recon_model::tags::{ENV, ID, NAME};
use recon_model::{Attrs, LiveState, Value};
use recon_provider::{CreateRequest, ErrorKind, ProviderError, UpdateRequest};
use tracing::debug;

use super::efs_file_system::{self, MOUNT_TARGET_TAG, efs_tag, tag};
use super::{Found, known, text};
use crate::errors::{self, gone_is_ok, invalid, unless_not_found};

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    // Each file system's mount targets, then each mount target's security groups (EFS has no
    // batch form of either), concurrently.
    let file_systems = efs_file_system::describe_env(client, environment).await?;
    let described: Vec<(FileSystemDescription, Vec<MountTargetDescription>)> =
        futures::stream::iter(file_systems)
            .map(|fs| async move {
                debug!(
                    op = "DescribeMountTargets",
                    fs = fs.file_system_id(),
                    "aws call"
                );
                let described = client
                    .describe_mount_targets()
                    .file_system_id(fs.file_system_id())
                    .send()
                    .await;
                let targets = unless_not_found(
                    described.map_err(|e| errors::sdk("DescribeMountTargets", e)),
                )?
                .map(|d| d.mount_targets().to_vec())
                .unwrap_or_default();
                Ok::<_, ProviderError>((fs, targets))
            })
            .buffered(super::DISCOVERY_READS_IN_FLIGHT)
            .try_collect()
            .await?;
    let pairs: Vec<(FileSystemDescription, MountTargetDescription)> = described
        .into_iter()
        .flat_map(|(fs, targets)| targets.into_iter().map(move |mt| (fs.clone(), mt)))
        .collect();
    let found: Vec<Option<Found>> = futures::stream::iter(pairs)
        .map(|(fs, mt)| async move { complete(client, &mt, &fs).await })
        .buffered(super::DISCOVERY_READS_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, id: &str) -> Result<Option<Found>, ProviderError> {
    let Some(mt) = describe(client, id).await? else {
        return Ok(None);
    };
    let Some(fs) = efs_file_system::describe(client, mt.file_system_id()).await? else {
        return Ok(None);
    };
    complete(client, &mt, &fs).await
}

async fn describe(
    client: &Client,
    id: &str,
) -> Result<Option<MountTargetDescription>, ProviderError> {
    debug!(op = "DescribeMountTargets", id, "aws call");
    let out = client
        .describe_mount_targets()
        .mount_target_id(id)
        .send()
        .await;
    let Some(out) = unless_not_found(out.map_err(|e| errors::sdk("DescribeMountTargets", e)))?
    else {
        return Ok(None);
    };
    Ok(out
        .mount_targets()
        .iter()
        .find(|m| m.mount_target_id() == id)
        .cloned())
}

/// The security groups, then the resource. `None` once deleted.
async fn complete(
    client: &Client,
    mt: &MountTargetDescription,
    fs: &FileSystemDescription,
) -> Result<Option<Found>, ProviderError> {
    if *mt.life_cycle_state() == LifeCycleState::Deleted {
        return Ok(None);
    }
    let id = mt.mount_target_id();
    debug!(op = "DescribeMountTargetSecurityGroups", id, "aws call");
    let groups = client
        .describe_mount_target_security_groups()
        .mount_target_id(id)
        .send()
        .await;
    let groups = match groups.map_err(|e| errors::sdk("DescribeMountTargetSecurityGroups", e)) {
        Ok(g) => Some(g.security_groups().to_vec()),
        // Being deleted: no security groups to report.
        Err(e) if e.kind == ErrorKind::NotFound || e.kind == ErrorKind::IncorrectState => None,
        Err(e) => return Err(e),
    };
    Ok(to_found(mt, fs, groups))
}

// ---- create ------------------------------------------------------------------------------------

/// Records the address on the file system, then CreateMountTarget.
pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let fs_id = text(request.attrs, "file_system")?;
    let subnet = text(request.attrs, "subnet")?;
    let groups = super::items("security_groups", request.attrs.get("security_groups"))?
        .iter()
        .map(|g| super::as_text("security_groups", g).map(str::to_owned))
        .collect::<Result<Vec<_>, _>>()?;
    let fs = efs_file_system::describe(client, fs_id)
        .await?
        .ok_or_else(|| super::gone(recon_model::Kind::EfsFileSystem, fs_id))?;
    if tag(fs.tags(), ENV) != Some(request.environment) {
        return Err(ProviderError::new(
            ErrorKind::NotOwned,
            format!(
                "file system {fs_id} is not tagged {ENV}={}: recon will not add a mount target to it",
                request.environment
            ),
        ));
    }
    let key = format!("{MOUNT_TARGET_TAG}{subnet}");
    let address = request.address.to_string();
    debug!(op = "TagResource", id = fs_id, key, address, "aws call");
    client
        .tag_resource()
        .resource_id(fs_id)
        .tags(efs_tag(&key, &address)?)
        .send()
        .await
        .map_err(|e| errors::sdk("TagResource", e))?;
    debug!(op = "CreateMountTarget", address = %request.address, fs_id, subnet, "aws call");
    let out = client
        .create_mount_target()
        .file_system_id(fs_id)
        .subnet_id(subnet)
        .set_security_groups((!groups.is_empty()).then_some(groups))
        .send()
        .await;
    let id = match out {
        Ok(o) => o.mount_target_id().to_owned(),
        Err(e) => {
            let e = errors::sdk("CreateMountTarget", e);
            if !errors::has_code(&e, "MountTargetConflict") {
                return Err(e);
            }
            // Already made (a retried create): the one in this subnet.
            debug!(op = "DescribeMountTargets", fs_id, "aws call");
            let existing = client
                .describe_mount_targets()
                .file_system_id(fs_id)
                .send()
                .await
                .map_err(|e| errors::sdk("DescribeMountTargets", e))?;
            existing
                .mount_targets()
                .iter()
                .find(|m| m.subnet_id() == subnet)
                .map(|m| m.mount_target_id().to_owned())
                .ok_or(e)?
        }
    };
    // EFS lists a new mount target a little after it answers: not visible yet is pending, and
    // the executor's wait reads it again, tolerating "not found" for its grace period.
    match read(client, &id).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Ok(Found::new(&id, LiveState::Pending, Attrs::new())),
        Err(e) if e.kind == ErrorKind::NotFound => {
            Ok(Found::new(&id, LiveState::Pending, Attrs::new()))
        }
        Err(e) => Err(e),
    }
}

// ---- update ------------------------------------------------------------------------------------

pub(crate) async fn update(
    client: &Client,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        match diff.field.as_str() {
            "security_groups" => {
                let groups = super::items("security_groups", after)?
                    .iter()
                    .map(|g| super::as_text("security_groups", g).map(str::to_owned))
                    .collect::<Result<Vec<_>, _>>()?;
                if groups.is_empty() {
                    return Err(invalid(
                        "a mount target needs at least one security group: give one, or leave `security_groups` out",
                    ));
                }
                debug!(
                    op = "ModifyMountTargetSecurityGroups",
                    id = current.id,
                    ?groups,
                    "aws call"
                );
                client
                    .modify_mount_target_security_groups()
                    .mount_target_id(&current.id)
                    .set_security_groups(Some(groups))
                    .send()
                    .await
                    .map_err(|e| errors::sdk("ModifyMountTargetSecurityGroups", e))?;
            }
            // Mount targets take no tags (see the module doc): only a new address (a move)
            // is recorded, on the file system.
            "tags" => {
                let wanted = after
                    .and_then(Value::as_map)
                    .and_then(|t| t.get(ID))
                    .and_then(Value::as_str);
                match wanted {
                    Some(address) if current.tag(ID) != Some(address) => {
                        let fs_id = text(&current.attrs, "file_system")?;
                        let subnet = text(&current.attrs, "subnet")?;
                        let key = format!("{MOUNT_TARGET_TAG}{subnet}");
                        debug!(op = "TagResource", id = fs_id, key, address, "aws call");
                        client
                            .tag_resource()
                            .resource_id(fs_id)
                            .tags(efs_tag(&key, address)?)
                            .send()
                            .await
                            .map_err(|e| errors::sdk("TagResource", e))?;
                    }
                    _ => debug!(id = current.id, "mount targets take no tags: ignored"),
                }
            }
            other => {
                return Err(super::not_in_place(
                    recon_model::Kind::EfsMountTarget,
                    other,
                ));
            }
        }
    }
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    if current.state == LiveState::Deleting {
        return Ok(());
    }
    debug!(op = "DeleteMountTarget", id = current.id, "aws call");
    let out = client
        .delete_mount_target()
        .mount_target_id(&current.id)
        .send()
        .await;
    gone_is_ok(out.map_err(|e| errors::sdk("DeleteMountTarget", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

/// `None` once deleted. Without the file system's `recon:mt:<subnet>` tag the result has no
/// `recon:id` (recon did not make it).
pub(crate) fn to_found(
    mt: &MountTargetDescription,
    fs: &FileSystemDescription,
    groups: Option<Vec<String>>,
) -> Option<Found> {
    let state = match mt.life_cycle_state() {
        LifeCycleState::Deleted => return None,
        LifeCycleState::Creating => LiveState::Pending,
        LifeCycleState::Deleting => LiveState::Deleting,
        LifeCycleState::Error => LiveState::Failed,
        _ => LiveState::Available,
    };
    let mut attrs = Attrs::new();
    attrs.insert("file_system".into(), Value::str(mt.file_system_id()));
    attrs.insert("subnet".into(), Value::str(mt.subnet_id()));
    if let Some(mut groups) = groups {
        groups.sort();
        groups.dedup();
        attrs.insert(
            "security_groups".into(),
            Value::List(groups.into_iter().map(Value::str).collect()),
        );
    }
    let mut tags = match efs_file_system::tags_value(fs.tags()) {
        Value::Map(m) => m,
        _ => Default::default(),
    };
    tags.remove(ID);
    tags.remove(NAME);
    tags.remove(recon_model::tags::PROTECT);
    let recorded = tag(fs.tags(), &format!("{MOUNT_TARGET_TAG}{}", mt.subnet_id()));
    if let Some(address) = recorded {
        tags.insert(ID.into(), Value::str(address));
    }
    attrs.insert("tags".into(), Value::Map(tags));
    let mut found = Found::new(mt.mount_target_id(), state, attrs);
    super::put(&mut found.outputs, "ip_address", mt.ip_address());
    super::put(
        &mut found.outputs,
        "availability_zone",
        mt.availability_zone_name(),
    );
    Some(found)
}

// ---- the kind ----------------------------------------------------------------------------------

// `efs_mount_target`'s [`AwsKind`](super::AwsKind): the functions above, on the EFS client.
super::aws_kind_calls!(EfsMountTarget, efs);

#[cfg(test)]
mod tests {
    //! EFS answers a CreateMountTarget before it lists the mount target: the create is still
    //! a success (pending), for the executor's wait to read again, not a failed apply. Both
    //! EFS kinds discover from one listing of the account's file systems.

    use recon_model::{Address, Kind};
    use recon_provider::CreateRequest;

    use super::*;
    use crate::stub_rest::{RestStub, Step};

    fn reply(method: &'static str, path: &str, json: &str) -> Step {
        Step::ok(&format!("{method} {path}"), json)
    }

    #[tokio::test]
    async fn both_efs_kinds_discover_from_one_listing() {
        let stub = RestStub::start(vec![reply(
            "GET",
            "/2015-02-01/file-systems",
            r#"{"FileSystems":[]}"#,
        )]);
        let client = stub.efs();
        let (file_systems, mount_targets) = tokio::join!(
            efs_file_system::discover(&client, "irb"),
            discover(&client, "irb")
        );
        assert!(file_systems.unwrap().is_empty());
        assert!(mount_targets.unwrap().is_empty());
        assert_eq!(stub.requests().len(), 1, "{:?}", stub.requests());
    }

    #[tokio::test]
    async fn a_mount_target_not_listed_yet_is_pending_not_an_error() {
        let file_system = r#"{"FileSystems":[{"OwnerId":"123456789012","CreationToken":"t",
            "FileSystemId":"fs-1","CreationTime":1793520000,"LifeCycleState":"available",
            "NumberOfMountTargets":0,"SizeInBytes":{"Value":6144},"PerformanceMode":"generalPurpose",
            "Tags":[{"Key":"recon:env","Value":"irb"},{"Key":"recon:id","Value":"efs_file_system.data"}]}]}"#;
        let stub = RestStub::start(vec![
            reply("GET", "/2015-02-01/file-systems", file_system),
            reply("POST", "/2015-02-01/resource-tags/fs-1", "{}"),
            reply(
                "POST",
                "/2015-02-01/mount-targets",
                r#"{"MountTargetId":"fsmt-1","FileSystemId":"fs-1","SubnetId":"subnet-1","LifeCycleState":"creating"}"#,
            ),
            // Not in the list yet.
            reply("GET", "/2015-02-01/mount-targets", r#"{"MountTargets":[]}"#),
        ]);
        let address = Address::new(Kind::EfsMountTarget, "data");
        let attrs = Attrs::from([
            ("file_system".to_owned(), Value::str("fs-1")),
            ("subnet".to_owned(), Value::str("subnet-1")),
        ]);
        let found = create(
            &stub.efs(),
            &CreateRequest {
                address: &address,
                environment: "irb",
                attrs: &attrs,
                token: "t",
            },
        )
        .await
        .expect("made, though not listed yet");
        assert_eq!(found.id, "fsmt-1");
        assert_eq!(found.state, LiveState::Pending);
        assert_eq!(stub.unused(), 0, "{:?}", stub.requests());
    }
}
