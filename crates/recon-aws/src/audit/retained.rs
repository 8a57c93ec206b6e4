//! Data that outlives the environment's resources: AWS Backup recovery points of its file
//! systems and instance volumes, and EBS snapshots tagged with the environment.
//!
//! Recovery points are found in every vault at once (ListBackupVaults, then
//! ListRecoveryPointsByBackupVault per vault, beside the snapshots' DescribeSnapshots) and
//! matched on the resource ARN's id, which works after the resource itself is deleted. EBS snapshots made by AWS Backup are recovery points and are
//! deleted through AWS Backup (EC2 refuses DeleteSnapshot for them); other snapshots are found
//! by `tag:recon:env` (re-checked on the client side) and deleted with DeleteSnapshot.

use aws_sdk_ec2::types::Filter;
use futures::future::try_join_all;
use recon_model::tags::ENV;
use recon_provider::ProviderError;
use tracing::debug;

use super::rfc3339;
use crate::AwsProvider;
use crate::errors::{self, has_code};

/// What kind of retained copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetainedKind {
    /// An AWS Backup recovery point (deleted with DeleteRecoveryPoint).
    RecoveryPoint,
    /// An EBS snapshot carrying the environment's tag (deleted with DeleteSnapshot).
    Snapshot,
}

/// A copy of the environment's data kept by AWS after (or apart from) its resources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retained {
    pub kind: RetainedKind,
    /// The recovery point's ARN, or the snapshot's id.
    pub id: String,
    /// The id of the resource whose data it holds (`fs-…`, `vol-…`).
    pub of: String,
    /// The backup vault holding a recovery point.
    pub vault: Option<String>,
    /// When the copy was made (RFC 3339).
    pub created_at: Option<String>,
    /// The lifecycle's "delete after" in days; `None`: kept until someone deletes it.
    pub retention_days: Option<i64>,
    /// When AWS Backup deletes it on its own (RFC 3339); `None`: never.
    pub expires_at: Option<String>,
    /// AWS's status of the copy (`COMPLETED`, `completed`, `DELETING`…).
    pub status: Option<String>,
}

