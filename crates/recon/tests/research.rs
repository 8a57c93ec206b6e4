//! The "research" lab end to end on moto, checked with the SDK: Jupyter is private with its fixed
//! address, reaches out through the NAT gateway (not the internet gateway), admits only the DMZ
//! group, and the VPN's Elastic IP is associated with the VPN instance.

mod support;

use aws_sdk_ec2::types::Filter;
use support::{Workspace, ec2, moto_endpoint, owned_ids, s3_client, unique_env};

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

    // Every instance runs with its instance profile (Session Manager, the bucket).
    for (id, profile) in [
        ("instance.jupyter", "notebooks"),
        ("instance.voila", "notebooks"),
        ("instance.vpn", "vpn"),
    ] {
        let found = c
            .describe_instances()
            .set_filters(Some(tagged(&env, id)))
            .send()
            .await
            .unwrap();
        let arn = found.reservations()[0].instances()[0]
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .unwrap_or_default()
            .to_owned();
        assert!(
            arn.ends_with(&format!("instance-profile/recon/{env}/{env}-{profile}")),
            "{id}: {arn}"
        );
    }

    // The notebook bucket: encrypted with the lab's key, versioned, private, and reached from
    // the Research and Production subnets through the S3 gateway endpoint.
    let s3 = s3_client().await;
    let bucket = format!("{env}-notebooks");
    let encryption = s3
        .get_bucket_encryption()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let rule = &encryption
        .server_side_encryption_configuration()
        .unwrap()
        .rules()[0];
    let default = rule.apply_server_side_encryption_by_default().unwrap();
    assert_eq!(default.sse_algorithm().as_str(), "aws:kms");
    assert!(default.kms_master_key_id().is_some());
    // moto answers GetBucketVersioning under another XML root than AWS, which the SDK refuses
    // to decode: read the status from the answer itself.
    let versioning = match s3.get_bucket_versioning().bucket(&bucket).send().await {
        Ok(out) => out.status().map(|s| s.as_str().to_owned()),
        Err(e) => e
            .raw_response()
            .and_then(|r| r.body().bytes())
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .filter(|body| body.contains("<Status>Enabled</Status>"))
            .map(|_| "Enabled".to_owned()),
    };
    assert_eq!(versioning.as_deref(), Some("Enabled"));
    let block = s3
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let block = block.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            block.block_public_acls(),
            block.ignore_public_acls(),
            block.block_public_policy(),
            block.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let endpoints = c
        .describe_vpc_endpoints()
        .set_filters(Some(tagged(&env, "vpc_endpoint.s3")))
        .send()
        .await
        .unwrap();
    let mut tables = endpoints.vpc_endpoints()[0].route_table_ids().to_vec();
    tables.sort();
    let mut expected = Vec::new();
    for id in ["route_table.research", "route_table.production"] {
        let t = c
            .describe_route_tables()
            .set_filters(Some(tagged(&env, id)))
            .send()
            .await
            .unwrap();
        expected.push(t.route_tables()[0].route_table_id().unwrap().to_owned());
    }
    expected.sort();
    assert_eq!(tables, expected);

    ws.recon(&["plan", "spec.yaml", "--detailed-exitcode"])
        .code_is(0);

    // A bucket that holds notebooks is not deleted without `force_destroy: true`: the plan
    // says so, and the destroy is refused before it changes anything.
    s3.put_object()
        .bucket(&bucket)
        .key("analysis.ipynb")
        .body(b"{}".to_vec().into())
        .send()
        .await
        .unwrap();
    let mut before = owned_ids(&env).await;
    before.sort();
    let plan = ws.recon(&["plan", "spec.yaml", "--destroy"]);
    assert_ne!(
        plan.code(),
        0,
        "a destroy plan that cannot be carried out is not saved"
    );
    assert!(
        support::says(
            &plan.stdout(),
            "(1 object, counting each version), but only with `force_destroy: true`"
        ),
        "{}",
        plan.stdout()
    );
    let refused = ws.recon(&["destroy", "spec.yaml", "--auto-approve"]);
    assert_ne!(refused.code(), 0);
    assert!(
        support::says(
            &refused.stderr(),
            "Refusing to destroy: the plan would delete 1 S3 bucket that still holds objects"
        ),
        "{}",
        refused.stderr()
    );
    let kept = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    assert_eq!(kept.key_count(), Some(1));
    let mut after = owned_ids(&env).await;
    after.sort();
    assert_eq!(after, before, "the refused destroy changed nothing");

    // Saying so in the spec (a tag on the bucket: one change) lets the next destroy delete it,
    // and the teardown record says what went with it.
    let text = std::fs::read_to_string(ws.path().join("spec.yaml")).unwrap();
    let text = text.replace(
        "  s3_bucket.notebooks:\n",
        "  s3_bucket.notebooks:\n    force_destroy: true\n",
    );
    ws.write_spec("spec.yaml", &text);
    let apply = ws.recon(&["apply", "spec.yaml", "--auto-approve"]);
    apply.success();
    assert!(
        apply
            .stdout()
            .contains("Resources: 0 added, 1 changed, 0 destroyed"),
        "{}",
        apply.stdout()
    );
    let destroy = ws.recon(&["destroy", "spec.yaml", "--auto-approve"]);
    destroy.success();
    let mut records: Vec<_> = std::fs::read_dir(ws.path().join(".recon/teardown"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    records.sort();
    let record = std::fs::read_to_string(records.last().unwrap()).unwrap();
    let lost = format!(
        "`s3_bucket.notebooks` (`{bucket}`): every object in the bucket (1 object, counting each version); deleted"
    );
    assert!(
        support::says(&record, &lost),
        "the teardown record names the bucket and what it held: {record}"
    );
    assert_eq!(owned_ids(&env).await, Vec::<String>::new());
}
