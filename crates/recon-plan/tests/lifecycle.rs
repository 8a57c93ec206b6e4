//! Moves, adoptions, ignored fields, `--replace`, `--target`, protection and data loss, with
//! specs written in YAML as users write them and live resources as AWS reports them.

use std::collections::BTreeMap;

use recon_model::tags::{PROTECT, desired_tags, to_value};
use recon_model::{Action, Address, Kind, LiveResource, LiveState, Plan, Reference, Spec, Value};
use recon_plan::{PlanError, PlanOptions, plan, plan_destroy, plan_with};

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

fn parse(resources: &str, extra: &str) -> Spec {
    let text = format!("environment: irb\nregion: us-east-1\n{extra}\nresources:\n{resources}");
    let file = recon_spec::SourceFile {
        name: "spec.yaml".into(),
        text,
    };
    recon_spec::parse(&file).unwrap_or_else(|e| panic!("{e:?}"))
}

const STORAGE: &str = "  kms_key.data: { deletion_window_days: 7 }
  efs_file_system.data: { kms_key: kms_key.data, protect: true }
";

/// The live twin of `spec`'s resource at `address`, as recon made it, at `at` (another address,
/// for a resource renamed in the spec since).
fn live_as(spec: &Spec, address: &str, at: &str, id: &str, ids: &[(&str, &str)]) -> LiveResource {
    let wanted = spec.get(&addr(address)).unwrap();
    let ids: BTreeMap<&str, &str> = ids.iter().copied().collect();
    let lookup = |r: &Reference| {
        ids.get(r.address.to_string().as_str())
            .map(|i| Value::str(*i))
    };
    let mut attrs: recon_model::Attrs = wanted
        .attrs
        .iter()
        .map(|(k, v)| (k.clone(), v.resolve(&lookup)))
        .collect();
    let mut renamed = wanted.clone();
    renamed.address = addr(at);
    attrs.insert("tags".into(), to_value(&desired_tags(spec, &renamed)));
    LiveResource {
        address: addr(at),
        id: id.into(),
        state: LiveState::Available,
        attrs,
        outputs: BTreeMap::from([("size_bytes".to_owned(), Value::Int(5 << 30))]),
    }
}

fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes
        .iter()
        .map(|c| (c.address.to_string(), c.action))
        .collect()
}

#[test]
fn a_move_is_a_tag_update_and_then_nothing() {
    let before = parse(STORAGE, "");
    let ids = [("kms_key.data", "key-1")];
    let live = vec![
        live_as(&before, "kms_key.data", "kms_key.data", "key-1", &[]),
        live_as(
            &before,
            "efs_file_system.data",
            "efs_file_system.data",
            "fs-1",
            &ids,
        ),
    ];
    let renamed = parse(
        &STORAGE.replace("efs_file_system.data", "efs_file_system.study"),
        "moved:\n  - { from: efs_file_system.data, to: efs_file_system.study }",
    );
    let p = plan(&renamed, None, Kind::ALL, &live).unwrap();
    assert_eq!(
        actions(&p),
        [("efs_file_system.study".to_owned(), Action::Update)],
        "no create, no delete"
    );
    let c = &p.changes[0];
    assert_eq!(c.id.as_deref(), Some("fs-1"));
    assert_eq!(
        c.diffs.iter().map(|d| d.field.as_str()).collect::<Vec<_>>(),
        ["tags"]
    );
    assert_eq!(
        p.moved_from(&addr("efs_file_system.study")),
        Some(&addr("efs_file_system.data"))
    );
    assert!(p.data_loss.is_empty());

    // Once applied (the tags say the new address), the move has nothing left to do.
    let after = vec![
        live[0].clone(),
        live_as(
            &renamed,
            "efs_file_system.study",
            "efs_file_system.study",
            "fs-1",
            &ids,
        ),
    ];
    let p = plan(&renamed, None, Kind::ALL, &after).unwrap();
    assert!(p.is_empty(), "{:?}", actions(&p));
    assert!(p.moved.is_empty());
}

