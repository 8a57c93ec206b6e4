//! Plans by hand, a network to build, and oracles over the fake.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use recon_exec::{Event, ExecConfig, Report, Step, StepResult, execute};
use recon_fake::{Call, CallOutcome, FakeCloud, Op};
use recon_model::tags::{desired_tags_for, to_value};
use recon_model::{
    Action, Address, Attrs, Change, DesiredResource, Kind, LiveResource, PLAN_FORMAT_VERSION, Plan,
    PlanMode, Reference, Value, diff_attrs, kinds,
};

pub const ENV: &str = "dev";

pub fn addr(s: &str) -> Address {
    s.parse().expect("address")
}

pub fn s(v: &str) -> Value {
    Value::str(v)
}

pub fn r(v: &str) -> Value {
    Value::Ref(Reference::parse(v).expect("reference"))
}

pub fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

pub fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

/// A wanted resource: schema defaults applied, full tag set, references unresolved.
#[derive(Clone, Debug)]
pub struct Want {
    pub address: Address,
    pub attrs: Attrs,
    pub depends_on: Vec<Address>,
}

pub fn want(address: &str, fields: &[(&str, Value)]) -> Want {
    let address = addr(address);
    let mut attrs: Attrs = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    kinds::def(address.kind).apply_defaults(&mut attrs);
    let desired = DesiredResource {
        address: address.clone(),
        attrs: attrs.clone(),
        depends_on: vec![],
    };
    attrs.insert(
        "tags".into(),
        to_value(&desired_tags_for(ENV, &BTreeMap::new(), &desired)),
    );
    let depends_on = desired.dependencies();
    Want {
        address,
        attrs,
        depends_on,
    }
}

impl Want {
    pub fn depends_on(mut self, other: &str) -> Self {
        self.depends_on.push(addr(other));
        self.depends_on.sort();
        self
    }

    pub fn set(mut self, field: &str, v: Value) -> Self {
        self.attrs.insert(field.to_owned(), v);
        self
    }
}

/// The network most tests build: a VPC with a public and a private subnet, an internet
/// gateway, a NAT gateway with its address, a route table for each subnet (the private one
/// routing through the NAT gateway) and two security groups, one referring to the other.
pub fn network() -> Vec<Want> {
    let all = || s("0.0.0.0/0");
    vec![
        want(
            "vpc.main",
            &[
                ("cidr_block", s("10.0.0.0/16")),
                ("enable_dns_hostnames", Value::Bool(true)),
            ],
        ),
        want(
            "subnet.public",
            &[
                ("vpc", r("vpc.main")),
                ("cidr_block", s("10.0.1.0/24")),
                ("map_public_ip_on_launch", Value::Bool(true)),
            ],
        ),
        want(
            "subnet.private",
            &[("vpc", r("vpc.main")), ("cidr_block", s("10.0.2.0/24"))],
        ),
        want("internet_gateway.main", &[("vpc", r("vpc.main"))]),
        want("elastic_ip.nat", &[]),
        want(
            "nat_gateway.main",
            &[
                ("subnet", r("subnet.public")),
                ("elastic_ip", r("elastic_ip.nat")),
            ],
        ),
        want(
            "route_table.public",
            &[
                ("vpc", r("vpc.main")),
                (
                    "routes",
                    list(vec![map(&[
                        ("destination", all()),
                        ("internet_gateway", r("internet_gateway.main")),
                    ])]),
                ),
                ("subnets", list(vec![r("subnet.public")])),
            ],
        ),
        want(
            "route_table.private",
            &[
                ("vpc", r("vpc.main")),
                (
                    "routes",
                    list(vec![map(&[
                        ("destination", all()),
                        ("nat_gateway", r("nat_gateway.main")),
                    ])]),
                ),
                ("subnets", list(vec![r("subnet.private")])),
            ],
        ),
        want(
            "security_group.web",
            &[
                ("vpc", r("vpc.main")),
                (
                    "ingress",
                    list(vec![map(&[
                        ("protocol", s("tcp")),
                        ("ports", s("443")),
                        ("from", all()),
                    ])]),
                ),
            ],
        ),
        want(
            "security_group.db",
            &[
                ("vpc", r("vpc.main")),
                (
                    "ingress",
                    list(vec![map(&[
                        ("protocol", s("tcp")),
                        ("ports", s("5432")),
                        ("from", r("security_group.web")),
                    ])]),
                ),
                ("egress", list(vec![])),
            ],
        ),
    ]
}

