//! Lookups and the Auto Scaling group's delete against a real moto server: every test owns a
//! unique environment or unique tags, and what the provider did is checked with the SDK
//! directly. Without `AWS_ENDPOINT_URL` the tests fail.

mod support;

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, RequestLaunchTemplateData, ResourceType, Tag, TagSpecification};
use recon_model::Value;
use recon_model::tags::{ENV, ID};
use recon_provider::{CreateRequest, ErrorKind, Provider};
use support::{address as addr, attrs, harness, list, map, s, strs};

fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::str(*v)))
            .collect(),
    )
}

async fn vpc_tagged(ec2: &aws_sdk_ec2::Client, cidr: &str, name: &str) -> String {
    ec2.create_vpc()
        .cidr_block(cidr)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Vpc)
                .tags(Tag::builder().key("Name").value(name).build())
                .build(),
        )
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn lookups_find_exactly_one_by_id_tags_or_default_and_refuse_ambiguity() {
    let h = harness("shared").await;
    let (ec2, provider) = (&h.sdk, &h.provider);
    let name = h.env.clone();
    let vpc = vpc_tagged(ec2, "10.91.0.0/16", &name).await;

    // By tags, and by id: the same VPC, with a managed VPC's attributes.
    let by_tags = provider
        .lookup(
            &addr("vpc.shared"),
            &attrs(&[("tags", tags(&[("Name", &name)]))]),
        )
        .await
        .unwrap();
    assert_eq!(by_tags.id, vpc);
    assert_eq!(by_tags.address, addr("vpc.shared"));
    assert_eq!(by_tags.attrs["cidr_block"], Value::str("10.91.0.0/16"));
    let by_id = provider
        .lookup(&addr("vpc.shared"), &attrs(&[("id", Value::str(&vpc))]))
        .await
        .unwrap();
    assert_eq!(by_id.id, vpc);

    // The default VPC, and a security group by name in it.
    let default = provider
        .lookup(
            &addr("vpc.default"),
            &attrs(&[("default", Value::Bool(true))]),
        )
        .await
        .unwrap();
    let group = provider
        .lookup(
            &addr("security_group.default"),
            &attrs(&[
                ("vpc", Value::str(&default.id)),
                ("name", Value::str("default")),
            ]),
        )
        .await
        .unwrap();
    assert!(group.id.starts_with("sg-"), "{group:?}");
    assert_eq!(group.attrs["vpc"], Value::str(&default.id));

    // Two VPCs with the tag: refused, naming both; none: not found.
    let twin = vpc_tagged(ec2, "10.92.0.0/16", &name).await;
    let err = provider
        .lookup(
            &addr("vpc.shared"),
            &attrs(&[("tags", tags(&[("Name", &name)]))]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Invalid);
    assert!(
        err.message.contains(&vpc) && err.message.contains(&twin),
        "{err}"
    );
    let err = provider
        .lookup(
            &addr("vpc.shared"),
            &attrs(&[("tags", tags(&[("Name", "no-such-vpc")]))]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);

    // Looked up, never changed: the tags are as they were.
    let after = ec2.describe_vpcs().vpc_ids(&vpc).send().await.unwrap();
    assert_eq!(after.vpcs()[0].tags().len(), 1);
}

/// AWS refuses to delete a group that still has instances: the delete scales it to zero and
/// answers a dependency violation (which the executor retries) until they are gone. moto
/// terminates unprotected instances at once, so the instances here are protected from scale-in
/// to keep them, as AWS's slow termination would.
#[tokio::test(flavor = "multi_thread")]
async fn a_group_is_scaled_to_zero_and_deleted_only_once_its_instances_are_gone() {
    let h = harness("asg").await;
    let (ec2, asg, provider) = (&h.sdk, &h.autoscaling, &h.provider);
    let env = h.env.clone();

    let image = ec2
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
        .unwrap()
        .images()[0]
        .image_id()
        .unwrap()
        .to_owned();
    let template = ec2
        .create_launch_template()
        .launch_template_name(format!("{env}-lt"))
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id(image)
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .launch_template()
        .unwrap()
        .launch_template_id()
        .unwrap()
        .to_owned();
    let subnet = provider
        .lookup(
            &addr("subnet.a"),
            &attrs(&[
                ("availability_zone", Value::str("us-east-1a")),
                ("default_for_az", Value::Bool(true)),
            ]),
        )
        .await
        .unwrap();

    let address = addr("autoscaling_group.app");
    let wanted = attrs(&[
        ("name", Value::str(format!("{env}-app"))),
        ("launch_template", Value::str(&template)),
        ("launch_template_version", Value::str("$Latest")),
        ("min_size", Value::Int(2)),
        ("max_size", Value::Int(2)),
        ("desired_capacity", Value::Int(2)),
        ("subnets", Value::List(vec![Value::str(&subnet.id)])),
        ("load_balancers", Value::List(vec![])),
        (
            "tags",
            tags(&[(ENV, &env), (ID, "autoscaling_group.app"), ("Name", "app")]),
        ),
    ]);
    let group = provider
        .create(CreateRequest {
            address: &address,
            environment: &env,
            attrs: &wanted,
            token: "unused",
        })
        .await
        .unwrap();
    assert_eq!(group.id, format!("{env}-app"));
    let described = asg
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(&group.id)
        .send()
        .await
        .unwrap();
    let ids: Vec<String> = described.auto_scaling_groups()[0]
        .instances()
        .iter()
        .map(|i| i.instance_id().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    // Tags at creation, propagated to the instances.
    let instance_tags: BTreeMap<String, String> = ec2
        .describe_instances()
        .instance_ids(&ids[0])
        .send()
        .await
        .unwrap()
        .reservations()[0]
        .instances()[0]
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().to_owned(), t.value().unwrap().to_owned()))
        .collect();
    assert_eq!(instance_tags.get(ENV), Some(&env));
    // Instance discovery leaves the group's instances to the group.
    let instances = provider
        .discover(recon_model::Kind::Instance, &env)
        .await
        .unwrap();
    assert!(instances.is_empty(), "{instances:?}");

    asg.set_instance_protection()
        .auto_scaling_group_name(&group.id)
        .set_instance_ids(Some(ids.clone()))
        .protected_from_scale_in(true)
        .send()
        .await
        .unwrap();
    let refused = provider.delete(&group).await.unwrap_err();
    assert_eq!(refused.kind, ErrorKind::DependencyViolation, "{refused}");
    assert!(refused.message.contains("2 instance(s)"), "{refused}");
    let still = asg
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(&group.id)
        .send()
        .await
        .unwrap();
    let g = &still.auto_scaling_groups()[0];
    assert_eq!(
        (g.min_size(), g.max_size(), g.desired_capacity()),
        (Some(0), Some(0), Some(0)),
        "scaled to zero"
    );

    // Once the instances are gone, the group goes.
    for id in &ids {
        asg.terminate_instance_in_auto_scaling_group()
            .instance_id(id)
            .should_decrement_desired_capacity(true)
            .send()
            .await
            .unwrap();
    }
    provider.delete(&group).await.unwrap();
    let gone = asg
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(&group.id)
        .send()
        .await
        .unwrap();
    assert!(gone.auto_scaling_groups().is_empty());
}

/// Deleting a classic ELB also waits for (and releases) the network interfaces AWS made for
/// it, but only those: an interface someone else created with the same description is
/// neither deleted nor waited for.
#[tokio::test(flavor = "multi_thread")]
async fn a_load_balancer_delete_leaves_interfaces_the_elb_service_did_not_make() {
    let h = harness("elb").await;
    let ec2 = &h.sdk;
    let subnet = h
        .provider
        .lookup(
            &addr("subnet.a"),
            &attrs(&[
                ("availability_zone", Value::str("us-east-1a")),
                ("default_for_az", Value::Bool(true)),
            ]),
        )
        .await
        .unwrap();
    let listener = map(&[
        ("protocol", s("http")),
        ("port", Value::Int(80)),
        ("instance_protocol", s("http")),
        ("instance_port", Value::Int(80)),
    ]);
    let wanted = h.wanted(
        "load_balancer.front",
        &[
            ("name", s(&h.env)),
            ("listeners", list(vec![listener])),
            ("subnets", strs(&[&subnet.id])),
        ],
        &[],
    );
    let lb = h.create("load_balancer.front", &wanted).await;
    let foreign = ec2
        .create_network_interface()
        .subnet_id(&subnet.id)
        .description(format!("ELB {}", lb.id))
        .send()
        .await
        .unwrap()
        .network_interface()
        .unwrap()
        .network_interface_id()
        .unwrap()
        .to_owned();

    h.delete(&lb).await;

    let still = ec2
        .describe_network_interfaces()
        .network_interface_ids(&foreign)
        .send()
        .await
        .unwrap();
    assert_eq!(still.network_interfaces().len(), 1, "{foreign} was deleted");
    ec2.delete_network_interface()
        .network_interface_id(&foreign)
        .send()
        .await
        .unwrap();
}
