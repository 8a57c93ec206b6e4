//! What a destroy costs in requests, counted on the scripted endpoint: the deletes a run expects
//! check their ownership with one describe for the kind, not one per delete, and still refuse
//! what is not theirs; a route table's delete uses that read; discovery skips what deleting
//! does not need.

use recon_model::{Address, Attrs, Kind, LiveResource, LiveState, Value};
use recon_provider::{ErrorKind, Provider};

use crate::AwsProvider;
use crate::stub_server::{Reply, StubServer};

fn provider(stub: &StubServer) -> AwsProvider {
    AwsProvider::from_config(&crate::stub_server::config(&stub.endpoint))
}

fn subnet_xml(id: &str, env: &str) -> String {
    format!(
        "<item><subnetId>{id}</subnetId><vpcId>vpc-1</vpcId><cidrBlock>10.0.1.0/24</cidrBlock>\
         <availabilityZone>us-east-1a</availabilityZone><state>available</state>\
         <mapPublicIpOnLaunch>false</mapPublicIpOnLaunch><tagSet><item><key>recon:env</key>\
         <value>{env}</value></item><item><key>recon:id</key><value>subnet.{id}</value></item>\
         </tagSet></item>"
    )
}

fn describe(subnets: &[(&str, &str)]) -> Reply {
    Reply {
        action: "DescribeSubnets",
        status: 200,
        xml: format!(
            "<DescribeSubnetsResponse><requestId>r</requestId><subnetSet>{}</subnetSet></DescribeSubnetsResponse>",
            subnets
                .iter()
                .map(|(id, env)| subnet_xml(id, env))
                .collect::<String>()
        ),
    }
}

fn deleted() -> Reply {
    Reply {
        action: "DeleteSubnet",
        status: 200,
        xml: "<DeleteSubnetResponse><requestId>r</requestId><return>true</return></DeleteSubnetResponse>".into(),
    }
}

fn live(id: &str) -> LiveResource {
    let mut tags = std::collections::BTreeMap::new();
    tags.insert("recon:env".to_owned(), Value::str("irb"));
    let mut attrs = Attrs::new();
    attrs.insert("tags".into(), Value::Map(tags));
    LiveResource {
        address: Address::new(Kind::Subnet, id),
        id: id.into(),
        state: LiveState::Available,
        attrs,
        outputs: Default::default(),
    }
}

#[tokio::test]
async fn three_expected_deletes_read_their_ownership_in_one_describe() {
    let stub = StubServer::start(vec![
        describe(&[
            ("subnet-a", "irb"),
            ("subnet-b", "irb"),
            ("subnet-c", "irb"),
        ]),
        deleted(),
        deleted(),
        deleted(),
    ]);
    let p = provider(&stub);
    let ids = ["subnet-a", "subnet-b", "subnet-c"];
    p.expect_deletes(&ids.map(|id| (Kind::Subnet, id.to_owned())));
    for id in ids {
        p.delete(&live(id)).await.unwrap();
    }
    assert_eq!(stub.requests().len(), 4, "one describe, three deletes");
    assert!(stub.asked(0, "Filter.1.Name=subnet-id"));
    assert!(stub.asked(0, "Filter.1.Value.3=subnet-c"));
    assert_eq!(stub.unused(), 0);
}

#[tokio::test]
async fn a_batch_read_finding_another_environments_tag_refuses_that_delete() {
    let stub = StubServer::start(vec![
        describe(&[("subnet-a", "someone-else"), ("subnet-b", "irb")]),
        deleted(),
    ]);
    let p = provider(&stub);
    p.expect_deletes(&[
        (Kind::Subnet, "subnet-a".to_owned()),
        (Kind::Subnet, "subnet-b".to_owned()),
    ]);
    let err = p.delete(&live("subnet-a")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotOwned, "{err}");
    p.delete(&live("subnet-b")).await.unwrap();
    assert_eq!(
        stub.requests().len(),
        2,
        "one describe, one delete (subnet-b's)"
    );
    assert!(
        !stub
            .requests()
            .iter()
            .any(|r| r.contains("DeleteSubnet") && r.contains("subnet-a"))
    );
}

