//! The "platform" file (use case 4) on moto, with the real binary: three environments of one
//! file applied side by side, each re-planned clean, dev destroyed without touching prod or
//! staging (compared with the SDK, resource by resource), and a zone added to staging planning
//! only additions.

mod support;

use aws_sdk_ec2::types::Filter;
use support::{Workspace, ec2, moto_endpoint, owned_ids, unique_env};

/// `specs/platform.yaml` with this run's own environment names (`<prefix>-prod`, ...).
fn platform(prefix: &str) -> String {
    let text = std::fs::read_to_string(support::repo_root().join("specs/platform.yaml")).unwrap();
    assert!(text.contains("environment: platform-${env}"));
    text.replace(
        "environment: platform-${env}",
        &format!("environment: {prefix}-${{env}}"),
    )
}

/// Everything the SDK says about the resources tagged `recon:env` = `env`, as text, sorted: two
/// equal snapshots mean nothing of the environment was created, changed or deleted.
async fn snapshot(env: &str) -> Vec<String> {
    let c = ec2().await;
    let f = || Filter::builder().name("tag:recon:env").values(env).build();
    let mut out = Vec::new();
    for v in c.describe_vpcs().filters(f()).send().await.unwrap().vpcs() {
        out.push(format!("{v:?}"));
    }
    for s in c
        .describe_subnets()
        .filters(f())
        .send()
        .await
        .unwrap()
        .subnets()
    {
        out.push(format!("{s:?}"));
    }
    let igws = c
        .describe_internet_gateways()
        .filters(f())
        .send()
        .await
        .unwrap();
    for g in igws.internet_gateways() {
        out.push(format!("{g:?}"));
    }
    let tables = c.describe_route_tables().filters(f()).send().await.unwrap();
    for t in tables.route_tables() {
        out.push(format!("{t:?}"));
    }
    for a in c
        .describe_addresses()
        .filters(f())
        .send()
        .await
        .unwrap()
        .addresses()
    {
        out.push(format!("{a:?}"));
    }
    // moto ignores tag filters on NAT gateways: filter here.
    for n in c
        .describe_nat_gateways()
        .send()
        .await
        .unwrap()
        .nat_gateways()
    {
        if n.tags()
            .iter()
            .any(|t| t.key() == Some("recon:env") && t.value() == Some(env))
        {
            out.push(format!("{n:?}"));
        }
    }
    let groups = c
        .describe_security_groups()
        .filters(f())
        .send()
        .await
        .unwrap();
    for g in groups.security_groups() {
        out.push(format!("{g:?}"));
    }
    out.sort();
    out
}

