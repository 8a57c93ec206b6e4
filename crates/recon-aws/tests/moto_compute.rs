//! The compute kinds (`key_pair`, `launch_template`, `instance`, `elastic_ip.instance`) against
//! a real moto server, like `moto.rs`: every test owns a unique environment, and what the
//! provider did is checked with the SDK directly. Without `AWS_ENDPOINT_URL` the tests fail.

mod support;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

use aws_sdk_ec2::types::Filter;
use recon_model::tags::ENV;
use recon_model::{Address, Kind, LiveResource, LiveState, Value, diff_attrs};
use recon_provider::{CreateRequest, Provider};
use support::{Harness, b, harness, s, tags_of};

impl Harness {
    /// A VPC, a subnet and a security group made with the SDK (the network kinds are tested in
    /// `moto.rs`).
    async fn network(&self, cidr: &str) -> (String, String) {
        let vpc = self
            .sdk
            .create_vpc()
            .cidr_block(cidr)
            .send()
            .await
            .unwrap()
            .vpc()
            .unwrap()
            .vpc_id()
            .unwrap()
            .to_owned();
        let subnet = self
            .sdk
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr.replace(".0.0/16", ".1.0/24"))
            .availability_zone("us-east-1a")
            .send()
            .await
            .unwrap()
            .subnet()
            .unwrap()
            .subnet_id()
            .unwrap()
            .to_owned();
        let group = self
            .sdk
            .create_security_group()
            .group_name(format!("{}-sg", self.env))
            .description("test")
            .vpc_id(&vpc)
            .send()
            .await
            .unwrap()
            .group_id()
            .unwrap()
            .to_owned();
        (subnet, group)
    }

    async fn image(&self) -> String {
        let out = self
            .sdk
            .describe_images()
            .owners("amazon")
            .send()
            .await
            .unwrap();
        out.images()
            .iter()
            .find(|i| i.root_device_name().is_some())
            .and_then(|i| i.image_id())
            .unwrap()
            .to_owned()
    }
}

const PUBLIC_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm5sZ8x9hEMZ3WvLqI8bwJ3H2Qm1kY4PqT0k8j1vR5d";

#[tokio::test(flavor = "multi_thread")]
async fn key_pairs_imported_and_created() {
    let h = harness("key").await;

    // Imported: public key material, tags at creation, reads back the same.
    let imported_wanted = h.wanted(
        "key_pair.hol02",
        &[("public_key", s(PUBLIC_KEY)), ("key_type", s("ed25519"))],
        &[],
    );
    let imported = h.create("key_pair.hol02", &imported_wanted).await;
    assert!(imported.id.starts_with("key-"), "{}", imported.id);
    assert_eq!(imported.outputs["key_name"], s(&format!("{}-hol02", h.env)));
    assert_eq!(h.aws_tags(&imported.id).await, tags_of(&imported_wanted));
    let read = h.read(Kind::KeyPair, &imported.id).await.unwrap();
    assert_eq!(
        diff_attrs(Kind::KeyPair, &imported_wanted, &read.attrs),
        vec![],
        "{read:?}"
    );

    // Created: the private key is written once, 0600, and is in no value.
    let dir = std::env::temp_dir().join(&h.env);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("admin.pem");
    let file_text = file.to_str().unwrap().to_owned();
    let created_wanted = h.wanted(
        "key_pair.admin",
        &[("key_type", s("rsa")), ("private_key_file", s(&file_text))],
        &[],
    );
    let created = h.create("key_pair.admin", &created_wanted).await;
    let pem = std::fs::read_to_string(&file).unwrap();
    assert!(pem.contains("PRIVATE KEY"), "a private key was written");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let read = h.read(Kind::KeyPair, &created.id).await.unwrap();
    for live in [&created, &read] {
        let text = format!("{live:?}");
        assert!(
            !text.contains(&body[..40]),
            "the private key leaked: {text}"
        );
    }
    assert_eq!(
        diff_attrs(Kind::KeyPair, &created_wanted, &read.attrs),
        vec![],
        "{read:?}"
    );

    // Discovery finds both; tags change in place.
    let found = h.provider.discover(Kind::KeyPair, &h.env).await.unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
    let mut retagged = imported_wanted.clone();
    retagged.insert("tags".into(), h.tags("key_pair.hol02", &[("cost", "lab")]));
    h.converge(&read_or(&h, &imported).await, &retagged).await;

    // An existing file is never overwritten: the new key pair is deleted and the create fails.
    let again = h.wanted(
        "key_pair.other",
        &[
            ("key_type", s("ed25519")),
            ("private_key_file", s(&file_text)),
        ],
        &[],
    );
    let address: Address = "key_pair.other".parse().unwrap();
    let err = h
        .provider
        .create(CreateRequest {
            address: &address,
            environment: &h.env,
            attrs: &again,
            token: "t",
        })
        .await
        .unwrap_err();
    assert!(err.message.contains(&file_text), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), pem);
    let found = h.provider.discover(Kind::KeyPair, &h.env).await.unwrap();
    assert_eq!(found.len(), 2, "the failed key pair was deleted: {found:?}");

    h.delete(&imported).await;
    h.delete(&created).await;
    assert!(file.exists(), "deleting the key pair leaves the file");
    std::fs::remove_dir_all(&dir).unwrap();
}

