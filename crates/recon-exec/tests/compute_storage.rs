//! The executor's order for the compute and storage kinds, on the fake: an instance is gone
//! before its subnet and security groups are deleted; a mount target before its file system,
//! the file system before its KMS key; and the reverse on create, with the real planner.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use recon_exec::Event;
use recon_fake::{FakeCloud, FakeConfig, Op};
use recon_model::{Action, DesiredResource, Kind, LiveResource, Plan, Spec, Value};
use recon_provider::{ErrorKind, Provider, discover_all};
use support::*;

const INSTANCE_DELETING: Duration = Duration::from_secs(120);
const MOUNT_TARGET_DELETING: Duration = Duration::from_secs(90);
const FILE_SYSTEM_DELETING: Duration = Duration::from_secs(45);

fn slow_fake() -> Arc<FakeCloud> {
    Arc::new(FakeCloud::new(
        FakeConfig::default()
            .deleting(Kind::Instance, INSTANCE_DELETING)
            .deleting(Kind::EfsMountTarget, MOUNT_TARGET_DELETING)
            .deleting(Kind::EfsFileSystem, FILE_SYSTEM_DELETING),
    ))
}

fn network() -> Vec<Want> {
    vec![
        want("vpc.main", &[("cidr_block", s("10.0.0.0/16"))]),
        want(
            "subnet.app",
            &[("vpc", r("vpc.main")), ("cidr_block", s("10.0.1.0/24"))],
        ),
        want("security_group.app", &[("vpc", r("vpc.main"))]),
    ]
}

fn instance() -> Want {
    want(
        "instance.app",
        &[
            ("image", s("ami-0123456789abcdef0")),
            ("instance_type", s("t3.micro")),
            ("subnet", r("subnet.app")),
            ("security_groups", list(vec![r("security_group.app")])),
        ],
    )
}

fn storage() -> Vec<Want> {
    vec![
        want("kms_key.data", &[]),
        want(
            "efs_file_system.data",
            &[
                ("encrypted", Value::Bool(true)),
                ("kms_key", r("kms_key.data")),
            ],
        ),
        want(
            "efs_mount_target.data",
            &[
                ("file_system", r("efs_file_system.data")),
                ("subnet", r("subnet.app")),
                ("security_groups", list(vec![r("security_group.app")])),
            ],
        ),
    ]
}

fn everything() -> Vec<Want> {
    let mut all = network();
    all.push(instance());
    all.extend(storage());
    all
}

fn spec(wants: &[Want]) -> Spec {
    Spec {
        environment: ENV.into(),
        region: "us-east-1".into(),
        tags: BTreeMap::new(),
        lookups: vec![],
        resources: wants
            .iter()
            .map(|w| {
                let mut attrs = w.attrs.clone();
                attrs.remove("tags");
                DesiredResource {
                    address: w.address.clone(),
                    attrs,
                    depends_on: vec![],
                }
            })
            .collect(),
        lifecycle: Default::default(),
    }
}

async fn plan_for(fake: &FakeCloud, wants: &[Want]) -> Plan {
    let live = discover_all(fake, ENV, Kind::ALL).await.expect("discovery");
    recon_plan::plan(&spec(wants), None, Kind::ALL, &live).expect("plan")
}

async fn destroy_plan_for(fake: &FakeCloud) -> Plan {
    let live = discover_all(fake, ENV, Kind::ALL).await.expect("discovery");
    recon_plan::plan_destroy(ENV, "us-east-1", None, Kind::ALL, live)
}

/// Builds `wants` on `fake` (hand-made create plan), asserting success, and clears the log.
async fn build(fake: &Arc<FakeCloud>, wants: &[Want]) {
    let (report, _) = run(fake, &create_plan(wants), &config()).await;
    assert_succeeded(&report);
    assert_eq!(divergence(fake, wants), Vec::<String>::new());
    fake.reset_log();
}

fn live(fake: &FakeCloud, address: &str) -> LiveResource {
    let found = fake.find(&addr(address));
    assert_eq!(found.len(), 1, "{address}: {found:#?}");
    found.into_iter().next().unwrap()
}

