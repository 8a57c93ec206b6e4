//! The one place recon orders things and finds cycles: a directed graph over numbered nodes
//! (`0..n`), its stable topological order and its shortest cycles. The spec's resources, the
//! planner's order and the executor's steps all go through it, so a cycle is found, and
//! reported, the same way everywhere.
//!
//! # Architecture invariants
//! - Knows nothing of kinds, addresses, plans or AWS: nodes are numbers, and the caller decides
//!   what an edge means (`from` before `to`, or `from` needs `to`).
//! - Deterministic: ties are broken by node number, so the same graph gives the same order and
//!   the same cycle on every run.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// A directed graph over the nodes `0..len`, without parallel edges or self-loops.
#[derive(Clone, Debug, Default)]
pub struct Dag {
    successors: Vec<BTreeSet<usize>>,
    predecessors: Vec<BTreeSet<usize>>,
}

impl Dag {
    pub fn new(len: usize) -> Dag {
        Dag {
            successors: vec![BTreeSet::new(); len],
            predecessors: vec![BTreeSet::new(); len],
        }
    }

    pub fn len(&self) -> usize {
        self.successors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.successors.is_empty()
    }

    /// Adds `from → to`; a self-loop is ignored (a node never waits for itself), a repeated
    /// edge is kept once. Returns whether the edge is new.
    pub fn add_edge(&mut self, from: usize, to: usize) -> bool {
        if from == to {
            return false;
        }
        self.predecessors[to].insert(from);
        self.successors[from].insert(to)
    }

    pub fn has_edge(&self, from: usize, to: usize) -> bool {
        self.successors[from].contains(&to)
    }

    /// The nodes with an edge to `n`, in node order.
    pub fn predecessors(&self, n: usize) -> &BTreeSet<usize> {
        &self.predecessors[n]
    }

    /// The nodes `n` has an edge to, in node order.
    pub fn successors(&self, n: usize) -> &BTreeSet<usize> {
        &self.successors[n]
    }

    /// Every edge, by `from` then `to`.
    pub fn edges(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.successors
            .iter()
            .enumerate()
            .flat_map(|(from, tos)| tos.iter().map(move |&to| (from, to)))
    }

    /// Every node after all its predecessors, ties broken by the lowest node number first
    /// (Kahn's algorithm), so the order is stable.
    ///
    /// # Errors
    /// The graph's first cycle ([`Dag::cycles`]) when it has one.
    pub fn topological_order(&self) -> Result<Vec<usize>, Vec<usize>> {
        let mut waiting: Vec<usize> = self.predecessors.iter().map(BTreeSet::len).collect();
        let mut ready: BTreeSet<usize> = (0..self.len()).filter(|&n| waiting[n] == 0).collect();
        let mut order = Vec::with_capacity(self.len());
        while let Some(n) = ready.pop_first() {
            order.push(n);
            for &s in &self.successors[n] {
                waiting[s] -= 1;
                if waiting[s] == 0 {
                    ready.insert(s);
                }
            }
        }
        if order.len() == self.len() {
            Ok(order)
        } else {
            Err(self
                .cycles()
                .into_iter()
                .next()
                .expect("a graph with no topological order has a cycle"))
        }
    }

    /// One cycle per strongly connected component that has one: the shortest cycle through the
    /// component's lowest node, following edges, starting at that node (the node is not
    /// repeated at the end). Components are listed by their lowest node.
    pub fn cycles(&self) -> Vec<Vec<usize>> {
        let mut graph: DiGraph<usize, ()> = DiGraph::new();
        let nodes: Vec<NodeIndex> = (0..self.len()).map(|n| graph.add_node(n)).collect();
        for (from, to) in self.edges() {
            graph.add_edge(nodes[from], nodes[to], ());
        }
        let mut components: Vec<Vec<usize>> = tarjan_scc(&graph)
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|c| {
                let mut c: Vec<usize> = c.into_iter().map(|n| graph[n]).collect();
                c.sort_unstable();
                c
            })
            .collect();
        components.sort();
        components
            .iter()
            .map(|component| self.shortest_cycle(component))
            .collect()
    }

    /// Breadth-first from the component's lowest node, successors in node order, until an
    /// edge leads back to it.
    fn shortest_cycle(&self, component: &[usize]) -> Vec<usize> {
        let start = component[0];
        let inside: BTreeSet<usize> = component.iter().copied().collect();
        let mut parent: BTreeMap<usize, usize> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        while let Some(at) = queue.pop_front() {
            for &next in self.successors[at].iter().filter(|n| inside.contains(n)) {
                if next == start {
                    let mut cycle = vec![at];
                    let mut cur = at;
                    while cur != start {
                        cur = parent[&cur];
                        cycle.push(cur);
                    }
                    cycle.reverse();
                    return cycle;
                }
                if let std::collections::btree_map::Entry::Vacant(e) = parent.entry(next) {
                    e.insert(at);
                    queue.push_back(next);
                }
            }
        }
        unreachable!("a strongly connected component of two or more nodes has a cycle")
    }
}

#[cfg(test)]
mod tests {
    use super::Dag;

    fn dag(len: usize, edges: &[(usize, usize)]) -> Dag {
        let mut d = Dag::new(len);
        for &(a, b) in edges {
            d.add_edge(a, b);
        }
        d
    }

    #[test]
    fn orders_stably_by_node_number() {
        let d = dag(4, &[(3, 0), (2, 1)]);
        assert_eq!(d.topological_order(), Ok(vec![2, 1, 3, 0]));
        assert_eq!(dag(3, &[]).topological_order(), Ok(vec![0, 1, 2]));
    }

    #[test]
    fn self_loops_and_repeats_are_ignored() {
        let mut d = Dag::new(2);
        assert!(!d.add_edge(1, 1));
        assert!(d.add_edge(0, 1));
        assert!(!d.add_edge(0, 1));
        assert_eq!(d.edges().collect::<Vec<_>>(), vec![(0, 1)]);
        assert!(d.cycles().is_empty());
    }

    #[test]
    fn finds_the_shortest_cycle_through_the_lowest_node_of_each_component() {
        // 0 → 1 → 2 → 0 and the shortcut 0 → 2; a second cycle 3 ⇄ 4; 5 hangs off it.
        let d = dag(6, &[(0, 1), (1, 2), (2, 0), (0, 2), (4, 3), (3, 4), (4, 5)]);
        assert_eq!(d.cycles(), vec![vec![0, 2], vec![3, 4]]);
        assert_eq!(d.topological_order(), Err(vec![0, 2]));
    }
}
