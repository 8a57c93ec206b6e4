//! The provider seam: what recon needs from a cloud, as one trait over plain values.
//!
//! Two implementations: `recon-aws` (the AWS SDK) and `recon-fake` (in memory, behaving like
//! AWS: out-of-order deletes refused, states that take time, reads that lag behind writes).
//!
//! # Architecture invariants
//! - Values in, values out: no AWS types cross this trait.
//! - Each method is one step that may be retried: see the `# Guarantees` of each.
//! - Waiting and retrying are the executor's job, not the provider's: a provider reports
//!   states and classifies errors, so the same policy holds for every kind and is tested once.

mod discover;
mod error;
mod fault;
mod fresh;
pub mod slot;

use std::future::Future;

use futures::future::try_join_all;

pub use discover::{
    DiscoverError, Discovery, Reading, discover_all, discover_all_for, duplicate_address,
    is_duplicate, keeper,
};
pub use error::{ErrorKind, ProviderError};
pub use fault::{Fault, FaultCause};
pub use fresh::{FreshError, check_fresh};

/// A resource tagged with an environment, as a sweep counts it: its `recon:id` may be anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tagged {
    pub kind: Kind,
    pub id: String,
    /// The `recon:id` tag as AWS has it (`None`: absent).
    pub recon_id: Option<String>,
}

/// What a destroy reads of one kind ([`Provider::discover_to_delete`]).
#[derive(Clone, Debug, Default)]
pub struct ToDelete {
    /// The resources recon can address, and so delete.
    pub live: Vec<LiveResource>,
    /// Tagged with the environment, but with a `recon:id` recon cannot use (edited by hand):
    /// not deleted, and named by the sweep after the deletes.
    pub unaddressable: Vec<Tagged>,
}

impl std::fmt::Display for Tagged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.recon_id {
            Some(at) if at.parse::<Address>().is_ok_and(|a| a.kind == self.kind) => {
                write!(f, "{at} ({})", self.id)
            }
            Some(at) => write!(
                f,
                "{} {} (recon:id `{at}`, not one of its addresses)",
                self.kind, self.id
            ),
            None => write!(f, "{} {} (no recon:id)", self.kind, self.id),
        }
    }
}

/// [`Provider::census`] of every kind in `kinds`, concurrently, in `kinds` order.
///
/// # Errors
/// Every kind whose census failed.
pub async fn census_all<P: Provider>(
    provider: &P,
    environment: &str,
    kinds: &[Kind],
) -> Result<Vec<Tagged>, Vec<DiscoverError>> {
    let results = futures::future::join_all(
        kinds
            .iter()
            .map(|&kind| async move { (kind, provider.census(kind, environment).await) }),
    )
    .await;
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for (kind, result) in results {
        match result {
            Ok(tagged) => found.extend(tagged),
            Err(source) => errors.push(DiscoverError::Kind { kind, source }),
        }
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(errors)
    }
}
use recon_model::{Address, AttrDiff, Attrs, Kind, LiveResource};

mod lookups;
pub use lookups::{LookupError, lookup_all};

/// What to create: the wanted attributes with every reference resolved to an AWS id, `tags`
/// holding the full tag set (ownership tags included).
#[derive(Clone, Debug)]
pub struct CreateRequest<'a> {
    pub address: &'a Address,
    pub environment: &'a str,
    pub attrs: &'a Attrs,
    /// A deterministic idempotency token (at most 64 ASCII characters): the same resource
    /// planned the same way gets the same token, so a retried or re-run create returns the
    /// resource a crashed run made instead of making a second one.
    pub token: &'a str,
}

/// What to change on a live resource: `diffs` are the fields that differ, with `after` values
/// resolved; `attrs` is the full wanted set for context.
#[derive(Clone, Debug)]
pub struct UpdateRequest<'a> {
    pub live: &'a LiveResource,
    pub attrs: &'a Attrs,
    pub diffs: &'a [AttrDiff],
}

