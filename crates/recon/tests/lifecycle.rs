//! Protection, renames, adoption, in-place changes and plan shaping, end to end on moto with
//! the real binary, checked with the SDK directly rather than through recon.

mod support;

use support::{Workspace, ec2, moto_endpoint, unique_env};

async fn efs() -> aws_sdk_efs::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    aws_sdk_efs::Client::new(&config)
}

/// A VPC with a subnet, an NFS security group, a file system and its mount target.
fn storage(env: &str, fs_meta: &str, fs: &str, mt: &str) -> String {
    format!(
        "environment: {env}
region: us-east-1
resources:
  vpc.main: {{ cidr_block: 10.0.0.0/16 }}
  subnet.a: {{ vpc: vpc.main, cidr_block: 10.0.1.0/24, availability_zone: us-east-1a }}
  security_group.efs:
    vpc: vpc.main
    description: nfs
    ingress: [{{ protocol: tcp, ports: 2049, from: 10.0.0.0/16 }}]
  efs_file_system.{fs}: {{ {fs_meta} }}
  efs_mount_target.{mt}:
    file_system: efs_file_system.{fs}
    subnet: subnet.a
    security_groups: [security_group.efs]
"
    )
}

/// The environment's file systems (id, `recon:id`, `recon:protect`), by the SDK.
async fn file_systems(env: &str) -> Vec<(String, String, Option<String>)> {
    let out = efs().await.describe_file_systems().send().await.unwrap();
    out.file_systems()
        .iter()
        .filter(|f| {
            f.tags()
                .iter()
                .any(|t| t.key() == "recon:env" && t.value() == env)
        })
        .map(|f| {
            let tag = |k: &str| {
                f.tags()
                    .iter()
                    .find(|t| t.key() == k)
                    .map(|t| t.value().to_owned())
            };
            (
                f.file_system_id().to_owned(),
                tag("recon:id").unwrap_or_default(),
                tag("recon:protect"),
            )
        })
        .collect()
}