/// Runs the planner's destroy plan, asserting success with no refused call and nothing left.
async fn destroy(fake: &Arc<FakeCloud>) -> (Vec<recon_fake::Call>, Vec<Event>) {
    let p = destroy_plan_for(fake).await;
    assert!(p.changes.iter().all(|c| c.action == Action::Delete));
    let (report, events) = run(fake, &p, &config()).await;
    assert_succeeded(&report);
    assert_eq!(owned(fake), vec![], "everything is gone");
    let calls = fake.calls();
    // The fake refuses out-of-order deletes and the executor would retry them: success alone
    // does not prove the order, no refusal (and the times below) do.
    assert_eq!(refused(&calls), Vec::<String>::new());
    (calls, events)
}

/// Whether the executor waited for `address` to finish deleting.
fn waited_for_deletion(events: &[Event], address: &str) -> bool {
    events.iter().any(|e| {
        matches!(e, Event::Waiting { address: a, reason, .. }
            if a == &addr(address) && reason == "deleting")
    })
}

#[tokio::test(start_paused = true)]
async fn destroy_terminates_the_instance_before_its_subnet_and_group() {
    let fake = slow_fake();
    let mut wants = network();
    wants.push(instance());
    build(&fake, &wants).await;

    let (calls, events) = destroy(&fake).await;
    let at = |a: &str| ok_call(&calls, Op::Delete, a).at;
    let instance_gone = at("instance.app") + INSTANCE_DELETING;
    for after in ["security_group.app", "subnet.app", "vpc.main"] {
        assert!(
            at(after) >= instance_gone,
            "{after} deleted at {:?}, before the instance (terminated at {:?}) was gone",
            at(after),
            at("instance.app"),
        );
    }
    assert!(at("vpc.main") >= at("subnet.app"));
    assert!(at("vpc.main") >= at("security_group.app"));
    assert!(waited_for_deletion(&events, "instance.app"));
}

#[tokio::test(start_paused = true)]
async fn destroy_deletes_mount_target_then_file_system_then_key() {
    let fake = slow_fake();
    let mut wants = network();
    wants.extend(storage());
    build(&fake, &wants).await;

    let (calls, events) = destroy(&fake).await;
    let at = |a: &str| ok_call(&calls, Op::Delete, a).at;
    let mount_target_gone = at("efs_mount_target.data") + MOUNT_TARGET_DELETING;
    for after in ["efs_file_system.data", "subnet.app", "security_group.app"] {
        assert!(
            at(after) >= mount_target_gone,
            "{after} deleted at {:?}, before the mount target (deleted at {:?}) was gone",
            at(after),
            at("efs_mount_target.data"),
        );
    }
    let file_system_gone = at("efs_file_system.data") + FILE_SYSTEM_DELETING;
    assert!(
        at("kms_key.data") >= file_system_gone,
        "key deleted at {:?}, before the file system (deleted at {:?}) was gone",
        at("kms_key.data"),
        at("efs_file_system.data"),
    );
    let pos = |a: &str| position(&calls, Op::Delete, a);
    assert!(pos("efs_mount_target.data") < pos("efs_file_system.data"));
    assert!(pos("efs_file_system.data") < pos("kms_key.data"));
    assert!(waited_for_deletion(&events, "efs_mount_target.data"));
    assert!(waited_for_deletion(&events, "efs_file_system.data"));
}

#[tokio::test(start_paused = true)]
async fn destroy_of_everything_keeps_both_orders() {
    let fake = slow_fake();
    build(&fake, &everything()).await;

    let (calls, events) = destroy(&fake).await;
    let at = |a: &str| ok_call(&calls, Op::Delete, a).at;
    let users_gone = (at("instance.app") + INSTANCE_DELETING)
        .max(at("efs_mount_target.data") + MOUNT_TARGET_DELETING);
    for after in ["security_group.app", "subnet.app", "vpc.main"] {
        assert!(at(after) >= users_gone, "{after} deleted while still used");
    }
    assert!(at("efs_file_system.data") >= at("efs_mount_target.data") + MOUNT_TARGET_DELETING);
    assert!(at("kms_key.data") >= at("efs_file_system.data") + FILE_SYSTEM_DELETING);
    assert!(waited_for_deletion(&events, "instance.app"));
}

