//! The "web" environment end to end on moto: lookups (the newest Amazon Linux image, the
//! default VPC and its subnets), a classic load balancer and an Auto Scaling group of two,
//! checked with the SDK. The group, not recon, owns its instances: one terminated out of band
//! is no change to recon's resources. Destroy leaves the default VPC and its subnets alone.

mod support;

use std::os::unix::fs::PermissionsExt;

use aws_sdk_ec2::types::Filter;
use support::{Workspace, ec2, moto_endpoint, owned_ids, says, unique_env};

async fn config(region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_owned()))
        .load()
        .await
}

/// The default VPC and its subnets, as the SDK sees them.
async fn default_network(c: &aws_sdk_ec2::Client) -> (String, Vec<String>) {
    let vpcs = c
        .describe_vpcs()
        .filters(Filter::builder().name("is-default").values("true").build())
        .send()
        .await
        .unwrap();
    let vpc = vpcs.vpcs()[0].vpc_id().unwrap().to_owned();
    let subnets = c
        .describe_subnets()
        .filters(Filter::builder().name("vpc-id").values(&vpc).build())
        .filters(
            Filter::builder()
                .name("default-for-az")
                .values("true")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut ids: Vec<String> = subnets
        .subnets()
        .iter()
        .map(|s| s.subnet_id().unwrap().to_owned())
        .collect();
    ids.sort();
    (vpc, ids)
}

/// The Auto Scaling group of this name, as the SDK sees it.
async fn group_named(
    asg: &aws_sdk_autoscaling::Client,
    name: &str,
) -> Option<aws_sdk_autoscaling::types::AutoScalingGroup> {
    let out = asg
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .unwrap();
    out.auto_scaling_groups().first().cloned()
}

/// The classic load balancer of this name; `None` once AWS answers that it does not exist.
async fn load_balancer_named(
    elb: &aws_sdk_elasticloadbalancing::Client,
    name: &str,
) -> Option<aws_sdk_elasticloadbalancing::types::LoadBalancerDescription> {
    let out = elb
        .describe_load_balancers()
        .load_balancer_names(name)
        .send()
        .await
        .ok()?;
    out.load_balancer_descriptions().first().cloned()
}

#[tokio::test(flavor = "multi_thread")]
async fn web_tier_serves_from_two_group_instances_and_leaves_the_default_vpc() {
    moto_endpoint();
    let env = unique_env("web");
    let ws = Workspace::new("web.yaml", &env);
    let c = ec2().await;
    let before = default_network(&c).await;

    let plan = ws.recon(&["plan", "spec.yaml"]);
    plan.success();
    let out = plan.stdout();
    // The lookups are shown with what they found: the newest Amazon Linux 2023 x86_64 image
    // (ties broken by id, as recon does, so the choice is stable).
    let images = c
        .describe_images()
        .owners("amazon")
        .filters(
            Filter::builder()
                .name("name")
                .values("al2023-ami-2023.*-x86_64")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let newest = images
        .images()
        .iter()
        .max_by_key(|i| (i.creation_date().unwrap_or_default(), i.image_id()))
        .unwrap();
    let image_id = newest.image_id().unwrap();
    assert!(
        out.contains("Lookups (existing resources used, never changed):"),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("image.al2023") && l.contains(image_id)),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("vpc.default") && l.contains(&before.0)),
        "{out}"
    );
    assert!(
        out.contains("Plan: 5 to add, 0 to change, 0 to destroy."),
        "{out}"
    );
    let apply = ws.recon(&["apply"]);
    apply.success();
    // Apply says where it wrote the private key.
    assert!(
        apply.stdout().contains(
            "Wrote the private key of `key_pair.deployer` to .recon/keys/web-deployer.pem (mode 0600; AWS keeps no copy)."
        ),
        "{}",
        apply.stdout()
    );

    // The private key, written once, 0600.
    let key = ws.path().join(".recon/keys/web-deployer.pem");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // Two instances in service in the group, from the looked-up image, registered with the
    // load balancer.
    let cfg = config("us-east-1").await;
    let asg = aws_sdk_autoscaling::Client::new(&cfg);
    let elb = aws_sdk_elasticloadbalancing::Client::new(&cfg);
    let group_name = format!("{env}-app");
    let lb_name = format!("{env}-front");
    let group = group_named(&asg, &group_name)
        .await
        .expect("the group exists");
    assert_eq!(
        (group.min_size(), group.max_size(), group.desired_capacity()),
        (Some(2), Some(2), Some(2))
    );
    assert_eq!(group.default_cooldown(), Some(30));
    assert_eq!(group.health_check_type(), Some("ELB"));
    assert_eq!(group.load_balancer_names(), std::slice::from_ref(&lb_name));
    let in_service: Vec<String> = group
        .instances()
        .iter()
        .filter(|i| i.lifecycle_state().map(|s| s.as_str()) == Some("InService"))
        .map(|i| i.instance_id().unwrap().to_owned())
        .collect();
    assert_eq!(in_service.len(), 2, "{group:?}");
    let health = elb
        .describe_instance_health()
        .load_balancer_name(&lb_name)
        .send()
        .await
        .unwrap();
    let mut registered: Vec<String> = health
        .instance_states()
        .iter()
        .map(|s| s.instance_id().unwrap().to_owned())
        .collect();
    registered.sort();
    let mut expected = in_service.clone();
    expected.sort();
    assert_eq!(registered, expected);
    let described = c
        .describe_instances()
        .set_instance_ids(Some(in_service.clone()))
        .send()
        .await
        .unwrap();
    for i in described.reservations().iter().flat_map(|r| r.instances()) {
        assert_eq!(i.image_id(), Some(image_id));
        // The group's tags propagate: the instances belong to the environment too.
        let tag = |k: &str| {
            i.tags()
                .iter()
                .find(|t| t.key() == Some(k))
                .and_then(|t| t.value())
                .map(str::to_owned)
        };
        assert_eq!(tag("recon:env").as_deref(), Some(env.as_str()));
        assert_eq!(
            tag("aws:autoscaling:groupName").as_deref(),
            Some(group_name.as_str())
        );
    }
    let lb = load_balancer_named(&elb, &lb_name)
        .await
        .expect("the load balancer exists");
    let check = lb.health_check().unwrap();
    assert_eq!((check.target(), check.interval()), ("HTTP:80/", 15));
    let listener = lb.listener_descriptions()[0].listener().unwrap();
    assert_eq!(
        (
            listener.protocol(),
            listener.load_balancer_port(),
            listener.instance_port()
        ),
        ("HTTP", 80, 80)
    );

    // Size and listeners change in place: the group and the load balancer are updated, not
    // replaced.
    let grown = Workspace::spec_text("web.yaml", &env)
        .replace("    max_size: 2\n    desired_capacity: 2", "    max_size: 3\n    desired_capacity: 3")
        .replace(
            "      - { protocol: http, port: 80, instance_protocol: http, instance_port: 80 }\n",
            "      - { protocol: http, port: 80, instance_protocol: http, instance_port: 80 }\n      - { protocol: tcp, port: 8443, instance_protocol: tcp, instance_port: 8443 }\n",
        );
    ws.write_spec("spec.yaml", &grown);
    let plan = ws.recon(&["plan", "spec.yaml"]);
    plan.success();
    let out = plan.stdout();
    assert!(out.contains("~ autoscaling_group.app"), "{out}");
    assert!(out.contains("~ load_balancer.front"), "{out}");
    assert!(
        out.contains("Plan: 0 to add, 2 to change, 0 to destroy."),
        "{out}"
    );
    ws.recon(&["apply"]).success();
    let group = group_named(&asg, &group_name)
        .await
        .expect("the group exists");
    assert_eq!(
        (group.max_size(), group.desired_capacity()),
        (Some(3), Some(3))
    );
    let mut ports: Vec<i32> = load_balancer_named(&elb, &lb_name)
        .await
        .expect("the load balancer exists")
        .listener_descriptions()
        .iter()
        .map(|d| d.listener().unwrap().load_balancer_port())
        .collect();
    ports.sort();
    assert_eq!(ports, [80, 8443]);
    ws.recon(&["plan", "spec.yaml", "--detailed-exitcode"])
        .code_is(0);

    // One instance terminated out of band: the group's business, not a change to recon's
    // resources.
    c.terminate_instances()
        .instance_ids(&in_service[0])
        .send()
        .await
        .unwrap();
    let replan = ws.recon(&["plan", "spec.yaml", "--detailed-exitcode"]);
    replan.code_is(0);
    assert!(
        replan.stdout().contains("No changes."),
        "{}",
        replan.stdout()
    );

    let mut members: Vec<String> = group_named(&asg, &group_name)
        .await
        .expect("the group exists")
        .instances()
        .iter()
        .map(|i| i.instance_id().unwrap().to_owned())
        .collect();
    members.sort();
    assert_eq!(
        members.len(),
        3,
        "the group replaced the terminated instance"
    );
    ws.recon(&[
        "destroy",
        "spec.yaml",
        "--auto-approve",
        "--record",
        "web.json",
    ])
    .success();
    assert_eq!(owned_ids(&env).await, Vec::<String>::new());
    // The teardown record lists the group's instances with the group, and they are gone.
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.path().join("web.json")).unwrap()).unwrap();
    assert_eq!(record["outcome"], "complete");
    let entry = record["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "autoscaling_group.app")
        .expect("the group is in the record");
    let mut listed: Vec<String> = entry["instances"]
        .as_array()
        .expect("the group's instances are listed")
        .iter()
        .map(|i| i.as_str().unwrap().to_owned())
        .collect();
    listed.sort();
    assert_eq!(listed, members);
    let markdown = std::fs::read_to_string(ws.path().join("web.md")).unwrap();
    assert!(
        markdown.contains("## Instances of Auto Scaling groups")
            && members.iter().all(|id| markdown.contains(id.as_str())),
        "{markdown}"
    );
    let states = c
        .describe_instances()
        .set_instance_ids(Some(members.clone()))
        .send()
        .await
        .unwrap();
    for instance in states.reservations().iter().flat_map(|r| r.instances()) {
        assert_eq!(
            instance.state().and_then(|s| s.name()),
            Some(&aws_sdk_ec2::types::InstanceStateName::Terminated),
            "{:?}",
            instance.instance_id()
        );
    }
    assert!(group_named(&asg, &group_name).await.is_none());
    assert!(
        load_balancer_named(&elb, &lb_name).await.is_none(),
        "the load balancer is gone"
    );
    // Looked up, never owned: the default VPC and its subnets are as they were.
    assert_eq!(default_network(&c).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_lookup_that_matches_nothing_stops_before_any_change() {
    moto_endpoint();
    let env = unique_env("webimg");
    let ws = Workspace::new("web.yaml", &env);
    let text = Workspace::spec_text("web.yaml", &env)
        .replace("al2023-ami-2023.*-x86_64", "no-such-image-*");
    ws.write_spec("spec.yaml", &text);
    let run = ws.recon(&["apply", "spec.yaml", "--auto-approve"]);
    run.code_is(1);
    let err = run.stderr();
    assert!(says(&err, "lookup `image.al2023`"), "{err}");
    assert!(says(&err, "no available image matches"), "{err}");
    assert!(says(&err, "owners amazon"), "{err}");
    // The diagnostic points at the lookup in the spec.
    let line = 1 + text
        .lines()
        .position(|l| l.trim() == "image.al2023:")
        .unwrap();
    assert!(err.contains(&format!("spec.yaml:{line}:3")), "{err}");
    assert_eq!(owned_ids(&env).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_default_vpc_stops_before_any_change() {
    moto_endpoint();
    // A region no other test uses, whose default VPC this test deletes.
    let region = "ap-southeast-2";
    let c = aws_sdk_ec2::Client::new(&config(region).await);
    let vpcs = c
        .describe_vpcs()
        .filters(Filter::builder().name("is-default").values("true").build())
        .send()
        .await
        .unwrap();
    for vpc in vpcs.vpcs() {
        let id = vpc.vpc_id().unwrap();
        let in_vpc = || Filter::builder().name("vpc-id").values(id).build();
        let subnets = c.describe_subnets().filters(in_vpc()).send().await.unwrap();
        for s in subnets.subnets() {
            c.delete_subnet()
                .subnet_id(s.subnet_id().unwrap())
                .send()
                .await
                .unwrap();
        }
        let gateways = c
            .describe_internet_gateways()
            .filters(
                Filter::builder()
                    .name("attachment.vpc-id")
                    .values(id)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        for g in gateways.internet_gateways() {
            let gid = g.internet_gateway_id().unwrap();
            c.detach_internet_gateway()
                .internet_gateway_id(gid)
                .vpc_id(id)
                .send()
                .await
                .unwrap();
            c.delete_internet_gateway()
                .internet_gateway_id(gid)
                .send()
                .await
                .unwrap();
        }
        c.delete_vpc().vpc_id(id).send().await.unwrap();
    }
    let env = unique_env("webvpc");
    let ws = Workspace::new("web.yaml", &env);
    let text = Workspace::spec_text("web.yaml", &env)
        .replace("region: us-east-1", &format!("region: {region}"))
        .replace("us-east-1a", "ap-southeast-2a")
        .replace("us-east-1b", "ap-southeast-2b");
    ws.write_spec("spec.yaml", &text);
    let run = ws.recon(&["plan", "spec.yaml"]);
    run.code_is(1);
    let err = run.stderr();
    assert!(says(&err, "lookup `vpc.default`"), "{err}");
    assert!(says(&err, "no vpc matches the lookup"), "{err}");
    assert!(says(&err, "create-default-vpc"), "{err}");
    assert!(!ws.path().join(".recon/plan.json").exists());
}