async fn mount_targets(fs: &str) -> Vec<String> {
    let out = efs()
        .await
        .describe_mount_targets()
        .file_system_id(fs)
        .send()
        .await
        .unwrap();
    out.mount_targets()
        .iter()
        .map(|m| m.mount_target_id().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_protected_file_system_survives_destroy_and_removal_until_protection_is_lifted() {
    moto_endpoint();
    let env = unique_env("prot");
    let ws = Workspace::new("network.yaml", &env);
    ws.write_spec("spec.yaml", &storage(&env, "protect: true", "data", "data"));
    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .success();
    let fs = file_systems(&env).await;
    assert_eq!(fs.len(), 1);
    let (fs_id, _, protect) = fs[0].clone();
    assert_eq!(
        protect.as_deref(),
        Some("true"),
        "the protection is on the resource"
    );
    let before = support::owned_ids(&env).await;
    let mts = mount_targets(&fs_id).await;
    assert_eq!(mts.len(), 1);

    // Destroy, with the spec and with --env: refused, naming it; nothing deleted.
    for args in [
        vec!["destroy", "spec.yaml", "--auto-approve"],
        vec![
            "destroy",
            "--env",
            &env,
            "--region",
            "us-east-1",
            "--auto-approve",
        ],
    ] {
        let run = ws.recon(&args);
        run.code_is(1);
        assert!(
            run.stderr_says("protected resource: efs_file_system.data"),
            "{}",
            run.stderr()
        );
        assert!(run.stderr_says("protect: false"), "{}", run.stderr());
    }
    // A spec that no longer names it (nor its mount target): refused too, also by `plan`.
    let mut gone = storage(&env, "", "x", "x");
    gone = gone
        .lines()
        .take_while(|l| !l.contains("efs_file_system.x"))
        .collect::<Vec<_>>()
        .join("\n");
    ws.write_spec("gone.yaml", &format!("{gone}\n"));
    let run = ws.recon(&["plan", "gone.yaml"]);
    run.code_is(1);
    assert!(run.stderr_says("efs_file_system.data"), "{}", run.stderr());
    assert!(
        !ws.path().join(".recon/plan.json").exists(),
        "no plan saved"
    );
    ws.recon(&["apply", "gone.yaml", "--auto-approve"])
        .code_is(1);
    // Nothing else in those plans was carried out: the mount target is still there.
    assert_eq!(support::owned_ids(&env).await, before);
    assert_eq!(mount_targets(&fs_id).await, mts);
    assert_eq!(file_systems(&env).await.len(), 1);

    // Lifting it is an apply of `protect: false`, shown as a change of its tags.
    ws.write_spec(
        "spec.yaml",
        &storage(&env, "protect: false", "data", "data"),
    );
    let apply = ws.recon(&["apply", "spec.yaml", "--auto-approve"]);
    apply.success();
    assert!(
        apply.stdout().contains("recon:protect"),
        "{}",
        apply.stdout()
    );
    assert!(
        apply.stdout().contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        apply.stdout()
    );
    assert_eq!(file_systems(&env).await[0].2, None);
    // Now destroy finishes.
    ws.recon(&["destroy", "spec.yaml", "--auto-approve"])
        .success();
    assert!(file_systems(&env).await.is_empty());
    assert!(support::owned_ids(&env).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn renaming_with_moved_keeps_the_file_system_and_its_mount_target() {
    moto_endpoint();
    let env = unique_env("move");
    let ws = Workspace::new("network.yaml", &env);
    ws.write_spec("spec.yaml", &storage(&env, "", "data", "data"));
    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .success();
    let (fs_id, _, _) = file_systems(&env).await[0].clone();
    let mts = mount_targets(&fs_id).await;
    let before = support::owned_ids(&env).await;

    let renamed = storage(&env, "", "study", "study").replace(
        "resources:\n",
        "moved:\n  - { from: efs_file_system.data, to: efs_file_system.study }\n  - { from: efs_mount_target.data, to: efs_mount_target.study }\nresources:\n",
    );
    ws.write_spec("spec.yaml", &renamed);
    let plan = ws.recon(&["plan", "spec.yaml"]);
    plan.success();
    assert!(
        plan.stdout().contains("moved from `efs_file_system.data`"),
        "{}",
        plan.stdout()
    );
    assert!(
        plan.stdout()
            .contains("Plan: 0 to add, 2 to change, 0 to destroy."),
        "{}",
        plan.stdout()
    );
    ws.recon(&["apply"]).success();

    // The same file system and mount target, under the new addresses: no create, no delete.
    let after = file_systems(&env).await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].0, fs_id);
    assert_eq!(after[0].1, "efs_file_system.study");
    assert_eq!(mount_targets(&fs_id).await, mts);
    assert_eq!(support::owned_ids(&env).await, before);
    // And nothing left to do.
    ws.recon(&["plan", "spec.yaml", "--detailed-exitcode"])
        .code_is(0);
    ws.recon(&["destroy", "spec.yaml", "--auto-approve"])
        .success();
}

#[tokio::test(flavor = "multi_thread")]
async fn adopting_an_untagged_vpc_tags_it_and_creates_nothing() {
    moto_endpoint();
    let env = unique_env("adopt");
    let c = ec2().await;
    let vpc = c
        .create_vpc()
        .cidr_block("10.77.0.0/16")
        .send()
        .await
        .unwrap();
    let id = vpc.vpc().unwrap().vpc_id().unwrap().to_owned();
    let ws = Workspace::new("network.yaml", &env);
    ws.write_spec(
        "spec.yaml",
        &format!(
            "environment: {env}\nregion: us-east-1\nadopt:\n  - {{ address: vpc.main, id: {id} }}\nresources:\n  vpc.main: {{ cidr_block: 10.77.0.0/16 }}\n"
        ),
    );
    // Other tests share the server: count only VPCs of this block (no other test uses it).
    let vpcs_of_block = || async {
        c.describe_vpcs()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("cidr")
                    .values("10.77.0.0/16")
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .vpcs()
            .len()
    };
    let vpcs_before = vpcs_of_block().await;
    let apply = ws.recon(&["apply", "spec.yaml", "--auto-approve"]);
    apply.success();
    assert!(apply.stdout().contains("adopted"), "{}", apply.stdout());
    assert!(
        apply.stdout().contains("0 added"),
        "no create: {}",
        apply.stdout()
    );
    assert_eq!(vpcs_of_block().await, vpcs_before, "no VPC was created");
    assert_eq!(support::owned_ids(&env).await, vec![id.clone()]);
    ws.recon(&["plan", "spec.yaml", "--detailed-exitcode"])
        .code_is(0);

    // Another environment cannot adopt it now.
    let other = unique_env("adopt");
    ws.write_spec(
        "other.yaml",
        &format!(
            "environment: {other}\nregion: us-east-1\nadopt:\n  - {{ address: vpc.main, id: {id} }}\nresources:\n  vpc.main: {{ cidr_block: 10.77.0.0/16 }}\n"
        ),
    );
    let run = ws.recon(&["plan", "other.yaml"]);
    run.code_is(1);
    assert!(
        run.stderr_says(&format!("owned by recon environment `{env}`")),
        "{}",
        run.stderr()
    );
    ws.recon(&["destroy", "spec.yaml", "--auto-approve"])
        .success();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_instance_type_stops_modifies_and_starts_the_same_instance() {
    moto_endpoint();
    let env = unique_env("itype");
    let ws = Workspace::new("network.yaml", &env);
    let spec = |ty: &str| {
        format!(
            "environment: {env}
region: us-east-1
resources:
  vpc.main: {{ cidr_block: 10.0.0.0/16 }}
  subnet.a: {{ vpc: vpc.main, cidr_block: 10.0.1.0/24, availability_zone: us-east-1a }}
  instance.compute:
    image: ami-03c3da4cfa8e8943a
    instance_type: {ty}
    subnet: subnet.a
    http_tokens: required
"
        )
    };
    ws.write_spec("spec.yaml", &spec("t3.micro"));
    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .success();
    let c = ec2().await;
    let instance = |c: aws_sdk_ec2::Client| {
        let env = env.clone();
        async move {
            let out = c
                .describe_instances()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("tag:recon:env")
                        .values(&env)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            out.reservations()
                .iter()
                .flat_map(|r| r.instances())
                .filter(|i| {
                    i.state().and_then(|s| s.name())
                        != Some(&aws_sdk_ec2::types::InstanceStateName::Terminated)
                })
                .map(|i| {
                    (
                        i.instance_id().unwrap().to_owned(),
                        i.instance_type().unwrap().as_str().to_owned(),
                        i.state()
                            .and_then(|s| s.name())
                            .unwrap()
                            .as_str()
                            .to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let before = instance(c.clone()).await;
    assert_eq!(before.len(), 1);

    ws.write_spec("spec.yaml", &spec("t3.large"));
    let plan = ws.recon(&["plan", "spec.yaml"]);
    plan.success();
    assert!(
        plan.stdout().contains("will be updated in place"),
        "{}",
        plan.stdout()
    );
    assert!(
        plan.stdout().contains("the instance will be stopped"),
        "{}",
        plan.stdout()
    );
    assert!(!plan.stdout().contains("Data that will be lost"));
    ws.recon(&["apply"]).success();
    let after = instance(c.clone()).await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].0, before[0].0, "the same instance");
    assert_eq!(after[0].1, "t3.large");
    assert_eq!(after[0].2, "running", "started again");
    ws.recon(&["plan", "spec.yaml", "--detailed-exitcode"])
        .code_is(0);
    ws.recon(&["destroy", "spec.yaml", "--auto-approve"])
        .success();
}

#[tokio::test(flavor = "multi_thread")]
async fn target_replace_and_a_saved_destroy_plan() {
    moto_endpoint();
    let env = unique_env("shape");
    let ws = Workspace::new("network.yaml", &env);
    let spec = format!(
        "environment: {env}
region: us-east-1
resources:
  vpc.main: {{ cidr_block: 10.0.0.0/16 }}
  subnet.a: {{ vpc: vpc.main, cidr_block: 10.0.1.0/24, availability_zone: us-east-1a }}
  elastic_ip.a: {{}}
  kms_key.data: {{ deletion_window_days: 7 }}
"
    );
    ws.write_spec("spec.yaml", &spec);
    // --target: only the subnet and the VPC it needs.
    let run = ws.recon(&[
        "apply",
        "spec.yaml",
        "--auto-approve",
        "--target",
        "subnet.a",
    ]);
    run.success();
    assert!(
        run.stdout().contains("Apply complete! Resources: 2 added"),
        "{}",
        run.stdout()
    );
    let c = ec2().await;
    let addresses = |c: aws_sdk_ec2::Client| {
        let env = env.clone();
        async move {
            c.describe_addresses()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("tag:recon:env")
                        .values(&env)
                        .build(),
                )
                .send()
                .await
                .unwrap()
                .addresses()
                .iter()
                .map(|a| a.allocation_id().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert!(addresses(c.clone()).await.is_empty(), "not targeted");
    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .success();
    let first = addresses(c.clone()).await;
    assert_eq!(first.len(), 1);

    // --replace: a new address, nothing else.
    let run = ws.recon(&["plan", "spec.yaml", "--replace", "elastic_ip.a"]);
    run.success();
    assert!(
        run.stdout().contains("replacement requested"),
        "{}",
        run.stdout()
    );
    assert!(
        run.stdout()
            .contains("Plan: 1 to add, 0 to change, 1 to destroy.")
    );
    ws.recon(&["apply"]).success();
    let second = addresses(c.clone()).await;
    assert_eq!(second.len(), 1);
    assert_ne!(second, first);

    // plan --destroy saves a reviewable plan (with the key under data loss); apply runs it.
    let run = ws.recon(&["plan", "spec.yaml", "--destroy", "-o", "destroy.json"]);
    run.success();
    assert!(
        run.stdout().contains("Data that will be lost:"),
        "{}",
        run.stdout()
    );
    assert!(run.stdout().contains("kms_key.data"), "{}", run.stdout());
    assert!(
        support::owned_ids(&env).await.len() >= 3,
        "a plan changes nothing"
    );
    ws.recon(&["apply", "--plan", "destroy.json"]).success();
    assert!(support::owned_ids(&env).await.is_empty());
    ws.recon(&[
        "plan",
        "spec.yaml",
        "--destroy",
        "--detailed-exitcode",
        "-o",
        "d2.json",
    ])
    .code_is(0);
}
