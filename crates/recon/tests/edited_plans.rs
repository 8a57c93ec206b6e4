//! A saved plan cannot be edited into something recon would not plan: `recon apply` makes the
//! plan again from the same spec and the same live resources and refuses any difference, and
//! the file's own digest catches an edit before any AWS call. Each edit the issue measured
//! (another environment's resource to delete, a rule opened to the world, the region, the
//! spec removed, the environment renamed) is refused with nothing changed, on moto.

mod support;

use serde_json::{Value, json};
use support::{Workspace, ec2, moto_endpoint, unique_env};

fn spec(env: &str, subnet: bool, from: &str) -> String {
    let mut text = format!(
        "environment: {env}\nregion: us-east-1\nresources:\n  vpc.main: {{ cidr_block: 10.40.0.0/16 }}\n  security_group.web:\n    vpc: vpc.main\n    description: web\n    ingress: [ {{ protocol: tcp, ports: 443, from: {from} }} ]\n"
    );
    if subnet {
        text.push_str("  subnet.a: { vpc: vpc.main, cidr_block: 10.40.1.0/24 }\n");
    }
    text
}

/// An applied environment: its workspace and the id of its subnet.
async fn applied(env: &str) -> (Workspace, String) {
    let ws = Workspace::new("network.yaml", env);
    ws.write_spec("spec.yaml", &spec(env, true, "10.0.0.0/8"));
    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .success();
    let subnet = support::owned_ids(env)
        .await
        .into_iter()
        .find(|id| id.starts_with("subnet-"))
        .unwrap();
    (ws, subnet)
}

/// Everything the SDK says about what `env` owns, for "nothing changed" checks.
async fn state(env: &str) -> String {
    let c = ec2().await;
    let f = || {
        aws_sdk_ec2::types::Filter::builder()
            .name("tag:recon:env")
            .values(env)
            .build()
    };
    let subnets = c.describe_subnets().filters(f()).send().await.unwrap();
    let groups = c
        .describe_security_groups()
        .filters(f())
        .send()
        .await
        .unwrap();
    format!("{:?}{:?}", subnets.subnets(), groups.security_groups())
}

/// An edit of a saved plan, as someone might make by hand.
type Edit<'a> = Box<dyn Fn(&mut Value) + 'a>;

fn change<'a>(plan: &'a mut Value, address: &str) -> &'a mut Value {
    plan["changes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("no change for {address}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_edit_of_a_saved_plan_is_refused_with_nothing_changed() {
    moto_endpoint();
    let (ws, own_subnet) = applied(&unique_env("edit")).await;
    let env = ws.env.clone();
    let other = unique_env("other");
    let (_other_ws, other_subnet) = applied(&other).await;

    // The plan: delete the subnet, narrow the web rule.
    ws.write_spec("spec.yaml", &spec(&env, false, "10.1.0.0/16"));
    ws.recon(&["plan", "spec.yaml", "-o", "plan.json"])
        .success();
    let original: Value =
        serde_json::from_slice(&std::fs::read(ws.path().join("plan.json")).unwrap()).unwrap();
    assert!(
        original["plan_sha256"].is_string(),
        "the plan carries its digest"
    );
    let (mine, theirs) = (state(&env).await, state(&other).await);

    let edits: Vec<(&str, Edit<'_>)> = vec![
        (
            "another environment's subnet to delete",
            Box::new(|p: &mut Value| {
                let c = change(p, "subnet.a");
                c["id"] = json!(other_subnet.clone());
                c["before"]["tags"]["recon:env"] = json!(other.clone());
            }),
        ),
        (
            "the rule opened to the world",
            Box::new(|p: &mut Value| {
                let c = change(p, "security_group.web");
                c["after"]["ingress"][0]["from"] = json!("0.0.0.0/0");
            }),
        ),
        (
            "the region",
            Box::new(|p: &mut Value| p["region"] = json!("us-west-2")),
        ),
        (
            "the spec removed",
            Box::new(|p: &mut Value| {
                p.as_object_mut().unwrap().remove("spec");
            }),
        ),
        (
            "the environment renamed",
            Box::new(|p: &mut Value| p["environment"] = json!(other.clone())),
        ),
    ];
    for (what, edit) in &edits {
        // Edited in place: the digest no longer matches, before any AWS call.
        let mut plan = original.clone();
        edit(&mut plan);
        ws.write_spec("edited.json", &serde_json::to_string_pretty(&plan).unwrap());
        let run = ws.recon(&["apply", "--plan", "edited.json"]);
        run.code_is(1);
        assert!(
            run.stderr_says("does not match the digest"),
            "{what}: {}",
            run.stderr()
        );

        // With the digest removed too: made again and compared, still refused.
        plan.as_object_mut().unwrap().remove("plan_sha256");
        ws.write_spec("edited.json", &serde_json::to_string_pretty(&plan).unwrap());
        let run = ws.recon(&["apply", "--plan", "edited.json"]);
        run.code_is(1);
        assert!(
            run.stderr_says("is not one recon would make"),
            "{what}: {}",
            run.stderr()
        );
        assert!(
            run.stderr_says("nothing was changed"),
            "{what}: {}",
            run.stderr()
        );
        assert_eq!(state(&env).await, mine, "{what}: this environment changed");
        assert_eq!(state(&other).await, theirs, "{what}: the other one changed");
    }
    assert!(support::owned_ids(&other).await.contains(&other_subnet));

    // The plan as recon wrote it applies.
    ws.recon(&["apply", "--plan", "plan.json"]).success();
    assert!(!support::owned_ids(&env).await.contains(&own_subnet));
    for (w, e) in [(&ws, &env), (&_other_ws, &other)] {
        w.recon(&[
            "destroy",
            "--env",
            e,
            "--region",
            "us-east-1",
            "--auto-approve",
        ])
        .success();
    }
}
