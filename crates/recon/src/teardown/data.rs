//! The copies of the environment's data AWS keeps after its resources are deleted: AWS Backup
//! recovery points of its file systems and instance volumes, and EBS snapshots tagged with the
//! environment. Found before the destroy (to show them with the plan) and again after it, and,
//! with `--delete-backups`, deleted one by one, each confirmed gone by a direct describe.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant, SystemTime};

use recon_aws::AwsProvider;
use recon_aws::audit::{Retained, RetainedKind};
use recon_model::{Address, Kind, Plan};
use recon_provider::ProviderError;
use serde::{Deserialize, Serialize};

use super::timestamp;
use crate::error::error_chain;

/// How often a deletion is checked while AWS still reports the copy.
pub const POLL: Duration = Duration::from_secs(5);

/// Deleting and describing retained copies: AWS in use, a scripted store in tests.
pub(crate) trait Copies {
    async fn delete(&self, r: &Retained) -> Result<(), ProviderError>;
    async fn exists(&self, r: &Retained) -> Result<bool, ProviderError>;
}

impl Copies for AwsProvider {
    async fn delete(&self, r: &Retained) -> Result<(), ProviderError> {
        self.delete_retained(r).await
    }

    async fn exists(&self, r: &Retained) -> Result<bool, ProviderError> {
        self.retained_exists(r).await
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RemainingData {
    pub items: Vec<DataEntry>,
    /// Set when the search could not run: copies may remain unlisted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RemainingData {
    /// The copies still there (or not confirmed gone).
    pub fn remaining(&self) -> impl Iterator<Item = &DataEntry> {
        self.items
            .iter()
            .filter(|d| d.status != DataStatus::Deleted)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    BackupRecoveryPoint,
    EbsSnapshot,
}

impl DataKind {
    pub fn label(self) -> &'static str {
        match self {
            DataKind::BackupRecoveryPoint => "AWS Backup recovery point",
            DataKind::EbsSnapshot => "EBS snapshot",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataStatus {
    /// Still kept by AWS.
    Remains,
    /// Deleted with `--delete-backups`, and a describe found it gone.
    Deleted,
    /// Deletion asked for; AWS still reported it when recon stopped waiting.
    DeletionUnconfirmed,
    /// The delete call failed (see `reason`).
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataEntry {
    pub kind: DataKind,
    /// The recovery point's ARN or the snapshot's id.
    pub id: String,
    /// The id of the resource whose data it holds (`fs-…`, `vol-…`).
    pub of: String,
    /// The environment's resource it belongs to (for a volume: its instance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// AWS Backup's "delete after" days; absent: kept until someone deletes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<i64>,
    /// When AWS deletes it on its own; absent: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    pub status: DataStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_requested_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_gone_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The resources whose copies are looked for: `(AWS id, address)`.
#[derive(Clone, Debug, Default)]
pub struct Targets {
    pub file_systems: Vec<(String, String)>,
    /// Volume ids, with the address of the instance (or group) they belong to.
    pub volumes: Vec<(String, String)>,
}

impl Targets {
    /// The file systems and instances (and group instances) a destroy plan deletes, with their
    /// volumes. `group_instances`: each Auto Scaling group's instances, as the destroy's
    /// listing found them.
    pub async fn of(
        provider: &AwsProvider,
        plan: &Plan,
        group_instances: &BTreeMap<Address, Vec<String>>,
    ) -> Result<Self, ProviderError> {
        let mut instances: Vec<(String, String)> = Vec::new();
        for c in &plan.changes {
            let Some(id) = &c.id else { continue };
            match c.address.kind {
                Kind::Instance => instances.push((id.clone(), c.address.to_string())),
                Kind::AutoscalingGroup => {
                    if let Some(ids) = group_instances.get(&c.address) {
                        instances.extend(ids.iter().map(|i| (i.clone(), c.address.to_string())));
                    }
                }
                _ => {}
            }
        }
        let file_systems = Self::file_systems(plan);
        let ids: Vec<String> = instances.iter().map(|(id, _)| id.clone()).collect();
        let volumes = provider
            .instance_volumes(&ids)
            .await?
            .into_iter()
            .filter_map(|(instance, volume)| {
                let (_, address) = instances.iter().find(|(id, _)| *id == instance)?;
                Some((volume, address.clone()))
            })
            .collect();
        Ok(Targets {
            file_systems,
            volumes,
        })
    }

    /// The file systems a destroy plan deletes: `(id, address)`.
    pub fn file_systems(plan: &Plan) -> Vec<(String, String)> {
        plan.changes
            .iter()
            .filter(|c| c.address.kind == Kind::EfsFileSystem)
            .filter_map(|c| Some((c.id.clone()?, c.address.to_string())))
            .collect()
    }
}

/// The copies of `targets`' data, and the snapshots tagged with `environment`.
pub async fn find(provider: &AwsProvider, environment: &str, targets: &Targets) -> RemainingData {
    let ids = |v: &[(String, String)]| v.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>();
    match provider
        .retained_data(
            environment,
            &ids(&targets.file_systems),
            &ids(&targets.volumes),
        )
        .await
    {
        Ok(found) => RemainingData {
            items: found.into_iter().map(|r| entry(r, targets)).collect(),
            error: None,
        },
        Err(e) => RemainingData {
            items: Vec::new(),
            error: Some(error_chain(&e)),
        },
    }
}

fn entry(r: Retained, targets: &Targets) -> DataEntry {
    let of_address = targets
        .file_systems
        .iter()
        .chain(&targets.volumes)
        .find(|(id, _)| *id == r.of)
        .map(|(_, a)| a.clone());
    DataEntry {
        kind: match r.kind {
            RetainedKind::RecoveryPoint => DataKind::BackupRecoveryPoint,
            RetainedKind::Snapshot => DataKind::EbsSnapshot,
        },
        id: r.id,
        of: r.of,
        of_address,
        vault: r.vault,
        created_at: r.created_at,
        retention_days: r.retention_days,
        expires_at: r.expires_at,
        status: DataStatus::Remains,
        deletion_requested_at: None,
        confirmed_gone_at: None,
        reason: None,
    }
}

fn retained(d: &DataEntry) -> Retained {
    Retained {
        kind: match d.kind {
            DataKind::BackupRecoveryPoint => RetainedKind::RecoveryPoint,
            DataKind::EbsSnapshot => RetainedKind::Snapshot,
        },
        id: d.id.clone(),
        of: d.of.clone(),
        vault: d.vault.clone(),
        created_at: d.created_at.clone(),
        retention_days: d.retention_days,
        expires_at: d.expires_at.clone(),
        status: None,
    }
}

/// Deletes every copy in `data` and waits (at most `wait` each, describing every `poll`) for
/// a describe to find it gone.
///
/// # Guarantees
/// - Only the listed copies are deleted: recovery points and snapshots of the environment's
///   own resources. Backup plans and vaults are never touched.
/// - [`DataStatus::Deleted`] only once a describe says the copy does not exist; otherwise
///   [`DataStatus::DeletionUnconfirmed`] or [`DataStatus::Failed`] with the reason.
pub(crate) async fn delete_all(
    store: &impl Copies,
    data: &mut RemainingData,
    wait: Duration,
    poll: Duration,
) {
    for d in &mut data.items {
        let r = retained(d);
        d.deletion_requested_at = Some(timestamp(SystemTime::now()));
        if let Err(e) = store.delete(&r).await {
            d.status = DataStatus::Failed;
            d.reason = Some(error_chain(&e));
            continue;
        }
        let deadline = Instant::now() + wait;
        loop {
            match store.exists(&r).await {
                Ok(false) => {
                    d.status = DataStatus::Deleted;
                    d.confirmed_gone_at = Some(timestamp(SystemTime::now()));
                    break;
                }
                Ok(true) if Instant::now() < deadline => tokio::time::sleep(poll).await,
                Ok(true) => {
                    d.status = DataStatus::DeletionUnconfirmed;
                    d.reason = Some(format!(
                        "AWS still reported it {} after the deletion was asked for",
                        humantime::format_duration(wait)
                    ));
                    break;
                }
                Err(e) => {
                    d.status = DataStatus::DeletionUnconfirmed;
                    d.reason = Some(format!(
                        "deletion asked for; could not be checked: {}",
                        error_chain(&e)
                    ));
                    break;
                }
            }
        }
    }
}

/// One line for a copy: what, of what, where, made when, kept until when.
pub fn describe(d: &DataEntry) -> String {
    let mut out = format!("{} `{}` of ", d.kind.label(), d.id);
    match &d.of_address {
        Some(a) => {
            let _ = write!(out, "`{a}` (`{}`)", d.of);
        }
        None => {
            let _ = write!(out, "`{}`", d.of);
        }
    }
    if let Some(v) = &d.vault {
        let _ = write!(out, " in vault `{v}`");
    }
    if let Some(c) = &d.created_at {
        let _ = write!(out, ", made {c}");
    }
    let _ = write!(out, ", {}", expiry(d));
    out
}

/// `expires 2026-12-06T08:00:00Z (kept 35 days)` or `kept until deleted (no expiry)`.
pub fn expiry(d: &DataEntry) -> String {
    match (&d.expires_at, d.retention_days) {
        (Some(at), Some(days)) => format!("expires {at} (kept {days} days)"),
        (Some(at), None) => format!("expires {at}"),
        (None, Some(days)) => format!("kept {days} days"),
        (None, None) => "kept until deleted (no expiry)".to_owned(),
    }
}

/// The console text listing `data`'s copies, for the plan (before) and the summary (after).
pub fn console(data: &RemainingData, heading: &str) -> String {
    let mut out = String::new();
    if let Some(e) = &data.error {
        let _ = writeln!(
            out,
            "Warning: could not look for backups and snapshots of the environment's data: {e}"
        );
        return out;
    }
    let items: Vec<&DataEntry> = data.items.iter().collect();
    if items.is_empty() {
        return out;
    }
    let _ = writeln!(out, "{heading}");
    for d in items {
        let state = match d.status {
            DataStatus::Remains => String::new(),
            DataStatus::Deleted => " - deleted".to_owned(),
            DataStatus::DeletionUnconfirmed | DataStatus::Failed => format!(
                " - NOT confirmed deleted: {}",
                d.reason.as_deref().unwrap_or_default()
            ),
        };
        let _ = writeln!(out, "  - {}{state}", describe(d).replace('`', ""));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use recon_provider::ErrorKind;

    use super::*;

    /// Copies by id: how many describes still find each after its delete, or a delete error.
    #[derive(Default)]
    struct Scripted {
        describes_before_gone: RefCell<BTreeMap<String, u32>>,
        refuse: Vec<String>,
        deleted: RefCell<Vec<String>>,
    }

    impl Copies for Scripted {
        async fn delete(&self, r: &Retained) -> Result<(), ProviderError> {
            if self.refuse.contains(&r.id) {
                return Err(ProviderError::new(
                    ErrorKind::Other,
                    "AccessDenied: vault lock",
                ));
            }
            self.deleted.borrow_mut().push(r.id.clone());
            Ok(())
        }

        async fn exists(&self, r: &Retained) -> Result<bool, ProviderError> {
            let mut left = self.describes_before_gone.borrow_mut();
            let n = left.entry(r.id.clone()).or_insert(0);
            if *n == 0 {
                return Ok(false);
            }
            *n -= 1;
            Ok(true)
        }
    }

    fn copy(id: &str) -> DataEntry {
        DataEntry {
            kind: DataKind::BackupRecoveryPoint,
            id: id.into(),
            of: "fs-1".into(),
            of_address: Some("efs_file_system.data".into()),
            vault: Some("aws/efs/automatic-backup-vault".into()),
            created_at: Some("2026-11-29T05:00:00Z".into()),
            retention_days: Some(35),
            expires_at: Some("2027-01-03T05:00:00Z".into()),
            status: DataStatus::Remains,
            deletion_requested_at: None,
            confirmed_gone_at: None,
            reason: None,
        }
    }

    #[tokio::test]
    async fn each_copy_is_deleted_and_called_deleted_only_once_a_describe_finds_it_gone() {
        let store = Scripted {
            describes_before_gone: RefCell::new(BTreeMap::from([
                ("slow".to_owned(), 2),
                ("stuck".to_owned(), u32::MAX),
            ])),
            refuse: vec!["locked".into()],
            ..Scripted::default()
        };
        let mut data = RemainingData {
            items: ["quick", "slow", "stuck", "locked"].map(copy).to_vec(),
            error: None,
        };
        delete_all(
            &store,
            &mut data,
            Duration::from_millis(50),
            Duration::from_millis(1),
        )
        .await;
        let by_id = |id: &str| data.items.iter().find(|d| d.id == id).unwrap();
        for id in ["quick", "slow"] {
            assert_eq!(by_id(id).status, DataStatus::Deleted, "{id}");
            assert!(by_id(id).confirmed_gone_at.is_some());
        }
        let stuck = by_id("stuck");
        assert_eq!(stuck.status, DataStatus::DeletionUnconfirmed);
        assert!(stuck.deletion_requested_at.is_some());
        assert_eq!(stuck.confirmed_gone_at, None);
        let locked = by_id("locked");
        assert_eq!(locked.status, DataStatus::Failed);
        assert!(locked.reason.as_deref().unwrap().contains("vault lock"));
        assert_eq!(*store.deleted.borrow(), vec!["quick", "slow", "stuck"]);
        assert_eq!(data.remaining().count(), 2);
    }

    #[test]
    fn the_console_lists_each_copy_with_its_dates() {
        let data = RemainingData {
            items: vec![copy("arn:rp-1")],
            error: None,
        };
        assert_eq!(
            console(&data, "These remain:"),
            "These remain:\n  - AWS Backup recovery point arn:rp-1 of efs_file_system.data (fs-1) in vault aws/efs/automatic-backup-vault, made 2026-11-29T05:00:00Z, expires 2027-01-03T05:00:00Z (kept 35 days)\n"
        );
        assert_eq!(console(&RemainingData::default(), "These remain:"), "");
    }
}
