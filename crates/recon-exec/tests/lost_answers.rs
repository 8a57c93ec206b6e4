//! Creates whose answer is lost after AWS acted: the executor must find what the create made
//! (by its ownership tags) instead of making a second resource, and must create again when
//! the create never reached AWS. The fake stands for AWS; a wrapper loses answers.

mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use recon_exec::execute;
use recon_fake::{FakeCloud, FakeConfig, Op};
use recon_model::{Address, Attrs, Kind, LiveResource};
use recon_provider::{CreateRequest, ErrorKind, Provider, ProviderError, UpdateRequest};
use support::*;

/// The fake, except that the first create of each address in `lose` acts and then answers
/// with no usable answer; and of each address in `drop`, answers so without acting.
struct LosingAnswers {
    inner: Arc<FakeCloud>,
    lose: Mutex<BTreeSet<Address>>,
    drop: Mutex<BTreeSet<Address>>,
}

fn unanswered() -> ProviderError {
    ProviderError::new(ErrorKind::Ambiguous, "connection closed before the answer")
}

impl Provider for LosingAnswers {
    async fn discover(&self, kind: Kind, env: &str) -> Result<Vec<LiveResource>, ProviderError> {
        self.inner.discover(kind, env).await
    }
    async fn read(&self, kind: Kind, id: &str) -> Result<Option<LiveResource>, ProviderError> {
        self.inner.read(kind, id).await
    }
    async fn create(&self, request: CreateRequest<'_>) -> Result<LiveResource, ProviderError> {
        if self.drop.lock().unwrap().remove(request.address) {
            return Err(unanswered());
        }
        let created = self.inner.create(request.clone()).await?;
        if self.lose.lock().unwrap().remove(request.address) {
            return Err(unanswered());
        }
        Ok(created)
    }
    async fn update(&self, request: UpdateRequest<'_>) -> Result<LiveResource, ProviderError> {
        self.inner.update(request).await
    }
    async fn delete(&self, live: &LiveResource) -> Result<(), ProviderError> {
        self.inner.delete(live).await
    }
    async fn lookup(&self, a: &Address, f: &Attrs) -> Result<LiveResource, ProviderError> {
        self.inner.lookup(a, f).await
    }
}

fn losing(fake: &Arc<FakeCloud>, lose: &[&str], drop: &[&str]) -> Arc<LosingAnswers> {
    Arc::new(LosingAnswers {
        inner: fake.clone(),
        lose: Mutex::new(lose.iter().map(|a| addr(a)).collect()),
        drop: Mutex::new(drop.iter().map(|a| addr(a)).collect()),
    })
}

fn creates(fake: &FakeCloud, address: &str) -> usize {
    let a = addr(address);
    fake.calls()
        .iter()
        .filter(|c| c.op == Op::Create && c.address.as_ref() == Some(&a) && c.ok())
        .count()
}

#[tokio::test(start_paused = true)]
async fn a_lost_answer_to_any_create_leaves_no_duplicate() {
    let wants = network();
    let every: Vec<String> = wants.iter().map(|w| w.address.to_string()).collect();
    let every: Vec<&str> = every.iter().map(String::as_str).collect();
    // New resources are invisible to lists for 20 s: the executor must keep looking.
    let fake = Arc::new(FakeCloud::new(
        FakeConfig::default()
            .read_lag(Kind::Vpc, Duration::from_secs(20))
            .read_lag(Kind::ElasticIp, Duration::from_secs(20)),
    ));
    let provider = losing(&fake, &every, &[]);
    let events = Events::default();
    let report = execute(provider, &create_plan(&wants), &config(), events.sink()).await;
    assert_succeeded(&report);
    assert_eq!(divergence(&fake, &wants), Vec::<String>::new());
    for a in &every {
        assert_eq!(creates(&fake, a), 1, "{a} was created more than once");
    }
    assert!(
        events.all().iter().any(|e| matches!(e,
            recon_exec::Event::Retrying { error, .. } if error.contains("looking for it by its tags"))),
        "the recovery is visible as a retry"
    );
}

#[tokio::test(start_paused = true)]
async fn a_create_that_never_reached_aws_is_made_once_the_window_passes() {
    let wants = network();
    let fake = Arc::new(FakeCloud::new(FakeConfig::instant()));
    let provider = losing(&fake, &[], &["vpc.main", "security_group.web"]);
    let events = Events::default();
    let report = execute(provider, &create_plan(&wants), &config(), events.sink()).await;
    assert_succeeded(&report);
    assert_eq!(divergence(&fake, &wants), Vec::<String>::new());
    assert_eq!(creates(&fake, "vpc.main"), 1);
    assert_eq!(creates(&fake, "security_group.web"), 1);
}
