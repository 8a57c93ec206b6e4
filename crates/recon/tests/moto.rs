//! The real binary and SDK against a local moto server (started by `scripts/test.sh`).
//! Each test owns a unique environment, so tests run concurrently on one server; what each
//! leaves in AWS is checked with the SDK directly, not through recon.

mod support;

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, ResourceType, Tag, TagSpecification};
use support::{Workspace, ec2, moto_endpoint, owned_ids, redact, unique_env};

async fn group_id(env: &str, address: &str) -> String {
    let c = ec2().await;
    let out = c
        .describe_security_groups()
        .filters(Filter::builder().name("tag:recon:env").values(env).build())
        .filters(
            Filter::builder()
                .name("tag:recon:id")
                .values(address)
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.security_groups()[0].group_id().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_apply_replan_destroy() {
    moto_endpoint();
    let env = unique_env("life");
    let ws = Workspace::new("network.yaml", &env);

    let plan = ws.recon(&["plan", "spec.yaml"]);
    plan.success();
    let text = plan.stdout().replace(&env, "[env]");
    insta::assert_snapshot!("first_plan", redact(&text));
    assert!(ws.path().join(".recon/plan.json").exists());

    // The other formats of the same plan: Markdown for a pull request, JSON (`--json` is an
    // alias of `--format json`); both still save the JSON plan.
    let md = ws.recon(&["plan", "spec.yaml", "--format", "markdown", "-o", "md.json"]);
    md.success();
    assert!(
        md.stdout()
            .contains("**10 to add, 0 to change, 0 to replace, 0 to destroy**")
            && md.stdout().contains("#### Create (10)")
            // The review's deliberate, silenced finding, with its reason.
            && md.stdout().contains("(silenced: The bastion is the only way in")
            && md.stdout().contains("(`net/admin-port-open`)"),
        "{}",
        md.stdout()
    );
    assert!(ws.path().join("md.json").exists());
    let json = ws.recon(&["plan", "spec.yaml", "--json", "-o", "json.json"]);
    json.success();
    let printed: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(printed["format_version"], 1);
    assert_eq!(printed["changes"].as_array().unwrap().len(), 10);
    // Every resource of a first plan is a create.
    let graph = ws.recon(&["graph", "spec.yaml", "--plan", ".recon/plan.json"]);
    graph.success();
    assert!(
        graph.stdout().contains("class vpc_main,") && !graph.stdout().contains(" nochange\n"),
        "{}",
        graph.stdout()
    );

    let apply = ws.recon(&["apply"]);
    apply.success();
    assert!(
        apply
            .stdout()
            .contains("Apply complete! Resources: 10 added, 0 changed, 0 destroyed."),
        "{}",
        apply.stdout()
    );
    assert!(
        apply
            .stdout()
            .contains("nat_gateway.main: Creation complete after")
    );
    assert_eq!(owned_ids(&env).await.len(), 10);

    // Checked independently: the NAT gateway sits in the public subnet and the private route
    // table sends 0.0.0.0/0 to it; tags were set at creation.
    let c = ec2().await;
    let nat = &c
        .describe_nat_gateways()
        .send()
        .await
        .unwrap()
        .nat_gateways()
        .iter()
        .find(|n| n.tags().iter().any(|t| t.value() == Some(env.as_str())))
        .cloned()
        .expect("the NAT gateway exists");
    let subnets = c
        .describe_subnets()
        .subnet_ids(nat.subnet_id().unwrap())
        .send()
        .await
        .unwrap();
    let subnet_tags = subnets.subnets()[0].tags();
    assert!(
        subnet_tags
            .iter()
            .any(|t| t.key() == Some("recon:id") && t.value() == Some("subnet.public"))
    );
    assert!(subnet_tags.iter().any(|t| t.key() == Some("Name") && t.value() == Some(format!("{env}-public").as_str())));

    let again = ws.recon(&["plan", "spec.yaml", "--detailed-exitcode"]);
    again.code_is(0);
    assert!(again.stdout().contains("No changes."), "{}", again.stdout());

    let destroy = ws.recon(&[
        "destroy",
        "spec.yaml",
        "--auto-approve",
        "--record",
        "close-out.json",
    ]);
    destroy.success();
    assert!(
        destroy.stdout().contains(&format!(
            "Verified: no resources tagged recon:env={env} remain in us-east-1 (read again after the deletes: "
        )),
        "{}",
        destroy.stdout()
    );
    assert!(
        destroy
            .stdout()
            .contains("Teardown record: close-out.json (and close-out.md)")
    );
    assert_eq!(owned_ids(&env).await, Vec::<String>::new());

    // The close-out record names every resource with its id and both times.
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.path().join("close-out.json")).unwrap()).unwrap();
    assert_eq!(record["outcome"], "complete");
    assert_eq!(record["environment"], env.as_str());
    assert_eq!(record["sweep"]["remaining"], serde_json::json!([]));
    let resources = record["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 10);
    for r in resources {
        assert_eq!(r["status"], "deleted", "{r}");
        assert!(r["id"].as_str().unwrap().contains('-'), "{r}");
        assert!(
            r["requested_at"].as_str().unwrap() <= r["confirmed_gone_at"].as_str().unwrap(),
            "{r}"
        );
    }
    let md = std::fs::read_to_string(ws.path().join("close-out.md")).unwrap();
    assert!(md.contains("| Outcome | **Complete**"), "{md}");
    assert!(md.contains("| vpc | `vpc.main` | `vpc-"), "{md}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_destroy_that_fails_part_way_still_writes_the_record_and_spares_what_it_does_not_own() {
    moto_endpoint();
    let env = unique_env("partial");
    let ws = Workspace::new("network.yaml", &env);
    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .success();

    // Someone adds a subnet of their own to the VPC: AWS then refuses to delete the VPC.
    let c = ec2().await;
    let vpcs = c
        .describe_vpcs()
        .filters(Filter::builder().name("tag:recon:env").values(&env).build())
        .send()
        .await
        .unwrap();
    let vpc = vpcs.vpcs()[0].vpc_id().unwrap().to_owned();
    let foreign = c
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.0.9.0/24")
        .send()
        .await
        .unwrap();
    let foreign_id = foreign.subnet().unwrap().subnet_id().unwrap().to_owned();

    let destroy = ws.recon(&[
        "destroy",
        "spec.yaml",
        "--auto-approve",
        "--retry-for",
        "2s",
        "--record",
        "rec.json",
    ]);
    destroy.code_is(1);
    assert!(
        destroy.stdout().contains("Teardown record: rec.json"),
        "{}",
        destroy.stdout()
    );
    assert!(
        destroy.stderr_says("Destroy failed: 1 failed"),
        "{}",
        destroy.stderr()
    );
    assert!(destroy.stderr_says("vpc.main"), "{}", destroy.stderr());

    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.path().join("rec.json")).unwrap()).unwrap();
    assert_eq!(record["outcome"], "incomplete");
    let resources = record["resources"].as_array().unwrap();
    let vpc_entry = resources
        .iter()
        .find(|r| r["address"] == "vpc.main")
        .unwrap();
    assert_eq!(vpc_entry["status"], "failed");
    assert!(
        vpc_entry["reason"]
            .as_str()
            .unwrap()
            .contains("DependencyViolation"),
        "{vpc_entry}"
    );
    assert_eq!(
        resources
            .iter()
            .filter(|r| r["status"] == "deleted")
            .count(),
        9
    );
    assert_eq!(record["sweep"]["remaining"].as_array().unwrap().len(), 1);
    let md = std::fs::read_to_string(ws.path().join("rec.md")).unwrap();
    assert!(
        md.contains("## Not deleted") && md.contains("these remain:"),
        "{md}"
    );

    // The subnet recon does not own is untouched; once it is gone, destroy converges.
    let still = c
        .describe_subnets()
        .subnet_ids(&foreign_id)
        .send()
        .await
        .unwrap();
    assert_eq!(still.subnets().len(), 1);
    c.delete_subnet()
        .subnet_id(&foreign_id)
        .send()
        .await
        .unwrap();
    ws.recon(&["destroy", "spec.yaml", "--auto-approve"])
        .success();
    assert_eq!(owned_ids(&env).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_out_of_band_rule_shows_as_an_update_and_is_revoked() {
    moto_endpoint();
    let env = unique_env("oob");
    let ws = Workspace::new("network.yaml", &env);
    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .success();

    let sg = group_id(&env, "security_group.compute").await;
    ec2()
        .await
        .authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(3389)
                .to_port(3389)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();

    let plan = ws.recon(&["plan", "spec.yaml", "--detailed-exitcode"]);
    plan.code_is(2);
    let out = plan.stdout();
    assert!(
        out.contains("# security_group.compute will be updated in place"),
        "{out}"
    );
    assert!(
        out.contains(r#"- { from = "0.0.0.0/0", ports = "3389", protocol = "tcp" }"#),
        "{out}"
    );
    assert!(
        out.contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{out}"
    );

    ws.recon(&["apply"]).success();
    ws.recon(&["plan", "spec.yaml", "--detailed-exitcode"])
        .code_is(0);
    ws.recon(&["destroy", "spec.yaml", "--auto-approve"])
        .success();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resource_removed_from_the_spec_is_deleted() {
    moto_endpoint();
    let env = unique_env("rm");
    let ws = Workspace::new("network.yaml", &env);
    let base = Workspace::spec_text("network.yaml", &env);
    let extra = format!(
        "{base}  security_group.extra:\n    vpc: vpc.main\n    description: removed later\n    ingress: [ {{ protocol: tcp, ports: 8080, from: 10.0.0.0/16 }} ]\n"
    );
    ws.write_spec("extra.yaml", &extra);
    ws.recon(&["apply", "extra.yaml", "--auto-approve"])
        .success();
    assert_eq!(owned_ids(&env).await.len(), 11);

    let plan = ws.recon(&["plan", "spec.yaml"]);
    plan.success();
    assert!(
        plan.stdout()
            .contains("# security_group.extra will be destroyed: not in the spec"),
        "{}",
        plan.stdout()
    );
    assert!(
        plan.stdout()
            .contains("Plan: 0 to add, 0 to change, 1 to destroy."),
        "{}",
        plan.stdout()
    );
    ws.recon(&["apply"]).success();
    assert_eq!(owned_ids(&env).await.len(), 10);
    ws.recon(&["destroy", "spec.yaml", "--auto-approve"])
        .success();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_plan_is_refused_and_changes_nothing() {
    moto_endpoint();
    let env = unique_env("stale");
    let ws = Workspace::new("network.yaml", &env);
    ws.recon(&["plan", "spec.yaml"]).success();

    // The world moves on: a resource of this environment appears behind the plan's back.
    ec2()
        .await
        .create_vpc()
        .cidr_block("10.9.0.0/16")
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Vpc)
                .tags(Tag::builder().key("recon:env").value(&env).build())
                .tags(Tag::builder().key("recon:id").value("vpc.sneaky").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let run = ws.recon(&["apply"]);
    run.code_is(1);
    assert!(
        run.stderr_says("The saved plan is stale: the live resources of environment"),
        "{}",
        run.stderr()
    );
    assert_eq!(owned_ids(&env).await.len(), 1, "nothing was created");

    // The spec changes after planning.
    ws.recon(&["plan", "spec.yaml"]).success();
    let mut text = Workspace::spec_text("network.yaml", &env);
    text.push_str("# edited after the plan\n");
    ws.write_spec("spec.yaml", &text);
    let run = ws.recon(&["apply"]);
    run.code_is(1);
    assert!(
        run.stderr_says("The saved plan is stale: the spec `spec.yaml` changed"),
        "{}",
        run.stderr()
    );
    assert_eq!(owned_ids(&env).await.len(), 1, "nothing was created");

    ws.recon(&[
        "destroy",
        "--env",
        &env,
        "--region",
        "us-east-1",
        "--auto-approve",
    ])
    .success();
    assert_eq!(owned_ids(&env).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_without_a_terminal_or_auto_approve_refuses() {
    moto_endpoint();
    let env = unique_env("noconfirm");
    let ws = Workspace::new("network.yaml", &env);
    let run = ws.recon(&["apply", "spec.yaml"]);
    run.code_is(1);
    assert!(
        run.stderr_says("Refusing to perform these actions without confirmation"),
        "{}",
        run.stderr()
    );
    assert_eq!(owned_ids(&env).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn resources_of_other_environments_are_never_touched() {
    moto_endpoint();
    let env = unique_env("own");
    let other = unique_env("other");
    let c = ec2().await;
    let decoy = |env: Option<&str>, id: &str| {
        let mut spec = TagSpecification::builder().resource_type(ResourceType::Vpc);
        if let Some(env) = env {
            spec = spec.tags(Tag::builder().key("recon:env").value(env).build());
        }
        spec.tags(Tag::builder().key("recon:id").value(id).build())
            .build()
    };
    let foreign = c
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .tag_specifications(decoy(Some(&other), "vpc.main"))
        .send()
        .await
        .unwrap();
    let untagged = c
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .tag_specifications(decoy(None, "vpc.main"))
        .send()
        .await
        .unwrap();

    let ws = Workspace::new("network.yaml", &env);
    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .success();
    ws.recon(&["destroy", "spec.yaml", "--auto-approve"])
        .success();

    for vpc in [foreign.vpc().unwrap(), untagged.vpc().unwrap()] {
        let found = c
            .describe_vpcs()
            .vpc_ids(vpc.vpc_id().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(
            found.vpcs().len(),
            1,
            "decoy {} was deleted",
            vpc.vpc_id().unwrap()
        );
    }
    assert_eq!(owned_ids(&other).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn key_pairs_import_from_a_file_and_a_lost_private_key_is_reported_not_replaced() {
    moto_endpoint();
    let env = unique_env("keys");
    let ws = Workspace::new("network.yaml", &env);
    std::fs::create_dir_all(ws.path().join("keys")).unwrap();
    std::fs::write(
        ws.path().join("keys/admin.pub"),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA4l81xWo9YEaXlWk8pdC+I2kS3h6DQ5cvFcxvu22QNW admin@laptop\n",
    )
    .unwrap();
    ws.write_spec(
        "keys.yaml",
        &format!(
            "environment: {env}\nregion: us-east-1\nresources:\n  key_pair.imported: {{ public_key_file: keys/admin.pub }}\n  key_pair.created: {{ private_key_file: created.pem }}\n"
        ),
    );
    ws.recon(&["apply", "keys.yaml", "--auto-approve"])
        .success();
    let pem = ws.path().join("created.pem");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&pem).unwrap().permissions().mode() & 0o777,
        0o600
    );
    ws.recon(&["plan", "keys.yaml", "--detailed-exitcode"])
        .code_is(0);

    std::fs::remove_file(&pem).unwrap();
    let plan = ws.recon(&["plan", "keys.yaml", "--detailed-exitcode"]);
    plan.code_is(0);
    assert!(
        plan.stderr_says("key pair `key_pair.created` exists in AWS but its private key file `created.pem` is missing"),
        "{}",
        plan.stderr()
    );
    ws.recon(&["destroy", "keys.yaml", "--auto-approve"])
        .success();
}

/// `destroy --auto-approve` plans under the lock and carries that plan out without reading the
/// environment again: the VPCs are listed once before the deletes and once after (the sweep
/// that says nothing remains), not a third time to check the plan is still current.
#[test]
fn destroy_with_auto_approve_lists_the_environment_once_before_deleting() {
    moto_endpoint();
    let env = unique_env("once");
    let ws = Workspace::new("network.yaml", &env);
    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .success();
    let destroy = ws.recon(&["-v", "destroy", "spec.yaml", "--auto-approve"]);
    destroy.success();
    let listings: Vec<String> = destroy
        .stderr()
        .lines()
        .filter(|l| l.contains("aws call") && l.contains("op=\"DescribeVpcs\""))
        .filter(|l| l.contains("environment="))
        .map(str::to_owned)
        .collect();
    assert_eq!(listings.len(), 2, "{listings:#?}");
}
