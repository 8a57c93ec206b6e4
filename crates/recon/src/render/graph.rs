//! The dependency graph of a spec, as plain data for `recon graph`'s renderers
//! (`graph_mermaid`, `graph_dot`). Pure: no IO, no AWS.
//!
//! # Guarantees
//! - Nodes are the spec's resources in the planner's stable order (dependencies first, ties by
//!   file order), then, with a plan, the resources only the plan has (deletes) in plan order.
//! - Edges run from a dependency to its dependent: the dependency is created first and deleted
//!   last. `Ref` edges come from references and `depends_on` (a deleted resource's from what its
//!   live version uses); `KindOrder` edges from `KindDef::after` (a NAT gateway after the
//!   internet gateway of its VPC), which order work without being written in the spec.
//! - With a plan, the edges between two resources the plan changes are exactly the plan's step
//!   graph ([`StepGraph`], the one `recon apply` runs), turned into resource edges; a reference
//!   between two changed resources that orders no step is a `Uses` edge. Edges that touch an
//!   unchanged resource (which has no step) are the spec's, for context.
//! - Edges are listed by dependent, in node order, then by dependency, in node order.

use std::collections::{BTreeMap, BTreeSet};

use recon_model::{Action, Address, Plan, Spec, kinds};
use recon_plan::{Cycle, StepGraph, Why, may_interact, topological_order, vpc_scopes};

