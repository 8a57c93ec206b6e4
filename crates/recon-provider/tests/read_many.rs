//! `Provider::read_many`'s default (single reads, concurrently), on the in-memory provider.

use std::collections::BTreeMap;

use recon_fake::{FakeCloud, FakeConfig, Op};
use recon_model::{Address, Attrs, Kind, Value};
use recon_provider::{ErrorKind, Provider};

fn vpc(fake: &FakeCloud, name: &str, cidr: &str) -> String {
    let address: Address = format!("vpc.{name}").parse().unwrap();
    let tags = Value::Map(BTreeMap::from([
        ("recon:env".to_owned(), Value::str("dev")),
        ("recon:id".to_owned(), Value::str(address.to_string())),
    ]));
    let attrs: Attrs = BTreeMap::from([
        ("cidr_block".to_owned(), Value::str(cidr)),
        ("tags".to_owned(), tags),
    ]);
    fake.insert(address, attrs).id
}

fn sorted_ids(found: &[recon_model::LiveResource]) -> Vec<String> {
    let mut ids: Vec<String> = found.iter().map(|r| r.id.clone()).collect();
    ids.sort();
    ids
}

#[tokio::test(start_paused = true)]
async fn returns_the_resources_found_and_leaves_missing_ids_out() {
    let fake = FakeCloud::new(FakeConfig::default());
    let a = vpc(&fake, "a", "10.0.0.0/16");
    let b = vpc(&fake, "b", "10.1.0.0/16");
    let ids = vec![a.clone(), "vpc-00000000000000000".to_owned(), b.clone()];
    let found = fake.read_many(Kind::Vpc, &ids).await.unwrap();
    let mut want = vec![a, b];
    want.sort();
    assert_eq!(sorted_ids(&found), want);
    // One read per id asked, none skipped.
    let reads = fake.calls().iter().filter(|c| c.op == Op::Read).count();
    assert_eq!(reads, 3);
}

#[tokio::test(start_paused = true)]
async fn a_resource_not_yet_visible_is_absent_not_an_error() {
    let fake = FakeCloud::new(FakeConfig::default());
    let a = vpc(&fake, "a", "10.0.0.0/16");
    let b = vpc(&fake, "b", "10.1.0.0/16");
    fake.fail_next("vpc.b", Op::Read, ErrorKind::NotFound, 1);
    let found = fake.read_many(Kind::Vpc, &[a.clone(), b]).await.unwrap();
    assert_eq!(sorted_ids(&found), vec![a]);
}

#[tokio::test(start_paused = true)]
async fn any_other_error_fails_the_whole_call() {
    let fake = FakeCloud::new(FakeConfig::default());
    let a = vpc(&fake, "a", "10.0.0.0/16");
    let b = vpc(&fake, "b", "10.1.0.0/16");
    fake.fail_next("vpc.b", Op::Read, ErrorKind::Throttled, 1);
    let err = fake.read_many(Kind::Vpc, &[a, b]).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Throttled);
}

#[tokio::test(start_paused = true)]
async fn no_ids_no_calls() {
    let fake = FakeCloud::new(FakeConfig::default());
    assert!(fake.read_many(Kind::Vpc, &[]).await.unwrap().is_empty());
    assert!(fake.calls().is_empty());
}
