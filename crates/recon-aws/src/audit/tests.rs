//! The audit reads against the real SDK clients and a scripted endpoint: moto has no AWS Backup
//! recovery points, and these tests check the exact calls made.

use super::{CallerIdentity, KeyDeletion, Retained, RetainedKind};
use crate::AwsProvider;
use crate::stub_rest::{RestStub, Step};

/// A provider whose every client sends its calls to `stub`.
fn provider(stub: &RestStub) -> AwsProvider {
    AwsProvider::from_config(&crate::stub_server::config(&stub.endpoint))
}

const VAULT_PATH: &str = "/backup-vaults/aws%2Fefs%2Fautomatic-backup-vault/recovery-points/";
const FS_POINT: &str = "arn:aws:backup:us-east-1:123456789012:recovery-point:fs-point-1";
const VOL_POINT: &str = "arn:aws:ec2:us-east-1::snapshot/snap-b";

fn snapshots_xml(items: &[(&str, &str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(id, volume, env)| {
            format!(
                "<item><snapshotId>{id}</snapshotId><volumeId>{volume}</volumeId>\
                 <status>completed</status><startTime>2026-11-02T08:00:00.000Z</startTime>\
                 <tagSet><item><key>recon:env</key><value>{env}</value></item></tagSet></item>"
            )
        })
        .collect();
    format!(
        "<DescribeSnapshotsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\
         <requestId>r</requestId><snapshotSet>{items}</snapshotSet></DescribeSnapshotsResponse>"
    )
}

#[tokio::test]
async fn retained_data_lists_the_environments_recovery_points_and_tagged_snapshots_only() {
    // The snapshots and the vaults are read at once, then both vaults' points.
    let stub = RestStub::start_any_order(vec![
        Step::ok(
            "GET /backup-vaults target=",
            r#"{"BackupVaultList":[{"BackupVaultName":"aws/efs/automatic-backup-vault"},{"BackupVaultName":"lab"}]}"#,
        ),
        Step::ok(
            &format!("GET {} target=", VAULT_PATH.trim_end_matches('/')),
            format!(
                r#"{{"RecoveryPoints":[
                {{"RecoveryPointArn":"{FS_POINT}","BackupVaultName":"aws/efs/automatic-backup-vault",
                  "ResourceArn":"arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1",
                  "ResourceType":"EFS","Status":"COMPLETED","CreationDate":1793520000,
                  "Lifecycle":{{"DeleteAfterDays":35}},"CalculatedLifecycle":{{"DeleteAt":1796544000}}}},
                {{"RecoveryPointArn":"arn:aws:backup:us-east-1:123456789012:recovery-point:other",
                  "BackupVaultName":"aws/efs/automatic-backup-vault",
                  "ResourceArn":"arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-other",
                  "ResourceType":"EFS","Status":"COMPLETED","CreationDate":1793520000}}]}}"#
            ),
        ),
        Step::ok(
            "GET /backup-vaults/lab/recovery-points target=",
            format!(
                r#"{{"RecoveryPoints":[{{"RecoveryPointArn":"{VOL_POINT}","BackupVaultName":"lab",
                "ResourceArn":"arn:aws:ec2:us-east-1:123456789012:volume/vol-1","ResourceType":"EBS",
                "Status":"COMPLETED","CreationDate":1793606400}}]}}"#
            ),
        ),
        Step::ok(
            "Action=DescribeSnapshots",
            snapshots_xml(&[
                ("snap-b", "vol-1", "irb"),
                ("snap-t", "vol-2", "irb"),
                ("snap-x", "vol-3", "someone-else"),
            ]),
        ),
    ]);
    let p = provider(&stub);
    let found = p
        .retained_data("irb", &["fs-1".into()], &["vol-1".into()])
        .await
        .unwrap();
    assert_eq!(stub.unused(), 0, "{:?}", stub.requests());
    // The snapshot search is by the environment's tag, from this account only.
    let requests = stub.requests();
    let describe = requests
        .iter()
        .find(|r| r.contains("Action=DescribeSnapshots"))
        .expect("one DescribeSnapshots");
    assert!(
        describe.contains("Filter.1.Name=tag%3Arecon%3Aenv"),
        "{describe}"
    );
    assert!(describe.contains("Filter.1.Value.1=irb"), "{describe}");
    assert!(describe.contains("Owner.1=self"), "{describe}");

    assert_eq!(
        found,
        vec![
            Retained {
                kind: RetainedKind::RecoveryPoint,
                id: FS_POINT.into(),
                of: "fs-1".into(),
                vault: Some("aws/efs/automatic-backup-vault".into()),
                created_at: Some("2026-11-01T08:00:00Z".into()),
                retention_days: Some(35),
                expires_at: Some("2026-12-06T08:00:00Z".into()),
                status: Some("COMPLETED".into()),
            },
            // Made by AWS Backup: listed once, as a recovery point, not again as a snapshot.
            Retained {
                kind: RetainedKind::RecoveryPoint,
                id: VOL_POINT.into(),
                of: "vol-1".into(),
                vault: Some("lab".into()),
                created_at: Some("2026-11-02T08:00:00Z".into()),
                retention_days: None,
                expires_at: None,
                status: Some("COMPLETED".into()),
            },
            Retained {
                kind: RetainedKind::Snapshot,
                id: "snap-t".into(),
                of: "vol-2".into(),
                vault: None,
                created_at: Some("2026-11-02T08:00:00Z".into()),
                retention_days: None,
                expires_at: None,
                status: Some("completed".into()),
            },
        ]
    );
}

