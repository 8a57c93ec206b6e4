//! Resolving a spec's lookups, each after the lookups its filters refer to.

use std::collections::BTreeMap;

use futures::future::join_all;
use recon_model::{Address, LiveResource, Lookup};

use crate::{Provider, ProviderError};

/// A lookup that found nothing, or not exactly one thing.
#[derive(Debug, thiserror::Error)]
#[error("Lookup `{address}` failed: {source}")]
pub struct LookupError {
    pub address: Address,
    #[source]
    pub source: ProviderError,
}

/// Finds every lookup, in rounds: each round runs concurrently the lookups whose filters only
/// refer to lookups already found (a subnet of `vpc.default` after `vpc.default`).
///
/// # Errors
/// Every lookup that failed (its dependents are not tried).
pub async fn lookup_all<P: Provider>(
    provider: &P,
    lookups: &[Lookup],
) -> Result<BTreeMap<Address, LiveResource>, Vec<LookupError>> {
    let mut found: BTreeMap<Address, LiveResource> = BTreeMap::new();
    let mut pending: Vec<&Lookup> = lookups.iter().collect();
    let mut errors = Vec::new();
    while !pending.is_empty() {
        let (ready, waiting): (Vec<&Lookup>, Vec<&Lookup>) = pending
            .into_iter()
            .partition(|l| l.dependencies().iter().all(|d| found.contains_key(d)));
        if ready.is_empty() {
            // What is left waits on a lookup that failed (or on a cycle the parser refuses).
            break;
        }
        let results = join_all(ready.iter().map(|l| {
            let filters = l.resolved_filters(&found);
            async move {
                (
                    l.address.clone(),
                    provider.lookup(&l.address, &filters).await,
                )
            }
        }))
        .await;
        for (address, result) in results {
            match result {
                Ok(live) => {
                    found.insert(address, live);
                }
                Err(source) => errors.push(LookupError { address, source }),
            }
        }
        pending = waiting;
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(errors)
    }
}