/// What the plan does to a node; `None` in [`Node::status`] when no plan was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Create,
    Update,
    Replace,
    Delete,
    NoChange,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Create,
        Status::Update,
        Status::Replace,
        Status::Delete,
        Status::NoChange,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Status::Create => "create",
            Status::Update => "update",
            Status::Replace => "replace",
            Status::Delete => "delete",
            Status::NoChange => "no change",
        }
    }

    /// An identifier-safe name (a Mermaid class).
    pub fn class(self) -> &'static str {
        match self {
            Status::NoChange => "nochange",
            other => other.name(),
        }
    }

    /// Fill and border colours: create green, update yellow, replace orange, delete red, no
    /// change grey; light fills so black text reads on them.
    pub fn colours(self) -> (&'static str, &'static str) {
        match self {
            Status::Create => ("#d1f5d3", "#1a7f37"),
            Status::Update => ("#fff3b0", "#9a6700"),
            Status::Replace => ("#ffd8a8", "#bc4c00"),
            Status::Delete => ("#ffcdd2", "#cf222e"),
            Status::NoChange => ("#eeeeee", "#8c959f"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub address: Address,
    pub status: Option<Status>,
}

impl Node {
    /// The second line of a node's label: its kind, and what the plan does to it.
    pub fn caption(&self) -> String {
        match self.status {
            None => self.address.kind.to_string(),
            Some(s) => format!("{} ({})", self.address.kind, s.name()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    /// A reference or `depends_on`.
    Ref,
    /// Kind order (`KindDef::after`).
    KindOrder,
    /// With a plan: a reference between two changed resources that orders none of their steps
    /// (a deleted route table used a subnet that is only updated).
    Uses,
}

/// `from` (a dependency) must exist before `to`; indices into [`Graph::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub kind: EdgeKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Graph {
    pub environment: String,
    pub region: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Whether nodes carry the plan's actions.
    pub with_plan: bool,
}

/// The graph of `spec`, with each resource's planned action when `plan` is given.
///
/// # Errors
/// A dependency cycle (the spec parser reports cycles first, so a parsed spec has none).
pub fn build(spec: &Spec, plan: Option<&Plan>) -> Result<Graph, Cycle> {
    let order = topological_order(&spec.resources)?;
    let status_of = |address: &Address| {
        plan.map(|p| match p.change(address).map(|c| c.action) {
            Some(Action::Create) => Status::Create,
            Some(Action::Update) => Status::Update,
            Some(Action::Replace) => Status::Replace,
            Some(Action::Delete) => Status::Delete,
            None => Status::NoChange,
        })
    };
    let mut nodes: Vec<Node> = order
        .iter()
        .map(|r| Node {
            address: r.address.clone(),
            status: status_of(&r.address),
        })
        .collect();
    let mut deps: Vec<Vec<Address>> = order.iter().map(|r| r.dependencies()).collect();
    if let Some(plan) = plan {
        for c in &plan.changes {
            if spec.get(&c.address).is_none() {
                nodes.push(Node {
                    address: c.address.clone(),
                    status: Some(Status::Delete),
                });
                deps.push(c.live_depends_on.clone());
            }
        }
    }
    let index: BTreeMap<&Address, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (&n.address, i))
        .collect();
    let dependencies: BTreeMap<Address, BTreeSet<Address>> = nodes
        .iter()
        .zip(&deps)
        .map(|(n, d)| (n.address.clone(), d.iter().cloned().collect()))
        .collect();
    let scopes = vpc_scopes(&dependencies);
    let none = BTreeSet::new();
    let scope = |i: usize| scopes.get(&nodes[i].address).unwrap_or(&none);
    // The plan's order, between resources it changes: (dependency, dependent) → why.
    let steps = plan.map(StepGraph::build);
    let ordered: BTreeMap<(usize, usize), EdgeKind> = steps
        .iter()
        .flat_map(StepGraph::resource_edges)
        .filter_map(|(from, to, why)| {
            let kind = match why {
                Why::KindOrder => EdgeKind::KindOrder,
                Why::Reference | Why::Replacement => EdgeKind::Ref,
            };
            Some(((*index.get(&from)?, *index.get(&to)?), kind))
        })
        .collect();
    let changed = |i: usize| matches!(nodes[i].status, Some(s) if s != Status::NoChange);
    let mut edges = Vec::new();
    for (to, node) in nodes.iter().enumerate() {
        let direct: BTreeSet<usize> = deps[to]
            .iter()
            .filter_map(|d| index.get(d).copied())
            .filter(|&from| from != to)
            .collect();
        let after = kinds::def(node.address.kind).after;
        let by_kind: BTreeSet<usize> = nodes
            .iter()
            .enumerate()
            .filter(|(i, n)| {
                after.contains(&n.address.kind)
                    && !direct.contains(i)
                    && may_interact(scope(*i), scope(to))
            })
            .map(|(i, _)| i)
            .collect();
        let mut from_all: Vec<(usize, EdgeKind)> = direct
            .into_iter()
            .map(|f| (f, EdgeKind::Ref))
            .chain(by_kind.into_iter().map(|f| (f, EdgeKind::KindOrder)))
            .filter_map(|(from, kind)| match steps {
                // Between two changed resources, only the step graph decides.
                Some(_) if changed(from) && changed(to) => match ordered.get(&(from, to)) {
                    Some(&kind) => Some((from, kind)),
                    None if kind == EdgeKind::Ref => Some((from, EdgeKind::Uses)),
                    None => None,
                },
                _ => Some((from, kind)),
            })
            .collect();
        // Step edges no reference or kind order of the spec names (an update that must stop
        // using a deleted resource first).
        for (&(from, t), &kind) in &ordered {
            if t == to && !from_all.iter().any(|(f, _)| *f == from) {
                from_all.push((from, kind));
            }
        }
        from_all.sort();
        edges.extend(
            from_all
                .into_iter()
                .map(|(from, kind)| Edge { from, to, kind }),
        );
    }
    Ok(Graph {
        environment: spec.environment.clone(),
        region: spec.region.clone(),
        nodes,
        edges,
        with_plan: plan.is_some(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use recon_model::{Action, Change, Kind, PLAN_FORMAT_VERSION, Plan, PlanMode};

    use super::{EdgeKind, Status, build};

    pub const SPEC: &str = "
environment: demo
region: us-east-1
resources:
  vpc.main: { cidr_block: 10.0.0.0/16 }
  internet_gateway.main: { vpc: vpc.main }
  subnet.public: { vpc: vpc.main, cidr_block: 10.0.1.0/24 }
  elastic_ip.nat: {}
  nat_gateway.main: { subnet: subnet.public, elastic_ip: elastic_ip.nat }
  security_group.web: { vpc: vpc.main, depends_on: [nat_gateway.main] }
";

    pub fn spec() -> recon_model::Spec {
        recon_spec::parse(&recon_spec::SourceFile {
            name: "demo.yaml".into(),
            text: SPEC.into(),
        })
        .unwrap()
    }

    /// A change as the planner writes it: what it depends on in the spec, and what its live
    /// version used.
    fn change(address: &str, action: Action, live_depends_on: &[&str]) -> Change {
        let address: recon_model::Address = address.parse().unwrap();
        let depends_on = match action {
            Action::Delete => vec![],
            _ => spec().get(&address).unwrap().dependencies(),
        };
        Change {
            address,
            action,
            id: None,
            before: None,
            after: None,
            diffs: vec![],
            depends_on,
            live_depends_on: live_depends_on.iter().map(|a| a.parse().unwrap()).collect(),
            reason: None,
        }
    }

    /// A plan that creates the NAT gateway and its address, updates the subnet, replaces the
    /// group and deletes a route table that used the subnet; the VPC and gateway stay.
    pub fn plan() -> Plan {
        Plan {
            format_version: PLAN_FORMAT_VERSION,
            mode: PlanMode::Apply,
            environment: "demo".into(),
            region: "us-east-1".into(),
            spec: None,
            live_fingerprint: "0".into(),
            changes: vec![
                change("subnet.public", Action::Update, &["vpc.main"]),
                change("elastic_ip.nat", Action::Create, &[]),
                change("nat_gateway.main", Action::Create, &[]),
                change("security_group.web", Action::Replace, &["vpc.main"]),
                change(
                    "route_table.old",
                    Action::Delete,
                    &["vpc.main", "subnet.public"],
                ),
            ],
            unchanged: vec![
                "vpc.main".parse().unwrap(),
                "internet_gateway.main".parse().unwrap(),
            ],
            known: BTreeMap::new(),
            lookups: Vec::new(),
            moved: Vec::new(),
            adopted: Vec::new(),
            data_loss: Vec::new(),
            shaping: Default::default(),
        }
    }

    #[test]
    fn edges_run_from_dependency_to_dependent_in_stable_order() {
        let g = build(&spec(), None).unwrap();
        let name = |i: usize| g.nodes[i].address.to_string();
        let edges: Vec<String> = g
            .edges
            .iter()
            .map(|e| {
                let arrow = match e.kind {
                    EdgeKind::Ref => "->",
                    EdgeKind::KindOrder => "..>",
                    EdgeKind::Uses => "--",
                };
                format!("{} {arrow} {}", name(e.from), name(e.to))
            })
            .collect();
        assert_eq!(
            edges,
            [
                "vpc.main -> internet_gateway.main",
                "vpc.main -> subnet.public",
                "internet_gateway.main ..> nat_gateway.main",
                "subnet.public -> nat_gateway.main",
                "elastic_ip.nat -> nat_gateway.main",
                "vpc.main -> security_group.web",
                "nat_gateway.main -> security_group.web",
            ]
        );
        assert!(g.nodes.iter().all(|n| n.status.is_none()));
    }

    #[test]
    fn a_plan_colours_nodes_and_adds_its_deletes() {
        let g = build(&spec(), Some(&plan())).unwrap();
        let statuses: Vec<(String, Status)> = g
            .nodes
            .iter()
            .map(|n| (n.address.to_string(), n.status.unwrap()))
            .collect();
        let find = |a: &str| statuses.iter().find(|(n, _)| n == a).unwrap().1;
        assert_eq!(find("vpc.main"), Status::NoChange);
        assert_eq!(find("subnet.public"), Status::Update);
        assert_eq!(find("nat_gateway.main"), Status::Create);
        assert_eq!(find("security_group.web"), Status::Replace);
        let last = g.nodes.last().unwrap();
        assert_eq!(last.address.kind, Kind::RouteTable);
        assert_eq!(last.status, Some(Status::Delete));
        let into_last: Vec<&str> = g
            .edges
            .iter()
            .filter(|e| e.to == g.nodes.len() - 1)
            .map(|e| g.nodes[e.from].address.name.as_str())
            .collect();
        assert_eq!(into_last, ["main", "public"]);
    }
}
