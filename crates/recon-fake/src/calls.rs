//! The call log and the count of mutating calls in flight: what tests assert about how the
//! executor called the cloud.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use recon_model::{Address, Kind};
use recon_provider::ErrorKind;
use tokio::time::Instant;

use crate::{FakeCloud, Inner};

/// A provider operation, as logged and as targeted by [`FakeCloud::fail_next`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    Discover,
    Read,
    Create,
    Update,
    Delete,
}

impl Op {
    /// Create, update and delete: the calls that change something.
    pub fn is_mutating(self) -> bool {
        matches!(self, Op::Create | Op::Update | Op::Delete)
    }
}

/// How a logged call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    Ok,
    /// A create whose token matched an existing resource: nothing was created.
    Replayed,
    Err(ErrorKind),
}

/// One call to the fake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub op: Op,
    pub kind: Kind,
    /// The resource's address, when the call names one (all but discover, and reads of ids
    /// the fake does not know).
    pub address: Option<Address>,
    /// The resource's id (for a create: the id it made or returned).
    pub id: Option<String>,
    /// The idempotency token a create was given.
    pub token: Option<String>,
    /// When the call ended, since the fake was made (tokio clock).
    pub at: Duration,
    pub outcome: CallOutcome,
}

impl Call {
    pub fn ok(&self) -> bool {
        !matches!(self.outcome, CallOutcome::Err(_))
    }

    /// A call that has not ended yet: `Ok` until told otherwise, `at` set when logged.
    pub(crate) fn start(op: Op, kind: Kind, address: Option<Address>, id: Option<&str>) -> Call {
        Call {
            op,
            kind,
            address,
            id: id.map(str::to_owned),
            token: None,
            at: Duration::ZERO,
            outcome: CallOutcome::Ok,
        }
    }

    /// Records a failure as the call's outcome.
    pub(crate) fn failed_with<T>(&mut self, result: &Result<T, recon_provider::ProviderError>) {
        if let Err(e) = result {
            self.outcome = CallOutcome::Err(e.kind);
        }
    }
}

/// The mutating calls in progress now and the most there ever were at once.
#[derive(Default)]
pub(crate) struct InFlightCounter {
    now: AtomicUsize,
    max: AtomicUsize,
}

/// One mutating call in progress; dropping it ends it.
pub(crate) struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl FakeCloud {
    /// Every call so far, in the order they ended.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// What the caller said it would delete (`Provider::expect_deletes`), in order: the fake
    /// reads nothing ahead for it, but a test can see the hint was given.
    pub fn expected_deletes(&self) -> Vec<(Kind, String)> {
        self.lock().expected_deletes.clone()
    }

    /// The number of create, update and delete calls so far (failed ones included).
    pub fn mutating_calls(&self) -> usize {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.op.is_mutating())
            .count()
    }

    /// Forgets the call log and the in-flight maximum (between two runs of a test).
    pub fn reset_log(&self) {
        self.lock().calls.clear();
        let counter = &self.in_flight;
        counter
            .max
            .store(counter.now.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    /// The highest number of mutating calls that were in progress at once.
    pub fn max_in_flight(&self) -> usize {
        self.in_flight.max.load(Ordering::SeqCst)
    }

    /// Starts a mutating call: counts it in flight and waits the configured latency.
    pub(crate) async fn mutating(&self) -> InFlight<'_> {
        let counter = &self.in_flight;
        let now = counter.now.fetch_add(1, Ordering::SeqCst) + 1;
        counter.max.fetch_max(now, Ordering::SeqCst);
        let guard = InFlight(&counter.now);
        if !self.config.latency.is_zero() {
            tokio::time::sleep(self.config.latency).await;
        }
        guard
    }

    /// Appends `call`, stamped with the time since the fake was made.
    pub(crate) fn log(&self, inner: &mut Inner, mut call: Call) {
        call.at = Instant::now() - self.start;
        inner.calls.push(call);
    }
}
