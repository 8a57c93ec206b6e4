//! The AWS provider: recon's [`Provider`] over the official Rust SDK (EC2, KMS, EFS, Auto
//! Scaling, classic ELB).
//!
//! One module per kind in `kinds/`, each with the same sections in the same order (discover,
//! read, create, update, delete, then the mapping between AWS's shapes and recon's attributes),
//! ending with its implementation of the `AwsKind` trait; `registry.rs` lists those
//! implementations once and dispatches on the kind, so this file holds only what every kind
//! shares. `clients.rs` holds the SDK clients; `errors.rs` classifies AWS error codes; `tags.rs`
//! builds tag specifications and filters; `lookup.rs` finds the existing resources a spec looks
//! up (read-only).
//!
//! # Architecture invariants
//! - The only crate that uses `aws-sdk-*`; no AWS type crosses its public API.
//! - One create call per resource, tagged at creation (`TagSpecifications`), with the request's
//!   token as `ClientToken` where the API has one (CreateRouteTable, CreateNatGateway).
//! - Discovery is one paginated describe per kind filtered on `tag:recon:env`, re-checked on the
//!   client side (moto ignores tag filters for NAT gateways).
//! - Update and delete re-read the resource and refuse ([`ErrorKind::NotOwned`]) unless its
//!   `recon:env` tag in AWS equals the one on the [`LiveResource`] they were given. For the
//!   deletes a run expects, that read is made for many at once (`delete_checks.rs`): at most
//!   a few seconds before each delete, one describe for every resource of the kind still to
//!   be deleted.
//! - No waiting and no retrying beyond the SDK's own retries: states and error kinds are
//!   reported to the executor.
//! - Logs through `tracing` (one debug event per AWS call); never prints.

mod adopt;
/// The configuration override that sends a create call once: the SDK never resends it. A
/// create whose answer is lost may have taken effect, and most creates have no idempotency
/// token, so a resend could make a second resource; the executor looks for what it made
/// instead (see [`errors::sdk_create`]). Throttling is retried by the executor, since AWS did
/// not act. `sent_once!(aws_sdk_ec2)` goes in `.customize().config_override(…)`.
macro_rules! sent_once {
    ($sdk:ident) => {
        $sdk::config::Builder::default().retry_config(aws_config::retry::RetryConfig::disabled())
    };
}
pub(crate) use sent_once;

pub mod audit;
mod clients;
mod coalesce;
mod delete_checks;
#[cfg(test)]
mod delete_checks_tests;
mod errors;
mod faults;
mod in_flight;
mod kinds;
mod lock;
mod lookup;
mod pacing;
mod policy;
mod registry;
mod retry_count;
pub mod sdk_config;
#[cfg(test)]
mod stub_rest;
#[cfg(test)]
mod stub_server;
mod tags;

use recon_model::{Address, Attrs, Kind, LiveResource, Value};
use recon_provider::{CreateRequest, Provider, ProviderError, UpdateRequest};

use crate::clients::Clients;
use crate::kinds::{Found, ensure_owned, gone};

pub use lock::{LockHolder, lock_name};
pub use retry_count::{RetryCounts, retry_counts};

/// SDK attempts per call (standard retry mode) unless `AWS_MAX_ATTEMPTS` says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// The AWS provider for one region.
#[derive(Clone, Debug)]
pub struct AwsProvider {
    clients: Clients,
    audit: audit::Clients,
    /// Concurrent reads by id, one describe per kind at a time.
    reads: coalesce::Coalescer,
    /// Ownership checks before deletes, read in batches (see `delete`).
    delete_checks: delete_checks::DeleteChecks,
}

impl AwsProvider {
    /// A provider for `region`, with credentials and endpoint from the usual AWS sources
    /// (environment, profile, SSO, `AWS_ENDPOINT_URL`…). Retries: standard mode with
    /// [`DEFAULT_MAX_ATTEMPTS`] attempts, unless `AWS_MAX_ATTEMPTS` is set in the environment
    /// (then the environment's retry settings apply); faults of the environment are not
    /// retried. Timeouts and the credential check: [`sdk_config::load`].
    pub async fn new(region: &str) -> Result<Self, ProviderError> {
        let config = sdk_config::load(region).await?;
        tracing::debug!(region, "AWS provider ready");
        Ok(AwsProvider::from_config(&config))
    }

