use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use recon_model::tags;
use recon_model::{Address, Kind, LiveResource};

use crate::{Provider, ProviderError, Tagged, ToDelete};

/// Why discovery could not give a trustworthy picture.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("Could not list `{kind}` resources")]
    Kind {
        kind: Kind,
        #[source]
        source: ProviderError,
    },
}

/// Discovers every kind concurrently (one paginated describe each) and checks the answer:
/// ownership tags equal to `environment` (resources without are dropped: fail closed).
///
/// Two live resources with one address (a lost answer to a create, two applies at once) are
/// not a dead end: one keeps the address ([`keeper`]) and each other one is returned under an
/// address of its own, `<name>-duplicate-<n>` (n from 1, in id order), which no spec names, so
/// that `plan` deletes it and `destroy` deletes all of them. Its `recon:id` tag still says the
/// address it claims.
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
    discover_all_for(provider, environment, kinds, Reading::Everything)
        .await
        .map(|d| d.live)
}

/// How much of each resource discovery reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// Every attribute: what a plan against a spec compares ([`Provider::discover`]).
    Everything,
    /// What deleting the resources needs ([`Provider::discover_to_delete`]): a destroy.
    ToDelete,
}

/// What [`discover_all_for`] found.
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    /// The environment's resources, in address order, duplicates under addresses of their own.
    pub live: Vec<LiveResource>,
    /// Tagged with the environment, but not addressable by recon (read [`Reading::ToDelete`]
    /// only: the plain discovery does not return them).
    pub unaddressable: Vec<Tagged>,
}

impl Discovery {
    /// The kinds in which anything tagged with the environment was found, addressable or not.
    pub fn tagged_kinds(&self) -> BTreeSet<Kind> {
        self.live
            .iter()
            .map(LiveResource::kind)
            .chain(self.unaddressable.iter().map(|t| t.kind))
            .collect()
    }
}

/// [`discover_all`], reading each resource as `reading` says.
pub async fn discover_all_for<P: Provider>(
    provider: &P,
    environment: &str,
    kinds: &[Kind],
    reading: Reading,
) -> Result<Discovery, Vec<DiscoverError>> {
    let mut pending: FuturesUnordered<_> = kinds
        .iter()
        .map(|&kind| async move {
            let found = match reading {
                Reading::Everything => {
                    provider
                        .discover(kind, environment)
                        .await
                        .map(|live| ToDelete {
                            live,
                            unaddressable: Vec::new(),
                        })
                }
                Reading::ToDelete => provider.discover_to_delete(kind, environment).await,
            };
            (kind, found)
        })
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
    let mut unaddressable = Vec::new();
    for (kind, result) in results {
        match result {
            Ok(found) => {
                for r in found.live {
                    let owned = r.tag(tags::ENV) == Some(environment)
                        && r.tag(tags::ID) == Some(r.address.to_string().as_str())
                        && r.address.kind == kind;
                    if owned {
                        by_address.entry(r.address.clone()).or_default().push(r);
                    } else if r.tag(tags::ENV) == Some(environment) {
                        unaddressable.push(Tagged {
                            kind,
                            recon_id: r.tag(tags::ID).map(str::to_owned),
                            id: r.id,
                        });
                    }
                }
                unaddressable.extend(found.unaddressable);
            }
            Err(source) => errors.push(DiscoverError::Kind { kind, source }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let all: Vec<&LiveResource> = by_address.values().flatten().collect();
    // Settled: the resources whose address no other claims, then each keeper as it is chosen,
    // in kind order (a VPC before its subnets), so keepers refer to keepers.
    let mut settled: BTreeSet<&str> = by_address
        .values()
        .filter(|found| found.len() == 1)
        .map(|found| found[0].id.as_str())
        .collect();
    // Chosen with references, then moved: the environment is not copied.
    let mut keepers: BTreeMap<Address, String> = BTreeMap::new();
    for (address, found) in &by_address {
        if found.len() > 1 {
            let keep = keeper(found, &all, &settled);
            settled.insert(keep.id.as_str());
            keepers.insert(address.clone(), keep.id.clone());
        }
    }
    drop((all, settled));
    let mut live = Vec::with_capacity(by_address.len());
    let mut duplicates = Vec::new();
    for (address, mut found) in by_address {
        let Some(keep) = keepers.get(&address) else {
            live.extend(found);
            continue;
        };
        found.sort_by(|a, b| a.id.cmp(&b.id));
        let mut n = 0;
        for r in found {
            if &r.id == keep {
                live.push(r);
            } else {
                n += 1;
                let mut renamed = r;
                renamed.address = duplicate_address(&address, n);
                duplicates.push(renamed);
            }
        }
    }
    live.extend(duplicates);
    live.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(Discovery {
        live,
        unaddressable,
    })
}

/// Of several live resources claiming one address, the one to keep: the one the settled rest
/// of the environment refers to most (by id); then the one that refers most to settled
/// resources (a subnet in the VPC that was kept); then the lowest id. AWS reports no creation
/// time for most kinds, so "the oldest" cannot be told for all of them.
pub fn keeper<'a>(
    found: &'a [LiveResource],
    all: &[&LiveResource],
    settled: &BTreeSet<&str>,
) -> &'a LiveResource {
    let uses = |r: &LiveResource| {
        all.iter()
            .filter(|o| o.id != r.id && settled.contains(o.id.as_str()))
            .flat_map(|o| o.referenced_ids())
            .filter(|(kinds, id)| *id == r.id && kinds.contains(&r.address.kind))
            .count()
    };
    let refers = |r: &LiveResource| {
        r.referenced_ids()
            .into_iter()
            .filter(|(_, id)| settled.contains(id))
            .count()
    };
    let score = |r: &LiveResource| (uses(r), refers(r));
    found
        .iter()
        .max_by(|a, b| score(a).cmp(&score(b)).then_with(|| b.id.cmp(&a.id)))
        .expect("at least one resource")
}

/// The address a duplicate is planned under: `<name>-duplicate-<n>`, the name shortened so the
/// whole stays a valid name.
pub fn duplicate_address(address: &Address, n: usize) -> Address {
    let suffix = format!("-duplicate-{n}");
    let room = 64usize.saturating_sub(suffix.len());
    let name: String = address.name.chars().take(room).collect();
    Address::new(address.kind, format!("{name}{suffix}"))
}

/// Whether a live resource was found as a duplicate: its `recon:id` tag claims another address.
pub fn is_duplicate(live: &LiveResource) -> Option<&str> {
    live.tag(tags::ID)
        .filter(|claimed| *claimed != live.address.to_string())
}