#[tokio::test(start_paused = true)]
async fn out_of_order_deletes_are_refused_as_on_aws() {
    let fake = slow_fake();
    build(&fake, &everything()).await;
    let violation = |r: Result<(), recon_provider::ProviderError>, what: &str| match r {
        Err(e) => assert_eq!(e.kind, ErrorKind::DependencyViolation, "{what}: {e:?}"),
        Ok(()) => panic!("{what}: the delete was accepted"),
    };

    // The file system while its mount target exists, the key while its file system does.
    let fs = live(&fake, "efs_file_system.data");
    violation(fake.delete(&fs).await, "file system with a mount target");
    let key = live(&fake, "kms_key.data");
    violation(fake.delete(&key).await, "key of a file system");
    // The mount target deleted but not gone yet: still refused.
    fake.delete(&live(&fake, "efs_mount_target.data"))
        .await
        .expect("mount target");
    violation(fake.delete(&fs).await, "mount target still deleting");
    tokio::time::sleep(MOUNT_TARGET_DELETING).await;

    // Now only the instance uses the group and the subnet.
    let group = live(&fake, "security_group.app");
    violation(fake.delete(&group).await, "group used by the instance");
    let subnet = live(&fake, "subnet.app");
    violation(fake.delete(&subnet).await, "subnet of the instance");
    fake.delete(&live(&fake, "instance.app"))
        .await
        .expect("instance");
    violation(fake.delete(&group).await, "instance still shutting down");
    violation(fake.delete(&subnet).await, "instance still shutting down");
    assert!(fake.get(&group.id).is_some() && fake.get(&subnet.id).is_some());
    tokio::time::sleep(INSTANCE_DELETING).await;

    fake.delete(&group).await.expect("group unused now");
    fake.delete(&subnet).await.expect("subnet unused now");
    fake.delete(&fs).await.expect("file system unused now");
    tokio::time::sleep(FILE_SYSTEM_DELETING).await;
    fake.delete(&key).await.expect("key unused now");
}

#[tokio::test(start_paused = true)]
async fn create_with_the_planner_orders_dependencies_first_then_replan_is_empty() {
    let fake = slow_fake();
    let wants = everything();

    let first = plan_for(&fake, &wants).await;
    assert_eq!(first.changes.len(), wants.len());
    assert!(first.changes.iter().all(|c| c.action == Action::Create));
    let (report, _) = run(&fake, &first, &config()).await;
    assert_succeeded(&report);
    let calls = fake.calls();
    assert_eq!(refused(&calls), Vec::<String>::new());
    let pos = |a: &str| position(&calls, Op::Create, a);
    let before = [
        ("kms_key.data", "efs_file_system.data"),
        ("efs_file_system.data", "efs_mount_target.data"),
        ("subnet.app", "efs_mount_target.data"),
        ("security_group.app", "efs_mount_target.data"),
        ("subnet.app", "instance.app"),
        ("security_group.app", "instance.app"),
        ("vpc.main", "subnet.app"),
        ("vpc.main", "security_group.app"),
    ];
    for (first, then) in before {
        assert!(
            pos(first) < pos(then),
            "{then} created (call {}) before {first} (call {})",
            pos(then),
            pos(first)
        );
    }
    // The resources reference each other by id.
    let id = |a: &str| Value::str(live(&fake, a).id);
    let inst = live(&fake, "instance.app");
    assert_eq!(inst.attrs.get("subnet"), Some(&id("subnet.app")));
    let fs = live(&fake, "efs_file_system.data");
    assert_eq!(fs.attrs.get("kms_key"), Some(&id("kms_key.data")));
    let mt = live(&fake, "efs_mount_target.data");
    assert_eq!(
        mt.attrs.get("file_system"),
        Some(&id("efs_file_system.data"))
    );
    assert_eq!(divergence(&fake, &wants), Vec::<String>::new());

    let second = plan_for(&fake, &wants).await;
    assert!(second.is_empty(), "{:#?}", second.changes);
    fake.reset_log();
    let (report, events) = run(&fake, &second, &config()).await;
    assert!(report.succeeded());
    assert!(events.is_empty());
    assert_eq!(fake.mutating_calls(), 0);
}
