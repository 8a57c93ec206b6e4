//! `vpc_endpoint`, `log_group` and `flow_log` against moto. The network they live in (VPC,
//! subnet, route tables, security groups), the role and the bucket are made with the SDK: their
//! kinds have tests of their own.
//!
//! Helpers are free functions, not `impl Harness` items, so that they cannot clash with the
//! other modules of this test binary.

use std::collections::BTreeMap;

use recon_model::kinds::log_group::derived_name;
use recon_model::{Attrs, Kind, LiveResource, LiveState, Value, diff_attrs};
use recon_provider::{CreateRequest, ErrorKind, Provider, ProviderError, UpdateRequest};

use crate::support::{Harness, address, harness, map, s, strs, tags_of, unique_env};

// ---- helpers -----------------------------------------------------------------------------------

/// What the SDK made for one test: a VPC with a subnet, two route tables and two groups.
struct Network {
    vpc: String,
    subnet: String,
    tables: [String; 2],
    groups: [String; 2],
}

async fn network(h: &Harness, cidr: &str) -> Network {
    let vpc = h.sdk.create_vpc().cidr_block(cidr).send().await.unwrap();
    let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_owned();
    let subnet_cidr = cidr.replace(".0.0/16", ".1.0/24");
    let subnet = h
        .sdk
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block(subnet_cidr)
        .availability_zone("us-east-1a")
        .send()
        .await
        .unwrap();
    let subnet = subnet.subnet().unwrap().subnet_id().unwrap().to_owned();
    let mut tables = Vec::new();
    let mut groups = Vec::new();
    for name in ["a", "b"] {
        let t = h
            .sdk
            .create_route_table()
            .vpc_id(&vpc)
            .send()
            .await
            .unwrap();
        tables.push(
            t.route_table()
                .unwrap()
                .route_table_id()
                .unwrap()
                .to_owned(),
        );
        let g = h
            .sdk
            .create_security_group()
            .vpc_id(&vpc)
            .group_name(format!("{}-{name}", h.env))
            .description("endpoint test")
            .send()
            .await
            .unwrap();
        groups.push(g.group_id().unwrap().to_owned());
    }
    Network {
        vpc,
        subnet,
        tables: tables.try_into().unwrap(),
        groups: groups.try_into().unwrap(),
    }
}

/// Sorted ids, as the provider reports a set.
fn ids(items: &[&str]) -> Value {
    let mut items = items.to_vec();
    items.sort();
    strs(&items)
}

async fn describe_endpoint(h: &Harness, id: &str) -> aws_sdk_ec2::types::VpcEndpoint {
    let out = h
        .sdk
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(id)
        .send()
        .await
        .unwrap();
    out.vpc_endpoints()[0].clone()
}

async fn describe_flow_log(h: &Harness, id: &str) -> aws_sdk_ec2::types::FlowLog {
    let out = h
        .sdk
        .describe_flow_logs()
        .flow_log_ids(id)
        .send()
        .await
        .unwrap();
    assert_eq!(out.flow_logs().len(), 1, "{id}");
    out.flow_logs()[0].clone()
}

async fn log_group_tags(h: &Harness, arn: &str) -> BTreeMap<String, String> {
    let out = h
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    out.tags().unwrap().clone().into_iter().collect()
}

async fn aws_log_group(h: &Harness, name: &str) -> aws_sdk_cloudwatchlogs::types::LogGroup {
    let out = h
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .unwrap();
    out.log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .unwrap_or_else(|| panic!("no log group {name}"))
        .clone()
}

/// A role the flow logs service may assume, made with IAM directly under recon's path.
async fn flow_role(h: &Harness) -> (String, String) {
    let name = format!("{}-flow-logs", h.env);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let out = h
        .iam
        .create_role()
        .role_name(&name)
        .path(format!("/recon/{}/", h.env))
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    (name, out.role().unwrap().arn().to_owned())
}

/// The error of a create the provider must refuse.
async fn refused_create(h: &Harness, addr: &str, wanted: &Attrs) -> ProviderError {
    let token = format!("{}-{addr}", h.env);
    h.provider
        .create(CreateRequest {
            address: &address(addr),
            environment: &h.env,
            attrs: wanted,
            token: &token,
        })
        .await
        .expect_err(addr)
}

