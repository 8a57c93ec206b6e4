//! Two live resources claiming one address are recoverable, never a dead end: discovery keeps
//! one under the address (the one in use) and gives each other one an address of its own,
//! which plans delete.

use std::collections::BTreeMap;

use recon_fake::{FakeCloud, FakeConfig};
use recon_model::{Action, Address, Attrs, Kind, Value};
use recon_provider::{discover_all, is_duplicate};

fn tags(env: &str, address: &str) -> Value {
    Value::Map(BTreeMap::from([
        ("recon:env".to_owned(), Value::str(env)),
        ("recon:id".to_owned(), Value::str(address)),
    ]))
}

fn vpc(env: &str) -> (Address, Attrs) {
    let attrs = BTreeMap::from([
        ("cidr_block".to_owned(), Value::str("10.0.0.0/16")),
        ("tags".to_owned(), tags(env, "vpc.main")),
    ]);
    ("vpc.main".parse().unwrap(), attrs)
}

fn subnet(env: &str, vpc_id: &str, cidr: &str) -> (Address, Attrs) {
    let attrs = BTreeMap::from([
        ("vpc".to_owned(), Value::str(vpc_id)),
        ("cidr_block".to_owned(), Value::str(cidr)),
        ("tags".to_owned(), tags(env, "subnet.a")),
    ]);
    ("subnet.a".parse().unwrap(), attrs)
}

#[tokio::test(start_paused = true)]
async fn the_duplicate_in_use_is_kept_and_the_others_are_planned_for_deletion() {
    let fake = FakeCloud::new(FakeConfig::default());
    // The first VPC is made twice (a lost answer); the subnet lives in the second.
    let (a, attrs) = vpc("dev");
    let unused = fake.insert(a.clone(), attrs.clone());
    let used = fake.insert(a, attrs);
    assert!(
        unused.id < used.id,
        "the lowest id alone would pick the wrong one"
    );
    let (s, attrs) = subnet("dev", &used.id, "10.0.1.0/24");
    fake.insert(s, attrs);
    // Another environment's VPC with the same address is no candidate.
    let (_, attrs) = vpc("other");
    let foreign = fake.insert_foreign(Kind::Vpc, attrs);

    let live = discover_all(&fake, "dev", Kind::ALL).await.unwrap();
    let by_address: BTreeMap<String, &str> = live
        .iter()
        .map(|r| (r.address.to_string(), r.id.as_str()))
        .collect();
    assert_eq!(
        by_address,
        BTreeMap::from([
            (
                "subnet.a".to_owned(),
                live.iter()
                    .find(|r| r.address.kind == Kind::Subnet)
                    .unwrap()
                    .id
                    .as_str()
            ),
            ("vpc.main".to_owned(), used.id.as_str()),
            ("vpc.main-duplicate-1".to_owned(), unused.id.as_str()),
        ])
    );
    assert!(live.iter().all(|r| r.id != foreign.id));
    let dup = live.iter().find(|r| r.id == unused.id).unwrap();
    assert_eq!(is_duplicate(dup), Some("vpc.main"));

    let destroy = recon_plan::plan_destroy("dev", "us-east-1", None, Kind::ALL, live);
    assert_eq!(destroy.changes.len(), 3, "destroy deletes all of them");
    assert!(
        destroy.changes.iter().all(|c| c.action == Action::Delete),
        "{destroy:?}"
    );
    let dup = destroy
        .change(&"vpc.main-duplicate-1".parse().unwrap())
        .unwrap();
    assert_eq!(dup.id.as_deref(), Some(unused.id.as_str()));
    assert!(
        dup.reason
            .as_deref()
            .unwrap()
            .contains("a duplicate of `vpc.main`")
    );
}

#[tokio::test(start_paused = true)]
async fn keepers_follow_keepers_when_everything_was_made_twice() {
    // Two applies at once: two VPCs, each with its own subnet; nothing settled refers to
    // either. The kept subnet is the one in the kept VPC.
    let fake = FakeCloud::new(FakeConfig::default());
    let (a, attrs) = vpc("dev");
    let first = fake.insert(a.clone(), attrs.clone());
    let second = fake.insert(a, attrs);
    let (s, attrs) = subnet("dev", &second.id, "10.0.2.0/24");
    let in_second = fake.insert(s, attrs);
    let (s, attrs) = subnet("dev", &first.id, "10.0.1.0/24");
    let in_first = fake.insert(s, attrs);
    assert!(in_second.id < in_first.id);

    let live = discover_all(&fake, "dev", Kind::ALL).await.unwrap();
    let id = |address: &str| {
        live.iter()
            .find(|r| r.address.to_string() == address)
            .map(|r| r.id.clone())
    };
    assert_eq!(id("vpc.main"), Some(first.id.clone()));
    assert_eq!(id("subnet.a"), Some(in_first.id.clone()));
    assert_eq!(id("vpc.main-duplicate-1"), Some(second.id.clone()));
    assert_eq!(id("subnet.a-duplicate-1"), Some(in_second.id.clone()));
}
