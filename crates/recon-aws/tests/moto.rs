//! The AWS provider against a real moto server (started by `scripts/test.sh`).
//!
//! Every test owns a unique environment, so the tests run concurrently on one server. What the
//! provider did is checked with the SDK directly, not only through the provider. Without
//! `AWS_ENDPOINT_URL` the tests fail (they never silently pass).

mod support;

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, ResourceType, Tag, TagSpecification};
use recon_model::tags::{ENV, ID, NAME};
use recon_model::{Attrs, Kind, LiveResource, LiveState, Value, diff_attrs};
use recon_provider::{CreateRequest, ErrorKind, Provider, UpdateRequest};
use support::{Harness, address, attrs, harness, list, map, s, tags_of};

// ---- helpers -----------------------------------------------------------------------------------

impl Harness {
    /// Checks with the SDK that the resource carries exactly the wanted tags.
    async fn assert_tags(&self, id: &str, wanted: &Attrs) {
        assert_eq!(self.aws_tags(id).await, tags_of(wanted), "tags of {id}");
    }

    fn foreign_tags(&self, resource_type: ResourceType, env: &str, addr: &str) -> TagSpecification {
        TagSpecification::builder()
            .resource_type(resource_type)
            .tags(Tag::builder().key(ENV).value(env).build())
            .tags(Tag::builder().key(ID).value(addr).build())
            .build()
    }

    async fn vpc(&self, name: &str, cidr: &str) -> LiveResource {
        let addr = format!("vpc.{name}");
        let wanted = self.wanted(
            &addr,
            &[
                ("cidr_block", s(cidr)),
                ("enable_dns_support", Value::Bool(true)),
                ("enable_dns_hostnames", Value::Bool(false)),
                ("instance_tenancy", s("default")),
            ],
            &[],
        );
        self.make(&addr, &wanted).await
    }

    async fn subnet(&self, name: &str, vpc: &str, cidr: &str, public: bool) -> LiveResource {
        let addr = format!("subnet.{name}");
        let wanted = self.wanted(
            &addr,
            &[
                ("vpc", s(vpc)),
                ("cidr_block", s(cidr)),
                ("availability_zone", s("us-east-1a")),
                ("map_public_ip_on_launch", Value::Bool(public)),
            ],
            &[],
        );
        self.make(&addr, &wanted).await
    }

    async fn internet_gateway(&self, name: &str, vpc: Option<&str>) -> LiveResource {
        let addr = format!("internet_gateway.{name}");
        let fields: Vec<(&str, Value)> = vpc.map(|v| ("vpc", s(v))).into_iter().collect();
        let wanted = self.wanted(&addr, &fields, &[]);
        self.make(&addr, &wanted).await
    }

    fn route_table_attrs(
        &self,
        name: &str,
        vpc: &str,
        routes: Vec<Value>,
        subnets: &[&str],
        main: bool,
    ) -> Attrs {
        self.wanted(
            &format!("route_table.{name}"),
            &[
                ("vpc", s(vpc)),
                ("routes", list(routes)),
                ("subnets", list(subnets.iter().map(|x| s(x)).collect())),
                ("main", Value::Bool(main)),
            ],
            &[],
        )
    }

    fn group_attrs(&self, name: &str, vpc: &str, ingress: Vec<Value>, egress: Vec<Value>) -> Attrs {
        self.wanted(
            &format!("security_group.{name}"),
            &[
                ("vpc", s(vpc)),
                ("description", s("Managed by recon")),
                ("ingress", list(ingress)),
                ("egress", list(egress)),
            ],
            &[],
        )
    }