fn point() -> Retained {
    Retained {
        kind: RetainedKind::RecoveryPoint,
        id: FS_POINT.into(),
        of: "fs-1".into(),
        vault: Some("aws/efs/automatic-backup-vault".into()),
        created_at: None,
        retention_days: None,
        expires_at: None,
        status: None,
    }
}

#[tokio::test]
async fn a_recovery_point_is_deleted_in_its_vault_and_gone_only_once_backup_says_not_found() {
    let encoded = "arn%3Aaws%3Abackup%3Aus-east-1%3A123456789012%3Arecovery-point%3Afs-point-1";
    let stub = RestStub::start(vec![
        Step::ok(&format!("DELETE {VAULT_PATH}{encoded}"), "{}"),
        Step::ok(
            &format!("GET {VAULT_PATH}{encoded}"),
            format!(r#"{{"RecoveryPointArn":"{FS_POINT}","Status":"DELETING"}}"#),
        ),
        Step::error(
            &format!("GET {VAULT_PATH}{encoded}"),
            404,
            "ResourceNotFoundException",
            r#"{"Message":"not found"}"#,
        ),
        // Deleting again what is already gone succeeds.
        Step::error(
            &format!("DELETE {VAULT_PATH}{encoded}"),
            404,
            "ResourceNotFoundException",
            r#"{"Message":"not found"}"#,
        ),
    ]);
    let p = provider(&stub);
    p.delete_retained(&point()).await.unwrap();
    assert!(p.retained_exists(&point()).await.unwrap(), "still DELETING");
    assert!(!p.retained_exists(&point()).await.unwrap());
    p.delete_retained(&point()).await.unwrap();
    assert_eq!(stub.unused(), 0, "{:?}", stub.requests());
}

#[tokio::test]
async fn a_tagged_snapshot_is_deleted_with_ec2_and_confirmed_gone_by_describe() {
    let snapshot = Retained {
        kind: RetainedKind::Snapshot,
        id: "snap-t".into(),
        ..point()
    };
    let stub = RestStub::start(vec![
        Step::ok(
            "Action=DeleteSnapshot",
            "<DeleteSnapshotResponse><requestId>r</requestId><return>true</return></DeleteSnapshotResponse>",
        ),
        Step::error(
            "Action=DescribeSnapshots",
            400,
            "InvalidSnapshot.NotFound",
            "<Response><Errors><Error><Code>InvalidSnapshot.NotFound</Code><Message>gone</Message></Error></Errors></Response>",
        ),
    ]);
    let p = provider(&stub);
    p.delete_retained(&snapshot).await.unwrap();
    assert!(!p.retained_exists(&snapshot).await.unwrap());
    assert!(stub.requests()[0].contains("SnapshotId=snap-t"));
    assert!(stub.requests()[1].contains("SnapshotId.1=snap-t"));
}

#[tokio::test]
async fn the_caller_and_a_keys_deletion_date_come_from_sts_and_kms() {
    let stub = RestStub::start(vec![
        Step::ok(
            "Action=GetCallerIdentity",
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/Admin/alice</Arn>\
             <UserId>AROA:alice</UserId><Account>123456789012</Account></GetCallerIdentityResult>\
             <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
        ),
        Step::ok(
            "target=TrentService.DescribeKey",
            r#"{"KeyMetadata":{"KeyId":"k-1","KeyState":"PendingDeletion","DeletionDate":1796544000}}"#,
        ),
        Step::ok(
            "target=TrentService.DescribeKey",
            r#"{"KeyMetadata":{"KeyId":"k-2","KeyState":"Enabled"}}"#,
        ),
        Step::error(
            "target=TrentService.DescribeKey",
            400,
            "NotFoundException",
            r#"{"__type":"NotFoundException","message":"no such key"}"#,
        ),
    ]);
    let p = provider(&stub);
    assert_eq!(
        p.caller_identity().await.unwrap(),
        CallerIdentity {
            account: "123456789012".into(),
            arn: "arn:aws:sts::123456789012:assumed-role/Admin/alice".into(),
        }
    );
    assert_eq!(
        p.key_deletion("k-1").await.unwrap(),
        KeyDeletion::Scheduled {
            on: "2026-12-06T08:00:00Z".into()
        }
    );
    assert_eq!(
        p.key_deletion("k-2").await.unwrap(),
        KeyDeletion::NotScheduled {
            state: "Enabled".into()
        }
    );
    assert_eq!(p.key_deletion("k-3").await.unwrap(), KeyDeletion::Gone);
}
