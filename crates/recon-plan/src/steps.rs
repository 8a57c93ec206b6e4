//! The step graph: a plan's changes as steps, and which step waits for which. Built once from
//! the plan by one pure function; the executor runs it and `recon graph --plan` draws it, so
//! what is drawn is what is run.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use recon_dag::Dag;
use recon_model::schema::referenced_ids;
use recon_model::{Action, Address, Kind, Plan, kinds};

use crate::scope::{may_interact, vpc_scopes};

/// What a step does to one resource. A replacement is two steps: `Delete` of the live
/// resource, then `Create` of the wanted one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Create,
    Update,
    /// Also the first half of a replacement.
    Delete,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Create => "create",
            Step::Update => "update",
            Step::Delete => "delete",
        })
    }
}

/// One step: what it does to which change of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepNode {
    /// Index into `plan.changes`.
    pub change: usize,
    pub address: Address,
    pub step: Step,
}

/// Why one step waits for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Why {
    /// A reference or `depends_on` of the wanted version (its creates and updates come
    /// after), or of the live version (its delete comes before theirs, and an update that
    /// stops using a deleted resource comes before that delete).
    Reference,
    /// Kind order within one VPC (`KindDef::after`): a NAT gateway, instance or load balancer
    /// after the internet gateway of its VPC, and deleted before it.
    KindOrder,
    /// A replacement's create after its delete.
    Replacement,
}

/// The steps of a plan, in plan order (a replacement's delete before its create), and the
/// edges between them: `from → to` means `from` finishes before `to` starts.
#[derive(Clone, Debug)]
pub struct StepGraph {
    pub nodes: Vec<StepNode>,
    dag: Dag,
    why: BTreeMap<(usize, usize), Why>,
}