#[test]
fn a_move_needs_its_source_live_and_its_target_free() {
    let renamed = parse(
        &STORAGE.replace("efs_file_system.data", "efs_file_system.study"),
        "moved:\n  - { from: efs_file_system.data, to: efs_file_system.study }",
    );
    let key = live_as(&renamed, "kms_key.data", "kms_key.data", "key-1", &[]);
    assert_eq!(
        plan(&renamed, None, Kind::ALL, std::slice::from_ref(&key)).unwrap_err(),
        PlanError::MoveFromMissing {
            from: addr("efs_file_system.data"),
            to: addr("efs_file_system.study"),
        }
    );
    let ids = [("kms_key.data", "key-1")];
    let live = vec![
        key,
        live_as(
            &renamed,
            "efs_file_system.study",
            "efs_file_system.data",
            "fs-1",
            &ids,
        ),
        live_as(
            &renamed,
            "efs_file_system.study",
            "efs_file_system.study",
            "fs-2",
            &ids,
        ),
    ];
    assert!(matches!(
        plan(&renamed, None, Kind::ALL, &live).unwrap_err(),
        PlanError::MoveTargetTaken { id, .. } if id == "fs-2"
    ));
}

#[test]
fn an_adopted_resource_is_planned_with_its_ownership_tags_and_not_created() {
    let spec = parse(
        "  vpc.main: { cidr_block: 10.0.0.0/16 }\n",
        "adopt:\n  - { address: vpc.main, id: vpc-0abc }",
    );
    let mut found = live_as(&spec, "vpc.main", "vpc.main", "vpc-0abc", &[]);
    // Untagged, as a console-made VPC is.
    found
        .attrs
        .insert("tags".into(), Value::Map(BTreeMap::new()));
    let options = PlanOptions {
        adopted: vec![found.clone()],
        ..PlanOptions::default()
    };
    let p = plan_with(&spec, None, Kind::ALL, &[], &options).unwrap();
    assert_eq!(actions(&p), [("vpc.main".to_owned(), Action::Update)]);
    assert_eq!(p.changes[0].id.as_deref(), Some("vpc-0abc"));
    assert!(p.adopts(&addr("vpc.main")));
    // The diff is the tags recon adds beyond ownership (Name); ownership is written first.
    let tags = &p.changes[0].diffs[0];
    assert_eq!(tags.field, "tags");
    assert!(
        tags.before
            .as_ref()
            .and_then(Value::as_map)
            .is_some_and(|m| m.contains_key("recon:env"))
    );

    // Another live resource already has the address: refused.
    let other = live_as(&spec, "vpc.main", "vpc.main", "vpc-9", &[]);
    assert!(matches!(
        plan_with(&spec, None, Kind::ALL, &[other], &options).unwrap_err(),
        PlanError::AdoptTaken { .. }
    ));
    // Adopted earlier: discovery finds it by its tags, nothing to adopt.
    let tagged = live_as(&spec, "vpc.main", "vpc.main", "vpc-0abc", &[]);
    let p = plan_with(&spec, None, Kind::ALL, &[tagged], &options).unwrap();
    assert!(p.is_empty() && p.adopted.is_empty());
}

#[test]
fn ignored_fields_never_change_and_replace_and_target_shape_the_plan() {
    let spec = parse(
        "  vpc.main: { cidr_block: 10.0.0.0/16, enable_dns_hostnames: true, ignore_changes: [enable_dns_hostnames] }
  subnet.a: { vpc: vpc.main, cidr_block: 10.0.1.0/24, availability_zone: us-east-1a }
  subnet.b: { vpc: vpc.main, cidr_block: 10.0.2.0/24, availability_zone: us-east-1a }
",
        "",
    );
    let ids = [("vpc.main", "vpc-1")];
    let mut vpc = live_as(&spec, "vpc.main", "vpc.main", "vpc-1", &[]);
    vpc.attrs
        .insert("enable_dns_hostnames".into(), Value::Bool(false));
    let a = live_as(&spec, "subnet.a", "subnet.a", "subnet-1", &ids);
    let live = vec![vpc.clone(), a];
    // subnet.b is new; the VPC's ignored field differs but is not a change.
    let p = plan(&spec, None, Kind::ALL, &live).unwrap();
    assert_eq!(actions(&p), [("subnet.b".to_owned(), Action::Create)]);

    let replace = PlanOptions {
        replace: vec![addr("subnet.a")],
        ..PlanOptions::default()
    };
    let p = plan_with(&spec, None, Kind::ALL, &live, &replace).unwrap();
    assert_eq!(
        actions(&p),
        [
            ("subnet.a".to_owned(), Action::Replace),
            ("subnet.b".to_owned(), Action::Create)
        ]
    );
    assert_eq!(
        p.changes[0].reason.as_deref(),
        Some("replacement requested (`--replace`)")
    );
    let missing = PlanOptions {
        replace: vec![addr("subnet.b")],
        ..PlanOptions::default()
    };
    assert_eq!(
        plan_with(&spec, None, Kind::ALL, &live, &missing).unwrap_err(),
        PlanError::ReplaceNotLive(addr("subnet.b"))
    );

    // Targeting subnet.a (and what it depends on) leaves subnet.b's create out.
    let target = PlanOptions {
        target: vec![addr("subnet.a")],
        replace: vec![addr("subnet.a")],
        ..PlanOptions::default()
    };
    let p = plan_with(&spec, None, Kind::ALL, &live, &target).unwrap();
    assert_eq!(actions(&p), [("subnet.a".to_owned(), Action::Replace)]);
    let unknown = PlanOptions {
        target: vec![addr("subnet.zz")],
        ..PlanOptions::default()
    };
    assert_eq!(
        plan_with(&spec, None, Kind::ALL, &live, &unknown).unwrap_err(),
        PlanError::UnknownTarget(addr("subnet.zz"))
    );
}