impl AwsProvider {
    /// The recovery points of `file_systems` and `volumes` (ids) in every backup vault of the
    /// region, and the EBS snapshots tagged `recon:env` = `environment`.
    ///
    /// # Guarantees
    /// - Read-only. A snapshot is listed once: as a recovery point when AWS Backup made it.
    pub async fn retained_data(
        &self,
        environment: &str,
        file_systems: &[String],
        volumes: &[String],
    ) -> Result<Vec<Retained>, ProviderError> {
        // The vaults and the snapshots are read at the same time, and every vault's points.
        let points = async {
            if file_systems.is_empty() && volumes.is_empty() {
                return Ok(Vec::new());
            }
            let vaults = self.vaults().await?;
            let each = vaults
                .iter()
                .map(|vault| self.recovery_points(vault, file_systems, volumes));
            Ok::<_, ProviderError>(try_join_all(each).await?.concat())
        };
        let (mut out, snapshots) =
            futures::future::try_join(points, self.tagged_snapshots(environment)).await?;
        for s in snapshots {
            if !out
                .iter()
                .any(|r| r.id.ends_with(&format!("snapshot/{}", s.id)))
            {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Asks AWS to delete one retained copy. Already gone is success.
    pub async fn delete_retained(&self, r: &Retained) -> Result<(), ProviderError> {
        match r.kind {
            RetainedKind::RecoveryPoint => {
                let vault = r.vault.as_deref().unwrap_or_default();
                debug!(op = "DeleteRecoveryPoint", vault, id = r.id, "aws call");
                let out = self
                    .audit
                    .backup
                    .delete_recovery_point()
                    .backup_vault_name(vault)
                    .recovery_point_arn(&r.id)
                    .send()
                    .await
                    .map_err(|e| errors::sdk("DeleteRecoveryPoint", e));
                match out {
                    Err(e) if has_code(&e, "ResourceNotFoundException") => Ok(()),
                    other => other.map(|_| ()),
                }
            }
            RetainedKind::Snapshot => {
                debug!(op = "DeleteSnapshot", id = r.id, "aws call");
                let out = self
                    .clients
                    .ec2
                    .delete_snapshot()
                    .snapshot_id(&r.id)
                    .send()
                    .await;
                errors::gone_is_ok(out.map_err(|e| errors::sdk("DeleteSnapshot", e)))
            }
        }
    }

    /// A direct describe of one retained copy: `false` once AWS says it does not exist (or a
    /// recovery point's status is `DELETED`).
    pub async fn retained_exists(&self, r: &Retained) -> Result<bool, ProviderError> {
        match r.kind {
            RetainedKind::RecoveryPoint => {
                let vault = r.vault.as_deref().unwrap_or_default();
                debug!(op = "DescribeRecoveryPoint", vault, id = r.id, "aws call");
                let out = self
                    .audit
                    .backup
                    .describe_recovery_point()
                    .backup_vault_name(vault)
                    .recovery_point_arn(&r.id)
                    .send()
                    .await
                    .map_err(|e| errors::sdk("DescribeRecoveryPoint", e));
                match out {
                    Ok(o) => Ok(o.status().is_none_or(|s| s.as_str() != "DELETED")),
                    Err(e) if has_code(&e, "ResourceNotFoundException") => Ok(false),
                    Err(e) => Err(e),
                }
            }
            RetainedKind::Snapshot => {
                debug!(op = "DescribeSnapshots", id = r.id, "aws call");
                let out = self
                    .clients
                    .ec2
                    .describe_snapshots()
                    .snapshot_ids(&r.id)
                    .send()
                    .await
                    .map_err(|e| errors::sdk("DescribeSnapshots", e));
                match errors::unless_not_found(out)? {
                    Some(o) => Ok(o
                        .snapshots()
                        .iter()
                        .any(|s| s.snapshot_id() == Some(r.id.as_str()))),
                    None => Ok(false),
                }
            }
        }
    }

    /// The EBS volumes attached to `instances` (ids) as `(instance id, volume id)`, to find
    /// their backups once they are gone.
    pub async fn instance_volumes(
        &self,
        instances: &[String],
    ) -> Result<Vec<(String, String)>, ProviderError> {
        if instances.is_empty() {
            return Ok(Vec::new());
        }
        debug!(op = "DescribeInstances", ?instances, "aws call");
        let out = self
            .clients
            .ec2
            .describe_instances()
            .set_instance_ids(Some(instances.to_vec()))
            .send()
            .await
            .map_err(|e| errors::sdk("DescribeInstances", e));
        let Some(out) = errors::unless_not_found(out)? else {
            return Ok(Vec::new());
        };
        Ok(out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .flat_map(|i| {
                let id = i.instance_id().unwrap_or_default();
                i.block_device_mappings()
                    .iter()
                    .filter_map(move |m| Some((id.to_owned(), m.ebs()?.volume_id()?.to_owned())))
            })
            .collect())
    }

    async fn vaults(&self) -> Result<Vec<String>, ProviderError> {
        debug!(op = "ListBackupVaults", "aws call");
        let vaults: Vec<_> = self
            .audit
            .backup
            .list_backup_vaults()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| errors::sdk("ListBackupVaults", e))?;
        Ok(vaults
            .iter()
            .filter_map(|v| v.backup_vault_name())
            .map(str::to_owned)
            .collect())
    }

    async fn recovery_points(
        &self,
        vault: &str,
        file_systems: &[String],
        volumes: &[String],
    ) -> Result<Vec<Retained>, ProviderError> {
        debug!(op = "ListRecoveryPointsByBackupVault", vault, "aws call");
        let points: Vec<_> = self
            .audit
            .backup
            .list_recovery_points_by_backup_vault()
            .backup_vault_name(vault)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| errors::sdk("ListRecoveryPointsByBackupVault", e))?;
        Ok(points
            .iter()
            .filter_map(|p| {
                let of = resource_id(p.resource_arn()?)?;
                if !file_systems.iter().chain(volumes).any(|id| id == of) {
                    return None;
                }
                Some(Retained {
                    kind: RetainedKind::RecoveryPoint,
                    id: p.recovery_point_arn()?.to_owned(),
                    of: of.to_owned(),
                    vault: Some(p.backup_vault_name().unwrap_or(vault).to_owned()),
                    created_at: p.creation_date().map(rfc3339),
                    retention_days: p.lifecycle().and_then(|l| l.delete_after_days()),
                    expires_at: p
                        .calculated_lifecycle()
                        .and_then(|l| l.delete_at())
                        .map(rfc3339),
                    status: p.status().map(|s| s.as_str().to_owned()),
                })
            })
            .collect())
    }

    async fn tagged_snapshots(&self, environment: &str) -> Result<Vec<Retained>, ProviderError> {
        debug!(op = "DescribeSnapshots", environment, "aws call");
        let snapshots: Vec<_> = self
            .clients
            .ec2
            .describe_snapshots()
            .owner_ids("self")
            .filters(
                Filter::builder()
                    .name(format!("tag:{ENV}"))
                    .values(environment)
                    .build(),
            )
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| errors::sdk("DescribeSnapshots", e))?;
        Ok(snapshots
            .iter()
            .filter(|s| {
                s.tags()
                    .iter()
                    .any(|t| t.key() == Some(ENV) && t.value() == Some(environment))
            })
            .filter_map(|s| {
                Some(Retained {
                    kind: RetainedKind::Snapshot,
                    id: s.snapshot_id()?.to_owned(),
                    of: s.volume_id().unwrap_or_default().to_owned(),
                    vault: None,
                    created_at: s.start_time().map(rfc3339),
                    retention_days: None,
                    expires_at: None,
                    status: s.state().map(|st| st.as_str().to_owned()),
                })
            })
            .collect())
    }
}

/// The resource id at the end of an ARN: `…:file-system/fs-1` → `fs-1`.
fn resource_id(arn: &str) -> Option<&str> {
    arn.rsplit_once('/')
        .map(|(_, id)| id)
        .filter(|id| !id.is_empty())
}