/// The `recon:id`s and CIDR blocks of an environment's subnets.
async fn subnets(env: &str) -> Vec<(String, String, String)> {
    let c = ec2().await;
    let f = Filter::builder().name("tag:recon:env").values(env).build();
    let found = c.describe_subnets().filters(f).send().await.unwrap();
    let mut out: Vec<(String, String, String)> = found
        .subnets()
        .iter()
        .map(|s| {
            let id = s
                .tags()
                .iter()
                .find(|t| t.key() == Some("recon:id"))
                .and_then(|t| t.value())
                .unwrap_or_default()
                .to_owned();
            (
                id,
                s.cidr_block().unwrap_or_default().to_owned(),
                s.availability_zone().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn three_environments_of_one_file_live_side_by_side() {
    moto_endpoint();
    let prefix = unique_env("plat");
    let ws = Workspace::new("network.yaml", &prefix);
    ws.write_spec("platform.yaml", &platform(&prefix));
    let env = |name: &str| format!("{prefix}-{name}");

    // prod, staging and dev, side by side: 3, 2 and 1 zones (dev with one shared NAT gateway).
    for (name, count) in [("prod", 20), ("staging", 15), ("dev", 10)] {
        let apply = ws.recon(&["apply", "platform.yaml", "--env", name, "--auto-approve"]);
        apply.success();
        assert!(
            apply
                .stdout()
                .contains(&format!("Apply complete! Resources: {count} added")),
            "{name}: {}",
            apply.stdout()
        );
    }
    assert_eq!(
        subnets(&env("staging")).await,
        [
            (
                "subnet.private[us-east-1a]".into(),
                "10.20.128.0/24".into(),
                "us-east-1a".into()
            ),
            (
                "subnet.private[us-east-1b]".into(),
                "10.20.129.0/24".into(),
                "us-east-1b".into()
            ),
            (
                "subnet.public[us-east-1a]".into(),
                "10.20.0.0/24".into(),
                "us-east-1a".into()
            ),
            (
                "subnet.public[us-east-1b]".into(),
                "10.20.1.0/24".into(),
                "us-east-1b".into()
            ),
        ]
    );
    assert_eq!(owned_ids(&env("prod")).await.len(), 20);
    assert_eq!(owned_ids(&env("dev")).await.len(), 10);

    // Each re-plans with no changes.
    for name in ["prod", "staging", "dev"] {
        let plan = ws.recon(&[
            "plan",
            "platform.yaml",
            "--env",
            name,
            "--detailed-exitcode",
            "-o",
            &format!("{name}.json"),
        ]);
        plan.code_is(0);
        assert!(
            plan.stdout().contains("No changes"),
            "{name}: {}",
            plan.stdout()
        );
    }

    // `output` and `show` read the environment `--env` names, and no other.
    let vpc_of = |name: &str| {
        let out = ws.recon(&["output", "platform.yaml", "vpc_id", "--env", name]);
        out.success();
        out.stdout().trim().to_owned()
    };
    let (prod_vpc, dev_vpc) = (vpc_of("prod"), vpc_of("dev"));
    assert!(prod_vpc.starts_with("vpc-"), "{prod_vpc}");
    assert_ne!(prod_vpc, dev_vpc);
    let show = ws.recon(&["show", "platform.yaml", "--env", "dev", "--json"]);
    show.success();
    let shown: serde_json::Value = serde_json::from_str(&show.stdout()).unwrap();
    assert_eq!(shown["environment"], env("dev"), "{shown:#}");
    assert!(show.stdout().contains(&dev_vpc) && !show.stdout().contains(&prod_vpc));

    // Destroying dev leaves prod and staging exactly as they were.
    let (prod_before, staging_before) = (
        snapshot(&env("prod")).await,
        snapshot(&env("staging")).await,
    );
    assert_eq!(prod_before.len(), 20);
    ws.recon(&["destroy", "platform.yaml", "--env", "dev", "--auto-approve"])
        .success();
    assert!(owned_ids(&env("dev")).await.is_empty(), "dev is gone");
    assert_eq!(snapshot(&env("prod")).await, prod_before);
    assert_eq!(snapshot(&env("staging")).await, staging_before);

    // A third zone for staging: only additions (and the public route table gains the new
    // public subnet's association; nothing is replaced or deleted).
    let text = platform(&prefix).replace(
        "staging: { cidr: 10.20.0.0/16, azs: [us-east-1a, us-east-1b]",
        "staging: { cidr: 10.20.0.0/16, azs: [us-east-1a, us-east-1b, us-east-1c]",
    );
    ws.write_spec("platform.yaml", &text);
    let plan = ws.recon(&[
        "plan",
        "platform.yaml",
        "--env",
        "staging",
        "--json",
        "-o",
        "az.json",
    ]);
    plan.success();
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout()).unwrap();
    let mut changes: Vec<(String, String)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap().to_owned(),
                c["address"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    changes.sort();
    assert_eq!(
        changes,
        [
            ("create".into(), "elastic_ip.nat[us-east-1c]".into()),
            ("create".into(), "nat_gateway.az[us-east-1c]".into()),
            ("create".into(), "route_table.private[us-east-1c]".into()),
            ("create".into(), "subnet.private[us-east-1c]".into()),
            ("create".into(), "subnet.public[us-east-1c]".into()),
            ("update".into(), "route_table.public".into()),
        ]
    );
    let update = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["action"] == "update")
        .unwrap();
    let before = update["before"]["subnets"].as_array().unwrap().len();
    let after = update["after"]["subnets"].as_array().unwrap().len();
    assert_eq!((before, after), (2, 3), "{update:#}");
    assert_eq!(plan["spec"]["env"], "staging");
    assert_eq!(
        plan["spec"]["parameters"]["azs"],
        serde_json::json!(["us-east-1a", "us-east-1b", "us-east-1c"])
    );

    // The saved plan is for those values: changing one in the file makes apply refuse it.
    ws.write_spec(
        "platform.yaml",
        &text.replace("db_clients: [10.20.0.0/16]", "db_clients: [10.21.0.0/16]"),
    );
    let refused = ws.recon(&["apply", "--plan", "az.json"]);
    refused.code_is(1);
    assert!(refused.stderr_says("stale"), "{}", refused.stderr());
    assert_eq!(
        snapshot(&env("staging")).await,
        staging_before,
        "nothing applied"
    );

    for name in ["prod", "staging"] {
        ws.recon(&["destroy", "platform.yaml", "--env", name, "--auto-approve"])
            .success();
        assert!(owned_ids(&env(name)).await.is_empty());
    }
}
