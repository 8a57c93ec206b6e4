//! The "catalog" template (use case 5) on moto, with the real binary: two projects instantiated
//! from one template (one from a values file, one from `--set`), each re-planned clean, their
//! endpoints and flow logs as the spec says (checked with the SDK), and one destroyed without
//! touching the other.

mod support;

use aws_sdk_ec2::types::Filter;
use support::{Workspace, ec2, moto_endpoint, owned_ids, unique_env};

/// `specs/catalog/project.yaml` with this run's own environment and alias names, and the two
/// projects' values files beside it.
fn workspace(prefix: &str) -> Workspace {
    let root = support::repo_root().join("specs/catalog");
    let text = std::fs::read_to_string(root.join("project.yaml")).unwrap();
    for original in [
        "environment: project-${param.project}",
        "alias: project-${param.project}-data",
    ] {
        assert!(
            text.contains(original),
            "the template no longer says {original}"
        );
    }
    let text = text
        .replace("environment: project-", &format!("environment: {prefix}-"))
        .replace("alias: project-", &format!("alias: {prefix}-"));
    let ws = Workspace::new("research.yaml", prefix);
    ws.write_spec("project.yaml", &text);
    let alpha = std::fs::read_to_string(root.join("projects/alpha.yaml")).unwrap();
    ws.write_spec("alpha.yaml", &alpha);
    ws
}

fn by_env(env: &str) -> Filter {
    Filter::builder().name("tag:recon:env").values(env).build()
}

/// The environment's VPC, its endpoints (service, type) and its flow logs (resource, traffic,
/// destination type), as the SDK reports them.
async fn network(env: &str) -> (String, Vec<(String, String)>, Vec<(String, String, String)>) {
    let c = ec2().await;
    let vpcs = c.describe_vpcs().filters(by_env(env)).send().await.unwrap();
    let [vpc] = vpcs.vpcs() else {
        panic!("{env} has {} VPCs", vpcs.vpcs().len())
    };
    let vpc = vpc.vpc_id().unwrap().to_owned();
    let vpc_filter = Filter::builder().name("vpc-id").values(&vpc).build();
    let endpoints = c
        .describe_vpc_endpoints()
        .filters(vpc_filter)
        .send()
        .await
        .unwrap();
    let mut endpoints: Vec<(String, String)> = endpoints
        .vpc_endpoints()
        .iter()
        .map(|e| {
            let kind = e.vpc_endpoint_type().map(|t| t.as_str().to_owned());
            (
                e.service_name().unwrap_or_default().to_owned(),
                kind.unwrap_or_default(),
            )
        })
        .collect();
    endpoints.sort();
    let resource = Filter::builder().name("resource-id").values(&vpc).build();
    let logs = c
        .describe_flow_logs()
        .filter(resource)
        .send()
        .await
        .unwrap();
    let logs = logs
        .flow_logs()
        .iter()
        .map(|l| {
            (
                l.resource_id().unwrap_or_default().to_owned(),
                l.traffic_type()
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
                l.log_destination_type()
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
            )
        })
        .collect();
    (vpc, endpoints, logs)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_projects_from_one_template_live_side_by_side() {
    moto_endpoint();
    let prefix = unique_env("cat");
    let ws = workspace(&prefix);
    let (alpha, beta) = (format!("{prefix}-alpha"), format!("{prefix}-beta"));
    let values = ["--values", "alpha.yaml"];
    let beta_values = [
        "--set",
        "project=beta",
        "--set",
        "cidr=10.31.0.0/16",
        "--set",
        "owner=pi@example.org",
    ];

    let apply = ws.recon(&[&["apply", "project.yaml"][..], &values, &["--auto-approve"]].concat());
    apply.success();
    assert!(
        apply
            .stdout()
            .contains("Apply complete! Resources: 11 added"),
        "{}",
        apply.stdout()
    );
    let apply = ws.recon(
        &[
            &["apply", "project.yaml"][..],
            &beta_values,
            &["--auto-approve"],
        ]
        .concat(),
    );
    apply.success();

    // Each re-plans with no changes.
    for args in [&values[..], &beta_values[..]] {
        let plan = ws.recon(&[&["plan", "project.yaml", "--detailed-exitcode"][..], args].concat());
        plan.code_is(0);
        assert!(plan.stdout().contains("No changes"), "{}", plan.stdout());
    }

    // Endpoints and flow logs as the spec says, each in its own project's VPC.
    for (env, cidr) in [(&alpha, "10.30.0.0/16"), (&beta, "10.31.0.0/16")] {
        let (vpc, endpoints, logs) = network(env).await;
        let c = ec2().await;
        let described = c.describe_vpcs().vpc_ids(&vpc).send().await.unwrap();
        assert_eq!(described.vpcs()[0].cidr_block(), Some(cidr));
        assert_eq!(
            endpoints,
            [
                (
                    "com.amazonaws.us-east-1.s3".to_owned(),
                    "Gateway".to_owned()
                ),
                (
                    "com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718".to_owned(),
                    "Interface".to_owned()
                ),
            ],
            "{env}"
        );
        assert_eq!(
            logs,
            [(vpc.clone(), "ALL".to_owned(), "cloud-watch-logs".to_owned())],
            "{env}"
        );
    }

    // Destroying alpha leaves beta exactly as it was.
    let mut before = owned_ids(&beta).await;
    before.sort();
    assert_eq!(before.len(), 10, "{before:?}");
    ws.recon(
        &[
            &["destroy", "project.yaml"][..],
            &values,
            &["--auto-approve"],
        ]
        .concat(),
    )
    .success();
    assert_eq!(owned_ids(&alpha).await, Vec::<String>::new());
    // The teardown record says which project it was, from which values.
    let record = std::fs::read_dir(ws.path().join(".recon/teardown"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(record).unwrap()).unwrap();
    assert_eq!(record["environment"], alpha.as_str());
    assert_eq!(
        record["spec"]["parameters"]["project"], "alpha",
        "{record:#}"
    );
    assert_eq!(record["spec"]["parameters"]["cidr"], "10.30.0.0/16");
    assert_eq!(record["spec"]["values"]["path"], "alpha.yaml", "{record:#}");
    let mut after = owned_ids(&beta).await;
    after.sort();
    assert_eq!(after, before);

    ws.recon(
        &[
            &["destroy", "project.yaml"][..],
            &beta_values,
            &["--auto-approve"],
        ]
        .concat(),
    )
    .success();
    assert_eq!(owned_ids(&beta).await, Vec::<String>::new());
}