    /// A provider whose clients are made from `config` (the tests' scripted endpoints give
    /// theirs).
    fn from_config(config: &aws_config::SdkConfig) -> Self {
        AwsProvider {
            clients: Clients::new(config),
            audit: audit::Clients::new(config),
            reads: coalesce::Coalescer::default(),
            delete_checks: delete_checks::DeleteChecks::default(),
        }
    }

    async fn read_found(&self, kind: Kind, id: &str) -> Result<Option<Found>, ProviderError> {
        self.reads.read(&self.clients, kind, id).await
    }

    /// `id` as a batch read of every `kind` still to be deleted found it (`delete_checks.rs`):
    /// the fresh one if there is one, else a new one, made by one delete of the kind at a time.
    async fn checked_in_batch(&self, kind: Kind, id: &str) -> Result<Option<Found>, ProviderError> {
        let lock = self.delete_checks.batch_lock(kind);
        // Waited for without a --parallelism slot: the read it waits for may need one.
        let _one_at_a_time = recon_provider::slot::released_while(lock.lock()).await;
        if let Some(found) = self
            .delete_checks
            .checked(kind, id, std::time::Instant::now())
        {
            return Ok(found);
        }
        let ids = self.delete_checks.batch(kind);
        let found = registry::read_many_before_delete(&self.clients, kind, &ids).await?;
        self.delete_checks
            .read(kind, &ids, found, std::time::Instant::now());
        match self
            .delete_checks
            .checked(kind, id, std::time::Instant::now())
        {
            Some(found) => Ok(found),
            // Only if the read took longer than a check stays fresh: read it alone.
            None => self.read_found(kind, id).await,
        }
    }
}

impl Provider for AwsProvider {
    /// The same listing as `discover`, without its filter on `recon:id`, and without the reads
    /// beyond the describe that only the attributes need (a VPC's DNS attributes).
    async fn census(
        &self,
        kind: Kind,
        environment: &str,
    ) -> Result<Vec<recon_provider::Tagged>, ProviderError> {
        let found = registry::census(&self.clients, kind, environment).await?;
        Ok(found
            .into_iter()
            .filter(|f| f.tag(recon_model::tags::ENV) == Some(environment))
            .map(|f| recon_provider::Tagged {
                kind,
                recon_id: f.tag(recon_model::tags::ID).map(str::to_owned),
                id: f.id,
            })
            .collect())
    }

    async fn discover(
        &self,
        kind: Kind,
        environment: &str,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let found = registry::discover(&self.clients, kind, environment).await?;
        Ok(kinds::owned(kind, environment, found))
    }

    /// The census's listing (no VPC attributes), split by discovery's filter on `recon:id`.
    /// The listing also stands for the ownership check of the deletes that start while it is
    /// fresh (`delete_checks.rs`): a small destroy reads nothing more before deleting.
    async fn discover_to_delete(
        &self,
        kind: Kind,
        environment: &str,
    ) -> Result<recon_provider::ToDelete, ProviderError> {
        let found = registry::census(&self.clients, kind, environment).await?;
        if registry::reads_many_in_one_call(kind) {
            // Timed from its answer, as the batch reads are (`delete_checks.rs`).
            self.delete_checks
                .listed(kind, &found, std::time::Instant::now());
        }
        let (live, unaddressable) = kinds::owned_and_unaddressable(kind, environment, found);
        Ok(recon_provider::ToDelete {
            live,
            unaddressable,
        })
    }

    /// `None` once gone. A resource without a usable `recon:id` tag is
    /// [`ErrorKind::NotOwned`]: recon did not make it.
    async fn read(&self, kind: Kind, id: &str) -> Result<Option<LiveResource>, ProviderError> {
        self.read_found(kind, id)
            .await?
            .map(|f| f.into_live(kind))
            .transpose()
    }

