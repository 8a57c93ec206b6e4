//! The teardown record of an "irb" teardown: honest states, remaining data, the seal, and the
//! Markdown rendering (snapshotted).

use recon_aws::audit::KeyDeletion;

use super::data::{DataEntry, DataKind, DataStatus, RemainingData};
use super::*;
use crate::evidence::RunBy;
use crate::evidence::provenance::{GitState, SpecProvenance};

fn entry(kind: &str, name: &str, id: &str, status: Status) -> Entry {
    let done = status == Status::Deleted;
    Entry {
        kind: kind.into(),
        address: format!("{kind}.{name}"),
        id: id.into(),
        status,
        requested_at: Some("2026-11-30T09:00:00Z".into()),
        confirmed_gone_at: done.then(|| "2026-11-30T09:01:00Z".into()),
        reason: None,
        key_material_destroyed_on: None,
        data_lost: None,
        instances: vec![],
        deletion_window_days: None,
    }
}

fn point(of: &str, address: &str, status: DataStatus) -> DataEntry {
    DataEntry {
        kind: DataKind::BackupRecoveryPoint,
        id: format!("arn:aws:backup:us-east-1:123456789012:recovery-point:{of}-1"),
        of: of.into(),
        of_address: Some(address.into()),
        vault: Some("aws/efs/automatic-backup-vault".into()),
        created_at: Some("2026-11-29T05:00:00Z".into()),
        retention_days: Some(35),
        expires_at: Some("2027-01-03T05:00:00Z".into()),
        status,
        deletion_requested_at: None,
        confirmed_gone_at: None,
        reason: None,
    }
}

pub(crate) fn irb_record() -> Record {
    let mut key = entry("kms_key", "data", "mrk-1", Status::Deleted);
    keys::apply(
        &mut key,
        Ok(KeyDeletion::Scheduled {
            on: "2026-12-07T09:00:00Z".into(),
        }),
    );
    Record {
        format_version: RECORD_FORMAT_VERSION,
        environment: "irb".into(),
        region: "us-east-1".into(),
        run_by: RunBy {
            account: "123456789012".into(),
            caller_arn: "arn:aws:sts::123456789012:assumed-role/Admin/alice".into(),
            recon_version: "0.1.0".into(),
        },
        spec: Some(SpecProvenance {
            path: "specs/irb.yaml".into(),
            absolute_path: "/home/alice/study/specs/irb.yaml".into(),
            sha256: "5e1f".into(),
            git: Some(GitState {
                repository: "/home/alice/study".into(),
                commit: "0123456789abcdef0123456789abcdef01234567".into(),
                dirty: true,
                spec_committed: true,
            }),
            file_environment: Some("staging".into()),
            values: None,
            parameters: [("cidr".to_owned(), serde_json::json!("10.1.0.0/16"))].into(),
        }),
        started_at: "2026-11-30T09:00:00Z".into(),
        finished_at: "2026-11-30T09:05:00Z".into(),
        outcome: Outcome::Complete,
        resources: vec![
            entry("efs_file_system", "data", "fs-1", Status::Deleted),
            entry("instance", "compute", "i-c", Status::Deleted),
            key,
        ],
        delete_backups: false,
        remaining_data: RemainingData {
            items: vec![
                point("fs-1", "efs_file_system.data", DataStatus::Remains),
                DataEntry {
                    kind: DataKind::EbsSnapshot,
                    id: "snap-1".into(),
                    of: "vol-1".into(),
                    of_address: Some("instance.compute".into()),
                    vault: None,
                    retention_days: None,
                    expires_at: None,
                    ..point("vol-1", "instance.compute", DataStatus::Remains)
                },
            ],
            error: None,
        },
        sweep: Sweep {
            at: "2026-11-30T09:05:00Z".into(),
            kinds: ["vpc", "subnet", "instance", "kms_key"]
                .map(str::to_owned)
                .to_vec(),
            remaining: vec![],
            error: None,
        },
        record_sha256: None,
    }
}

#[test]
fn a_kms_key_is_scheduled_for_deletion_on_the_date_kms_reports_not_deleted() {
    let r = irb_record();
    let key = &r.resources[2];
    assert_eq!(key.status, Status::ScheduledForDeletion);
    assert_eq!(
        key.key_material_destroyed_on.as_deref(),
        Some("2026-12-07T09:00:00Z")
    );
    assert_eq!(key.confirmed_gone_at, None);
    let md = markdown(&r);
    assert!(
        md.contains(
            "| kms_key | `kms_key.data` | `mrk-1` | scheduled for deletion on 2026-12-07T09:00:00Z"
        ),
        "{md}"
    );
}

#[test]
fn a_key_not_reported_pending_deletion_is_not_called_deleted() {
    let mut e = entry("kms_key", "data", "mrk-1", Status::Deleted);
    keys::apply(
        &mut e,
        Ok(KeyDeletion::NotScheduled {
            state: "Enabled".into(),
        }),
    );
    assert_eq!(e.status, Status::Unconfirmed);
    assert_eq!(e.confirmed_gone_at, None);
    let mut e = entry("kms_key", "data", "mrk-1", Status::Deleted);
    keys::apply(&mut e, Err("throttled".into()));
    assert_eq!(e.status, Status::Unconfirmed);
    assert!(e.reason.unwrap().contains("throttled"));
    let mut e = entry("kms_key", "data", "mrk-1", Status::Deleted);
    keys::apply(&mut e, Ok(KeyDeletion::Gone));
    assert_eq!(e.status, Status::Deleted);
}

#[test]
fn the_written_record_is_sealed_and_its_markdown_quotes_the_seal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("irb.json");
    let mut r = irb_record();
    let md_path = write(&mut r, &path).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let digest = crate::evidence::seal::check(&json).expect("sealed");
    assert_eq!(r.record_sha256.as_deref(), Some(digest.as_str()));
    let md = std::fs::read_to_string(md_path).unwrap();
    assert!(
        md.contains(&format!("| Record sha256 | `{digest}` |")),
        "{md}"
    );
    // The JSON alone renders the same Markdown: what `recon verify-record` checks.
    let back: Record = serde_json::from_value(json).unwrap();
    assert_eq!(markdown(&back), md);
}

#[test]
fn teardown_markdown() {
    let mut r = irb_record();
    r.remaining_data.items.push(DataEntry {
        status: DataStatus::Deleted,
        deletion_requested_at: Some("2026-11-30T09:04:00Z".into()),
        confirmed_gone_at: Some("2026-11-30T09:04:10Z".into()),
        ..point("fs-1", "efs_file_system.data", DataStatus::Deleted)
    });
    r.record_sha256 =
        Some("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into());
    insta::assert_snapshot!("teardown_markdown", markdown(&r));
}