    /// The route table of the VPC holding the main association, by the SDK.
    async fn main_table(&self, vpc: &str) -> String {
        let out = self
            .sdk
            .describe_route_tables()
            .filters(Filter::builder().name("vpc-id").values(vpc).build())
            .filters(
                Filter::builder()
                    .name("association.main")
                    .values("true")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let tables = out.route_tables();
        assert_eq!(tables.len(), 1, "{tables:?}");
        tables[0].route_table_id().unwrap().to_owned()
    }

    /// Subnets associated with a route table, by the SDK.
    async fn associated_subnets(&self, table: &str) -> Vec<String> {
        let out = self
            .sdk
            .describe_route_tables()
            .route_table_ids(table)
            .send()
            .await
            .unwrap();
        let mut subnets: Vec<String> = out.route_tables()[0]
            .associations()
            .iter()
            .filter_map(|a| a.subnet_id().map(str::to_owned))
            .collect();
        subnets.sort();
        subnets
    }
}

fn route(destination: &str, key: &str, target: &str) -> Value {
    map(&[("destination", s(destination)), (key, s(target))])
}

fn rule(protocol: &str, ports: &str, peer: (&str, &str), description: Option<&str>) -> Value {
    let mut pairs = vec![
        ("protocol", s(protocol)),
        ("ports", s(ports)),
        (peer.0, s(peer.1)),
    ];
    if let Some(d) = description {
        pairs.push(("description", s(d)));
    }
    map(&pairs)
}

fn sorted(mut v: Vec<Value>) -> Vec<Value> {
    v.sort();
    v
}

// ---- tests -------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn vpc_create_discover_read_update_delete() {
    let h = harness("vpc").await;
    let wanted = h.wanted(
        "vpc.main",
        &[
            ("cidr_block", s("10.20.0.0/16")),
            ("enable_dns_support", Value::Bool(true)),
            ("enable_dns_hostnames", Value::Bool(false)),
            ("instance_tenancy", s("default")),
        ],
        &[("team", "net")],
    );
    let vpc = h.create("vpc.main", &wanted).await;
    assert_eq!(vpc.state, LiveState::Available);
    // The create call sets every field and the tags: nothing is left to converge.
    assert_eq!(vpc.attrs, wanted);
    h.assert_tags(&vpc.id, &wanted).await;

    // Decoys: one tagged with another environment, one untagged.
    let other_env = format!("{}-other", h.env);
    let decoy = h
        .sdk
        .create_vpc()
        .cidr_block("10.21.0.0/16")
        .tag_specifications(h.foreign_tags(ResourceType::Vpc, &other_env, "vpc.main"))
        .send()
        .await
        .unwrap();
    let decoy_id = decoy.vpc().unwrap().vpc_id().unwrap().to_owned();
    h.sdk
        .create_vpc()
        .cidr_block("10.22.0.0/16")
        .send()
        .await
        .unwrap();