/// A destroy whose deletes start right after its listing checks their ownership with that
/// listing: no describe between the listing and the deletes. What the listing found tagged but
/// cannot address is returned for the sweep, and never deleted.
#[tokio::test]
async fn deletes_right_after_the_destroys_listing_read_nothing_more() {
    let garbage = "<item><subnetId>subnet-g</subnetId><vpcId>vpc-1</vpcId>\
                   <cidrBlock>10.0.9.0/24</cidrBlock><availabilityZone>us-east-1a</availabilityZone>\
                   <state>available</state><tagSet><item><key>recon:env</key><value>irb</value>\
                   </item><item><key>recon:id</key><value>garbage</value></item></tagSet></item>";
    let mut listing = describe(&[("subnet-a", "irb"), ("subnet-b", "irb")]);
    listing.xml = listing
        .xml
        .replace("</subnetSet>", &format!("{garbage}</subnetSet>"));
    let stub = StubServer::start(vec![listing, deleted(), deleted()]);
    let p = provider(&stub);

    let found = p.discover_to_delete(Kind::Subnet, "irb").await.unwrap();
    let ids: Vec<&str> = found.live.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["subnet-a", "subnet-b"]);
    assert_eq!(found.unaddressable.len(), 1);
    assert_eq!(found.unaddressable[0].id, "subnet-g");
    assert_eq!(found.unaddressable[0].recon_id.as_deref(), Some("garbage"));

    let expected: Vec<(Kind, String)> = ids
        .iter()
        .map(|id| (Kind::Subnet, id.to_string()))
        .collect();
    p.expect_deletes(&expected);
    for r in &found.live {
        p.delete(r).await.unwrap();
    }
    assert_eq!(
        stub.requests().len(),
        3,
        "the listing and two deletes: {:#?}",
        stub.requests()
    );
    assert!(stub.asked(0, "Filter.1.Name=tag:recon:env"));
    assert!(stub.asked(1, "SubnetId=subnet-a"));
    assert!(stub.asked(2, "SubnetId=subnet-b"));
}

/// The listing stands for the checks from its answer, not its question: a listing that was slow
/// to answer (a loaded endpoint, many pages) is not stale before the deletes it was made for.
#[tokio::test]
async fn a_slow_listing_stands_for_the_deletes_that_start_soon_after_its_answer() {
    let stub = StubServer::start(vec![describe(&[("subnet-a", "irb")]), deleted()]);
    let half = crate::delete_checks::FRESH / 2 + std::time::Duration::from_millis(100);
    stub.delay(0, half);
    let p = provider(&stub);

    let found = p.discover_to_delete(Kind::Subnet, "irb").await.unwrap();
    // More than FRESH after the listing was asked for; less after it was answered.
    tokio::time::sleep(half).await;
    p.expect_deletes(&[(Kind::Subnet, "subnet-a".to_owned())]);
    p.delete(&found.live[0]).await.unwrap();
    assert_eq!(
        stub.requests().len(),
        2,
        "the listing and the delete: {:#?}",
        stub.requests()
    );
    assert!(stub.asked(1, "SubnetId=subnet-a"));
}

#[tokio::test]
async fn a_delete_the_run_did_not_expect_reads_alone() {
    let stub = StubServer::start(vec![describe(&[("subnet-z", "irb")]), deleted()]);
    let p = provider(&stub);
    p.delete(&live("subnet-z")).await.unwrap();
    assert!(stub.asked(0, "SubnetId.1=subnet-z"));
    assert_eq!(stub.unused(), 0);
}

fn table_xml(id: &str, main: bool, associations: &[(&str, &str)]) -> String {
    let mut set: String = associations
        .iter()
        .map(|(association, subnet)| {
            format!(
                "<item><routeTableAssociationId>{association}</routeTableAssociationId>\
                 <routeTableId>{id}</routeTableId><subnetId>{subnet}</subnetId><main>false</main>\
                 <associationState><state>associated</state></associationState></item>"
            )
        })
        .collect();
    if main {
        set.push_str(&format!(
            "<item><routeTableAssociationId>rtbassoc-main</routeTableAssociationId>\
             <routeTableId>{id}</routeTableId><main>true</main>\
             <associationState><state>associated</state></associationState></item>"
        ));
    }
    format!(
        "<item><routeTableId>{id}</routeTableId><vpcId>vpc-1</vpcId>\
         <associationSet>{set}</associationSet><routeSet/><tagSet><item><key>recon:env</key>\
         <value>irb</value></item><item><key>recon:id</key><value>route_table.{id}</value></item>\
         </tagSet></item>"
    )
}

