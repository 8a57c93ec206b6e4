//! The teardown record: evidence, for a project's close-out, of what `recon destroy` removed.
//!
//! A timestamped JSON document and its Markdown rendering, listing every resource the
//! destroy plan named (kind, address, AWS id, when deletion was requested, when it was confirmed
//! gone), anything that could not be deleted and why, and the result of the final discovery
//! sweep. It is written whether or not the destroy succeeded.
//!
//! An Auto Scaling group's instances are the group's, not recon's: they are not separate
//! entries but are listed with their group, since the group is deleted only once it has
//! scaled them to zero.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use recon_exec::{Event, Step};
use recon_model::kinds::autoscaling_group::INSTANCES_OUTPUT;
use recon_model::{Address, LiveResource, Plan, SpecSource, Value};
use serde::Serialize;

use crate::CliError;

pub const RECORD_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Record {
    pub format_version: u32,
    pub environment: String,
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<SpecSource>,
    pub started_at: String,
    pub finished_at: String,
    /// `complete` when every resource is confirmed gone and the sweep found nothing.
    pub outcome: Outcome,
    pub resources: Vec<Entry>,
    pub sweep: Sweep,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Complete,
    Incomplete,
}

#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub kind: String,
    pub address: String,
    pub id: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed_gone_at: Option<String>,
    /// Why it was not deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// KMS keys are not deleted at once: KMS destroys the key material at the end of its
    /// deletion window, counted from the request (this is that date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_destroyed_on: Option<String>,
    /// For an Auto Scaling group: the instances it had when destroy discovered it. The group
    /// is deleted only once it has no instances left, so a deleted group's went with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<String>,
    #[serde(skip)]
    deletion_window_days: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Deleted,
    Failed,
    Skipped,
    NotAttempted,
}

/// What a fresh discovery found after the deletes.
#[derive(Clone, Debug, Serialize)]
pub struct Sweep {
    pub at: String,
    /// `address (id)` of every resource still tagged with the environment.
    pub remaining: Vec<String>,
    /// Set when the sweep itself could not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Collects executor events into entries; shared with the event callback.
#[derive(Clone, Default)]
pub struct Recorder {
    inner: Arc<Mutex<BTreeMap<Address, Entry>>>,
}

impl Recorder {
    /// Entries for the plan's changes; `live` is what the destroy's discovery found.
    pub fn new(plan: &Plan, live: &[LiveResource]) -> Self {
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
                    instances: live
                        .iter()
                        .find(|r| r.address == c.address)
                        .map(group_instances)
                        .unwrap_or_default(),
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
fn group_instances(live: &LiveResource) -> Vec<String> {
    match live.outputs.get(INSTANCES_OUTPUT) {
        Some(Value::List(ids)) => ids
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
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

/// Writes `path` (JSON) and the same path with `.md` (Markdown). Returns the Markdown path.
pub fn write(record: &Record, path: &Path) -> Result<PathBuf, CliError> {
    let fail = |source| CliError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let json = serde_json::to_vec_pretty(record).expect("records serialize");
    std::fs::write(path, json).map_err(fail)?;
    let md_path = path.with_extension("md");
    std::fs::write(&md_path, markdown(record)).map_err(|source| CliError::Write {
        path: md_path.clone(),
        source,
    })?;
    Ok(md_path)
}

pub fn markdown(r: &Record) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Teardown record: environment `{}`\n", r.environment);
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| Region | {} |", r.region);
    if let Some(spec) = &r.spec {
        let _ = writeln!(out, "| Spec | `{}` (sha256 `{}`) |", spec.path, spec.sha256);
    }
    let _ = writeln!(out, "| Started | {} |", r.started_at);
    let _ = writeln!(out, "| Finished | {} |", r.finished_at);
    let outcome = match r.outcome {
        Outcome::Complete => "**Complete**: every resource confirmed gone; nothing owned remains",
        Outcome::Incomplete => "**Incomplete**: see below",
    };
    let _ = writeln!(out, "| Outcome | {outcome} |\n");
    let _ = writeln!(out, "## Resources\n");
    let _ = writeln!(
        out,
        "| Kind | Address | AWS id | Status | Deletion requested | Confirmed gone |\n|---|---|---|---|---|---|"
    );
    for e in &r.resources {
        let status = match e.status {
            Status::Deleted => "deleted",
            Status::Failed => "**failed**",
            Status::Skipped => "**skipped**",
            Status::NotAttempted => "not attempted",
        };
        let _ = writeln!(
            out,
            "| {} | `{}` | `{}` | {status} | {} | {} |",
            e.kind,
            e.address,
            e.id,
            e.requested_at.as_deref().unwrap_or("-"),
            e.confirmed_gone_at.as_deref().unwrap_or("-"),
        );
    }
    let keys: Vec<&Entry> = r
        .resources
        .iter()
        .filter(|e| e.key_material_destroyed_on.is_some() && e.status == Status::Deleted)
        .collect();
    if !keys.is_empty() {
        let _ = writeln!(out, "\n## KMS keys scheduled for deletion\n");
        for e in keys {
            let _ = writeln!(
                out,
                "- `{}` (`{}`): pending deletion; KMS destroys the key material on {}",
                e.address,
                e.id,
                e.key_material_destroyed_on.as_deref().unwrap_or_default()
            );
        }
    }
    let groups: Vec<&Entry> = r
        .resources
        .iter()
        .filter(|e| !e.instances.is_empty())
        .collect();
    if !groups.is_empty() {
        let _ = writeln!(out, "\n## Instances of Auto Scaling groups\n");
        for e in groups {
            let fate = if e.status == Status::Deleted {
                "terminated by the group (scaled to zero) before it was deleted"
            } else {
                "the group was not deleted: they may remain"
            };
            let ids: Vec<String> = e.instances.iter().map(|i| format!("`{i}`")).collect();
            let _ = writeln!(out, "- `{}`: {}; {fate}", e.address, ids.join(", "));
        }
    }
    let problems: Vec<&Entry> = r.resources.iter().filter(|e| e.reason.is_some()).collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "\n## Not deleted\n");
        for e in problems {
            let _ = writeln!(
                out,
                "- `{}` (`{}`): {}",
                e.address,
                e.id,
                e.reason.as_deref().unwrap_or_default()
            );
        }
    }
    let _ = writeln!(out, "\n## Final sweep\n");
    let _ = writeln!(
        out,
        "A fresh discovery of resources tagged `recon:env={}` in {} at {}:",
        r.environment, r.region, r.sweep.at
    );
    match (&r.sweep.error, r.sweep.remaining.is_empty()) {
        (Some(e), _) => {
            let _ = writeln!(out, "\n**the sweep could not run**: {e}");
        }
        (None, true) => {
            let _ = writeln!(out, "\nnothing owned by the environment remains.");
        }
        (None, false) => {
            let _ = writeln!(out, "\nthese remain:\n");
            for x in &r.sweep.remaining {
                let _ = writeln!(out, "- `{x}`");
            }
        }
    }
    out
}