async fn read_or(h: &Harness, live: &LiveResource) -> LiveResource {
    h.read(live.kind(), &live.id).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn launch_template_versions_instance_and_elastic_ip() {
    let h = harness("lt").await;
    let (subnet, group) = h.network("10.60.0.0/16").await;
    let image = h.image().await;

    let template_wanted = h.wanted(
        "launch_template.bastion",
        &[
            ("image", s(&image)),
            ("instance_type", s("t2.xlarge")),
            ("key_name", s("some-key")),
            ("subnet", s(&subnet)),
            ("security_groups", Value::List(vec![s(&group)])),
            ("associate_public_ip", b(true)),
            (
                "block_devices",
                Value::List(vec![Value::Map(BTreeMap::from([
                    ("device_name".to_owned(), s("/dev/sdf")),
                    ("size_gb".to_owned(), Value::Int(20)),
                    ("volume_type".to_owned(), s("gp3")),
                    ("encrypted".to_owned(), b(true)),
                ]))]),
            ),
            ("user_data", s("#!/bin/sh\nmount fs-123 /data\n")),
            ("http_tokens", s("required")),
            (
                "instance_tags",
                Value::Map(BTreeMap::from([("Name".to_owned(), s("bastion"))])),
            ),
        ],
        &[],
    );
    let template = h.create("launch_template.bastion", &template_wanted).await;
    assert!(template.id.starts_with("lt-"), "{}", template.id);
    assert_eq!(h.aws_tags(&template.id).await, tags_of(&template_wanted));
    let read = h.read(Kind::LaunchTemplate, &template.id).await.unwrap();
    assert_eq!(
        diff_attrs(Kind::LaunchTemplate, &template_wanted, &read.attrs),
        vec![],
        "{read:?}"
    );
    assert_eq!(read.outputs["latest_version"], Value::Int(1));
    let found = h
        .provider
        .discover(Kind::LaunchTemplate, &h.env)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].attrs, read.attrs);

    // A data change is a new default version.
    let mut changed = template_wanted.clone();
    changed.insert("instance_type".into(), s("t3.micro"));
    changed.insert("user_data".into(), s("#!/bin/sh\necho v2\n"));
    changed.insert("http_tokens".into(), s("optional"));
    let after = h.converge(&read, &changed).await;
    assert_eq!(after.outputs["latest_version"], Value::Int(2));
    let versions = h
        .sdk
        .describe_launch_templates()
        .launch_template_ids(&template.id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        versions.launch_templates()[0].default_version_number(),
        Some(2)
    );

    // An instance from the template: tags at creation on the instance and its volume.
    let instance_wanted = h.wanted(
        "instance.bastion",
        &[
            ("launch_template", s(&template.id)),
            ("private_ip", s("10.60.1.198")),
            (
                "root_volume",
                Value::Map(BTreeMap::from([
                    ("size_gb".to_owned(), Value::Int(500)),
                    ("volume_type".to_owned(), s("gp3")),
                    ("encrypted".to_owned(), b(false)),
                ])),
            ),
        ],
        &[],
    );
    let instance = h.create("instance.bastion", &instance_wanted).await;
    assert!(instance.id.starts_with("i-"), "{}", instance.id);
    let mut tags = h.aws_tags(&instance.id).await;
    assert_eq!(
        tags.remove("aws:ec2launchtemplate:id").as_deref(),
        Some(template.id.as_str())
    );
    tags.retain(|k, _| !k.starts_with("aws:"));
    assert_eq!(tags, tags_of(&instance_wanted));
    let instance = h.read(Kind::Instance, &instance.id).await.unwrap();
    assert_eq!(instance.state, LiveState::Available);
    assert_eq!(
        diff_attrs(Kind::Instance, &instance_wanted, &instance.attrs),
        vec![],
        "{instance:?}"
    );
    assert_eq!(instance.attrs["subnet"], s(&subnet));
    assert_eq!(instance.attrs["instance_type"], s("t3.micro"));
    assert_eq!(
        instance.attrs["security_groups"],
        Value::List(vec![s(&group)])
    );
    let volumes = h
        .sdk
        .describe_volumes()
        .filters(
            Filter::builder()
                .name("attachment.instance-id")
                .values(&instance.id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(!volumes.volumes().is_empty());
    for v in volumes.volumes() {
        let tags: BTreeMap<&str, &str> = v
            .tags()
            .iter()
            .map(|t| (t.key().unwrap(), t.value().unwrap()))
            .collect();
        assert_eq!(tags.get(ENV), Some(&h.env.as_str()), "{v:?}");
    }
    assert_eq!(instance.attrs["launch_template_version"], s("2"));
    let found = h.provider.discover(Kind::Instance, &h.env).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].attrs, instance.attrs);

    // A larger root volume of another type: ModifyVolume, the same instance.
    let mut grown = instance_wanted.clone();
    grown.insert(
        "root_volume".into(),
        Value::Map(BTreeMap::from([
            ("size_gb".to_owned(), Value::Int(600)),
            ("volume_type".to_owned(), s("gp2")),
            ("encrypted".to_owned(), b(false)),
        ])),
    );
    let diffs = diff_attrs(Kind::Instance, &grown, &instance.attrs);
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(!diffs[0].forces_replacement, "{diffs:?}");
    let instance = h.converge(&instance, &grown).await;
    let root = instance.attrs["root_volume"].as_map().unwrap();
    assert_eq!(root["size_gb"], Value::Int(600));
    assert_eq!(root["volume_type"], s("gp2"));

    // An instance pinned to version 1 launches with version 1's data, not the default's.
    let pinned_wanted = h.wanted(
        "instance.pinned",
        &[
            ("launch_template", s(&template.id)),
            ("launch_template_version", s("1")),
        ],
        &[],
    );
    let pinned = h.create("instance.pinned", &pinned_wanted).await;
    let pinned = h.read(Kind::Instance, &pinned.id).await.unwrap();
    assert_eq!(
        diff_attrs(Kind::Instance, &pinned_wanted, &pinned.attrs),
        vec![],
        "{pinned:?}"
    );
    assert_eq!(pinned.attrs["instance_type"], s("t2.xlarge"));
    h.delete(&pinned).await;

    // An Elastic IP associated in place, and moved to a replacement instance.
    let eip_plain = h.wanted("elastic_ip.vpn", &[], &[]);
    let eip = h.create("elastic_ip.vpn", &eip_plain).await;
    let eip = h.read(Kind::ElasticIp, &eip.id).await.unwrap();
    assert_eq!(
        diff_attrs(Kind::ElasticIp, &eip_plain, &eip.attrs),
        vec![],
        "{eip:?}"
    );
    let mut eip_wanted = eip_plain.clone();
    eip_wanted.insert("instance".into(), s(&instance.id));
    let eip_live = h.converge(&eip, &eip_wanted).await;
    assert_eq!(eip_live.attrs["instance"], s(&instance.id));
    let public_ip = eip_live.outputs["public_ip"].clone();

    let second_wanted = h.wanted(
        "instance.second",
        &[
            ("image", s(&image)),
            ("instance_type", s("t3.micro")),
            ("subnet", s(&subnet)),
        ],
        &[],
    );
    let second = h.create("instance.second", &second_wanted).await;
    let mut moved = eip_plain.clone();
    moved.insert("instance".into(), s(&second.id));
    let eip_live = h.converge(&eip_live, &moved).await;
    assert_eq!(
        eip_live.outputs["public_ip"], public_ip,
        "the address is kept"
    );

    // Instances are terminated (gone); the address is disassociated and released.
    let instance = h.read(Kind::Instance, &instance.id).await.unwrap();
    h.delete(&instance).await;
    let second = h.read(Kind::Instance, &second.id).await.unwrap();
    h.delete(&second).await;
    let state = h
        .sdk
        .describe_instances()
        .instance_ids(&second.id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        state.reservations()[0].instances()[0]
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str()),
        Some("terminated")
    );
    assert_eq!(
        h.provider.discover(Kind::Instance, &h.env).await.unwrap(),
        vec![]
    );
    let eip_live = h.read(Kind::ElasticIp, &eip_live.id).await.unwrap();
    h.delete(&eip_live).await;
    h.delete(&after).await;
    assert_eq!(
        h.provider
            .discover(Kind::LaunchTemplate, &h.env)
            .await
            .unwrap(),
        vec![]
    );
}
