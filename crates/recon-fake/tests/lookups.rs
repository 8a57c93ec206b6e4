//! `lookup_all` on the fake: lookups found in rounds (a subnet after the VPC its filter names),
//! what they find substituted into the spec, and a failed lookup's dependents not tried.

use std::collections::BTreeMap;

use recon_fake::{FakeCloud, FakeConfig};
use recon_model::{Address, Attrs, DesiredResource, Kind, Lookup, Reference, Spec, Value};
use recon_provider::{ErrorKind, lookup_all};

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

fn attrs(pairs: &[(&str, Value)]) -> Attrs {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn lookup(address: &str, filters: &[(&str, Value)]) -> Lookup {
    Lookup {
        address: addr(address),
        filters: attrs(filters),
    }
}

fn reference(address: &str) -> Value {
    Value::Ref(Reference::id(addr(address)))
}

/// An existing network nobody owns: a default VPC with one subnet, and another VPC.
fn existing(fake: &FakeCloud) -> (String, String) {
    let vpc = fake.insert_foreign(
        Kind::Vpc,
        attrs(&[
            ("is_default", Value::Bool(true)),
            ("cidr_block", Value::str("172.31.0.0/16")),
        ]),
    );
    fake.insert_foreign(
        Kind::Vpc,
        attrs(&[("cidr_block", Value::str("10.9.0.0/16"))]),
    );
    let subnet = fake.insert_foreign(
        Kind::Subnet,
        attrs(&[
            ("vpc", Value::str(&vpc.id)),
            ("availability_zone", Value::str("us-east-1a")),
        ]),
    );
    (vpc.id, subnet.id)
}

#[tokio::test(start_paused = true)]
async fn lookups_are_found_in_dependency_order_and_substituted() {
    let fake = FakeCloud::new(FakeConfig::default());
    let (vpc, subnet) = existing(&fake);
    let before = fake.snapshot();
    // The subnet's filter names the VPC lookup: it is found in a second round.
    let lookups = vec![
        lookup(
            "subnet.a",
            &[
                ("vpc", reference("vpc.default")),
                ("availability_zone", Value::str("us-east-1a")),
            ],
        ),
        lookup("vpc.default", &[("is_default", Value::Bool(true))]),
    ];
    let found = lookup_all(&fake, &lookups).await.unwrap();
    assert_eq!(found[&addr("vpc.default")].id, vpc);
    assert_eq!(found[&addr("subnet.a")].id, subnet);

    let spec = Spec {
        environment: "web".into(),
        region: "us-east-1".into(),
        tags: BTreeMap::new(),
        lookups,
        resources: vec![DesiredResource {
            address: addr("security_group.web"),
            attrs: attrs(&[("vpc", reference("vpc.default"))]),
            depends_on: vec![],
        }],
        lifecycle: Default::default(),
    };
    let resolved = spec.with_lookups(&found);
    assert!(resolved.lookups.is_empty());
    assert_eq!(resolved.resources[0].attrs["vpc"], Value::str(&vpc));
    // Lookups only read.
    assert_eq!(fake.snapshot(), before);
}

#[tokio::test(start_paused = true)]
async fn a_failed_lookup_is_reported_and_its_dependents_are_not_tried() {
    let fake = FakeCloud::new(FakeConfig::default());
    existing(&fake);
    let lookups = vec![
        lookup("vpc.gone", &[("id", Value::str("vpc-nope"))]),
        lookup("subnet.a", &[("vpc", reference("vpc.gone"))]),
        // An empty tag filter matches both VPCs: ambiguous.
        lookup("vpc.any", &[("tags", Value::Map(BTreeMap::new()))]),
    ];
    let errors = lookup_all(&fake, &lookups).await.unwrap_err();
    let got: Vec<(String, ErrorKind)> = errors
        .iter()
        .map(|e| (e.address.to_string(), e.source.kind))
        .collect();
    assert_eq!(
        got,
        [
            ("vpc.gone".to_owned(), ErrorKind::NotFound),
            ("vpc.any".to_owned(), ErrorKind::Invalid),
        ]
    );
}