#[test]
fn protected_and_data_bearing_resources_are_called_out() {
    let spec = parse(STORAGE, "");
    let ids = [("kms_key.data", "key-1")];
    let live = vec![
        live_as(&spec, "kms_key.data", "kms_key.data", "key-1", &[]),
        live_as(
            &spec,
            "efs_file_system.data",
            "efs_file_system.data",
            "fs-1",
            &ids,
        ),
    ];
    assert_eq!(
        live[1].tag(PROTECT),
        Some("true"),
        "`protect: true` is the tag"
    );
    // The block is gone from the spec: still protected.
    let gone = parse("  kms_key.data: { deletion_window_days: 7 }\n", "");
    let p = plan(&gone, None, Kind::ALL, &live).unwrap();
    assert_eq!(
        p.protected_losses()
            .iter()
            .map(|c| c.address.to_string())
            .collect::<Vec<_>>(),
        ["efs_file_system.data"]
    );
    let d = plan_destroy("irb", "us-east-1", None, Kind::ALL, live.clone());
    assert_eq!(d.protected_losses().len(), 1);
    assert_eq!(
        d.data_loss
            .iter()
            .map(|l| (l.address.to_string(), l.what.clone()))
            .collect::<Vec<_>>(),
        // In address order: kinds in their listed order.
        [
            (
                "kms_key.data".to_owned(),
                "the key, deleted 7 days after the apply (it can be cancelled until then); everything encrypted with it becomes unreadable".to_owned()
            ),
            (
                "efs_file_system.data".to_owned(),
                "every file on the file system (5.0 GiB)".to_owned()
            ),
        ]
    );
    // `protect: false` lifts it: a tags update, which the plan shows.
    let lifted = parse(&STORAGE.replace("protect: true", "protect: false"), "");
    let p = plan(&lifted, None, Kind::ALL, &live).unwrap();
    assert_eq!(
        actions(&p),
        [("efs_file_system.data".to_owned(), Action::Update)]
    );
    assert!(p.protected_losses().is_empty());
}

#[test]
fn backups_and_instance_type_change_in_place() {
    let spec = parse(
        "  efs_file_system.data: { backups: true }
  instance.compute: { image: ami-1, instance_type: t3.small }
",
        "",
    );
    let fs = live_as(
        &spec,
        "efs_file_system.data",
        "efs_file_system.data",
        "fs-1",
        &[],
    );
    let vm = live_as(&spec, "instance.compute", "instance.compute", "i-1", &[]);
    let changed = parse(
        "  efs_file_system.data: { backups: false }
  instance.compute: { image: ami-1, instance_type: t3.large }
",
        "",
    );
    let p = plan(&changed, None, Kind::ALL, &[fs, vm]).unwrap();
    assert_eq!(
        actions(&p),
        [
            ("instance.compute".to_owned(), Action::Update),
            ("efs_file_system.data".to_owned(), Action::Update)
        ]
    );
    assert!(p.data_loss.is_empty());
}
