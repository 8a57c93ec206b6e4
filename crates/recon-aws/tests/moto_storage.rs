//! The storage kinds (`kms_key`, `efs_file_system`, `efs_mount_target`) against a real moto
//! server (started by `scripts/test.sh`, or by hand with `AWS_ENDPOINT_URL` set).
//!
//! Every test owns a unique environment. What the provider did is checked with the SDK
//! directly. Without `AWS_ENDPOINT_URL` the tests fail (they never silently pass).

mod support;

use std::collections::BTreeMap;

use recon_model::tags::{ENV, ID, NAME};
use recon_model::{Address, Attrs, Kind, Value, diff_attrs};
use recon_provider::{CreateRequest, ErrorKind, Provider};
use support::{Harness, expected_tags, harness, map, s, strs, unique_env};

// ---- helpers -----------------------------------------------------------------------------------

fn grant(name: &str, principal: &str, ops: &[&str]) -> Value {
    map(&[
        ("name", s(name)),
        ("grantee_principal", s(principal)),
        ("operations", strs(ops)),
    ])
}

const PRINCIPAL: &str = "arn:aws:iam::123456789012:role/irb-compute";
const OTHER_PRINCIPAL: &str = "arn:aws:iam::123456789012:role/irb-audit";

impl Harness {
    async fn kms_tags(&self, id: &str) -> BTreeMap<String, String> {
        let out = self
            .kms
            .list_resource_tags()
            .key_id(id)
            .send()
            .await
            .unwrap();
        out.tags()
            .iter()
            .map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned()))
            .collect()
    }

    async fn efs_tags(&self, id: &str) -> BTreeMap<String, String> {
        let out = self
            .efs
            .describe_file_systems()
            .file_system_id(id)
            .send()
            .await
            .unwrap();
        out.file_systems()[0]
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()
    }

    fn key_attrs(&self, name: &str, fields: &[(&str, Value)]) -> Attrs {
        let mut all = vec![
            ("description", s("IRB data key")),
            ("key_spec", s("SYMMETRIC_DEFAULT")),
            ("key_usage", s("ENCRYPT_DECRYPT")),
            ("multi_region", Value::Bool(true)),
            ("enable_key_rotation", Value::Bool(true)),
            ("deletion_window_days", Value::Int(7)),
            ("grants", Value::List(vec![])),
        ];
        for (k, v) in fields {
            all.retain(|(n, _)| n != k);
            all.push((k, v.clone()));
        }
        self.wanted(&format!("kms_key.{name}"), &all, &[])
    }

    /// A VPC and a subnet in us-east-1b made with the SDK (the network kinds have their own
    /// tests), and a security group.
    async fn network(&self) -> (String, String, String, String) {
        let vpc = self
            .sdk
            .create_vpc()
            .cidr_block("10.0.0.0/16")
            .send()
            .await
            .unwrap();
        let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_owned();
        let subnet = self
            .sdk
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block("10.0.2.0/24")
            .availability_zone("us-east-1b")
            .send()
            .await
            .unwrap();
        let subnet = subnet.subnet().unwrap().subnet_id().unwrap().to_owned();
        let mut groups = Vec::new();
        for name in ["a", "b"] {
            let g = self
                .sdk
                .create_security_group()
                .vpc_id(&vpc)
                .group_name(format!("{}-{name}", self.env))
                .description("test")
                .send()
                .await
                .unwrap();
            groups.push(g.group_id().unwrap().to_owned());
        }
        (vpc, subnet, groups[0].clone(), groups[1].clone())
    }
}

