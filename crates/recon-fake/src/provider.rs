//! The [`Provider`] the executor calls: each call is logged, meets any injected error first,
//! and then does what its module says (`create`, `update`, `delete`, `lookup`).

use recon_model::{Address, Attrs, Kind, LiveResource, tags};
use recon_provider::{CreateRequest, Provider, ProviderError, UpdateRequest};
use tokio::time::Instant;

use crate::errors::not_found;
use crate::{Call, CallOutcome, FakeCloud, Op, inject, lookup};

impl Provider for FakeCloud {
    fn create_reply_is_a_read(&self, kind: Kind) -> bool {
        self.config.create_reply_is_a_read.contains(&kind)
    }

    /// The visible resources of `kind` tagged with `environment`, by address then id.
    async fn discover(
        &self,
        kind: Kind,
        environment: &str,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let now = Instant::now();
        let mut inner = self.lock();
        let mut call = Call::start(Op::Discover, kind, None, None);
        if let Some(e) = inject::take(&mut inner, Op::Discover, kind, None) {
            call.outcome = CallOutcome::Err(e.kind);
            self.log(&mut inner, call);
            return Err(e);
        }
        let mut found: Vec<LiveResource> = inner
            .store
            .entries
            .values()
            .filter(|e| e.kind() == kind && e.visible(now))
            .filter(|e| e.live.tag(tags::ENV) == Some(environment))
            .filter_map(|e| e.current(now))
            .collect();
        found.sort_by(|a, b| (&a.address, &a.id).cmp(&(&b.address, &b.id)));
        self.log(&mut inner, call);
        Ok(found)
    }

    /// `Ok(None)` for a gone or unknown id; "not found" for one not visible yet.
    async fn read(&self, kind: Kind, id: &str) -> Result<Option<LiveResource>, ProviderError> {
        let now = Instant::now();
        let mut inner = self.lock();
        let address = inner
            .store
            .get(id)
            .filter(|e| e.kind() == kind)
            .map(|e| e.live.address.clone());
        let mut call = Call::start(Op::Read, kind, address.clone(), Some(id));
        let result = match inject::take(&mut inner, Op::Read, kind, address.as_ref()) {
            Some(e) => Err(e),
            None => match inner.store.get(id).filter(|e| e.kind() == kind) {
                None => Ok(None),
                Some(e) if !e.visible(now) => Err(not_found(kind, id)),
                Some(e) => Ok(e.current(now)),
            },
        };
        call.failed_with(&result);
        self.log(&mut inner, call);
        result
    }

    async fn create(&self, request: CreateRequest<'_>) -> Result<LiveResource, ProviderError> {
        let _in_flight = self.mutating().await;
        let now = Instant::now();
        let kind = request.address.kind;
        let mut inner = self.lock();
        let mut call = Call::start(Op::Create, kind, Some(request.address.clone()), None);
        call.token = Some(request.token.to_owned());
        let result = match inject::take(&mut inner, Op::Create, kind, Some(request.address)) {
            Some(e) => Err(e),
            None => self.create_now(&mut inner, &request, now),
        };
        call.failed_with(&result);
        let result = result.map(|(live, replayed)| {
            call.id = Some(live.id.clone());
            if replayed {
                call.outcome = CallOutcome::Replayed;
            }
            live
        });
        self.log(&mut inner, call);
        result
    }

    async fn update(&self, request: UpdateRequest<'_>) -> Result<LiveResource, ProviderError> {
        let _in_flight = self.mutating().await;
        let now = Instant::now();
        let live = request.live;
        let kind = live.kind();
        let mut inner = self.lock();
        let mut call = Call::start(Op::Update, kind, Some(live.address.clone()), Some(&live.id));
        let result = match inject::take(&mut inner, Op::Update, kind, Some(&live.address)) {
            Some(e) => Err(e),
            None => self.update_now(&mut inner, &request, now),
        };
        call.failed_with(&result);
        self.log(&mut inner, call);
        result
    }

    async fn delete(&self, live: &LiveResource) -> Result<(), ProviderError> {
        let _in_flight = self.mutating().await;
        let now = Instant::now();
        let kind = live.kind();
        let mut inner = self.lock();
        let mut call = Call::start(Op::Delete, kind, Some(live.address.clone()), Some(&live.id));
        let result = match inject::take(&mut inner, Op::Delete, kind, Some(&live.address)) {
            Some(e) => Err(e),
            None => self.delete_now(&mut inner, live, now),
        };
        call.failed_with(&result);
        self.log(&mut inner, call);
        result
    }

    fn expect_deletes(&self, resources: &[(Kind, String)]) {
        self.lock().expected_deletes.extend_from_slice(resources);
    }

    /// Matches the resources inserted with [`FakeCloud::insert_foreign`] of the lookup's kind
    /// (see the `lookup` module). Not logged and never injected.
    async fn lookup(
        &self,
        address: &Address,
        filters: &Attrs,
    ) -> Result<LiveResource, ProviderError> {
        lookup::find(&self.lock().store, address, filters, Instant::now())
    }
}
