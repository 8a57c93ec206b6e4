//! The copies of an environment's data that AWS keeps after its resources are gone, end to end:
//! the real binary and SDK, moto for EC2 and EFS, and a scripted AWS Backup endpoint (moto has
//! no recovery points) reached through `AWS_ENDPOINT_URL_BACKUP`.
//!
//! Without `--delete-backups`, a destroy lists the file system's recovery point (with its
//! expiry) and the environment's tagged EBS snapshot as data that remains, and touches neither.
//! With it, both are deleted and confirmed gone by a describe, and nothing else is touched.

mod support;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use support::backup::{BackupEndpoint, Point};
use support::{Workspace, ec2, moto_endpoint, unique_env};

const VAULT: &str = "aws/efs/automatic-backup-vault";
/// 2026-11-01T08:00:00Z; kept 35 days, so AWS deletes it on 2026-12-06T08:00:00Z.
const CREATED: i64 = 1_793_520_000;

fn spec(env: &str) -> String {
    format!(
        "environment: {env}\nregion: us-east-1\nresources:\n  efs_file_system.data: {{ encrypted: true, backups: true }}\n"
    )
}

/// Applies a file system for `env`; returns its id.
async fn apply(ws: &Workspace, env: &str) -> String {
    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .success();
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    let efs = aws_sdk_efs::Client::new(&config);
    let systems = efs.describe_file_systems().send().await.unwrap();
    systems
        .file_systems()
        .iter()
        .find(|f| {
            f.tags()
                .iter()
                .any(|t| t.key() == "recon:env" && t.value() == env)
        })
        .map(|f| f.file_system_id().to_owned())
        .expect("the file system exists")
}

/// What AWS Backup made of `fs`, and a snapshot someone took of a volume, tagged with `env`.
async fn backups_of(backup: &BackupEndpoint, env: &str, fs: &str) -> (String, String) {
    let point = format!("arn:aws:backup:us-east-1:123456789012:recovery-point:{env}-{fs}");
    backup.add(
        VAULT,
        Point {
            arn: point.clone(),
            resource_arn: format!(
                "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/{fs}"
            ),
            created: CREATED,
            delete_after_days: 35,
            status: "COMPLETED",
        },
    );
    let c = ec2().await;
    let volume = c
        .create_volume()
        .availability_zone("us-east-1a")
        .size(1)
        .send()
        .await
        .unwrap();
    let snapshot = c
        .create_snapshot()
        .volume_id(volume.volume_id().unwrap())
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Snapshot)
                .tags(Tag::builder().key("recon:env").value(env).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    (point, snapshot.snapshot_id().unwrap().to_owned())
}

async fn snapshot_exists(id: &str) -> bool {
    match ec2()
        .await
        .describe_snapshots()
        .snapshot_ids(id)
        .send()
        .await
    {
        Ok(out) => out.snapshots().iter().any(|s| s.snapshot_id() == Some(id)),
        Err(e) => {
            let code = aws_sdk_ec2::error::ProvideErrorMetadata::code(&e);
            assert_eq!(code, Some("InvalidSnapshot.NotFound"), "{e:?}");
            false
        }
    }
}

fn record(ws: &Workspace, name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(ws.path().join(name)).unwrap()).unwrap()
}