fn tables(items: &[String]) -> Reply {
    Reply {
        action: "DescribeRouteTables",
        status: 200,
        xml: format!(
            "<DescribeRouteTablesResponse><requestId>r</requestId><routeTableSet>{}</routeTableSet></DescribeRouteTablesResponse>",
            items.concat()
        ),
    }
}

fn ok(action: &'static str) -> Reply {
    Reply {
        action,
        status: 200,
        xml: format!(
            "<{action}Response><requestId>r</requestId><return>true</return></{action}Response>"
        ),
    }
}

fn table(id: &str) -> LiveResource {
    LiveResource {
        address: Address::new(Kind::RouteTable, id),
        ..live(id)
    }
}

/// The associations to remove come from the batch read that checked ownership: deleting two
/// tables with two subnets each costs one describe, four disassociations and two deletes.
#[tokio::test]
async fn route_tables_are_disassociated_from_the_batch_read_without_a_describe_each() {
    let stub = StubServer::start(vec![
        tables(&[
            table_xml(
                "rtb-a",
                false,
                &[("rtbassoc-a1", "subnet-1"), ("rtbassoc-a2", "subnet-2")],
            ),
            table_xml(
                "rtb-b",
                false,
                &[("rtbassoc-b1", "subnet-3"), ("rtbassoc-b2", "subnet-4")],
            ),
        ]),
        ok("DisassociateRouteTable"),
        ok("DisassociateRouteTable"),
        ok("DeleteRouteTable"),
        ok("DisassociateRouteTable"),
        ok("DisassociateRouteTable"),
        ok("DeleteRouteTable"),
    ]);
    let p = provider(&stub);
    p.expect_deletes(&[
        (Kind::RouteTable, "rtb-a".to_owned()),
        (Kind::RouteTable, "rtb-b".to_owned()),
    ]);
    p.delete(&table("rtb-a")).await.unwrap();
    p.delete(&table("rtb-b")).await.unwrap();
    assert_eq!(stub.unused(), 0);
    assert_eq!(stub.requests().len(), 7, "{:#?}", stub.requests());
    assert!(stub.asked(0, "Filter.1.Name=route-table-id"));
    assert!(stub.asked(1, "AssociationId=rtbassoc-a1"));
    assert!(stub.asked(2, "AssociationId=rtbassoc-a2"));
    assert!(stub.asked(3, "RouteTableId=rtb-a"));
    assert!(stub.asked(5, "AssociationId=rtbassoc-b2"));
}

/// A destroy plans from one DescribeVpcs: the DNS attributes (two calls per VPC, no batch form)
/// are not read, since deleting a VPC does not need them.
#[tokio::test]
async fn a_destroy_discovers_vpcs_without_their_attributes() {
    let vpc = |id: &str| {
        format!(
            "<item><vpcId>{id}</vpcId><cidrBlock>10.0.0.0/16</cidrBlock><state>available</state>\
             <instanceTenancy>default</instanceTenancy><tagSet><item><key>recon:env</key>\
             <value>irb</value></item><item><key>recon:id</key><value>vpc.{id}</value></item>\
             </tagSet></item>"
        )
    };
    let stub = StubServer::start(vec![Reply {
        action: "DescribeVpcs",
        status: 200,
        xml: format!(
            "<DescribeVpcsResponse><requestId>r</requestId><vpcSet>{}{}</vpcSet></DescribeVpcsResponse>",
            vpc("vpc-a"),
            vpc("vpc-b")
        ),
    }]);
    let p = provider(&stub);
    let live = p.discover_to_delete(Kind::Vpc, "irb").await.unwrap().live;
    assert_eq!(live.len(), 2);
    assert_eq!(stub.requests().len(), 1, "{:#?}", stub.requests());
    assert_eq!(live[0].attrs["cidr_block"], Value::str("10.0.0.0/16"));
    assert!(!live[0].attrs.contains_key("enable_dns_support"));
}