// ---- kms_key -----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn kms_key_create_discover_update_delete() {
    let h = harness("kms").await;
    let wanted = h.key_attrs(
        "data",
        &[(
            "grants",
            Value::List(vec![grant("compute", PRINCIPAL, &["Decrypt", "Encrypt"])]),
        )],
    );
    let created = h.create_in(&h.env, "kms_key.data", &wanted).await;
    // Tagged in the create call, with the deletion window recorded.
    let mut expected = expected_tags(&h.env, "kms_key.data", &[]);
    expected.insert("recon:deletion_window_days".into(), "7".into());
    assert_eq!(h.kms_tags(&created.id).await, expected);
    assert_eq!(created.attrs["multi_region"], Value::Bool(true));
    assert_eq!(created.attrs["deletion_window_days"], Value::Int(7));
    assert!(created.id.starts_with("mrk-"), "{}", created.id);
    assert!(
        created.outputs["arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:kms:")
    );
    // Rotation and grants are set by the update the executor runs after the create.
    let key = h.converge(&created, &wanted).await;
    let rotation = h
        .kms
        .get_key_rotation_status()
        .key_id(&key.id)
        .send()
        .await
        .unwrap();
    assert!(rotation.key_rotation_enabled());
    let grants = h.kms.list_grants().key_id(&key.id).send().await.unwrap();
    assert_eq!(grants.grants().len(), 1);
    assert_eq!(grants.grants()[0].name(), Some("compute"));
    assert_eq!(grants.grants()[0].grantee_principal(), Some(PRINCIPAL));

    // A key of another environment is not discovered.
    let other_env = unique_env("kms-other");
    let other_wanted = h.wanted_in(&other_env, "kms_key.data", &[("description", s("x"))], &[]);
    let other = h.create_in(&other_env, "kms_key.data", &other_wanted).await;
    let found = h.discover(Kind::KmsKey).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, key.id);
    assert_eq!(found[0].attrs, key.attrs);

    // In place: description, rotation off, alias, one grant revoked and another added, tags,
    // the deletion window.
    let changed = h.key_attrs(
        "data",
        &[
            ("description", s("IRB data key (v2)")),
            ("enable_key_rotation", Value::Bool(false)),
            ("alias", s(&format!("{}-data", h.env))),
            ("deletion_window_days", Value::Int(8)),
            (
                "grants",
                Value::List(vec![grant("audit", OTHER_PRINCIPAL, &["DescribeKey"])]),
            ),
        ],
    );
    let key = h.converge(&key, &changed).await;
    let meta = h.kms.describe_key().key_id(&key.id).send().await.unwrap();
    assert_eq!(
        meta.key_metadata().unwrap().description(),
        Some("IRB data key (v2)")
    );
    let rotation = h
        .kms
        .get_key_rotation_status()
        .key_id(&key.id)
        .send()
        .await
        .unwrap();
    assert!(!rotation.key_rotation_enabled());
    let grants = h.kms.list_grants().key_id(&key.id).send().await.unwrap();
    let names: Vec<_> = grants.grants().iter().filter_map(|g| g.name()).collect();
    assert_eq!(names, vec!["audit"]);
    let aliases = h.kms.list_aliases().key_id(&key.id).send().await.unwrap();
    let aliases: Vec<_> = aliases
        .aliases()
        .iter()
        .filter_map(|a| a.alias_name())
        .collect();
    assert_eq!(aliases, vec![format!("alias/{}-data", h.env)]);
    assert_eq!(h.kms_tags(&key.id).await["recon:deletion_window_days"], "8");

    // Renaming the alias, then removing it.
    let renamed = h.key_attrs(
        "data",
        &[
            ("description", s("IRB data key (v2)")),
            ("enable_key_rotation", Value::Bool(false)),
            ("alias", s(&format!("{}-data2", h.env))),
            ("deletion_window_days", Value::Int(8)),
            (
                "grants",
                Value::List(vec![grant("audit", OTHER_PRINCIPAL, &["DescribeKey"])]),
            ),
        ],
    );
    let key = h.converge(&key, &renamed).await;
    let aliases = h.kms.list_aliases().key_id(&key.id).send().await.unwrap();
    let aliases: Vec<_> = aliases
        .aliases()
        .iter()
        .filter_map(|a| a.alias_name())
        .collect();
    assert_eq!(aliases, vec![format!("alias/{}-data2", h.env)]);

    // Ownership: a key of another environment is not deleted through a stale view.
    let mut stale = other.clone();
    stale.attrs = key.attrs.clone();
    let err = h.provider.delete(&stale).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotOwned, "{err}");

    // Delete: PendingDeletion with the window; then the key counts as gone.
    h.provider.delete(&key).await.unwrap();
    let meta = h.kms.describe_key().key_id(&key.id).send().await.unwrap();
    let meta = meta.key_metadata().unwrap();
    assert_eq!(meta.key_state().unwrap().as_str(), "PendingDeletion");
    // moto leaves PendingDeletionWindowInDays out; the date says the window was 8 days.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let days = (meta.deletion_date().unwrap().secs() - now) as f64 / 86_400.0;
    assert!((7.9..8.1).contains(&days), "deletion in {days} days");
    assert_eq!(h.read(Kind::KmsKey, &key.id).await, None);
    assert!(h.discover(Kind::KmsKey).await.is_empty());
    // The alias was freed.
    let aliases = h.kms.list_aliases().key_id(&key.id).send().await.unwrap();
    assert!(aliases.aliases().is_empty());
    // Deleting again is success.
    h.provider.delete(&key).await.unwrap();
    h.provider.delete(&other).await.unwrap();
}