pub fn plan(mut changes: Vec<Change>, known: Vec<LiveResource>) -> Plan {
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        mode: PlanMode::Apply,
        environment: ENV.into(),
        region: "us-east-1".into(),
        spec: None,
        live_fingerprint: "test".into(),
        changes,
        unchanged: known.iter().map(|r| r.address.clone()).collect(),
        known: known.into_iter().map(|r| (r.address.clone(), r)).collect(),
        lookups: vec![],
        moved: vec![],
        adopted: vec![],
        data_loss: vec![],
        shaping: Default::default(),
    }
}

pub fn create(w: &Want) -> Change {
    Change {
        address: w.address.clone(),
        action: Action::Create,
        id: None,
        before: None,
        after: Some(w.attrs.clone()),
        diffs: vec![],
        depends_on: w.depends_on.clone(),
        live_depends_on: vec![],
        reason: None,
    }
}

/// A plan creating every wanted resource.
pub fn create_plan(wants: &[Want]) -> Plan {
    plan(wants.iter().map(create).collect(), vec![])
}

/// The owned live resources `live` refers to, by id among `all`.
pub fn live_deps(live: &LiveResource, all: &[LiveResource]) -> Vec<Address> {
    let mut out: Vec<Address> = live
        .referenced_ids()
        .into_iter()
        .filter_map(|(kinds, id)| {
            all.iter()
                .find(|o| o.id == id && kinds.contains(&o.kind()))
                .map(|o| o.address.clone())
        })
        .filter(|a| a != &live.address)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What the fake holds for this environment (the true state, no lag).
pub fn owned(fake: &FakeCloud) -> Vec<LiveResource> {
    fake.snapshot()
        .into_iter()
        .filter(|r| r.tag(recon_model::tags::ENV) == Some(ENV))
        .collect()
}

pub fn delete(live: &LiveResource, all: &[LiveResource]) -> Change {
    Change {
        address: live.address.clone(),
        action: Action::Delete,
        id: Some(live.id.clone()),
        before: Some(live.attrs.clone()),
        after: None,
        diffs: vec![],
        depends_on: vec![],
        live_depends_on: live_deps(live, all),
        reason: None,
    }
}

/// A plan deleting everything the environment owns in the fake.
pub fn destroy_plan(fake: &FakeCloud) -> Plan {
    let live = owned(fake);
    let mut p = plan(live.iter().map(|r| delete(r, &live)).collect(), vec![]);
    p.mode = PlanMode::Destroy;
    p
}

/// An update or replace of `live` to `w` (references to resources in `replaced_or_created`
/// stay references; others resolve against `all`).
pub fn change_to(w: &Want, live: &LiveResource, all: &[LiveResource], pending: &[&str]) -> Change {
    let pending: Vec<Address> = pending.iter().map(|a| addr(a)).collect();
    let lookup = |rf: &Reference| {
        if pending.contains(&rf.address) {
            return None;
        }
        all.iter()
            .find(|o| o.address == rf.address)?
            .attribute(&rf.attr)
    };
    let after: Attrs = w
        .attrs
        .iter()
        .map(|(k, v)| (k.clone(), v.resolve(&lookup)))
        .collect();
    let diffs = diff_attrs(w.address.kind, &after, &live.attrs);
    let action = if diffs.iter().any(|d| d.forces_replacement) {
        Action::Replace
    } else {
        Action::Update
    };
    Change {
        address: w.address.clone(),
        action,
        id: Some(live.id.clone()),
        before: Some(live.attrs.clone()),
        after: Some(after),
        diffs,
        depends_on: w.depends_on.clone(),
        live_depends_on: live_deps(live, all),
        reason: None,
    }
}

/// Differences between what is wanted and what the fake holds (resolving references by
/// address against the fake), for every wanted resource; empty when converged.
pub fn divergence(fake: &FakeCloud, wants: &[Want]) -> Vec<String> {
    let live = owned(fake);
    let mut out = Vec::new();
    for w in wants {
        let found: Vec<&LiveResource> = live.iter().filter(|r| r.address == w.address).collect();
        let [one] = found.as_slice() else {
            out.push(format!("{}: {} live resources", w.address, found.len()));
            continue;
        };
        let lookup = |rf: &Reference| {
            live.iter()
                .find(|o| o.address == rf.address)?
                .attribute(&rf.attr)
        };
        let wanted: Attrs = w
            .attrs
            .iter()
            .map(|(k, v)| (k.clone(), v.resolve(&lookup)))
            .collect();
        for d in diff_attrs(w.address.kind, &wanted, &one.attrs) {
            out.push(format!(
                "{}: {} is {:?}, wanted {:?}",
                w.address, d.field, d.before, d.after
            ));
        }
        if one.state != recon_model::LiveState::Available {
            out.push(format!("{}: state {:?}", w.address, one.state));
        }
    }
    out
}

/// The changes of `p` that did not finish, with what did finish (and everything known) as
/// `known`: "the rest of the plan".
pub fn remaining(p: &Plan, report: &Report) -> Plan {
    let done = |a: &Address| {
        report
            .outcomes
            .iter()
            .filter(|o| &o.address == a)
            .all(|o| matches!(o.result, StepResult::Done { .. }))
    };
    let changes: Vec<Change> = p
        .changes
        .iter()
        .filter(|c| !done(&c.address))
        .cloned()
        .collect();
    let known: Vec<LiveResource> = report
        .live
        .values()
        .filter(|r| !changes.iter().any(|c| c.address == r.address))
        .cloned()
        .collect();
    plan(changes, known)
}

/// Collected events.
#[derive(Clone, Default)]
pub struct Events(pub Arc<Mutex<Vec<Event>>>);

impl Events {
    pub fn sink(&self) -> impl Fn(Event) + Send + Sync + 'static {
        let inner = self.0.clone();
        move |e| inner.lock().unwrap().push(e)
    }

    pub fn all(&self) -> Vec<Event> {
        self.0.lock().unwrap().clone()
    }
}

