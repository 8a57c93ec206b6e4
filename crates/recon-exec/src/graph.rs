//! The step graph: which step waits for which.

use std::collections::{BTreeMap, BTreeSet};

use recon_model::{Action, Address, Kind, Plan, kinds};

use crate::types::Step;

/// One step: what it does to which change of the plan.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    /// Index into `plan.changes`.
    pub change: usize,
    pub address: Address,
    pub step: Step,
}

/// Steps in plan order (a replacement's delete before its create) and edges between them.
#[derive(Debug)]
pub(crate) struct Graph {
    pub nodes: Vec<Node>,
    /// `deps[n]`: the steps that must finish before `n` starts.
    pub deps: Vec<BTreeSet<usize>>,
    /// `dependents[n]`: the steps waiting for `n`.
    pub dependents: Vec<BTreeSet<usize>>,
}

impl Graph {
    /// Builds the steps and their edges from the plan alone:
    /// 1. a create or update of A (a replacement's create included) runs after the create or
    ///    update of every B in `A.depends_on` that the plan changes;
    /// 2. a delete of A (a replacement's delete included) runs before the delete of every B in
    ///    `A.live_depends_on` that the plan deletes or replaces;
    /// 3. an update of C runs before the delete of A when C's live version refers to A
    ///    (`C.live_depends_on`) and A is deleted: C stops using A first;
    /// 4. kind order (`KindDef::after`): when `def(K).after` names L, creates of K wait for the
    ///    creates and updates of L (an internet gateway is attached by its create or by an
    ///    update), and updates and deletes of L wait for the deletes of K (a gateway cannot be
    ///    detached or deleted while a NAT gateway maps addresses);
    /// 5. a replacement's create runs after its delete.
    pub fn build(plan: &Plan) -> Graph {
        let mut nodes = Vec::new();
        let mut up: BTreeMap<&Address, usize> = BTreeMap::new();
        let mut down: BTreeMap<&Address, usize> = BTreeMap::new();
        for (i, change) in plan.changes.iter().enumerate() {
            let steps: &[Step] = match change.action {
                Action::Create => &[Step::Create],
                Action::Update => &[Step::Update],
                Action::Delete => &[Step::Delete],
                Action::Replace => &[Step::Delete, Step::Create],
            };
            for &step in steps {
                let n = nodes.len();
                nodes.push(Node {
                    change: i,
                    address: change.address.clone(),
                    step,
                });
                match step {
                    Step::Delete => down.insert(&change.address, n),
                    Step::Create | Step::Update => up.insert(&change.address, n),
                };
            }
        }

        let mut edges: BTreeSet<(usize, usize)> = BTreeSet::new();
        for change in &plan.changes {
            let my_up = up.get(&change.address).copied();
            let my_down = down.get(&change.address).copied();
            // 5.
            if let (Some(d), Some(u)) = (my_down, my_up) {
                edges.insert((d, u));
            }
            // 1.
            if let Some(u) = my_up {
                for b in &change.depends_on {
                    if let Some(&bu) = up.get(b) {
                        edges.insert((bu, u));
                    }
                }
            }
            // 2.
            if let Some(d) = my_down {
                for b in &change.live_depends_on {
                    if let Some(&bd) = down.get(b) {
                        edges.insert((d, bd));
                    }
                }
            }
            // 3.
            if change.action == Action::Update {
                let u = my_up.expect("an update has an update step");
                for a in &change.live_depends_on {
                    let deleted = plan.change(a).is_some_and(|c| c.action == Action::Delete);
                    if let (true, Some(&ad)) = (deleted, down.get(a)) {
                        edges.insert((u, ad));
                    }
                }
            }
        }
        // 4.
        let of_kind = |kind: Kind, steps: &[Step]| -> Vec<usize> {
            nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.address.kind == kind && steps.contains(&n.step))
                .map(|(i, _)| i)
                .collect()
        };
        for &k in Kind::ALL {
            for &l in kinds::def(k).after {
                for &kc in &of_kind(k, &[Step::Create]) {
                    for &lu in &of_kind(l, &[Step::Create, Step::Update]) {
                        edges.insert((lu, kc));
                    }
                }
                for &kd in &of_kind(k, &[Step::Delete]) {
                    for &ld in &of_kind(l, &[Step::Update, Step::Delete]) {
                        edges.insert((kd, ld));
                    }
                }
            }
        }

        let mut deps = vec![BTreeSet::new(); nodes.len()];
        let mut dependents = vec![BTreeSet::new(); nodes.len()];
        for (from, to) in edges {
            if from != to {
                deps[to].insert(from);
                dependents[from].insert(to);
            }
        }
        Graph {
            nodes,
            deps,
            dependents,
        }
    }

    /// `Err` with the steps of one cycle when the edges have one, in the order the edges ask
    /// for: each must run before the next, and the last before the first; starting with the
    /// step that comes first in the plan.
    pub fn check_acyclic(&self) -> Result<(), Vec<usize>> {
        let mut waiting: Vec<usize> = self.deps.iter().map(BTreeSet::len).collect();
        let mut ready: Vec<usize> = (0..self.nodes.len()).filter(|&n| waiting[n] == 0).collect();
        let mut done = vec![false; self.nodes.len()];
        while let Some(n) = ready.pop() {
            done[n] = true;
            for &d in &self.dependents[n] {
                waiting[d] -= 1;
                if waiting[d] == 0 {
                    ready.push(d);
                }
            }
        }
        let Some(start) = (0..self.nodes.len()).find(|&n| !done[n]) else {
            return Ok(());
        };
        // Every step left over waits for another step left over: walk predecessors until one
        // repeats; the walk from its first visit is a cycle.
        let mut path = vec![start];
        loop {
            let last = *path.last().expect("non-empty");
            let prev = *self.deps[last]
                .iter()
                .find(|&&p| !done[p])
                .expect("a step left over waits for another one left over");
            if let Some(pos) = path.iter().position(|&p| p == prev) {
                let mut cycle = path.split_off(pos);
                // Predecessor walk: reverse to get run order, then start at the step first in
                // the plan, so the message is stable.
                cycle.reverse();
                let first = (0..cycle.len())
                    .min_by_key(|&i| cycle[i])
                    .expect("non-empty");
                cycle.rotate_left(first);
                return Err(cycle);
            }
            path.push(prev);
        }
    }
}