// ---- efs ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn efs_file_system_and_mount_target() {
    let h = harness("efs").await;
    let key = h.make("kms_key.efs", &h.key_attrs("efs", &[])).await;
    let (_vpc, subnet, sg_a, sg_b) = h.network().await;

    let fs_wanted = h.wanted(
        "efs_file_system.data",
        &[
            ("performance_mode", s("generalPurpose")),
            ("throughput_mode", s("bursting")),
            ("encrypted", Value::Bool(true)),
            ("kms_key", s(&key.id)),
            ("availability_zone", s("us-east-1b")),
            ("backups", Value::Bool(true)),
        ],
        &[("Project", "irb")],
    );
    let fs = h.make("efs_file_system.data", &fs_wanted).await;
    assert!(fs.id.starts_with("fs-"), "{}", fs.id);
    // Tagged in the create call; encrypted with the spec's key; one zone; backups on.
    assert_eq!(
        h.efs_tags(&fs.id).await,
        expected_tags(&h.env, "efs_file_system.data", &[("Project", "irb")])
    );
    let described = h
        .efs
        .describe_file_systems()
        .file_system_id(&fs.id)
        .send()
        .await
        .unwrap();
    let d = &described.file_systems()[0];
    assert_eq!(d.encrypted(), Some(true));
    assert!(
        d.kms_key_id().unwrap().contains(&key.id),
        "{:?}",
        d.kms_key_id()
    );
    assert_eq!(d.availability_zone_name(), Some("us-east-1b"));
    assert_eq!(fs.attrs["kms_key"], s(&key.id));
    assert_eq!(fs.attrs["backups"], Value::Bool(true));
    let policy = h
        .efs
        .describe_backup_policy()
        .file_system_id(&fs.id)
        .send()
        .await
        .unwrap();
    assert_eq!(policy.backup_policy().unwrap().status().as_str(), "ENABLED");

    // The same token again: the same file system, not a second one.
    let again = h
        .create_in(&h.env, "efs_file_system.data", &fs_wanted)
        .await;
    assert_eq!(again.id, fs.id);

    // Another environment's file system is not discovered.
    let other_env = unique_env("efs-other");
    let other_wanted = h.wanted_in(
        &other_env,
        "efs_file_system.data",
        &[
            ("encrypted", Value::Bool(false)),
            ("backups", Value::Bool(false)),
        ],
        &[],
    );
    let other = h
        .create_in(&other_env, "efs_file_system.data", &other_wanted)
        .await;
    assert_eq!(other.attrs["backups"], Value::Bool(false));
    let found = h.discover(Kind::EfsFileSystem).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, fs.id);

    // In place: tags. (The throughput mode changes with UpdateFileSystem, which moto does
    // not implement: HTTP 500.)
    let mut fs_changed = fs_wanted.clone();
    fs_changed.insert(
        "tags".into(),
        map(&[
            (NAME, s(&format!("{}-data", h.env))),
            (ENV, s(&h.env)),
            (ID, s("efs_file_system.data")),
            ("Project", s("irb2")),
        ]),
    );
    let fs = h.converge(&fs, &fs_changed).await;

    // The mount target: recorded on the file system, found by discovery.
    let mt_wanted = h.wanted(
        "efs_mount_target.private",
        &[
            ("file_system", s(&fs.id)),
            ("subnet", s(&subnet)),
            ("security_groups", strs(&[&sg_a])),
        ],
        &[("Project", "irb2")],
    );
    let mt = h.make("efs_mount_target.private", &mt_wanted).await;
    assert!(mt.id.starts_with("fsmt-"), "{}", mt.id);
    assert_eq!(
        h.efs_tags(&fs.id).await[&format!("recon:mt:{subnet}")],
        "efs_mount_target.private"
    );
    // The mount target's tag does not show (nor count as a change) on the file system.
    let fs_read = h.read(Kind::EfsFileSystem, &fs.id).await.unwrap();
    assert_eq!(
        diff_attrs(Kind::EfsFileSystem, &fs_changed, &fs_read.attrs),
        vec![]
    );
    let found = h.discover(Kind::EfsMountTarget).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, mt.id);
    assert_eq!(found[0].address.to_string(), "efs_mount_target.private");
    assert_eq!(
        diff_attrs(Kind::EfsMountTarget, &mt_wanted, &found[0].attrs),
        vec![]
    );
    assert!(
        h.provider
            .discover(Kind::EfsMountTarget, &other_env)
            .await
            .unwrap()
            .is_empty()
    );

    // In place: security groups.
    let mut mt_changed = mt_wanted.clone();
    mt_changed.insert("security_groups".into(), strs(&[&sg_a, &sg_b]));
    let mt = h.converge(&mt, &mt_changed).await;
    let groups = h
        .efs
        .describe_mount_target_security_groups()
        .mount_target_id(&mt.id)
        .send()
        .await
        .unwrap();
    let mut groups = groups.security_groups().to_vec();
    groups.sort();
    let mut expected = vec![sg_a.clone(), sg_b.clone()];
    expected.sort();
    assert_eq!(groups, expected);

    // The file system cannot go while the mount target exists: a dependency violation.
    let err = h.provider.delete(&fs).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::DependencyViolation, "{err}");

    // Mount target, then file system.
    h.provider.delete(&mt).await.unwrap();
    assert_eq!(h.read(Kind::EfsMountTarget, &mt.id).await, None);
    h.provider.delete(&mt).await.unwrap();
    h.provider.delete(&fs).await.unwrap();
    assert_eq!(h.read(Kind::EfsFileSystem, &fs.id).await, None);
    h.provider.delete(&fs).await.unwrap();
    assert!(h.discover(Kind::EfsFileSystem).await.is_empty());
    h.provider.delete(&other).await.unwrap();
    h.provider.delete(&key).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn mount_target_refuses_another_environments_file_system() {
    let h = harness("efs-own").await;
    let (_vpc, subnet, _a, _b) = h.network().await;
    let other_env = unique_env("efs-own-other");
    let fs_wanted = h.wanted_in(
        &other_env,
        "efs_file_system.data",
        &[("encrypted", Value::Bool(true))],
        &[],
    );
    let fs = h
        .create_in(&other_env, "efs_file_system.data", &fs_wanted)
        .await;
    let mt_wanted = h.wanted(
        "efs_mount_target.x",
        &[("file_system", s(&fs.id)), ("subnet", s(&subnet))],
        &[],
    );
    let address: Address = "efs_mount_target.x".parse().unwrap();
    let err = h
        .provider
        .create(CreateRequest {
            address: &address,
            environment: &h.env,
            attrs: &mt_wanted,
            token: "t",
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotOwned, "{err}");
    let mts = h
        .efs
        .describe_mount_targets()
        .file_system_id(&fs.id)
        .send()
        .await
        .unwrap();
    assert!(mts.mount_targets().is_empty());
    h.provider.delete(&fs).await.unwrap();
}
