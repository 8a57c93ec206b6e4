//! The fake behaves like AWS in the ways the crate docs list.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use recon_fake::{CallOutcome, FakeCloud, FakeConfig, Op};
use recon_model::kinds::security_group::default_egress;
use recon_model::{Address, AttrDiff, Attrs, Kind, LiveResource, LiveState, Reference, Value};
use recon_provider::{CreateRequest, ErrorKind, Provider, ProviderError, UpdateRequest};
use tokio::time::advance;

const ENV: &str = "dev";

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

fn tags(address: &str, env: &str) -> Value {
    Value::Map(BTreeMap::from([
        ("recon:env".to_owned(), Value::str(env)),
        ("recon:id".to_owned(), Value::str(address)),
    ]))
}

fn attrs(address: &str, fields: &[(&str, Value)]) -> Attrs {
    let mut a: Attrs = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    a.insert("tags".into(), tags(address, ENV));
    a
}

async fn create(
    fake: &FakeCloud,
    address: &str,
    fields: &[(&str, Value)],
) -> Result<LiveResource, ProviderError> {
    let a = addr(address);
    let attrs = attrs(address, fields);
    fake.create(CreateRequest {
        address: &a,
        environment: ENV,
        attrs: &attrs,
        token: &format!("token-{address}"),
    })
    .await
}

async fn set(
    fake: &FakeCloud,
    live: &LiveResource,
    field: &str,
    after: Option<Value>,
) -> Result<LiveResource, ProviderError> {
    let diffs = [AttrDiff {
        field: field.to_owned(),
        before: live.attrs.get(field).cloned(),
        after,
        forces_replacement: false,
    }];
    fake.update(UpdateRequest {
        live,
        attrs: &live.attrs,
        diffs: &diffs,
    })
    .await
}

fn s(v: &str) -> Value {
    Value::str(v)
}

/// vpc, public subnet, attached internet gateway, address: what a NAT gateway needs.
async fn base(fake: &FakeCloud) -> (LiveResource, LiveResource, LiveResource, LiveResource) {
    let vpc = create(fake, "vpc.main", &[("cidr_block", s("10.0.0.0/16"))])
        .await
        .unwrap();
    let subnet = create(
        fake,
        "subnet.a",
        &[("vpc", s(&vpc.id)), ("cidr_block", s("10.0.1.0/24"))],
    )
    .await
    .unwrap();
    let igw = create(fake, "internet_gateway.main", &[("vpc", s(&vpc.id))])
        .await
        .unwrap();
    let igw = set(fake, &igw, "vpc", Some(s(&vpc.id))).await.unwrap();
    let eip = create(fake, "elastic_ip.a", &[]).await.unwrap();
    (vpc, subnet, igw, eip)
}

