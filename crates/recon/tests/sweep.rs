//! Everything tagged with the environment is accounted for. A second resource claiming one
//! address (a lost answer's duplicate) is planned away and deleted by the next apply. The sweep
//! counts everything tagged, whatever its `recon:id` says: a resource recon cannot address (a
//! `recon:id` edited by hand) is named, never deleted, and never lets destroy say "Complete"
//! or "Verified".

mod support;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use support::{Run, Workspace, ec2, moto_endpoint, unique_env};

/// `destroy spec.yaml --auto-approve` with its teardown record at `record.json`: the run and
/// the record.
fn destroy_with_record(ws: &Workspace) -> (Run, serde_json::Value) {
    let run = ws.recon(&[
        "destroy",
        "spec.yaml",
        "--auto-approve",
        "--record",
        "record.json",
    ]);
    let record = serde_json::from_slice(&std::fs::read(ws.path().join("record.json")).unwrap())
        .unwrap_or_else(|e| panic!("the teardown record: {e}\n{}", run.stderr()));
    (run, record)
}

/// A VPC tagged for `env` with an unusable `recon:id`.
async fn garbage_vpc(env: &str) -> String {
    vpc_tagged(
        "10.99.0.0/16",
        &[("recon:env", env), ("recon:id", "garbage")],
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resource_with_an_unusable_recon_id_is_named_and_fails_the_destroy() {
    moto_endpoint();
    let env = unique_env("sweep");
    let ws = Workspace::new("network.yaml", &env);
    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .success();
    let vpc = garbage_vpc(&env).await;

    // With a spec: everything recon owns goes, the unusable one is named, exit 1.
    let (run, record) = destroy_with_record(&ws);
    run.code_is(1);
    assert!(
        run.stderr_says(&format!("1 resource tagged recon:env={env} remains")),
        "{}",
        run.stderr()
    );
    // (miette may wrap the id at its hyphen: the record has it whole.)
    assert!(
        run.stderr_says("(recon:id `garbage`, not one of its addresses)"),
        "{}",
        run.stderr()
    );
    assert!(!run.stdout().contains("Verified"), "{}", run.stdout());
    assert_eq!(record["outcome"], "incomplete", "{record:#}");
    assert!(
        record["sweep"]["remaining"][0]
            .as_str()
            .unwrap()
            .contains(&vpc),
        "{record:#}"
    );

    // By name, with nothing addressable left: not "Nothing to destroy".
    let run = ws.recon(&[
        "destroy",
        "--env",
        &env,
        "--region",
        "us-east-1",
        "--auto-approve",
    ]);
    run.code_is(1);
    assert!(
        !run.stdout().contains("Nothing to destroy"),
        "{}",
        run.stdout()
    );
    assert!(run.stderr_says("recon:id `garbage`"), "{}", run.stderr());

    // Never deleted by recon.
    let still = ec2()
        .await
        .describe_vpcs()
        .vpc_ids(&vpc)
        .send()
        .await
        .unwrap();
    assert_eq!(still.vpcs().len(), 1);
    ec2().await.delete_vpc().vpc_id(&vpc).send().await.unwrap();
    ws.recon(&[
        "destroy",
        "--env",
        &env,
        "--region",
        "us-east-1",
        "--auto-approve",
    ])
    .success();
}

/// The sweep after the deletes reads again every kind in which the destroy's own listing found
/// anything tagged, addressable or not: an unusable resource of a kind the spec does not use is
/// named too, and the record says which kinds were read.
#[tokio::test(flavor = "multi_thread")]
async fn an_unusable_resource_in_a_kind_the_spec_does_not_use_is_swept_too() {
    moto_endpoint();
    let env = unique_env("sweepkp");
    let ws = Workspace::new("network.yaml", &env);
    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .success();
    let name = format!("{env}-stray");
    ec2()
        .await
        .create_key_pair()
        .key_name(&name)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::KeyPair)
                .tags(Tag::builder().key("recon:env").value(&env).build())
                .tags(Tag::builder().key("recon:id").value("garbage").build())
                .build(),
        )
        .send()
        .await
        .unwrap();

    let (run, record) = destroy_with_record(&ws);
    run.code_is(1);
    assert!(run.stderr_says("recon:id `garbage`"), "{}", run.stderr());
    assert!(!run.stdout().contains("Verified"), "{}", run.stdout());
    assert_eq!(record["outcome"], "incomplete", "{record:#}");
    let kinds: Vec<&str> = record["sweep"]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    for kind in ["vpc", "subnet", "nat_gateway", "key_pair"] {
        assert!(kinds.contains(&kind), "{kind} not in {kinds:?}");
    }
    assert!(!kinds.contains(&"launch_template"), "{kinds:?}");

    ec2()
        .await
        .delete_key_pair()
        .key_name(&name)
        .send()
        .await
        .unwrap();
}