pub trait Provider: Send + Sync + 'static {
    /// Every live resource of `kind` tagged `recon:env` = `environment`, by one paginated
    /// describe filtered on the tag.
    ///
    /// # Guarantees
    /// Returns only resources whose `recon:env` tag equals `environment` (filtered again on the
    /// client side, since some APIs ignore tag filters) and that are not deleted. Resources
    /// being deleted are reported with [`recon_model::LiveState::Deleting`].
    fn discover(
        &self,
        kind: Kind,
        environment: &str,
    ) -> impl Future<Output = Result<Vec<LiveResource>, ProviderError>> + Send;

    /// [`Provider::discover`] without the reads that deleting the resources does not need
    /// (a VPC's DNS attributes, two calls per VPC), and with what the same listing found
    /// tagged with the environment but cannot address: what a destroy plans from.
    ///
    /// # Guarantees
    /// `live`: the same resources as `discover`, with at least their tags and what refers to
    /// what. `live` and `unaddressable` together: what [`Provider::census`] would count. By
    /// default, `discover` itself and nothing unaddressable (a provider whose `census` is
    /// `discover`).
    fn discover_to_delete(
        &self,
        kind: Kind,
        environment: &str,
    ) -> impl Future<Output = Result<ToDelete, ProviderError>> + Send {
        async move {
            Ok(ToDelete {
                live: self.discover(kind, environment).await?,
                unaddressable: Vec::new(),
            })
        }
    }

    /// Everything of `kind` tagged `recon:env` = `environment`, whatever its `recon:id` says:
    /// what a sweep counts before it may say that nothing remains. [`Provider::discover`]
    /// leaves out a resource whose `recon:id` is missing or unusable (edited by hand); this
    /// does not.
    ///
    /// # Guarantees
    /// Read-only. By default, what `discover` finds (a provider that cannot hold an unusable
    /// `recon:id` needs nothing more).
    fn census(
        &self,
        kind: Kind,
        environment: &str,
    ) -> impl Future<Output = Result<Vec<Tagged>, ProviderError>> + Send {
        async move {
            Ok(self
                .discover(kind, environment)
                .await?
                .into_iter()
                .map(|r| Tagged {
                    kind,
                    id: r.id,
                    recon_id: Some(r.address.to_string()),
                })
                .collect())
        }
    }

    /// One resource by id; `None` once it is gone (deleted, or a KMS key pending deletion).
    ///
    /// # Assumptions
    /// Right after a create, AWS may answer "not found" for a while (eventual consistency): the
    /// caller tolerates `Ok(None)` and `ErrorKind::NotFound` for a bounded time.
    fn read(
        &self,
        kind: Kind,
        id: &str,
    ) -> impl Future<Output = Result<Option<LiveResource>, ProviderError>> + Send;

    /// Many resources of `kind` by id: the batch form of [`Provider::read`], for callers that
    /// re-read several resources at once. By default the single reads run concurrently; a
    /// provider whose API describes many ids per call may do it in fewer calls.
    ///
    /// # Guarantees
    /// Returns the resources found, in any order; ids that do not exist (never did, or gone)
    /// are simply absent, not errors. Any other error of a single read is the error of the
    /// whole call.
    fn read_many(
        &self,
        kind: Kind,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<LiveResource>, ProviderError>> + Send {
        async move {
            let reads = ids.iter().map(|id| async move {
                match self.read(kind, id).await {
                    // Not found (or not yet visible) is absent, as `None` is.
                    Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
                    other => other,
                }
            });
            Ok(try_join_all(reads).await?.into_iter().flatten().collect())
        }
    }

    /// Makes the resource with the one create call of its API, tagged at creation, and returns
    /// it as AWS reports it (possibly `Pending`, and possibly without the fields that need
    /// further calls: the executor converges those with [`Provider::update`]).
    ///
    /// # Guarantees
    /// The resource is tagged in the create call itself: it exists with its ownership tags or
    /// not at all. Where the API has an idempotency token, `token` is used.
    fn create(
        &self,
        request: CreateRequest<'_>,
    ) -> impl Future<Output = Result<LiveResource, ProviderError>> + Send;

    /// Whether the answer to a create of `kind`, when it says the resource is available, is
    /// everything a read would report: then the executor reads nothing back after the create.
    /// By default no.
    fn create_reply_is_a_read(&self, _kind: Kind) -> bool {
        false
    }

    /// Changes the fields in `request.diffs` in place and returns the resource as it now is.
    ///
    /// # Guarantees
    /// Safe to repeat: every step either checks first or treats "already so" as success.
    fn update(
        &self,
        request: UpdateRequest<'_>,
    ) -> impl Future<Output = Result<LiveResource, ProviderError>> + Send;

    /// [`Provider::update`] of a resource this run created and has just read back
    /// (`request.live`): a provider may use that read instead of reading it again before the
    /// change, since the create made its ownership tags. By default, [`Provider::update`].
    fn update_created(
        &self,
        request: UpdateRequest<'_>,
    ) -> impl Future<Output = Result<LiveResource, ProviderError>> + Send {
        self.update(request)
    }

    /// Asks AWS to delete the resource (after the calls that must precede it: detaching a
    /// gateway, disassociating route tables). Does not wait for it to be gone.
    ///
    /// # Guarantees
    /// "Already gone" is success. Re-checks ownership before deleting (a provider may read the
    /// resources of [`Provider::expect_deletes`] in batches for that, a few seconds before).
    ///
    /// # Errors
    /// `ErrorKind::DependencyViolation` while something still uses it; the caller retries.
    fn delete(&self, live: &LiveResource)
    -> impl Future<Output = Result<(), ProviderError>> + Send;

    /// The resources (kind and id) this run is about to delete, before the first delete, so
    /// that their ownership checks can be read in batches. By default nothing.
    fn expect_deletes(&self, resources: &[(Kind, String)]) {
        let _ = resources;
    }

    /// The one existing resource a lookup names (`lookups:` in a spec), with `filters`'
    /// references to other lookups already resolved to ids. Read-only: recon never owns what it
    /// looks up, and the result is returned with `address` as its address.
    ///
    /// # Errors
    /// `ErrorKind::NotFound` when nothing matches; `ErrorKind::Invalid` when the filters match
    /// several resources of a kind that must match one (an image lookup takes the newest).
    fn lookup(
        &self,
        address: &Address,
        filters: &Attrs,
    ) -> impl Future<Output = Result<LiveResource, ProviderError>> + Send;
}