impl StepGraph {
    /// Builds the steps and their edges from the plan alone:
    /// 1. a create or update of A (a replacement's create included) runs after the create or
    ///    update of every B in `A.depends_on` that the plan changes;
    /// 2. a delete of A (a replacement's delete included) runs before the delete of every B in
    ///    `A.live_depends_on` that the plan deletes or replaces;
    /// 3. an update of C runs before the delete of A when C's live version refers to A
    ///    (`C.live_depends_on`) and A is deleted: C stops using A first;
    /// 4. kind order (`KindDef::after`), only between resources that may share a VPC (their
    ///    references lead to a common VPC, or either's VPC is unknown): when `def(K).after`
    ///    names L, a create of K waits for the creates and updates of L (an internet gateway
    ///    is attached by its create or by an update), and the updates and deletes of L wait
    ///    for the deletes of K (a gateway cannot be detached or deleted while a NAT gateway
    ///    maps addresses);
    /// 5. a replacement's create runs after its delete.
    ///
    /// When two rules give the same edge, the first reason in this list is kept.
    pub fn build(plan: &Plan) -> StepGraph {
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
                nodes.push(StepNode {
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

        let mut graph = StepGraph {
            dag: Dag::new(nodes.len()),
            why: BTreeMap::new(),
            nodes: Vec::new(),
        };
        for change in &plan.changes {
            let my_up = up.get(&change.address).copied();
            let my_down = down.get(&change.address).copied();
            // 1.
            if let Some(u) = my_up {
                for b in &change.depends_on {
                    if let Some(&bu) = up.get(b) {
                        graph.edge(bu, u, Why::Reference);
                    }
                }
            }
            // 2.
            if let Some(d) = my_down {
                for b in &change.live_depends_on {
                    if let Some(&bd) = down.get(b) {
                        graph.edge(d, bd, Why::Reference);
                    }
                }
            }
            // 3.
            if let (Action::Update, Some(u)) = (change.action, my_up) {
                for a in &change.live_depends_on {
                    let deleted = plan.change(a).is_some_and(|c| c.action == Action::Delete);
                    if let (true, Some(&ad)) = (deleted, down.get(a)) {
                        graph.edge(u, ad, Why::Reference);
                    }
                }
            }
        }
        // 4.
        let scopes = vpc_scopes(&dependencies(plan));
        let none = BTreeSet::new();
        let scope = |n: usize| scopes.get(&nodes[n].address).unwrap_or(&none);
        let of_kind = |kind: Kind, steps: &[Step]| -> Vec<usize> {
            (0..nodes.len())
                .filter(|&i| nodes[i].address.kind == kind && steps.contains(&nodes[i].step))
                .collect()
        };
        for &k in Kind::ALL {
            for &l in kinds::def(k).after {
                for kc in of_kind(k, &[Step::Create]) {
                    for lu in of_kind(l, &[Step::Create, Step::Update]) {
                        if may_interact(scope(kc), scope(lu)) {
                            graph.edge(lu, kc, Why::KindOrder);
                        }
                    }
                }
                for kd in of_kind(k, &[Step::Delete]) {
                    for ld in of_kind(l, &[Step::Update, Step::Delete]) {
                        if may_interact(scope(kd), scope(ld)) {
                            graph.edge(kd, ld, Why::KindOrder);
                        }
                    }
                }
            }
        }
        // 5.
        for change in &plan.changes {
            if let (Some(&d), Some(&u)) = (down.get(&change.address), up.get(&change.address)) {
                graph.edge(d, u, Why::Replacement);
            }
        }
        graph.nodes = nodes;
        graph
    }

    fn edge(&mut self, from: usize, to: usize, why: Why) {
        if self.dag.add_edge(from, to) {
            self.why.insert((from, to), why);
        }
    }

    /// The steps that must finish before `n` starts.
    pub fn waits_for(&self, n: usize) -> &BTreeSet<usize> {
        self.dag.predecessors(n)
    }

    /// The steps waiting for `n`.
    pub fn waited_on_by(&self, n: usize) -> &BTreeSet<usize> {
        self.dag.successors(n)
    }

    /// Every edge `(from, to, why)`, by `from` then `to`.
    pub fn edges(&self) -> impl Iterator<Item = (usize, usize, Why)> + '_ {
        self.dag
            .edges()
            .map(|(from, to)| (from, to, self.why[&(from, to)]))
    }

    /// `Some` with the steps of one cycle when the edges have one, in the order the edges ask
    /// for (each must run before the next, and the last before the first), starting with the
    /// step that comes first in the plan.
    pub fn cycle(&self) -> Option<Vec<usize>> {
        self.dag.cycles().into_iter().next()
    }

    /// The edges between resources: `(dependency, dependent, why)`, where the dependency is
    /// the resource created first and deleted last. A step edge between two steps of one
    /// resource (a replacement) is left out; an edge from a delete to a delete, or from an
    /// update to a delete, is turned around, since the deleted resource is the dependency.
    pub fn resource_edges(&self) -> BTreeSet<(Address, Address, Why)> {
        self.edges()
            .filter(|(from, to, _)| self.nodes[*from].address != self.nodes[*to].address)
            .map(|(from, to, why)| {
                let (f, t) = (&self.nodes[from], &self.nodes[to]);
                if t.step == Step::Delete {
                    (t.address.clone(), f.address.clone(), why)
                } else {
                    (f.address.clone(), t.address.clone(), why)
                }
            })
            .collect()
    }
}

/// What each resource the plan knows depends on: a change's wanted and live dependencies; an
/// unchanged resource's references, from the ids its attributes hold.
fn dependencies(plan: &Plan) -> BTreeMap<Address, BTreeSet<Address>> {
    let mut by_id: BTreeMap<&str, &Address> = BTreeMap::new();
    for c in &plan.changes {
        if let Some(id) = &c.id {
            by_id.insert(id, &c.address);
        }
    }
    for (address, live) in &plan.known {
        by_id.insert(&live.id, address);
    }
    let mut out: BTreeMap<Address, BTreeSet<Address>> = BTreeMap::new();
    for (address, live) in &plan.known {
        let def = kinds::def(address.kind);
        let mut ids = Vec::new();
        for (name, value) in &live.attrs {
            if let Some(field) = def.field(name) {
                referenced_ids(&field.ty, value, &mut ids);
            }
        }
        out.insert(
            address.clone(),
            ids.into_iter()
                .filter_map(|(_, id)| by_id.get(id).map(|a| (*a).clone()))
                .collect(),
        );
    }
    for c in &plan.changes {
        let deps = out.entry(c.address.clone()).or_default();
        deps.extend(c.depends_on.iter().cloned());
        deps.extend(c.live_depends_on.iter().cloned());
    }
    out
}
