//! `--parallelism` as a bound on AWS calls, not on steps: every provider call holds one of N
//! permits while it is in flight, and only then. A step that sleeps between polls of a pending
//! NAT gateway, or backs off from a `DependencyViolation`, holds none, so it never keeps an
//! unrelated step from starting. A call that waits for AWS's rate limit of one API gives its
//! permit back while it waits (`recon_provider::slot`).

use std::sync::Arc;

use recon_model::{Address, Attrs, Kind, LiveResource};
use recon_provider::{CreateRequest, Provider, ProviderError, UpdateRequest, slot};
use tokio::sync::Semaphore;

/// A provider whose calls are at most `permits` at a time.
///
/// # Guarantees
/// - At most `permits` calls (reads included, hence at most that many mutating calls) are in
///   flight at once; one held back by AWS's rate limit is not in flight.
/// - Waiting for a permit is first come, first served (tokio's semaphore is fair).
pub(crate) struct Bounded<P> {
    inner: Arc<P>,
    permits: Arc<Semaphore>,
}

impl<P: Provider> Bounded<P> {
    pub fn new(inner: Arc<P>, permits: usize) -> Self {
        Bounded {
            inner,
            permits: Arc::new(Semaphore::new(permits.max(1))),
        }
    }

    async fn call<T>(&self, f: impl Future<Output = T>) -> T {
        slot::hold(&self.permits, f).await
    }
}

impl<P: Provider> Provider for Bounded<P> {
    async fn discover(
        &self,
        kind: Kind,
        environment: &str,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        self.call(self.inner.discover(kind, environment)).await
    }

    async fn discover_to_delete(
        &self,
        kind: Kind,
        environment: &str,
    ) -> Result<recon_provider::ToDelete, ProviderError> {
        self.call(self.inner.discover_to_delete(kind, environment))
            .await
    }

    async fn census(
        &self,
        kind: Kind,
        environment: &str,
    ) -> Result<Vec<recon_provider::Tagged>, ProviderError> {
        self.call(self.inner.census(kind, environment)).await
    }

    async fn read(&self, kind: Kind, id: &str) -> Result<Option<LiveResource>, ProviderError> {
        self.call(self.inner.read(kind, id)).await
    }

    /// One permit for the whole batch: it is one call where the kind's API describes many ids.
    async fn read_many(
        &self,
        kind: Kind,
        ids: &[String],
    ) -> Result<Vec<LiveResource>, ProviderError> {
        self.call(self.inner.read_many(kind, ids)).await
    }

    async fn create(&self, request: CreateRequest<'_>) -> Result<LiveResource, ProviderError> {
        self.call(self.inner.create(request)).await
    }

    async fn update(&self, request: UpdateRequest<'_>) -> Result<LiveResource, ProviderError> {
        self.call(self.inner.update(request)).await
    }

    fn create_reply_is_a_read(&self, kind: Kind) -> bool {
        self.inner.create_reply_is_a_read(kind)
    }

    async fn update_created(
        &self,
        request: UpdateRequest<'_>,
    ) -> Result<LiveResource, ProviderError> {
        self.call(self.inner.update_created(request)).await
    }

    async fn delete(&self, live: &LiveResource) -> Result<(), ProviderError> {
        self.call(self.inner.delete(live)).await
    }

    fn expect_deletes(&self, resources: &[(Kind, String)]) {
        self.inner.expect_deletes(resources);
    }

    async fn lookup(
        &self,
        address: &Address,
        filters: &Attrs,
    ) -> Result<LiveResource, ProviderError> {
        self.call(self.inner.lookup(address, filters)).await
    }
}
