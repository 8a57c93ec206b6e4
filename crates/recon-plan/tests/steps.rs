//! The step graph of a plan: kind order stays within a VPC, references order across them.

use std::collections::BTreeMap;

use recon_model::tags::{desired_tags, to_value};
use recon_model::{
    Address, Attrs, DesiredResource, Kind, LiveResource, LiveState, Reference, Spec, Value,
};
use recon_plan::{Step, StepGraph, Why, plan, plan_destroy};

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

fn r(s: &str) -> Value {
    Value::Ref(Reference::parse(s).unwrap())
}

fn desired(address: &str, attrs: &[(&str, Value)]) -> DesiredResource {
    let address = addr(address);
    let mut attrs: Attrs = attrs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    recon_model::kinds::def(address.kind).apply_defaults(&mut attrs);
    DesiredResource {
        address,
        attrs,
        depends_on: vec![],
    }
}

/// Two VPCs, `a` and `b`, each with an internet gateway, a public subnet, an address and a NAT
/// gateway, and nothing that ties one to the other.
fn two_vpcs() -> Spec {
    let mut resources = Vec::new();
    for (v, n) in [("a", 1), ("b", 2)] {
        resources.extend([
            desired(
                &format!("vpc.{v}"),
                &[("cidr_block", Value::str(format!("10.{n}.0.0/16")))],
            ),
            desired(
                &format!("internet_gateway.{v}"),
                &[("vpc", r(&format!("vpc.{v}")))],
            ),
            desired(
                &format!("subnet.{v}"),
                &[
                    ("vpc", r(&format!("vpc.{v}"))),
                    ("cidr_block", Value::str(format!("10.{n}.1.0/24"))),
                ],
            ),
            desired(&format!("elastic_ip.{v}"), &[]),
            desired(
                &format!("nat_gateway.{v}"),
                &[
                    ("subnet", r(&format!("subnet.{v}"))),
                    ("elastic_ip", r(&format!("elastic_ip.{v}"))),
                ],
            ),
        ]);
    }
    Spec {
        environment: "test".into(),
        region: "us-east-1".into(),
        tags: BTreeMap::new(),
        lookups: vec![],
        resources,
        lifecycle: Default::default(),
    }
}

/// The VPC a resource of [`two_vpcs`] is in, by its name (`a` or `b`).
fn vpc_of(address: &Address) -> &str {
    &address.name
}

fn assert_no_edge_across_vpcs(graph: &StepGraph) {
    for (from, to, why) in graph.edges() {
        let (f, t) = (&graph.nodes[from].address, &graph.nodes[to].address);
        assert_eq!(
            vpc_of(f),
            vpc_of(t),
            "{} {f} → {} {t} ({why:?}) crosses VPCs",
            graph.nodes[from].step,
            graph.nodes[to].step
        );
    }
}

fn has_edge(graph: &StepGraph, from: (&str, Step), to: (&str, Step), why: Why) -> bool {
    graph.edges().any(|(f, t, w)| {
        let (f, t) = (&graph.nodes[f], &graph.nodes[t]);
        (f.address.to_string(), f.step) == (from.0.to_owned(), from.1)
            && (t.address.to_string(), t.step) == (to.0.to_owned(), to.1)
            && w == why
    })
}

#[test]
fn kind_order_applies_within_a_vpc_only() {
    let spec = two_vpcs();
    let p = plan(&spec, None, Kind::ALL, &[]).unwrap();
    let graph = StepGraph::build(&p);
    assert_no_edge_across_vpcs(&graph);
    for v in ["a", "b"] {
        assert!(has_edge(
            &graph,
            (&format!("internet_gateway.{v}"), Step::Create),
            (&format!("nat_gateway.{v}"), Step::Create),
            Why::KindOrder
        ));
        assert!(has_edge(
            &graph,
            (&format!("subnet.{v}"), Step::Create),
            (&format!("nat_gateway.{v}"), Step::Create),
            Why::Reference
        ));
    }
}

#[test]
fn deletes_keep_kind_order_within_a_vpc_only() {
    let spec = two_vpcs();
    let ids: BTreeMap<String, String> = spec
        .resources
        .iter()
        .map(|r| (r.address.to_string(), format!("id-{}", r.address)))
        .collect();
    let live: Vec<LiveResource> = spec
        .resources
        .iter()
        .map(|wanted| {
            let lookup = |r: &Reference| ids.get(&r.address.to_string()).map(Value::str);
            let mut attrs: Attrs = wanted
                .attrs
                .iter()
                .map(|(k, v)| (k.clone(), v.resolve(&lookup)))
                .collect();
            attrs.insert("tags".into(), to_value(&desired_tags(&spec, wanted)));
            LiveResource {
                address: wanted.address.clone(),
                id: ids[&wanted.address.to_string()].clone(),
                state: LiveState::Available,
                attrs,
                outputs: BTreeMap::new(),
            }
        })
        .collect();
    let p = plan_destroy("test", "us-east-1", None, Kind::ALL, live);
    let graph = StepGraph::build(&p);
    assert_no_edge_across_vpcs(&graph);
    for v in ["a", "b"] {
        assert!(has_edge(
            &graph,
            (&format!("nat_gateway.{v}"), Step::Delete),
            (&format!("internet_gateway.{v}"), Step::Delete),
            Why::KindOrder
        ));
    }
}

/// A reference across VPCs still orders the steps it ties (a peer security group).
#[test]
fn a_reference_across_vpcs_still_orders() {
    let mut spec = two_vpcs();
    spec.resources
        .push(desired("security_group.a", &[("vpc", r("vpc.a"))]));
    spec.resources.push(desired(
        "security_group.b",
        &[
            ("vpc", r("vpc.b")),
            (
                "ingress",
                Value::List(vec![Value::Map(BTreeMap::from([
                    ("protocol".to_owned(), Value::str("tcp")),
                    ("ports".to_owned(), Value::str("22")),
                    ("from".to_owned(), r("security_group.a")),
                ]))]),
            ),
        ],
    ));
    let p = plan(&spec, None, Kind::ALL, &[]).unwrap();
    let graph = StepGraph::build(&p);
    assert!(has_edge(
        &graph,
        ("security_group.a", Step::Create),
        ("security_group.b", Step::Create),
        Why::Reference
    ));
    let across: Vec<_> = graph
        .edges()
        .filter(|(f, t, _)| vpc_of(&graph.nodes[*f].address) != vpc_of(&graph.nodes[*t].address))
        .collect();
    assert_eq!(across.len(), 1, "only the reference crosses VPCs");
}