    /// Like [`AwsProvider::read`] for each id: a resource without a usable `recon:id` tag is
    /// [`ErrorKind::NotOwned`].
    async fn read_many(
        &self,
        kind: Kind,
        ids: &[String],
    ) -> Result<Vec<LiveResource>, ProviderError> {
        registry::read_many(&self.clients, kind, ids)
            .await?
            .into_iter()
            .map(|f| f.into_live(kind))
            .collect()
    }

    async fn create(&self, request: CreateRequest<'_>) -> Result<LiveResource, ProviderError> {
        let kind = request.address.kind;
        let mut found = registry::create(&self.clients, kind, &request).await?;
        // Some replies carry no tags (AllocateAddress): the call set the requested ones.
        let has_tags = found
            .attrs
            .get("tags")
            .and_then(Value::as_map)
            .is_some_and(|t| !t.is_empty());
        if !has_tags {
            let wanted = tags::wanted(request.attrs)?;
            found.attrs.insert(
                "tags".into(),
                recon_model::tags::to_value(
                    &wanted
                        .into_iter()
                        .filter(|(k, _)| !recon_model::tags::is_aws_managed(k))
                        .collect(),
                ),
            );
        }
        tracing::debug!(address = %request.address, id = found.id, "created");
        Ok(found.with_address(request.address.clone()))
    }

    async fn update(&self, request: UpdateRequest<'_>) -> Result<LiveResource, ProviderError> {
        let live = request.live;
        let kind = live.kind();
        let current = self
            .read_found(kind, &live.id)
            .await?
            .ok_or_else(|| gone(kind, &live.id))?;
        ensure_owned(&current, live)?;
        registry::update(&self.clients, kind, &current, &request).await?;
        let after = self
            .read_found(kind, &live.id)
            .await?
            .ok_or_else(|| gone(kind, &live.id))?;
        Ok(after.with_address(live.address.clone()))
    }

    fn create_reply_is_a_read(&self, kind: Kind) -> bool {
        registry::create_reply_is_a_read(kind)
    }

    /// No read before the change: `request.live` is this run's read of what it created.
    async fn update_created(
        &self,
        request: UpdateRequest<'_>,
    ) -> Result<LiveResource, ProviderError> {
        let live = request.live;
        let kind = live.kind();
        let current = Found {
            id: live.id.clone(),
            state: live.state,
            attrs: live.attrs.clone(),
            outputs: live.outputs.clone(),
            parts: Vec::new(),
        };
        registry::update(&self.clients, kind, &current, &request).await?;
        let after = self
            .read_found(kind, &live.id)
            .await?
            .ok_or_else(|| gone(kind, &live.id))?;
        Ok(after.with_address(live.address.clone()))
    }

    async fn delete(&self, live: &LiveResource) -> Result<(), ProviderError> {
        let kind = live.kind();
        let current = match self.delete_checks.begin(kind, &live.id) {
            delete_checks::Check::InBatch => self.checked_in_batch(kind, &live.id).await?,
            delete_checks::Check::Alone => self.read_found(kind, &live.id).await?,
        };
        let Some(current) = current else {
            tracing::debug!(address = %live.address, id = live.id, "already gone");
            // Deleted by an earlier attempt (or a crashed run), whose follow-up (a load
            // balancer's network interfaces) may not be done yet.
            return registry::after_gone(&self.clients, kind, &live.id).await;
        };
        ensure_owned(&current, live)?;
        registry::delete(&self.clients, kind, &current).await?;
        registry::after_gone(&self.clients, kind, &current.id).await
    }

    fn expect_deletes(&self, resources: &[(Kind, String)]) {
        // Batches need a describe by many ids; other kinds read each resource alone.
        let batched: Vec<(Kind, String)> = resources
            .iter()
            .filter(|(kind, _)| registry::reads_many_in_one_call(*kind))
            .cloned()
            .collect();
        self.delete_checks.expect(&batched);
    }

    async fn lookup(
        &self,
        address: &Address,
        filters: &Attrs,
    ) -> Result<LiveResource, ProviderError> {
        lookup::lookup(&self.clients.ec2, address, filters).await
    }
}
