//! The teardown record: evidence, for a project's close-out, of what `recon destroy` removed
//! and what data remains.
//!
//! A timestamped JSON document and its Markdown rendering, listing who ran the teardown (AWS
//! account, caller, recon version) from which spec (absolute path, sha256, Git commit), every
//! resource the destroy plan named (kind, address, AWS id, when deletion was requested, when a
//! direct describe confirmed it gone, or, for a KMS key, the date KMS destroys the key
//! material), anything that could not be deleted and why, the copies of the data AWS keeps
//! (AWS Backup recovery points, EBS snapshots) with their expiry or deletion, and the result of
//! the final discovery sweep. It is written whether or not the destroy succeeded, sealed with
//! the sha256 of its canonical form (see [`crate::evidence::seal`]).
//!
//! An Auto Scaling group's instances are the group's, not recon's: they are not separate
//! entries but are listed with their group, since the group is deleted only once it has
//! scaled them to zero.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use recon_exec::{Event, Step};
use recon_model::kinds::autoscaling_group::INSTANCES_OUTPUT;
use recon_model::{Address, LiveResource, Plan, Value};
use serde::{Deserialize, Serialize};

use crate::CliError;
use crate::evidence::provenance::SpecProvenance;
use crate::evidence::{RunBy, seal};

pub mod data;
pub mod keys;
mod markdown;

use data::RemainingData;
pub use markdown::markdown;

/// 2: who ran it, the spec's provenance, remaining data, honest KMS states, the seal.
/// 3: the sweep names the kinds it read.
pub const RECORD_FORMAT_VERSION: u32 = 3;

#[derive(Debug, Serialize, Deserialize)]
pub struct Record {
    pub format_version: u32,
    pub environment: String,
    pub region: String,
    pub run_by: RunBy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<SpecProvenance>,
    pub started_at: String,
    pub finished_at: String,
    /// `complete` when every resource is confirmed gone (a KMS key: scheduled for deletion)
    /// and the sweep found nothing. Copies of the data are in `remaining_data`.
    pub outcome: Outcome,
    pub resources: Vec<Entry>,
    /// Whether `--delete-backups` was given.
    pub delete_backups: bool,
    pub remaining_data: RemainingData,
    pub sweep: Sweep,
    /// The sha256 of the record's canonical form without this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_sha256: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Complete,
    Incomplete,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    pub kind: String,
    pub address: String,
    pub id: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_gone_at: Option<String>,
    /// Why it was not deleted (or not confirmed deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// KMS keys are not deleted at once: KMS destroys the key material at the end of its
    /// deletion window. The date DescribeKey reports once the key is pending deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_material_destroyed_on: Option<String>,
    /// For an Auto Scaling group: the instances it had when destroy discovered it. The group
    /// is deleted only once it has no instances left, so a deleted group's went with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<String>,
    /// What the plan said deleting it loses (an S3 bucket's objects, a file system's files),
    /// as the destroy's discovery measured it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_lost: Option<String>,
    #[serde(skip)]
    deletion_window_days: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A direct describe found it gone.
    Deleted,
    /// A KMS key: DescribeKey reports it pending deletion until `key_material_destroyed_on`.
    ScheduledForDeletion,
    /// The delete was asked for but no describe confirmed the result (see `reason`).
    Unconfirmed,
    Failed,
    Skipped,
    NotAttempted,
}

/// What a fresh discovery found after the deletes.
///
/// It reads the kinds in which the destroy's own read, under the environment's lock, found
/// anything tagged with the environment. The others held nothing then; recon made nothing
/// since, and no other recon run could.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sweep {
    pub at: String,
    /// The kinds it read (a record of format 2 has none: it read every kind).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// `address (id)` of every resource still tagged with the environment.
    pub remaining: Vec<String>,
    /// Set when the sweep itself could not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The kinds `sweep` read, for a reader: `read again after the deletes: vpc, subnet; the
/// other 19 kinds held nothing …`.
pub fn swept_kinds(sweep: &Sweep) -> String {
    let all = recon_model::Kind::ALL.len();
    if sweep.kinds.is_empty() || sweep.kinds.len() >= all {
        return "every kind read again after the deletes".to_owned();
    }
    let others = all - sweep.kinds.len();
    format!(
        "read again after the deletes: {}; the other {others} kind{} held nothing of the \
         environment's when the destroy read them, under its lock",
        sweep.kinds.join(", "),
        if others == 1 { "" } else { "s" }
    )
}

/// Collects executor events into entries; shared with the event callback.
#[derive(Clone, Default)]
pub struct Recorder {
    inner: Arc<Mutex<BTreeMap<Address, Entry>>>,
}