/// The error of an update the provider must refuse.
async fn refused_update(h: &Harness, live: &LiveResource, wanted: &Attrs) -> ProviderError {
    let diffs = diff_attrs(live.kind(), wanted, &live.attrs);
    assert!(!diffs.is_empty());
    h.provider
        .update(UpdateRequest {
            live,
            attrs: wanted,
            diffs: &diffs,
        })
        .await
        .expect_err(&live.id)
}

/// What discovery finds, by id.
async fn discovered(h: &Harness, kind: Kind) -> BTreeMap<String, LiveResource> {
    h.discover(kind)
        .await
        .into_iter()
        .map(|l| (l.id.clone(), l))
        .collect()
}

/// Checks that discovery finds exactly `live`, as they are.
async fn assert_discovered(h: &Harness, live: &[&LiveResource]) {
    let found = discovered(h, live[0].kind()).await;
    let wanted: BTreeMap<String, LiveResource> =
        live.iter().map(|l| (l.id.clone(), (*l).clone())).collect();
    assert_eq!(found, wanted);
}

// ---- vpc_endpoint ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn vpc_endpoint_gateway_for_s3_on_route_tables() {
    let h = harness("vpce-gw").await;
    let net = network(&h, "10.40.0.0/16").await;
    let gateway = h.wanted(
        "vpc_endpoint.s3",
        &[
            ("vpc", s(&net.vpc)),
            ("service", s("s3")),
            ("endpoint_type", s("Gateway")),
            ("route_tables", ids(&[&net.tables[0]])),
            ("subnets", strs(&[])),
        ],
        &[("team", "net")],
    );
    let s3 = h.create("vpc_endpoint.s3", &gateway).await;
    assert!(s3.id.starts_with("vpce-"), "{}", s3.id);
    assert_eq!(s3.state, LiveState::Available);
    // The short name in recon, the full one in AWS.
    assert_eq!(s3.attrs["service"], s("s3"));
    let aws = describe_endpoint(&h, &s3.id).await;
    assert_eq!(aws.service_name(), Some("com.amazonaws.us-east-1.s3"));
    assert_eq!(aws.route_table_ids(), std::slice::from_ref(&net.tables[0]));
    assert_eq!(h.aws_tags(&s3.id).await, tags_of(&gateway));
    // What AWS chose (no groups, no private DNS, the default policy) reads back as it is and
    // leaves nothing to change.
    let read = h.read(Kind::VpcEndpoint, &s3.id).await.unwrap();
    assert_eq!(read.attrs, s3.attrs);
    assert_eq!(read.attrs["private_dns"], Value::Bool(false));
    assert_eq!(
        read.attrs["policy"].as_map().unwrap()["Version"],
        s("2008-10-17")
    );
    assert_eq!(diff_attrs(Kind::VpcEndpoint, &gateway, &read.attrs), vec![]);

    // In place: a second route table, then back to one. (moto makes no route for a table added
    // by ModifyVpcEndpoint, and its DeleteVpcEndpoints then fails on the missing route.)
    let mut two_tables = gateway.clone();
    two_tables.insert(
        "route_tables".into(),
        ids(&[&net.tables[0], &net.tables[1]]),
    );
    let s3 = h.converge(&s3, &two_tables).await;
    let mut tables = describe_endpoint(&h, &s3.id)
        .await
        .route_table_ids()
        .to_vec();
    tables.sort();
    let mut expected = net.tables.to_vec();
    expected.sort();
    assert_eq!(tables, expected);
    let s3 = h.converge(&s3, &gateway).await;
    assert_eq!(
        describe_endpoint(&h, &s3.id).await.route_table_ids(),
        std::slice::from_ref(&net.tables[0])
    );

    // Discovery finds it, not another environment's; batch reads skip a gone id.
    let other_env = unique_env("vpce-other");
    let foreign_wanted = h.wanted_in(
        &other_env,
        "vpc_endpoint.s3",
        &[
            ("vpc", s(&net.vpc)),
            ("service", s("dynamodb")),
            ("endpoint_type", s("Gateway")),
        ],
        &[],
    );
    let foreign = h
        .create_in(&other_env, "vpc_endpoint.s3", &foreign_wanted)
        .await;
    assert_discovered(&h, &[&s3]).await;
    h.delete(&foreign).await;
    let many = h
        .provider
        .read_many(
            Kind::VpcEndpoint,
            &[
                foreign.id.clone(),
                "vpce-0123456789abcdef0".into(),
                s3.id.clone(),
            ],
        )
        .await
        .unwrap();
    assert_eq!(many, vec![s3.clone()]);

    h.delete(&s3).await;
    assert!(h.discover(Kind::VpcEndpoint).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn vpc_endpoint_interface_for_ssm_in_a_subnet() {
    let h = harness("vpce-if").await;
    let net = network(&h, "10.42.0.0/16").await;
    let policy = |actions: Value| {
        map(&[
            ("Version", s("2012-10-17")),
            (
                "Statement",
                Value::List(vec![map(&[
                    ("Effect", s("Allow")),
                    ("Principal", s("*")),
                    ("Action", actions),
                    ("Resource", s("*")),
                ])]),
            ),
        ])
    };
    let interface = h.wanted(
        "vpc_endpoint.ssm",
        &[
            ("vpc", s(&net.vpc)),
            ("service", s("ssm")),
            ("endpoint_type", s("Interface")),
            ("route_tables", strs(&[])),
            ("subnets", ids(&[&net.subnet])),
            ("security_groups", ids(&[&net.groups[0]])),
            ("private_dns", Value::Bool(true)),
            (
                "policy",
                policy(strs(&["ssm:GetParameter", "ssm:GetParameters"])),
            ),
        ],
        &[],
    );
    let ssm = h.create("vpc_endpoint.ssm", &interface).await;
    assert_eq!(ssm.attrs["service"], s("ssm"));
    assert_eq!(
        diff_attrs(Kind::VpcEndpoint, &interface, &ssm.attrs),
        vec![]
    );
    let aws = describe_endpoint(&h, &ssm.id).await;
    assert_eq!(aws.service_name(), Some("com.amazonaws.us-east-1.ssm"));
    assert_eq!(aws.subnet_ids(), std::slice::from_ref(&net.subnet));
    assert_eq!(aws.private_dns_enabled(), Some(true));
    assert_eq!(h.aws_tags(&ssm.id).await, tags_of(&interface));
    let read = h.read(Kind::VpcEndpoint, &ssm.id).await.unwrap();
    assert_eq!(read.attrs, ssm.attrs);

    // In place: a second group and a narrower policy, in one ModifyVpcEndpoint.
    let mut changed = interface.clone();
    changed.insert(
        "security_groups".into(),
        ids(&[&net.groups[0], &net.groups[1]]),
    );
    changed.insert("policy".into(), policy(s("ssm:GetParameter")));
    let ssm = h.converge(&ssm, &changed).await;
    let aws = describe_endpoint(&h, &ssm.id).await;
    let mut groups: Vec<&str> = aws.groups().iter().filter_map(|g| g.group_id()).collect();
    groups.sort();
    assert_eq!(ids(&groups), ids(&[&net.groups[0], &net.groups[1]]));
    let sent: serde_json::Value = serde_json::from_str(aws.policy_document().unwrap()).unwrap();
    assert_eq!(sent["Statement"][0]["Action"], "ssm:GetParameter");

    // The service is fixed at creation.
    let mut other_service = changed.clone();
    other_service.insert("service".into(), s("ssmmessages"));
    let err = refused_update(&h, &ssm, &other_service).await;
    assert_eq!(err.kind, ErrorKind::Invalid, "{err}");

    assert_discovered(&h, &[&ssm]).await;
    h.delete(&ssm).await;
    assert!(h.discover(Kind::VpcEndpoint).await.is_empty());
}

// ---- log_group ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn log_group_with_retention_key_and_tags() {
    let h = harness("logs").await;
    let key = h.kms.create_key().send().await.unwrap();
    let key = key.key_metadata().unwrap();
    let (key_id, key_arn) = (key.key_id().to_owned(), key.arn().unwrap().to_owned());
    let name = derived_name(&h.env, "app");
    let wanted = h.wanted(
        "log_group.app",
        &[
            ("name", s(&name)),
            ("retention_days", Value::Int(30)),
            ("kms_key", s(&key_id)),
        ],
        &[("team", "net")],
    );
    let created = h.create("log_group.app", &wanted).await;
    assert_eq!(created.id, name);
    let arn = format!("arn:aws:logs:us-east-1:123456789012:log-group:{name}");
    assert_eq!(created.outputs["arn"], s(&arn));
    assert_eq!(created.attrs["kms_key"], s(&key_id));
    // CreateLogGroup takes no retention: the update after it sets it.
    assert!(!created.attrs.contains_key("retention_days"));
    let group = h.converge(&created, &wanted).await;
    let aws = aws_log_group(&h, &name).await;
    assert_eq!(aws.retention_in_days(), Some(30));
    assert_eq!(aws.kms_key_id(), Some(key_arn.as_str()));
    assert_eq!(log_group_tags(&h, &arn).await, tags_of(&wanted));
    assert_eq!(diff_attrs(Kind::LogGroup, &wanted, &group.attrs), vec![]);

    // The name is unique: another resource asking for it is refused, not handed this group.
    let copy = h.wanted("log_group.copy", &[("name", s(&name))], &[]);
    let err = refused_create(&h, "log_group.copy", &copy).await;
    assert_eq!(err.kind, ErrorKind::AlreadyExists, "{err}");
    assert!(err.message.contains("already exists"), "{err}");
    // The same resource's create again (an unanswered first attempt) is the group it made.
    let again = h
        .provider
        .create(CreateRequest {
            address: &address("log_group.app"),
            environment: &h.env,
            attrs: &wanted,
            token: &format!("{}-log_group.app", h.env),
        })
        .await
        .unwrap();
    assert_eq!(again.id, name);

    // In place: a shorter retention and other tags, then no retention at all.
    let mut shorter = h.wanted(
        "log_group.app",
        &[
            ("name", s(&name)),
            ("retention_days", Value::Int(7)),
            ("kms_key", s(&key_id)),
        ],
        &[("owner", "platform")],
    );
    let group = h.converge(&group, &shorter).await;
    assert_eq!(aws_log_group(&h, &name).await.retention_in_days(), Some(7));
    let tags = log_group_tags(&h, &arn).await;
    assert_eq!(tags, tags_of(&shorter));
    assert!(!tags.contains_key("team"));
    shorter.remove("retention_days");
    let group = h.converge(&group, &shorter).await;
    assert_eq!(aws_log_group(&h, &name).await.retention_in_days(), None);

    // Discovery lists every group and keeps this environment's by its tags.
    let other_env = unique_env("logs-other");
    let other_name = derived_name(&other_env, "app");
    let other_wanted = h.wanted_in(
        &other_env,
        "log_group.app",
        &[("name", s(&other_name))],
        &[],
    );
    let other = h
        .create_in(&other_env, "log_group.app", &other_wanted)
        .await;
    assert_discovered(&h, &[&group]).await;
    assert_eq!(group.outputs["arn"], s(&arn));

    h.delete(&group).await;
    h.delete(&other).await;
    assert!(h.discover(Kind::LogGroup).await.is_empty());
}

