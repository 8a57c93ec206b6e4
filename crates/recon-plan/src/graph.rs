//! The dependency graph of desired resources.

use std::collections::BTreeMap;

use recon_dag::Dag;
use recon_model::{Address, DesiredResource};

/// Resources that depend on each other in a circle, in the order of the circle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle(pub Vec<Address>);

impl std::fmt::Display for Cycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(f, "{} -> {}", names.join(" -> "), names[0])
    }
}

/// The resources ordered so that each comes after everything it depends on, ties broken by file
/// order (the lowest file index first), so the order is stable.
/// References to addresses that are not in `resources` are ignored (the spec crate reports them).
///
/// # Errors
/// The first cycle, walked from its first member in file order (the spec parser reports every
/// cycle before a spec gets here).
pub fn topological_order(resources: &[DesiredResource]) -> Result<Vec<&DesiredResource>, Cycle> {
    let index: BTreeMap<&Address, usize> = resources
        .iter()
        .enumerate()
        .map(|(i, r)| (&r.address, i))
        .collect();
    // `d → i`: d before i.
    let mut graph = Dag::new(resources.len());
    for (i, r) in resources.iter().enumerate() {
        for d in r.dependencies() {
            if let Some(&d) = index.get(&d) {
                graph.add_edge(d, i);
            }
        }
    }
    match graph.topological_order() {
        Ok(order) => Ok(order.into_iter().map(|i| &resources[i]).collect()),
        // The cycle runs in creation order; a `Cycle` lists each resource before what it needs.
        Err(mut cycle) => {
            cycle[1..].reverse();
            Err(Cycle(
                cycle
                    .into_iter()
                    .map(|i| resources[i].address.clone())
                    .collect(),
            ))
        }
    }
}