/// Runs `p` on `fake` with `config`, returning the report and the events.
pub async fn run(fake: &Arc<FakeCloud>, p: &Plan, config: &ExecConfig) -> (Report, Vec<Event>) {
    let events = Events::default();
    let report = execute(fake.clone(), p, config, events.sink()).await;
    (report, events.all())
}

pub fn config() -> ExecConfig {
    ExecConfig::default()
}

/// The first call of `op` on `address` that succeeded.
pub fn ok_call<'c>(calls: &'c [Call], op: Op, address: &str) -> &'c Call {
    let a = addr(address);
    calls
        .iter()
        .find(|c| c.op == op && c.address.as_ref() == Some(&a) && c.ok())
        .unwrap_or_else(|| panic!("no successful {op:?} of {address}"))
}

/// The position of that call in the log.
pub fn position(calls: &[Call], op: Op, address: &str) -> usize {
    let a = addr(address);
    calls
        .iter()
        .position(|c| c.op == op && c.address.as_ref() == Some(&a) && c.ok())
        .unwrap_or_else(|| panic!("no successful {op:?} of {address}"))
}

/// Every mutating call the fake refused, described.
pub fn refused(calls: &[Call]) -> Vec<String> {
    calls
        .iter()
        .filter(|c| c.op.is_mutating() && matches!(c.outcome, CallOutcome::Err(_)))
        .map(|c| format!("{:?} {:?} at {:?}: {:?}", c.op, c.address, c.at, c.outcome))
        .collect()
}

pub fn assert_succeeded(report: &Report) {
    let failures: Vec<String> = report
        .outcomes
        .iter()
        .filter(|o| !matches!(o.result, StepResult::Done { .. }))
        .map(|o| format!("{} {}: {:?}", o.step, o.address, o.result))
        .collect();
    assert!(failures.is_empty(), "steps did not succeed: {failures:#?}");
}

pub fn result<'r>(report: &'r Report, address: &str, step: Step) -> &'r StepResult {
    &report
        .outcome(&addr(address), step)
        .unwrap_or_else(|| panic!("no {step} step for {address}"))
        .result
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

pub fn kind_of(a: &str) -> Kind {
    addr(a).kind
}