impl Recorder {
    /// Entries for the plan's changes; `group_instances`: each Auto Scaling group's instances,
    /// as the destroy's listing found them ([`group_instances`]).
    pub fn new(plan: &Plan, group_instances: &BTreeMap<Address, Vec<String>>) -> Self {
        let entries = plan
            .changes
            .iter()
            .map(|c| {
                let entry = Entry {
                    kind: c.address.kind.to_string(),
                    address: c.address.to_string(),
                    id: c.id.clone().unwrap_or_default(),
                    status: Status::NotAttempted,
                    requested_at: None,
                    confirmed_gone_at: None,
                    reason: None,
                    key_material_destroyed_on: None,
                    data_lost: plan
                        .data_loss
                        .iter()
                        .find(|d| d.address == c.address)
                        .map(|d| d.what.clone()),
                    instances: group_instances.get(&c.address).cloned().unwrap_or_default(),
                    deletion_window_days: c
                        .before
                        .as_ref()
                        .and_then(|b| b.get("deletion_window_days"))
                        .and_then(|v| match v {
                            recon_model::Value::Int(days) => u64::try_from(*days).ok(),
                            _ => None,
                        }),
                };
                (c.address.clone(), entry)
            })
            .collect();
        Recorder {
            inner: Arc::new(Mutex::new(entries)),
        }
    }

    pub fn observe(&self, event: &Event) {
        let address = match event {
            Event::Started { address, .. }
            | Event::Finished { address, .. }
            | Event::Failed { address, .. }
            | Event::Skipped { address, .. } => address,
            _ => return,
        };
        let at = SystemTime::now();
        let now = timestamp(at);
        let mut entries = self.inner.lock().expect("recorder lock");
        let Some(entry) = entries.get_mut(address) else {
            return;
        };
        match event {
            Event::Started {
                step: Step::Delete, ..
            } => {
                entry.requested_at = Some(now);
                entry.key_material_destroyed_on = entry
                    .deletion_window_days
                    .map(|days| timestamp(at + Duration::from_secs(days * 24 * 60 * 60)));
            }
            Event::Finished {
                step: Step::Delete, ..
            } => {
                entry.status = Status::Deleted;
                entry.confirmed_gone_at = Some(now);
            }
            Event::Failed { error, .. } => {
                entry.status = Status::Failed;
                entry.reason = Some(error.clone());
            }
            Event::Skipped { because, .. } => {
                entry.status = Status::Skipped;
                entry.reason = Some(format!(
                    "not attempted: {because} could not be deleted first"
                ));
            }
            _ => {}
        }
    }

    pub fn entries(&self) -> Vec<Entry> {
        self.inner
            .lock()
            .expect("recorder lock")
            .values()
            .cloned()
            .collect()
    }
}

/// The instance ids a live Auto Scaling group reported (none for other kinds).
/// The instances of each Auto Scaling group among `live`, from the group's outputs.
pub fn group_instances(live: &[LiveResource]) -> BTreeMap<Address, Vec<String>> {
    live.iter()
        .filter_map(|r| match r.outputs.get(INSTANCES_OUTPUT) {
            Some(Value::List(ids)) => Some((
                r.address.clone(),
                ids.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            )),
            _ => None,
        })
        .collect()
}

/// RFC 3339, UTC, whole seconds.
pub fn timestamp(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// The default location: `.recon/teardown/<environment>-<UTC time>.json`.
pub fn default_path(environment: &str, started: SystemTime) -> PathBuf {
    let stamp: String = timestamp(started)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    PathBuf::from(".recon/teardown").join(format!("{environment}-{stamp}.json"))
}

/// Seals `record` (sets `record_sha256`), then writes `path` (JSON) and the same path with
/// `.md` (Markdown, quoting the seal). Returns the Markdown path.
pub fn write(record: &mut Record, path: &Path) -> Result<PathBuf, CliError> {
    let fail = |source| CliError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    record.record_sha256 = None;
    let value = seal::seal(serde_json::to_value(&*record).expect("records serialize"));
    record.record_sha256 = value
        .get(seal::FIELD)
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    let json = serde_json::to_vec_pretty(&value).expect("records serialize");
    std::fs::write(path, json).map_err(fail)?;
    let md_path = path.with_extension("md");
    std::fs::write(&md_path, markdown(record)).map_err(|source| CliError::Write {
        path: md_path.clone(),
        source,
    })?;
    Ok(md_path)
}

#[cfg(test)]
pub(crate) mod tests;