    let found = h.discover(Kind::Vpc).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0], vpc);
    assert_eq!(h.read(Kind::Vpc, &vpc.id).await.unwrap(), vpc);

    // DNS hostnames on, a tag added, one changed, one removed.
    let mut wanted2 = wanted.clone();
    wanted2.insert("enable_dns_hostnames".into(), Value::Bool(true));
    wanted2.insert(
        "tags".into(),
        h.tags("vpc.main", &[("owner", "ops"), (NAME, "renamed")]),
    );
    let vpc = h.converge(&vpc, &wanted2).await;
    assert_eq!(vpc.attrs["enable_dns_hostnames"], Value::Bool(true));
    h.assert_tags(&vpc.id, &wanted2).await;
    let hostnames = h
        .sdk
        .describe_vpc_attribute()
        .vpc_id(&vpc.id)
        .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .unwrap();
    assert_eq!(
        hostnames.enable_dns_hostnames().and_then(|v| v.value()),
        Some(true)
    );

    // Dedicated to default tenancy: in place (ModifyVpcTenancy), the same VPC.
    let dedicated = h
        .create(
            "vpc.dedicated",
            &h.wanted(
                "vpc.dedicated",
                &[
                    ("cidr_block", s("10.23.0.0/16")),
                    ("enable_dns_support", Value::Bool(true)),
                    ("enable_dns_hostnames", Value::Bool(false)),
                    ("instance_tenancy", s("dedicated")),
                ],
                &[],
            ),
        )
        .await;
    assert_eq!(dedicated.attrs["instance_tenancy"], s("dedicated"));
    let mut shared = dedicated.attrs.clone();
    shared.insert("instance_tenancy".into(), s("default"));
    let diffs = recon_model::diff_attrs(Kind::Vpc, &shared, &dedicated.attrs);
    assert!(!diffs[0].forces_replacement, "{diffs:?}");
    let after = h.converge(&dedicated, &shared).await;
    assert_eq!(after.id, dedicated.id);
    assert_eq!(after.attrs["instance_tenancy"], s("default"));
    h.delete(&after).await;

    // The decoy, presented as if it were ours, is refused: AWS says it belongs elsewhere.
    let mut fake = vpc.clone();
    fake.id = decoy_id.clone();
    let err = h.provider.delete(&fake).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotOwned, "{err}");
    let err = h
        .provider
        .update(UpdateRequest {
            live: &fake,
            attrs: &wanted,
            diffs: &diff_attrs(Kind::Vpc, &wanted, &fake.attrs),
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotOwned, "{err}");
    assert!(
        h.sdk
            .describe_vpcs()
            .vpc_ids(&decoy_id)
            .send()
            .await
            .is_ok(),
        "the decoy is still there"
    );

    h.delete(&vpc).await;
    assert_eq!(h.discover(Kind::Vpc).await, vec![]);
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_of_unknown_ids_are_none() {
    let h = harness("unknown").await;
    for (kind, id) in [
        (Kind::Vpc, "vpc-0123456789abcdef0"),
        (Kind::Subnet, "subnet-0123456789abcdef0"),
        (Kind::InternetGateway, "igw-0123456789abcdef0"),
        (Kind::RouteTable, "rtb-0123456789abcdef0"),
        (Kind::ElasticIp, "eipalloc-0123456789abcdef0"),
        (Kind::NatGateway, "nat-0123456789abcdef0"),
        (Kind::SecurityGroup, "sg-0123456789abcdef0"),
    ] {
        assert_eq!(h.read(kind, id).await, None, "{kind} {id}");
        assert_eq!(h.discover(kind).await, vec![], "{kind}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn subnet_and_internet_gateway_in_place_changes() {
    let h = harness("net").await;
    let vpc = h.vpc("main", "10.30.0.0/16").await;
    let other_vpc = h.vpc("other", "10.31.0.0/16").await;

    // Subnet: created private, then made public in place.
    let wanted = h.wanted(
        "subnet.a",
        &[
            ("vpc", s(&vpc.id)),
            ("cidr_block", s("10.30.1.0/24")),
            ("availability_zone", s("us-east-1a")),
            ("map_public_ip_on_launch", Value::Bool(false)),
        ],
        &[],
    );
    let subnet = h.create("subnet.a", &wanted).await;
    assert_eq!(subnet.attrs, wanted);
    h.assert_tags(&subnet.id, &wanted).await;
    let mut public = wanted.clone();
    public.insert("map_public_ip_on_launch".into(), Value::Bool(true));
    let subnet = h.converge(&subnet, &public).await;
    let aws = h
        .sdk
        .describe_subnets()
        .subnet_ids(&subnet.id)
        .send()
        .await
        .unwrap();
    assert_eq!(aws.subnets()[0].map_public_ip_on_launch(), Some(true));
    let found = h.discover(Kind::Subnet).await;
    assert_eq!(found, vec![subnet.clone()]);

    // Internet gateway: created detached, attached, moved to another VPC, detached.
    let detached = h.wanted("internet_gateway.main", &[], &[]);
    let igw = h.create("internet_gateway.main", &detached).await;
    assert_eq!(igw.attrs, detached);
    h.assert_tags(&igw.id, &detached).await;
    let attached = h.wanted("internet_gateway.main", &[("vpc", s(&vpc.id))], &[]);
    let igw = h.converge(&igw, &attached).await;
    let moved = h.wanted("internet_gateway.main", &[("vpc", s(&other_vpc.id))], &[]);
    let igw = h.converge(&igw, &moved).await;
    let aws = h
        .sdk
        .describe_internet_gateways()
        .internet_gateway_ids(&igw.id)
        .send()
        .await
        .unwrap();
    let attachments: Vec<&str> = aws.internet_gateways()[0]
        .attachments()
        .iter()
        .filter_map(|a| a.vpc_id())
        .collect();
    assert_eq!(attachments, [other_vpc.id.as_str()]);
    let igw = h.converge(&igw, &detached).await;
    let igw = h.converge(&igw, &attached).await;
    assert_eq!(h.discover(Kind::InternetGateway).await, vec![igw.clone()]);

    // Deleting an attached gateway detaches it first.
    h.delete(&igw).await;
    h.delete(&subnet).await;
    h.delete(&vpc).await;
    h.delete(&other_vpc).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn route_table_routes_subnets_and_main() {
    let h = harness("rtb").await;
    let vpc = h.vpc("main", "10.40.0.0/16").await;
    let original_main = h.main_table(&vpc.id).await;
    let igw = h.internet_gateway("main", Some(&vpc.id)).await;
    let a = h.subnet("a", &vpc.id, "10.40.1.0/24", true).await;
    let b = h.subnet("b", &vpc.id, "10.40.2.0/24", false).await;
    let eip = h
        .make("elastic_ip.nat", &h.wanted("elastic_ip.nat", &[], &[]))
        .await;
    let nat = h
        .make(
            "nat_gateway.main",
            &h.wanted(
                "nat_gateway.main",
                &[
                    ("subnet", s(&a.id)),
                    ("elastic_ip", s(&eip.id)),
                    ("connectivity_type", s("public")),
                ],
                &[],
            ),
        )
        .await;

    // Created empty: the local route is not shown.
    let empty = h.route_table_attrs("public", &vpc.id, vec![], &[], false);
    let table = h.create("route_table.public", &empty).await;
    assert_eq!(table.attrs, empty);
    h.assert_tags(&table.id, &empty).await;

    // Routes to both kinds of target, and a subnet.
    let wanted = h.route_table_attrs(
        "public",
        &vpc.id,
        vec![
            route("0.0.0.0/0", "internet_gateway", &igw.id),
            route("192.168.0.0/16", "nat_gateway", &nat.id),
        ],
        &[&a.id],
        false,
    );
    let table = h.converge(&table, &wanted).await;
    assert_eq!(
        table.attrs["routes"],
        list(sorted(vec![
            route("0.0.0.0/0", "internet_gateway", &igw.id),
            route("192.168.0.0/16", "nat_gateway", &nat.id),
        ]))
    );
    assert_eq!(h.associated_subnets(&table.id).await, vec![a.id.clone()]);

    // A route added behind recon's back to another kind of target shows as `other`.
    let peer_vpc = h.vpc("peer", "172.16.0.0/16").await;
    let pcx = h
        .sdk
        .create_vpc_peering_connection()
        .vpc_id(&vpc.id)
        .peer_vpc_id(&peer_vpc.id)
        .send()
        .await
        .unwrap();
    let pcx = pcx
        .vpc_peering_connection()
        .unwrap()
        .vpc_peering_connection_id()
        .unwrap()
        .to_owned();
    h.sdk
        .create_route()
        .route_table_id(&table.id)
        .destination_cidr_block("172.16.0.0/16")
        .vpc_peering_connection_id(&pcx)
        .send()
        .await
        .unwrap();
    let table = h.read(Kind::RouteTable, &table.id).await.unwrap();
    assert!(
        table.attrs["routes"]
            .as_list()
            .contains(&route("172.16.0.0/16", "other", &pcx)),
        "{:?}",
        table.attrs["routes"]
    );

    // Remove the NAT route and the foreign one, retarget 0.0.0.0/0 to the NAT gateway, and add
    // the second subnet: a subnet associated with another table is moved, not associated twice.
    let other = h
        .make(
            "route_table.other",
            &h.route_table_attrs("other", &vpc.id, vec![], &[&b.id], false),
        )
        .await;
    assert_eq!(h.associated_subnets(&other.id).await, vec![b.id.clone()]);
    let wanted = h.route_table_attrs(
        "public",
        &vpc.id,
        vec![route("0.0.0.0/0", "nat_gateway", &nat.id)],
        &[&a.id, &b.id],
        false,
    );
    let table = h.converge(&table, &wanted).await;
    let mut both = vec![a.id.clone(), b.id.clone()];
    both.sort();
    assert_eq!(h.associated_subnets(&table.id).await, both);
    assert_eq!(h.associated_subnets(&other.id).await, Vec::<String>::new());
    let other = h.read(Kind::RouteTable, &other.id).await.unwrap();
    assert_eq!(other.attrs["subnets"], list(vec![]));

    // Disassociate one subnet.
    let wanted = h.route_table_attrs(
        "public",
        &vpc.id,
        vec![route("0.0.0.0/0", "nat_gateway", &nat.id)],
        &[&b.id],
        false,
    );
    let table = h.converge(&table, &wanted).await;
    assert_eq!(h.associated_subnets(&table.id).await, vec![b.id.clone()]);

    // Main: taken over, given back, taken again.
    let mut main = wanted.clone();
    main.insert("main".into(), Value::Bool(true));
    let table = h.converge(&table, &main).await;
    assert_eq!(h.main_table(&vpc.id).await, table.id);
    let table = h.converge(&table, &wanted).await;
    assert_eq!(h.main_table(&vpc.id).await, original_main);
    let table = h.converge(&table, &main).await;
    assert_eq!(h.main_table(&vpc.id).await, table.id);

    let mut tables = h.discover(Kind::RouteTable).await;
    tables.sort_by(|x, y| x.address.cmp(&y.address));
    assert_eq!(tables, vec![other.clone(), table.clone()]);

    // Deleting the main table gives the main association back to the VPC's own table and
    // removes the subnet associations first.
    h.delete(&table).await;
    assert_eq!(h.main_table(&vpc.id).await, original_main);
    h.delete(&other).await;

    // With no table recon does not own left in the VPC, deleting a main table fails clearly.
    let last = h
        .make(
            "route_table.last",
            &h.route_table_attrs("last", &vpc.id, vec![], &[], true),
        )
        .await;
    assert_eq!(h.main_table(&vpc.id).await, last.id);
    h.sdk
        .delete_route_table()
        .route_table_id(&original_main)
        .send()
        .await
        .unwrap();
    let err = h.provider.delete(&last).await.unwrap_err();
    assert!(
        err.message.contains("main route table") && err.message.contains(&vpc.id),
        "{err}"
    );
    assert!(h.read(Kind::RouteTable, &last.id).await.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn elastic_ip_and_nat_gateway() {
    let h = harness("nat").await;
    let vpc = h.vpc("main", "10.50.0.0/16").await;
    let subnet = h.subnet("public", &vpc.id, "10.50.1.0/24", true).await;

    let eip_wanted = h.wanted("elastic_ip.nat", &[], &[]);
    let eip = h.create("elastic_ip.nat", &eip_wanted).await;
    assert_eq!(eip.attrs, eip_wanted);
    assert!(eip.id.starts_with("eipalloc-"), "{}", eip.id);
    let public_ip = eip.outputs["public_ip"].clone();
    assert!(public_ip.as_str().is_some_and(|ip| !ip.is_empty()));
    h.assert_tags(&eip.id, &eip_wanted).await;
    let found = h.discover(Kind::ElasticIp).await;
    assert_eq!(found, vec![eip.clone()]);

    let nat_wanted = h.wanted(
        "nat_gateway.main",
        &[
            ("subnet", s(&subnet.id)),
            ("elastic_ip", s(&eip.id)),
            ("connectivity_type", s("public")),
        ],
        &[],
    );
    let nat = h.create("nat_gateway.main", &nat_wanted).await;
    assert_eq!(nat.attrs, nat_wanted);
    assert!(matches!(
        nat.state,
        LiveState::Pending | LiveState::Available
    ));
    h.assert_tags(&nat.id, &nat_wanted).await;

    // A NAT gateway of another environment: moto ignores the tag filter, the provider does not.
    let other_subnet = h
        .sdk
        .create_subnet()
        .vpc_id(&vpc.id)
        .cidr_block("10.50.2.0/24")
        .send()
        .await
        .unwrap();
    h.sdk
        .create_nat_gateway()
        .subnet_id(other_subnet.subnet().unwrap().subnet_id().unwrap())
        .connectivity_type(aws_sdk_ec2::types::ConnectivityType::Private)
        .tag_specifications(h.foreign_tags(
            ResourceType::Natgateway,
            &format!("{}-other", h.env),
            "nat_gateway.main",
        ))
        .send()
        .await
        .unwrap();
    let found = h.discover(Kind::NatGateway).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, nat.id);
    assert_eq!(found[0].attrs, nat_wanted);
    assert_eq!(found[0].state, LiveState::Available);

    // Tags change in place.
    let mut retagged = nat_wanted.clone();
    retagged.insert(
        "tags".into(),
        h.tags("nat_gateway.main", &[("cost", "shared")]),
    );
    let nat = h.converge(&nat, &retagged).await;
    h.assert_tags(&nat.id, &retagged).await;
    let mut eip_retagged = eip_wanted.clone();
    eip_retagged.insert(
        "tags".into(),
        h.tags("elastic_ip.nat", &[("cost", "shared")]),
    );
    let eip = h.converge(&eip, &eip_retagged).await;
    assert_eq!(eip.outputs["public_ip"], public_ip);

    // Deleted NAT gateways are not reported (moto deletes them at once).
    h.delete(&nat).await;
    assert_eq!(h.discover(Kind::NatGateway).await, vec![]);
    h.delete(&eip).await;
    assert_eq!(h.discover(Kind::ElasticIp).await, vec![]);
}

#[tokio::test(flavor = "multi_thread")]
async fn security_group_rules_tags_adoption_and_ownership() {
    let h = harness("sg").await;
    let vpc = h.vpc("main", "10.60.0.0/16").await;

    // A peer group, with `egress: []` (AWS's default rule revoked).
    let peer_wanted = h.group_attrs("peer", &vpc.id, vec![], vec![]);
    let peer = h.make("security_group.peer", &peer_wanted).await;
    assert_eq!(peer.attrs["egress"], list(vec![]));

    // A new group has no ingress and AWS's default egress rule.
    let initial = h.group_attrs(
        "web",
        &vpc.id,
        vec![],
        vec![rule("all", "all", ("to", "0.0.0.0/0"), None)],
    );
    let web = h.create("security_group.web", &initial).await;
    assert_eq!(web.attrs, initial);
    h.assert_tags(&web.id, &initial).await;
    let aws = h
        .sdk
        .describe_security_groups()
        .group_ids(&web.id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        aws.security_groups()[0].group_name(),
        Some(format!("{}-web", h.env).as_str())
    );
    assert_eq!(h.read(Kind::SecurityGroup, &web.id).await.unwrap(), web);

    // Rules added: two CIDRs on one port, one with a description; a rule from the peer group;
    // egress narrowed to HTTPS.
    let rules = vec![
        rule(
            "tcp",
            "22",
            ("from", "10.0.0.0/16"),
            Some("ssh from the office"),
        ),
        rule("tcp", "22", ("from", "10.1.0.0/16"), None),
        rule("tcp", "8000-8100", ("from", &peer.id), Some("app")),
        rule("icmp", "all", ("from", "10.60.0.0/16"), None),
    ];
    let egress = vec![rule("tcp", "443", ("to", "0.0.0.0/0"), None)];
    let wanted = h.group_attrs("web", &vpc.id, rules.clone(), egress.clone());
    let web = h.converge(&web, &wanted).await;
    let aws = h
        .sdk
        .describe_security_groups()
        .group_ids(&web.id)
        .send()
        .await
        .unwrap();
    let group = &aws.security_groups()[0];
    let ssh = group
        .ip_permissions()
        .iter()
        .find(|p| p.from_port() == Some(22))
        .unwrap();
    assert_eq!(ssh.ip_ranges().len(), 2, "{ssh:?}");
    let app = group
        .ip_permissions()
        .iter()
        .find(|p| p.from_port() == Some(8000))
        .unwrap();
    assert_eq!(
        app.user_id_group_pairs()[0].group_id(),
        Some(peer.id.as_str())
    );
    assert_eq!(group.ip_permissions_egress().len(), 1);

    // Revoke one CIDR and the group rule, change a description, keep the rest.
    let rules2 = vec![
        rule("tcp", "22", ("from", "10.0.0.0/16"), Some("ssh")),
        rule("icmp", "all", ("from", "10.60.0.0/16"), None),
    ];
    let wanted2 = h.group_attrs("web", &vpc.id, rules2.clone(), egress.clone());
    let web = h.converge(&web, &wanted2).await;
    assert_eq!(web.attrs["ingress"], list(sorted(rules2)));

    // Exact shape: a permission with two CIDRs, added behind recon's back, is two rules.
    h.sdk
        .authorize_security_group_ingress()
        .group_id(&web.id)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(5432)
                .to_port(5432)
                .ip_ranges(
                    IpRange::builder()
                        .cidr_ip("10.2.0.0/16")
                        .description("db")
                        .build(),
                )
                .ip_ranges(IpRange::builder().cidr_ip("10.3.0.0/16").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let web = h.read(Kind::SecurityGroup, &web.id).await.unwrap();
    let expected = attrs(&[
        ("vpc", s(&vpc.id)),
        ("description", s("Managed by recon")),
        (
            "ingress",
            list(sorted(vec![
                rule("tcp", "22", ("from", "10.0.0.0/16"), Some("ssh")),
                rule("icmp", "all", ("from", "10.60.0.0/16"), None),
                rule("tcp", "5432", ("from", "10.2.0.0/16"), Some("db")),
                rule("tcp", "5432", ("from", "10.3.0.0/16"), None),
            ])),
        ),
        (
            "egress",
            list(vec![rule("tcp", "443", ("to", "0.0.0.0/0"), None)]),
        ),
        ("tags", h.tags("security_group.web", &[])),
    ]);
    assert_eq!(web.attrs, expected);
    // ... and converging revokes both.
    let web = h.converge(&web, &wanted2).await;

    // Tags in place.
    let mut tagged = wanted2.clone();
    tagged.insert(
        "tags".into(),
        h.tags("security_group.web", &[("tier", "front")]),
    );
    let web = h.converge(&web, &tagged).await;
    h.assert_tags(&web.id, &tagged).await;

    // A create retried after a crash finds its own group by name and adopts it...
    let again = h.create("security_group.web", &tagged).await;
    assert_eq!(again.id, web.id);
    // ... but a group of that name another environment owns is not adopted.
    h.sdk
        .create_security_group()
        .group_name(format!("{}-taken", h.env))
        .description("not recon's")
        .vpc_id(&vpc.id)
        .tag_specifications(h.foreign_tags(
            ResourceType::SecurityGroup,
            "someone-else",
            "security_group.taken",
        ))
        .send()
        .await
        .unwrap();
    let taken = h.group_attrs("taken", &vpc.id, vec![], vec![]);
    let address = address("security_group.taken");
    let err = h
        .provider
        .create(CreateRequest {
            address: &address,
            environment: &h.env,
            attrs: &taken,
            token: "t",
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::AlreadyExists, "{err}");

    let mut found = h.discover(Kind::SecurityGroup).await;
    found.sort_by(|x, y| x.address.cmp(&y.address));
    assert_eq!(found, vec![peer.clone(), web.clone()]);

    // A group whose tag says another environment is never deleted.
    h.sdk
        .create_tags()
        .resources(&peer.id)
        .tags(Tag::builder().key(ENV).value("someone-else").build())
        .send()
        .await
        .unwrap();
    let err = h.provider.delete(&peer).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotOwned, "{err}");
    assert!(
        h.sdk
            .describe_security_groups()
            .group_ids(&peer.id)
            .send()
            .await
            .is_ok()
    );
    assert_eq!(h.discover(Kind::SecurityGroup).await, vec![web.clone()]);

    h.delete(&web).await;
}
