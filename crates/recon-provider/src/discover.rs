use std::collections::BTreeMap;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use recon_model::tags;
use recon_model::{Address, Kind, LiveResource};

use crate::{Provider, ProviderError};

/// Why discovery could not give a trustworthy picture.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("Could not list `{kind}` resources")]
    Kind {
        kind: Kind,
        #[source]
        source: ProviderError,
    },
    #[error(
        "Two live resources claim the address `{address}`: {}",
        ids.join(", ")
    )]
    Duplicate { address: Address, ids: Vec<String> },
}

/// Discovers every kind concurrently (one paginated describe each) and checks the answer:
/// ownership tags equal to `environment` (resources without are dropped: fail closed), and no
/// two live resources with one address (a crash between a token-less create and its retry can
/// do that; recon refuses to guess which one is real).
///
/// Returns the resources in address order.
///
/// # Guarantees
/// The first failure whose cause is the environment and not the kind (no credentials, an
/// endpoint that refuses or does not answer: [`ProviderError::kind_independent_fault`]) ends
/// discovery at once with that one error: the other kinds' calls are dropped, not awaited, as
/// they would only repeat it.
pub async fn discover_all<P: Provider>(
    provider: &P,
    environment: &str,
    kinds: &[Kind],
) -> Result<Vec<LiveResource>, Vec<DiscoverError>> {
    let mut pending: FuturesUnordered<_> = kinds
        .iter()
        .map(|&kind| async move { (kind, provider.discover(kind, environment).await) })
        .collect();
    let mut results = Vec::new();
    while let Some((kind, result)) = pending.next().await {
        match result {
            Err(source) if source.kind_independent_fault().is_some() => {
                return Err(vec![DiscoverError::Kind { kind, source }]);
            }
            other => results.push((kind, other)),
        }
    }
    // Completion order is arbitrary: report in the order the kinds were asked for.
    results.sort_by_key(|(kind, _)| kinds.iter().position(|k| k == kind));
    let mut errors = Vec::new();
    let mut by_address: BTreeMap<Address, Vec<LiveResource>> = BTreeMap::new();
    for (kind, result) in results {
        match result {
            Ok(found) => {
                for r in found {
                    let owned = r.tag(tags::ENV) == Some(environment)
                        && r.tag(tags::ID) == Some(r.address.to_string().as_str())
                        && r.address.kind == kind;
                    if owned {
                        by_address.entry(r.address.clone()).or_default().push(r);
                    }
                }
            }
            Err(source) => errors.push(DiscoverError::Kind { kind, source }),
        }
    }
    let mut live = Vec::new();
    for (address, mut found) in by_address {
        if found.len() > 1 {
            found.sort_by(|a, b| a.id.cmp(&b.id));
            errors.push(DiscoverError::Duplicate {
                address,
                ids: found.into_iter().map(|r| r.id).collect(),
            });
        } else {
            live.extend(found);
        }
    }
    if errors.is_empty() {
        Ok(live)
    } else {
        Err(errors)
    }
}