// ---- flow_log ----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn flow_log_for_a_vpc_to_a_log_group_through_a_role() {
    let h = harness("flow-cw").await;
    let net = network(&h, "10.41.0.0/16").await;
    let group_name = derived_name(&h.env, "flow");
    let group_wanted = h.wanted("log_group.flow", &[("name", s(&group_name))], &[]);
    let group = h.create("log_group.flow", &group_wanted).await;
    let (role, role_arn) = flow_role(&h).await;

    let wanted = h.wanted(
        "flow_log.vpc",
        &[
            ("vpc", s(&net.vpc)),
            ("traffic_type", s("ALL")),
            ("log_group", s(&group_name)),
            ("role", s(&role)),
            ("max_aggregation_interval", Value::Int(600)),
        ],
        &[],
    );
    let flow = h.create("flow_log.vpc", &wanted).await;
    assert!(flow.id.starts_with("fl-"), "{}", flow.id);
    let aws = describe_flow_log(&h, &flow.id).await;
    assert_eq!(aws.resource_id(), Some(net.vpc.as_str()));
    assert_eq!(aws.log_group_name(), Some(group_name.as_str()));
    assert_eq!(aws.deliver_logs_permission_arn(), Some(role_arn.as_str()));
    assert_eq!(
        aws.log_destination_type().map(|t| t.as_str()),
        Some("cloud-watch-logs")
    );
    assert_eq!(h.aws_tags(&flow.id).await, tags_of(&wanted));
    // Read maps the role's ARN (with its path) back to its name.
    let read = h.read(Kind::FlowLog, &flow.id).await.unwrap();
    assert_eq!(read.attrs, flow.attrs);
    assert_eq!(read.attrs["role"], s(&role));
    assert_eq!(diff_attrs(Kind::FlowLog, &wanted, &read.attrs), vec![]);

    assert_discovered(&h, &[&read]).await;
    h.delete(&flow).await;
    assert!(h.discover(Kind::FlowLog).await.is_empty());
    h.delete(&group).await;
    h.iam.delete_role().role_name(&role).send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn flow_log_for_a_subnet_to_a_bucket() {
    let h = harness("flow-s3").await;
    let net = network(&h, "10.43.0.0/16").await;
    let bucket = format!("{}-flow", h.env);
    h.s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let fields = [
        ("subnet", s(&net.subnet)),
        ("traffic_type", s("REJECT")),
        ("s3_bucket", s(&bucket)),
        ("max_aggregation_interval", Value::Int(60)),
    ];
    let wanted = h.wanted("flow_log.subnet", &fields, &[]);
    let flow = h.create("flow_log.subnet", &wanted).await;
    let aws = describe_flow_log(&h, &flow.id).await;
    assert_eq!(aws.resource_id(), Some(net.subnet.as_str()));
    assert_eq!(
        aws.log_destination(),
        Some(format!("arn:aws:s3:::{bucket}").as_str())
    );
    assert_eq!(aws.max_aggregation_interval(), Some(60));
    let read = h.read(Kind::FlowLog, &flow.id).await.unwrap();
    assert_eq!(read.attrs, flow.attrs);
    assert_eq!(diff_attrs(Kind::FlowLog, &wanted, &read.attrs), vec![]);

    // A per-resource failure in CreateFlowLogs' answer is an error (moto: a missing bucket).
    let missing = h.wanted(
        "flow_log.missing",
        &[
            ("vpc", s(&net.vpc)),
            ("s3_bucket", s(&format!("{}-nobucket", h.env))),
        ],
        &[],
    );
    let err = refused_create(&h, "flow_log.missing", &missing).await;
    assert!(err.message.contains("does not exist"), "{err}");

    // Tags change in place; nothing else does.
    let tagged = h.wanted("flow_log.subnet", &fields, &[("team", "net")]);
    let flow = h.converge(&flow, &tagged).await;
    assert_eq!(h.aws_tags(&flow.id).await, tags_of(&tagged));
    let mut all_traffic = tagged.clone();
    all_traffic.insert("traffic_type".into(), s("ALL"));
    let err = refused_update(&h, &flow, &all_traffic).await;
    assert_eq!(err.kind, ErrorKind::Invalid, "{err}");

    // Discovery finds it, not another environment's.
    let other_env = unique_env("flow-other");
    let foreign_wanted = h.wanted_in(
        &other_env,
        "flow_log.subnet",
        &[("vpc", s(&net.vpc)), ("s3_bucket", s(&bucket))],
        &[],
    );
    let foreign = h
        .create_in(&other_env, "flow_log.subnet", &foreign_wanted)
        .await;
    assert_discovered(&h, &[&flow]).await;

    h.delete(&flow).await;
    h.delete(&foreign).await;
    assert!(h.discover(Kind::FlowLog).await.is_empty());
    h.s3.delete_bucket().bucket(&bucket).send().await.unwrap();
}
