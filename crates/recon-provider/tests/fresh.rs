//! Apply's staleness precondition, on the in-memory provider.

use std::collections::BTreeMap;

use recon_fake::{FakeCloud, FakeConfig};
use recon_model::{Address, AttrDiff, Attrs, Kind, LiveState, Value};
use recon_provider::{FreshError, Provider, UpdateRequest, check_fresh, discover_all};

fn owned(env: &str, address: &str, cidr: &str) -> (Address, Attrs) {
    let address: Address = address.parse().unwrap();
    let tags = Value::Map(BTreeMap::from([
        ("recon:env".to_owned(), Value::str(env)),
        ("recon:id".to_owned(), Value::str(address.to_string())),
    ]));
    let attrs = BTreeMap::from([
        ("cidr_block".to_owned(), Value::str(cidr)),
        ("tags".to_owned(), tags),
    ]);
    (address, attrs)
}

async fn plan_now(fake: &FakeCloud) -> recon_model::Plan {
    let live = discover_all(fake, "dev", Kind::ALL).await.unwrap();
    recon_plan::plan_destroy("dev", "us-east-1", None, Kind::ALL, live)
}

#[tokio::test(start_paused = true)]
async fn an_unchanged_world_is_fresh() {
    let fake = FakeCloud::new(FakeConfig::default());
    let (a, attrs) = owned("dev", "vpc.main", "10.0.0.0/16");
    fake.insert(a, attrs);
    let plan = plan_now(&fake).await;
    let live = check_fresh(&fake, &plan).await.unwrap().live;
    assert_eq!(live.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_new_owned_resource_makes_the_plan_stale() {
    let fake = FakeCloud::new(FakeConfig::default());
    let plan = plan_now(&fake).await;
    let (a, attrs) = owned("dev", "vpc.sneaky", "10.9.0.0/16");
    fake.insert(a, attrs);
    assert!(matches!(
        check_fresh(&fake, &plan).await,
        Err(FreshError::Stale { environment }) if environment == "dev"
    ));
}

#[tokio::test(start_paused = true)]
async fn a_changed_attribute_makes_the_plan_stale_but_another_environment_does_not() {
    let fake = FakeCloud::new(FakeConfig::default());
    let (a, attrs) = owned("dev", "vpc.main", "10.0.0.0/16");
    let vpc = fake.insert(a.clone(), attrs);
    let plan = plan_now(&fake).await;

    // Someone else's environment changing is none of this plan's business.
    let (b, other) = owned("prod", "vpc.main", "10.1.0.0/16");
    fake.insert_foreign(b.kind, other);
    check_fresh(&fake, &plan).await.unwrap();

    // An out-of-band change to an owned resource is.
    let (_, mut changed) = owned("dev", "vpc.main", "10.0.0.0/16");
    changed.insert("enable_dns_hostnames".into(), Value::Bool(true));
    let diffs = [AttrDiff {
        field: "enable_dns_hostnames".into(),
        before: None,
        after: Some(Value::Bool(true)),
        forces_replacement: false,
    }];
    fake.update(UpdateRequest {
        live: &vpc,
        attrs: &changed,
        diffs: &diffs,
    })
    .await
    .unwrap();
    assert!(matches!(
        check_fresh(&fake, &plan).await,
        Err(FreshError::Stale { .. })
    ));
    assert_eq!(fake.get(&vpc.id).unwrap().state, LiveState::Available);
}