async fn nat(fake: &FakeCloud, subnet: &str, eip: &str) -> Result<LiveResource, ProviderError> {
    create(
        fake,
        "nat_gateway.main",
        &[
            ("subnet", s(subnet)),
            ("elastic_ip", s(eip)),
            ("connectivity_type", s("public")),
        ],
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn ids_and_what_the_create_call_sets() {
    let fake = FakeCloud::new(FakeConfig::instant());
    let vpc = create(
        &fake,
        "vpc.main",
        &[
            ("cidr_block", s("10.0.0.0/16")),
            ("enable_dns_hostnames", Value::Bool(true)),
        ],
    )
    .await
    .unwrap();
    assert_eq!(vpc.id, "vpc-00000001");
    assert_eq!(vpc.attrs["enable_dns_hostnames"], Value::Bool(false));
    assert_eq!(vpc.attrs["cidr_block"], s("10.0.0.0/16"));
    assert_eq!(vpc.tag("recon:env"), Some(ENV));
    let sg = create(
        &fake,
        "security_group.web",
        &[
            ("vpc", s(&vpc.id)),
            ("description", s("web")),
            ("ingress", Value::List(vec![Value::Map(BTreeMap::new())])),
            ("egress", Value::List(vec![])),
        ],
    )
    .await
    .unwrap();
    assert_eq!(sg.id, "sg-00000001");
    assert_eq!(sg.attrs["ingress"], Value::List(vec![]));
    assert_eq!(sg.attrs["egress"], default_egress());
    assert_eq!(sg.attrs["description"], s("web"));
    let igw = create(&fake, "internet_gateway.main", &[("vpc", s(&vpc.id))])
        .await
        .unwrap();
    assert!(!igw.attrs.contains_key("vpc"), "created detached");
    let subnet = create(
        &fake,
        "subnet.a",
        &[("vpc", s(&vpc.id)), ("cidr_block", s("10.0.1.0/24"))],
    )
    .await
    .unwrap();
    assert_eq!(subnet.attrs["availability_zone"], s("us-east-1a"));
    assert_eq!(subnet.attrs["map_public_ip_on_launch"], Value::Bool(false));
    let eip = create(&fake, "elastic_ip.a", &[]).await.unwrap();
    assert!(eip.id.starts_with("eipalloc-"));
    assert!(
        eip.outputs["public_ip"]
            .as_str()
            .unwrap()
            .starts_with("203.0.113.")
    );
    let vpc2 = create(&fake, "vpc.other", &[("cidr_block", s("10.1.0.0/16"))])
        .await
        .unwrap();
    assert_eq!(vpc2.id, "vpc-00000002");
}

#[tokio::test(start_paused = true)]
async fn references_must_exist_and_values_be_resolved() {
    let fake = FakeCloud::new(FakeConfig::instant());
    let e = create(
        &fake,
        "subnet.a",
        &[("vpc", s("vpc-00000042")), ("cidr_block", s("10.0.1.0/24"))],
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(e.code.as_deref(), Some("InvalidVpcID.NotFound"));
    let e = create(
        &fake,
        "subnet.a",
        &[
            ("vpc", Value::Ref(Reference::parse("vpc.main").unwrap())),
            ("cidr_block", s("10.0.1.0/24")),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
    // A CIDR in a rule's peer is not a reference; a group id is.
    let vpc = create(&fake, "vpc.main", &[("cidr_block", s("10.0.0.0/16"))])
        .await
        .unwrap();
    let sg = create(&fake, "security_group.a", &[("vpc", s(&vpc.id))])
        .await
        .unwrap();
    let rule = |from: &str| {
        Value::List(vec![Value::Map(BTreeMap::from([
            ("protocol".to_owned(), s("tcp")),
            ("ports".to_owned(), s("22")),
            ("from".to_owned(), s(from)),
        ]))])
    };
    let sg = set(&fake, &sg, "ingress", Some(rule("10.0.0.0/8")))
        .await
        .unwrap();
    let e = set(&fake, &sg, "ingress", Some(rule("sg-00000099")))
        .await
        .unwrap_err();
    assert_eq!(e.code.as_deref(), Some("InvalidGroup.NotFound"));
    // Fields that force replacement have no in-place call.
    let e = set(&fake, &vpc, "cidr_block", Some(s("10.9.0.0/16")))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
}

#[tokio::test(start_paused = true)]
async fn tokens_replay_for_nat_gateways_and_route_tables_only() {
    let fake = FakeCloud::new(FakeConfig::instant());
    let (vpc, subnet, _, eip) = base(&fake).await;
    let first = nat(&fake, &subnet.id, &eip.id).await.unwrap();
    let again = nat(&fake, &subnet.id, &eip.id).await.unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!(fake.find(&addr("nat_gateway.main")).len(), 1);
    let outcomes: Vec<CallOutcome> = fake
        .calls()
        .into_iter()
        .filter(|c| c.kind == Kind::NatGateway)
        .map(|c| c.outcome)
        .collect();
    assert_eq!(outcomes, [CallOutcome::Ok, CallOutcome::Replayed]);
    // Same token, other parameters.
    let other = create(&fake, "elastic_ip.b", &[]).await.unwrap();
    let e = nat(&fake, &subnet.id, &other.id).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("IdempotentParameterMismatch"));
    // CreateVpc takes no token: the same request twice makes two.
    create(&fake, "vpc.main", &[("cidr_block", s("10.0.0.0/16"))])
        .await
        .unwrap();
    assert_eq!(fake.find(&vpc.address).len(), 2);
}

#[tokio::test(start_paused = true)]
async fn nat_gateway_lifecycle_and_what_it_blocks() {
    let fake = FakeCloud::default(); // pending 60 s, deleting 30 s
    let (vpc, subnet, igw, eip) = base(&fake).await;
    let n = nat(&fake, &subnet.id, &eip.id).await.unwrap();
    assert_eq!(n.state, LiveState::Pending);
    // A route to it is refused while it is pending.
    let table = create(&fake, "route_table.private", &[("vpc", s(&vpc.id))])
        .await
        .unwrap();
    let route = Value::List(vec![Value::Map(BTreeMap::from([
        ("destination".to_owned(), s("0.0.0.0/0")),
        ("nat_gateway".to_owned(), s(&n.id)),
    ]))]);
    let e = set(&fake, &table, "routes", Some(route.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::IncorrectState);
    advance(Duration::from_secs(60)).await;
    assert_eq!(
        fake.read(Kind::NatGateway, &n.id)
            .await
            .unwrap()
            .unwrap()
            .state,
        LiveState::Available
    );
    let table = set(&fake, &table, "routes", Some(route)).await.unwrap();

    // Deletes in use are refused: the NAT gateway by the route, the subnet and the address by
    // the NAT gateway, the gateway by the NAT gateway's public address.
    for (live, by) in [(&n, &table.id), (&subnet, &n.id), (&eip, &n.id)] {
        let e = fake.delete(live).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::DependencyViolation, "{}", live.id);
        assert!(e.message.contains(by.as_str()), "{e}");
    }
    let e = fake.delete(&igw).await.unwrap_err();
    assert!(e.message.contains("mapped public address"), "{e}");
    let e = set(&fake, &igw, "vpc", None).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::DependencyViolation);

    fake.delete(&table).await.unwrap();
    fake.delete(&n).await.unwrap();
    fake.delete(&n).await.unwrap(); // idempotent
    let deleting = fake.read(Kind::NatGateway, &n.id).await.unwrap().unwrap();
    assert_eq!(deleting.state, LiveState::Deleting);
    // Still blocks its subnet and address while deleting.
    assert_eq!(
        fake.delete(&subnet).await.unwrap_err().kind,
        ErrorKind::DependencyViolation
    );
    advance(Duration::from_secs(30)).await;
    assert_eq!(fake.read(Kind::NatGateway, &n.id).await.unwrap(), None);
    fake.delete(&subnet).await.unwrap();
    fake.delete(&eip).await.unwrap();
    fake.delete(&igw).await.unwrap();
    fake.delete(&vpc).await.unwrap();
    assert_eq!(fake.snapshot(), vec![]);
}

#[tokio::test(start_paused = true)]
async fn a_public_nat_gateway_without_an_internet_gateway_fails() {
    let fake = FakeCloud::default();
    let vpc = create(&fake, "vpc.main", &[("cidr_block", s("10.0.0.0/16"))])
        .await
        .unwrap();
    let subnet = create(
        &fake,
        "subnet.a",
        &[("vpc", s(&vpc.id)), ("cidr_block", s("10.0.1.0/24"))],
    )
    .await
    .unwrap();
    let eip = create(&fake, "elastic_ip.a", &[]).await.unwrap();
    let n = nat(&fake, &subnet.id, &eip.id).await.unwrap();
    assert_eq!(n.state, LiveState::Pending);
    advance(Duration::from_secs(60)).await;
    assert_eq!(fake.get(&n.id).unwrap().state, LiveState::Failed);
}

#[tokio::test(start_paused = true)]
async fn routes_block_delete_can_model_aws_blackholes() {
    let fake = FakeCloud::new(FakeConfig::instant().routes_block_delete(false));
    let (vpc, subnet, _, eip) = base(&fake).await;
    let n = nat(&fake, &subnet.id, &eip.id).await.unwrap();
    let table = create(&fake, "route_table.private", &[("vpc", s(&vpc.id))])
        .await
        .unwrap();
    let route = Value::List(vec![Value::Map(BTreeMap::from([
        ("destination".to_owned(), s("0.0.0.0/0")),
        ("nat_gateway".to_owned(), s(&n.id)),
    ]))]);
    let table = set(&fake, &table, "routes", Some(route)).await.unwrap();
    fake.delete(&n).await.unwrap();
    // The blackhole route stays, and the table can still be changed.
    set(&fake, &table, "main", Some(Value::Bool(false)))
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn reads_lag_behind_creates() {
    let fake = FakeCloud::new(FakeConfig::instant().read_lag(Kind::Vpc, Duration::from_secs(5)));
    let vpc = create(&fake, "vpc.main", &[("cidr_block", s("10.0.0.0/16"))])
        .await
        .unwrap();
    let e = fake.read(Kind::Vpc, &vpc.id).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(fake.discover(Kind::Vpc, ENV).await.unwrap(), vec![]);
    assert_eq!(
        set(&fake, &vpc, "enable_dns_hostnames", Some(Value::Bool(true)))
            .await
            .unwrap_err()
            .kind,
        ErrorKind::NotFound
    );
    assert_eq!(
        create(
            &fake,
            "subnet.a",
            &[("vpc", s(&vpc.id)), ("cidr_block", s("10.0.1.0/24"))]
        )
        .await
        .unwrap_err()
        .kind,
        ErrorKind::NotFound
    );
    assert_eq!(fake.snapshot().len(), 1, "the true state has it");
    advance(Duration::from_secs(5)).await;
    assert_eq!(
        fake.read(Kind::Vpc, &vpc.id).await.unwrap().unwrap().state,
        LiveState::Available
    );
    assert_eq!(fake.discover(Kind::Vpc, ENV).await.unwrap().len(), 1);
    // An unknown id reads as gone.
    assert_eq!(fake.read(Kind::Vpc, "vpc-00000099").await.unwrap(), None);
}

#[tokio::test(start_paused = true)]
async fn discovery_and_changes_respect_ownership() {
    let fake = FakeCloud::new(FakeConfig::instant());
    let mine = create(&fake, "vpc.main", &[("cidr_block", s("10.0.0.0/16"))])
        .await
        .unwrap();
    let theirs = fake.insert_foreign(
        Kind::Vpc,
        Attrs::from([
            ("cidr_block".to_owned(), s("10.1.0.0/16")),
            ("tags".to_owned(), tags("vpc.main", "prod")),
        ]),
    );
    assert_eq!(theirs.address, addr("vpc.main"));
    let untagged = fake.insert_foreign(
        Kind::Vpc,
        Attrs::from([("cidr_block".to_owned(), s("10.2.0.0/16"))]),
    );
    assert_eq!(untagged.address, addr("vpc.foreign-1"));
    let found = fake.discover(Kind::Vpc, ENV).await.unwrap();
    assert_eq!(
        found.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [mine.id.as_str()]
    );
    // Claiming a foreign resource as this environment's is refused.
    let mut claimed = theirs.clone();
    claimed.attrs.insert("tags".into(), tags("vpc.main", ENV));
    assert_eq!(
        fake.delete(&claimed).await.unwrap_err().kind,
        ErrorKind::NotOwned
    );
    let mut claimed = untagged.clone();
    claimed
        .attrs
        .insert("tags".into(), tags("vpc.foreign-1", ENV));
    assert_eq!(
        set(
            &fake,
            &claimed,
            "enable_dns_hostnames",
            Some(Value::Bool(true))
        )
        .await
        .unwrap_err()
        .kind,
        ErrorKind::NotOwned
    );
    assert_eq!(fake.snapshot().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn injected_failures_hit_the_target_the_given_number_of_times() {
    let fake = FakeCloud::new(FakeConfig::instant());
    fake.fail_next("vpc.a", Op::Create, ErrorKind::Throttled, 2);
    fake.fail_next("subnet", Op::Read, ErrorKind::NotFound, 1);
    let e = create(&fake, "vpc.a", &[("cidr_block", s("10.0.0.0/16"))])
        .await
        .unwrap_err();
    assert_eq!(e.code.as_deref(), Some("RequestLimitExceeded"));
    // Another address is not a target.
    create(&fake, "vpc.b", &[("cidr_block", s("10.1.0.0/16"))])
        .await
        .unwrap();
    create(&fake, "vpc.a", &[("cidr_block", s("10.0.0.0/16"))])
        .await
        .unwrap_err();
    let vpc = create(&fake, "vpc.a", &[("cidr_block", s("10.0.0.0/16"))])
        .await
        .unwrap();
    let subnet = create(
        &fake,
        "subnet.x",
        &[("vpc", s(&vpc.id)), ("cidr_block", s("10.0.1.0/24"))],
    )
    .await
    .unwrap();
    assert_eq!(
        fake.read(Kind::Subnet, &subnet.id)
            .await
            .unwrap_err()
            .code
            .as_deref(),
        Some("InvalidSubnetID.NotFound")
    );
    assert!(fake.read(Kind::Subnet, &subnet.id).await.unwrap().is_some());
    assert_eq!(fake.mutating_calls(), 5);
    let failed = fake
        .calls()
        .iter()
        .filter(|c| matches!(c.outcome, CallOutcome::Err(_)))
        .count();
    assert_eq!(failed, 3);
}

#[tokio::test(start_paused = true)]
async fn mutating_calls_take_the_latency_and_are_counted_in_flight() {
    let fake = Arc::new(FakeCloud::new(
        FakeConfig::instant().latency(Duration::from_secs(2)),
    ));
    let start = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..4 {
        let fake = fake.clone();
        tasks.spawn(async move {
            let a = format!("vpc.v{i}");
            create(&fake, &a, &[("cidr_block", s(&format!("10.{i}.0.0/16")))])
                .await
                .unwrap()
        });
    }
    while tasks.join_next().await.is_some() {}
    assert_eq!(fake.max_in_flight(), 4);
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert!(fake.calls().iter().all(|c| c.at == Duration::from_secs(2)));
    fake.reset_log();
    assert_eq!(fake.max_in_flight(), 0);
    assert!(fake.calls().is_empty());
}
