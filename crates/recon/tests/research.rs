//! The "research" lab end to end on moto, checked with the SDK: Jupyter is private with its fixed
//! address, reaches out through the NAT gateway (not the internet gateway), admits only the DMZ
//! group, and the VPN's Elastic IP is associated with the VPN instance.

mod support;

use aws_sdk_ec2::types::Filter;
use support::{Workspace, ec2, moto_endpoint, owned_ids, unique_env};

fn tagged(env: &str, id: &str) -> Vec<Filter> {
    vec![
        Filter::builder().name("tag:recon:env").values(env).build(),
        Filter::builder().name("tag:recon:id").values(id).build(),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn research_applies_with_private_jupyter_and_a_fixed_vpn_address() {
    moto_endpoint();
    let env = unique_env("research");
    let ws = Workspace::new("research.yaml", &env);
    ws.recon(&["apply", "spec.yaml", "--auto-approve"])
        .success();
    let c = ec2().await;

    let jupyter = c
        .describe_instances()
        .set_filters(Some(tagged(&env, "instance.jupyter")))
        .send()
        .await
        .unwrap();
    let jupyter = &jupyter.reservations()[0].instances()[0];
    assert_eq!(jupyter.private_ip_address(), Some("10.0.3.140"));
    assert!(jupyter.public_ip_address().is_none());

    let voila = c
        .describe_instances()
        .set_filters(Some(tagged(&env, "instance.voila")))
        .send()
        .await
        .unwrap();
    let voila = &voila.reservations()[0].instances()[0];
    assert_eq!(voila.private_ip_address(), Some("10.0.2.198"));
    assert!(voila.public_ip_address().is_some(), "Voila is public");

    let research_rt = c
        .describe_route_tables()
        .set_filters(Some(tagged(&env, "route_table.research")))
        .send()
        .await
        .unwrap();
    let default_route = research_rt.route_tables()[0]
        .routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
        .expect("a default route");
    assert!(
        default_route
            .nat_gateway_id()
            .is_some_and(|n| n.starts_with("nat-"))
    );
    assert!(
        default_route
            .gateway_id()
            .is_none_or(|g| !g.starts_with("igw-"))
    );

    let groups = |id: &'static str| {
        c.describe_security_groups()
            .set_filters(Some(tagged(&env, id)))
            .send()
    };
    let dmz = groups("security_group.dmz").await.unwrap();
    let dmz_id = dmz.security_groups()[0].group_id().unwrap().to_owned();
    let research = groups("security_group.research").await.unwrap();
    for permission in research.security_groups()[0].ip_permissions() {
        assert!(
            permission.ip_ranges().is_empty(),
            "research admits addresses: {permission:?}"
        );
        assert_eq!(
            permission.user_id_group_pairs()[0].group_id(),
            Some(dmz_id.as_str())
        );
    }

    let vpn = c
        .describe_instances()
        .set_filters(Some(tagged(&env, "instance.vpn")))
        .send()
        .await
        .unwrap();
    let vpn_id = vpn.reservations()[0].instances()[0]
        .instance_id()
        .unwrap()
        .to_owned();
    let addresses = c
        .describe_addresses()
        .set_filters(Some(tagged(&env, "elastic_ip.vpn")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        addresses.addresses()[0].instance_id(),
        Some(vpn_id.as_str())
    );

    ws.recon(&["plan", "spec.yaml", "--detailed-exitcode"])
        .code_is(0);
    ws.recon(&["destroy", "spec.yaml", "--auto-approve"])
        .success();
    assert_eq!(owned_ids(&env).await, Vec::<String>::new());
}