/// The VPCs tagged as `env`'s `vpc.main`.
async fn main_vpcs(env: &str) -> Vec<String> {
    use aws_sdk_ec2::types::Filter;
    let out = ec2()
        .await
        .describe_vpcs()
        .filters(Filter::builder().name("tag:recon:env").values(env).build())
        .filters(
            Filter::builder()
                .name("tag:recon:id")
                .values("vpc.main")
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.vpcs()
        .iter()
        .map(|v| v.vpc_id().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_resource_with_the_same_tags_is_planned_away_and_deleted_by_the_next_apply() {
    moto_endpoint();
    let env = unique_env("dup");
    let ws = Workspace::new("network.yaml", &env);
    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .success();
    let kept = main_vpcs(&env).await;
    assert_eq!(kept.len(), 1);

    // What a lost answer to CreateVpc would have left: a second VPC claiming `vpc.main`.
    let seeded = vpc_tagged(
        "10.98.0.0/16",
        &[("recon:env", &env), ("recon:id", "vpc.main")],
    )
    .await;

    // The plan keeps the one in use and deletes the other, in words.
    let plan = ws.recon(&["plan", "spec.yaml"]);
    plan.success();
    assert!(
        plan.stdout()
            .contains(&format!("vpc.main-duplicate-1 ({seeded})")),
        "{}",
        plan.stdout()
    );
    assert!(
        plan.stdout().contains("a duplicate of `vpc.main`"),
        "{}",
        plan.stdout()
    );

    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .success();
    assert_eq!(main_vpcs(&env).await, kept, "the one in use stays");
    ws.recon(&["plan", "spec.yaml", "--detailed-exitcode"])
        .code_is(0);
    ws.recon(&["destroy", "spec.yaml", "--auto-approve"])
        .success();
    assert!(main_vpcs(&env).await.is_empty());
}

/// A VPC with exactly `tags` (key, value), and its id.
async fn vpc_tagged(cidr: &str, tags: &[(&str, &str)]) -> String {
    let mut spec = TagSpecification::builder().resource_type(ResourceType::Vpc);
    for (k, v) in tags {
        spec = spec.tags(Tag::builder().key(*k).value(*v).build());
    }
    let out = ec2()
        .await
        .create_vpc()
        .cidr_block(cidr)
        .tag_specifications(spec.build())
        .send()
        .await
        .unwrap();
    out.vpc().unwrap().vpc_id().unwrap().to_owned()
}

/// Each VPC's tags, by a describe of those ids.
async fn tags_of(ids: &[String]) -> Vec<(String, Vec<(String, String)>)> {
    let out = ec2()
        .await
        .describe_vpcs()
        .set_vpc_ids(Some(ids.to_vec()))
        .send()
        .await
        .unwrap();
    let mut all: Vec<_> = out
        .vpcs()
        .iter()
        .map(|v| {
            let mut tags: Vec<_> = v
                .tags()
                .iter()
                .map(|t| (t.key().unwrap().to_owned(), t.value().unwrap().to_owned()))
                .collect();
            tags.sort();
            (v.vpc_id().unwrap().to_owned(), tags)
        })
        .collect();
    all.sort();
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn look_alikes_of_the_environment_are_never_touched() {
    moto_endpoint();
    let env = unique_env("decoy");
    let ws = Workspace::new("network.yaml", &env);
    // Seven look-alikes: other environments whose names contain or are contained in this one,
    // case variants of the name and of the tag key, a trailing space, and an untagged VPC with
    // the name recon would give.
    let upper = env.to_uppercase();
    let longer = format!("{env}-other");
    let shorter = env[..env.len() - 1].to_owned();
    let spaced = format!("{env} ");
    let named = format!("{env}-main");
    let decoys = vec![
        vpc_tagged(
            "10.61.0.0/16",
            &[("recon:env", &longer), ("recon:id", "vpc.main")],
        )
        .await,
        vpc_tagged(
            "10.62.0.0/16",
            &[("recon:env", &shorter), ("recon:id", "vpc.main")],
        )
        .await,
        vpc_tagged(
            "10.63.0.0/16",
            &[("recon:env", &upper), ("recon:id", "vpc.main")],
        )
        .await,
        vpc_tagged(
            "10.64.0.0/16",
            &[("Recon:env", &env), ("recon:id", "vpc.main")],
        )
        .await,
        vpc_tagged(
            "10.65.0.0/16",
            &[("recon:env", &spaced), ("recon:id", "vpc.main")],
        )
        .await,
        vpc_tagged(
            "10.66.0.0/16",
            &[("recon:ENV", &env), ("RECON:ID", "vpc.main")],
        )
        .await,
        vpc_tagged("10.67.0.0/16", &[("Name", &named)]).await,
    ];
    let before = tags_of(&decoys).await;
    assert_eq!(before.len(), 7);

    // A whole life: apply, a clean re-plan, destroy by the spec, and destroy by name.
    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .success();
    assert_eq!(main_vpcs(&env).await.len(), 1, "its own VPC, created");
    let plan = ws.recon(&["plan", "spec.yaml", "--detailed-exitcode"]);
    plan.code_is(0);
    for id in &decoys {
        assert!(!plan.stdout().contains(id.as_str()), "{}", plan.stdout());
    }
    let destroy = ws.recon(&["destroy", "spec.yaml", "--auto-approve"]);
    destroy.success();
    for id in &decoys {
        assert!(
            !destroy.stdout().contains(id.as_str()),
            "{}",
            destroy.stdout()
        );
    }
    ws.recon(&[
        "destroy",
        "--env",
        &env,
        "--region",
        "us-east-1",
        "--auto-approve",
    ])
    .success();
    assert!(main_vpcs(&env).await.is_empty());

    // Every look-alike is there, its tags as they were.
    assert_eq!(tags_of(&decoys).await, before);
    for id in &decoys {
        ec2().await.delete_vpc().vpc_id(id).send().await.unwrap();
    }
}
