//! The dependency graph of desired resources.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;
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
/// order (Kahn's algorithm with the lowest file index first), so the order is stable.
/// References to addresses that are not in `resources` are ignored (the spec crate reports them).
pub fn topological_order(resources: &[DesiredResource]) -> Result<Vec<&DesiredResource>, Cycle> {
    let index: BTreeMap<&Address, usize> = resources
        .iter()
        .enumerate()
        .map(|(i, r)| (&r.address, i))
        .collect();
    let deps: Vec<Vec<usize>> = resources
        .iter()
        .map(|r| {
            r.dependencies()
                .iter()
                .filter_map(|d| index.get(d).copied())
                .collect()
        })
        .collect();
    let mut dependents = vec![Vec::new(); resources.len()];
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            dependents[d].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..resources.len()).filter(|&i| waiting[i] == 0).collect();
    let mut out = Vec::with_capacity(resources.len());
    while let Some(i) = ready.pop_first() {
        out.push(&resources[i]);
        for &j in &dependents[i] {
            waiting[j] -= 1;
            if waiting[j] == 0 {
                ready.insert(j);
            }
        }
    }
    if out.len() == resources.len() {
        Ok(out)
    } else {
        Err(find_cycle(resources, &deps))
    }
}

/// The first cycle (by file order of its members), walked from its first member.
fn find_cycle(resources: &[DesiredResource], deps: &[Vec<usize>]) -> Cycle {
    let mut graph = DiGraph::<usize, ()>::new();
    let nodes: Vec<_> = (0..resources.len()).map(|i| graph.add_node(i)).collect();
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            graph.add_edge(nodes[i], nodes[d], ());
        }
    }
    let mut cycles: Vec<Vec<usize>> = tarjan_scc(&graph)
        .into_iter()
        .map(|c| {
            let mut m: Vec<usize> = c.into_iter().map(|n| graph[n]).collect();
            m.sort();
            m
        })
        .filter(|c| c.len() > 1 || deps[c[0]].contains(&c[0]))
        .collect();
    cycles.sort();
    let members = cycles.remove(0);
    let mut path = vec![members[0]];
    loop {
        let last = *path.last().expect("non-empty");
        match deps[last].iter().find(|d| members.contains(d)) {
            Some(next) if !path.contains(next) => path.push(*next),
            _ => break,
        }
    }
    Cycle(
        path.into_iter()
            .map(|i| resources[i].address.clone())
            .collect(),
    )
}