fn entry<'a>(record: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    record["remaining_data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {record:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_destroy_lists_the_backups_it_leaves_and_deletes_them_only_when_asked() {
    moto_endpoint();
    let backup = BackupEndpoint::start();
    let vars = [("AWS_ENDPOINT_URL_BACKUP", backup.url.as_str())];
    // Someone else's file system's backup, in the same vault: never touched.
    let foreign = "arn:aws:backup:us-east-1:123456789012:recovery-point:foreign";
    backup.add(
        VAULT,
        Point {
            arn: foreign.into(),
            resource_arn: "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0000foreign".into(),
            created: CREATED,
            delete_after_days: 35,
            status: "COMPLETED",
        },
    );

    // Without --delete-backups: listed with their dates, left in place.
    let kept_env = unique_env("bk");
    let ws = Workspace::new("irb.yaml", &kept_env);
    ws.write_spec("spec.yaml", &spec(&kept_env));
    let fs = apply(&ws, &kept_env).await;
    let (point, snapshot) = backups_of(&backup, &kept_env, &fs).await;
    let run = ws.recon_with(
        &[
            "destroy",
            "spec.yaml",
            "--auto-approve",
            "--record",
            "kept.json",
        ],
        &vars,
    );
    run.success();
    assert!(
        run.stdout().contains("remain after the destroy") && run.stdout().contains(&point),
        "{}",
        run.stdout()
    );
    let kept = record(&ws, "kept.json");
    let p = entry(&kept, &point);
    assert_eq!(p["status"], "remains", "{p}");
    assert_eq!(p["of"], fs.as_str());
    assert_eq!(p["of_address"], "efs_file_system.data");
    assert_eq!(p["vault"], VAULT);
    assert_eq!(p["retention_days"], 35);
    assert_eq!(p["expires_at"], "2026-12-06T08:00:00Z");
    assert_eq!(entry(&kept, &snapshot)["status"], "remains");
    assert!(backup.points(VAULT).contains(&point), "not deleted");
    assert!(snapshot_exists(&snapshot).await, "not deleted");
    assert!(
        !backup.requests().iter().any(|r| r.starts_with("DELETE")),
        "{:?}",
        backup.requests()
    );
    let md = std::fs::read_to_string(ws.path().join("kept.md")).unwrap();
    assert!(md.contains("2026-12-06"), "{md}");
    ws.recon(&["verify-record", "kept.json"]).success();

    // With --delete-backups: each deleted, and confirmed gone by a describe.
    let gone_env = unique_env("bk");
    let ws = Workspace::new("irb.yaml", &gone_env);
    ws.write_spec("spec.yaml", &spec(&gone_env));
    let fs = apply(&ws, &gone_env).await;
    let (point, snapshot) = backups_of(&backup, &gone_env, &fs).await;
    let run = ws.recon_with(
        &[
            "destroy",
            "spec.yaml",
            "--auto-approve",
            "--delete-backups",
            "--record",
            "gone.json",
        ],
        &vars,
    );
    run.success();
    let gone = record(&ws, "gone.json");
    assert_eq!(gone["delete_backups"], true);
    for id in [&point, &snapshot] {
        let e = entry(&gone, id);
        assert_eq!(e["status"], "deleted", "{e}");
        assert!(e["confirmed_gone_at"].is_string(), "{e}");
    }
    assert!(!backup.points(VAULT).contains(&point));
    assert!(!snapshot_exists(&snapshot).await);
    // The recovery point was deleted in its vault, then described until AWS no longer knew it.
    let encoded = point.replace(':', "%3A");
    let calls: Vec<String> = backup
        .requests()
        .into_iter()
        .filter(|r| r.contains(&encoded))
        .collect();
    assert_eq!(
        calls.first().map(|c| c.starts_with("DELETE")),
        Some(true),
        "{calls:?}"
    );
    assert!(
        calls.len() >= 2 && calls[1..].iter().all(|c| c.starts_with("GET")),
        "{calls:?}"
    );
    // Only what this environment owned.
    assert!(backup.points(VAULT).contains(&foreign.to_owned()));
    assert!(
        !backup.requests().iter().any(|r| r.contains("foreign")),
        "{:?}",
        backup.requests()
    );
    ws.recon(&["verify-record", "gone.json"]).success();

    // Tidy the first environment's snapshot (left on purpose above).
    ec2()
        .await
        .delete_snapshot()
        .snapshot_id(snapshot_of_kept(&kept))
        .send()
        .await
        .unwrap();
}

fn snapshot_of_kept(kept: &serde_json::Value) -> String {
    kept["remaining_data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "ebs_snapshot")
        .and_then(|e| e["id"].as_str())
        .unwrap()
        .to_owned()
}
