//! The fake's ids for the compute kinds (their AWS facts' prefixes) and its Elastic IP / instance quirk.

use std::collections::BTreeMap;

use recon_fake::{FakeCloud, FakeConfig};
use recon_model::{AttrDiff, Attrs, LiveResource, Value};
use recon_provider::{CreateRequest, ErrorKind, Provider, ProviderError, UpdateRequest};

const ENV: &str = "dev";

fn s(v: &str) -> Value {
    Value::str(v)
}

async fn create(
    fake: &FakeCloud,
    address: &str,
    fields: &[(&str, Value)],
) -> Result<LiveResource, ProviderError> {
    let a = address.parse().unwrap();
    let mut attrs: Attrs = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    attrs.insert(
        "tags".into(),
        Value::Map(BTreeMap::from([
            ("recon:env".to_owned(), s(ENV)),
            ("recon:id".to_owned(), s(address)),
        ])),
    );
    fake.create(CreateRequest {
        address: &a,
        environment: ENV,
        attrs: &attrs,
        token: &format!("token-{address}"),
    })
    .await
}

#[tokio::test(start_paused = true)]
async fn compute_ids_and_an_elastic_ip_that_outlives_its_instance() {
    let fake = FakeCloud::new(FakeConfig::instant());
    let key = create(&fake, "key_pair.admin", &[("key_type", s("ed25519"))])
        .await
        .unwrap();
    assert!(key.id.starts_with("key-"), "{}", key.id);
    assert!(key.outputs.contains_key("key_name"));
    let template = create(&fake, "launch_template.bastion", &[("image", s("ami-1"))])
        .await
        .unwrap();
    assert!(template.id.starts_with("lt-"), "{}", template.id);
    let instance = create(
        &fake,
        "instance.vpn",
        &[("launch_template", s(&template.id))],
    )
    .await
    .unwrap();
    assert!(instance.id.starts_with("i-"), "{}", instance.id);

    // The address is associated later (AllocateAddress takes no instance).
    let eip = create(&fake, "elastic_ip.vpn", &[("instance", s(&instance.id))])
        .await
        .unwrap();
    assert!(!eip.attrs.contains_key("instance"));
    let diffs = [AttrDiff {
        field: "instance".into(),
        before: None,
        after: Some(s(&instance.id)),
        forces_replacement: false,
    }];
    let eip = fake
        .update(UpdateRequest {
            live: &eip,
            attrs: &eip.attrs,
            diffs: &diffs,
        })
        .await
        .unwrap();
    assert_eq!(eip.attrs["instance"], s(&instance.id));

    // The template is in use by the instance; the address is not a dependency of the
    // instance: terminating it disassociates the address, which stays.
    let err = fake.delete(&template).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::DependencyViolation);
    fake.delete(&instance).await.unwrap();
    let eip = fake.read(eip.kind(), &eip.id).await.unwrap().unwrap();
    assert!(!eip.attrs.contains_key("instance"), "{eip:?}");
    fake.delete(&template).await.unwrap();
}
