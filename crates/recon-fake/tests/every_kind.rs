//! The fake's entry for every kind: a kind cannot be half added. Each kind recon manages can be
//! created, read, discovered and deleted by the fake, with ids, "not found" codes, tokens and
//! pending and deleting times that are its AWS facts'.

use std::collections::BTreeMap;
use std::time::Duration;

use recon_fake::{CallOutcome, FakeCloud, FakeConfig, Op};
use recon_model::{Address, Attrs, Kind, LiveResource, LiveState, Value, kinds::def};
use recon_provider::{CreateRequest, ErrorKind, Provider, ProviderError};
use tokio::time::advance;

const ENV: &str = "dev";

/// Only the ownership tags: the fake asks for no more, and with no references every kind can
/// be made on its own.
fn tagged(address: &Address) -> Attrs {
    Attrs::from([(
        "tags".to_owned(),
        Value::Map(BTreeMap::from([
            ("recon:env".to_owned(), Value::str(ENV)),
            ("recon:id".to_owned(), Value::str(address.to_string())),
        ])),
    )])
}

async fn create(
    fake: &FakeCloud,
    address: &Address,
    token: &str,
) -> Result<LiveResource, ProviderError> {
    fake.create(CreateRequest {
        address,
        environment: ENV,
        attrs: &tagged(address),
        token,
    })
    .await
}

#[tokio::test(start_paused = true)]
async fn every_kind_is_created_read_discovered_and_deleted_as_its_facts_say() {
    let fake = FakeCloud::new(FakeConfig::default());
    for &kind in Kind::ALL {
        let facts = &def(kind).aws;
        let address = Address::new(kind, "complete");
        let live = create(&fake, &address, "token-1").await.unwrap();
        assert!(
            facts.owns_id(&live.id),
            "{kind}: {} has the facts' prefix",
            live.id
        );
        assert_eq!(live.address, address);
        let pending = facts.lifecycle.pending;
        let expected = if pending.is_zero() {
            LiveState::Available
        } else {
            LiveState::Pending
        };
        assert_eq!(live.state, expected, "{kind} right after its create");
        for (name, initial) in facts.set_after_create {
            assert_eq!(live.attrs.get(*name), initial().as_ref(), "{kind}.{name}");
        }
        for (name, chosen) in facts.chosen_by_aws {
            assert_eq!(live.attrs.get(*name), Some(&chosen()), "{kind}.{name}");
        }

        // A second create with the same token returns the same resource only where the
        // create call takes one.
        let again = create(&fake, &address, "token-1").await.unwrap();
        let outcome = fake.calls().last().unwrap().outcome.clone();
        if facts.create_token.takes_token() {
            assert_eq!(
                (&again.id, outcome),
                (&live.id, CallOutcome::Replayed),
                "{kind}"
            );
        } else {
            assert_ne!(again.id, live.id, "{kind}: no token, a second resource");
            assert_eq!(outcome, CallOutcome::Ok, "{kind}");
            fake.delete(&again).await.unwrap();
        }

        advance(pending).await;
        let read = fake.read(kind, &live.id).await.unwrap().unwrap();
        assert_eq!(read.state, LiveState::Available, "{kind} after {pending:?}");
        let found = fake.discover(kind, ENV).await.unwrap();
        assert_eq!(
            found.iter().map(|r| &r.id).collect::<Vec<_>>(),
            [&live.id],
            "{kind}: discovered"
        );

        fake.delete(&read).await.unwrap();
        let deleting = facts.lifecycle.deleting;
        if !deleting.is_zero() {
            let read = fake.read(kind, &live.id).await.unwrap().unwrap();
            assert_eq!(
                read.state,
                LiveState::Deleting,
                "{kind} right after its delete"
            );
            advance(deleting).await;
        }
        assert_eq!(
            fake.read(kind, &live.id).await.unwrap(),
            None,
            "{kind} gone"
        );
        assert_eq!(fake.discover(kind, ENV).await.unwrap(), vec![], "{kind}");
        advance(Duration::from_secs(1)).await;
    }
    assert!(fake.snapshot().is_empty(), "{:?}", fake.snapshot());
    let ops: Vec<Op> = fake.calls().iter().map(|c| c.op).collect();
    assert!(ops.contains(&Op::Discover) && ops.contains(&Op::Delete));
}

#[tokio::test(start_paused = true)]
async fn every_kind_answers_its_facts_not_found_code_while_reads_lag() {
    let mut config = FakeConfig::instant();
    for &kind in Kind::ALL {
        config = config.read_lag(kind, Duration::from_secs(5));
    }
    let fake = FakeCloud::new(config);
    for &kind in Kind::ALL {
        let live = create(&fake, &Address::new(kind, "lagging"), "token-1")
            .await
            .unwrap();
        let e = fake.read(kind, &live.id).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound, "{kind}");
        assert_eq!(
            e.code.as_deref(),
            Some(def(kind).aws.not_found_code()),
            "{kind}"
        );
    }
}
