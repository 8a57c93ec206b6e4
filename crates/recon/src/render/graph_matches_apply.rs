//! `recon graph --plan` draws the order `recon apply` follows: both come from one step graph,
//! built once here from a plan and checked against the drawing and against a run of the
//! executor on the fake.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use recon_exec::{Event, ExecConfig, execute};
use recon_fake::{FakeCloud, FakeConfig};
use recon_model::{Address, Kind, Plan, Spec};
use recon_plan::{Step, StepGraph, Why};
use recon_provider::discover_all;

use super::graph::{EdgeKind, Status, build};

const FIRST: &str = "
environment: demo
region: us-east-1
resources:
  vpc.a: { cidr_block: 10.1.0.0/16 }
  internet_gateway.a: { vpc: vpc.a }
  subnet.a: { vpc: vpc.a, cidr_block: 10.1.1.0/24 }
  elastic_ip.a: {}
  nat_gateway.a: { subnet: subnet.a, elastic_ip: elastic_ip.a }
  vpc.b: { cidr_block: 10.2.0.0/16 }
  internet_gateway.b: { vpc: vpc.b }
  subnet.b: { vpc: vpc.b, cidr_block: 10.2.1.0/24 }
  elastic_ip.b: {}
  nat_gateway.b: { subnet: subnet.b, elastic_ip: elastic_ip.b }
  route_table.b:
    vpc: vpc.b
    routes: [{ destination: 0.0.0.0/0, nat_gateway: nat_gateway.b }]
    subnets: [subnet.b]
  security_group.a: { vpc: vpc.a }
";

/// The second version: VPC b loses its NAT gateway and route table, subnet a maps public
/// addresses (an update), and group a moves to VPC b (a replacement).
const SECOND: &str = "
environment: demo
region: us-east-1
resources:
  vpc.a: { cidr_block: 10.1.0.0/16 }
  internet_gateway.a: { vpc: vpc.a }
  subnet.a: { vpc: vpc.a, cidr_block: 10.1.1.0/24, map_public_ip_on_launch: true }
  elastic_ip.a: {}
  nat_gateway.a: { subnet: subnet.a, elastic_ip: elastic_ip.a }
  vpc.b: { cidr_block: 10.2.0.0/16 }
  internet_gateway.b: { vpc: vpc.b }
  subnet.b: { vpc: vpc.b, cidr_block: 10.2.1.0/24 }
  elastic_ip.b: {}
  security_group.a: { vpc: vpc.b }
";

fn spec(text: &str) -> Spec {
    recon_spec::parse(&recon_spec::SourceFile {
        name: "demo.yaml".into(),
        text: text.into(),
    })
    .unwrap()
}

/// The ordering edges the drawing shows between resources the plan changes.
fn drawn_order(spec: &Spec, plan: &Plan) -> BTreeSet<(Address, Address, bool)> {
    let graph = build(spec, Some(plan)).unwrap();
    let changed = |i: usize| graph.nodes[i].status != Some(Status::NoChange);
    graph
        .edges
        .iter()
        .filter(|e| changed(e.from) && changed(e.to) && e.kind != EdgeKind::Uses)
        .map(|e| {
            (
                graph.nodes[e.from].address.clone(),
                graph.nodes[e.to].address.clone(),
                e.kind == EdgeKind::KindOrder,
            )
        })
        .collect()
}

/// Runs `plan` on `fake` and checks that every step edge was honoured: the earlier step
/// finished before the later one started.
async fn run_in_order(fake: &Arc<FakeCloud>, plan: &Plan, steps: &StepGraph) {
    let events: Arc<Mutex<Vec<Event>>> = Arc::default();
    let sink = events.clone();
    let report = execute(fake.clone(), plan, &ExecConfig::default(), move |e| {
        sink.lock().unwrap().push(e)
    })
    .await;
    assert!(report.succeeded(), "{:#?}", report.outcomes);
    let events = events.lock().unwrap();
    let at = |address: &Address, step: Step, finished: bool| {
        events
            .iter()
            .position(|e| match e {
                Event::Finished {
                    address: a,
                    step: s,
                    ..
                } if finished => a == address && *s == step,
                Event::Started {
                    address: a,
                    step: s,
                } if !finished => a == address && *s == step,
                _ => false,
            })
            .unwrap_or_else(|| panic!("no event for {step} {address}"))
    };
    for (from, to, why) in steps.edges() {
        let (f, t) = (&steps.nodes[from], &steps.nodes[to]);
        assert!(
            at(&f.address, f.step, true) < at(&t.address, t.step, false),
            "{} {} should finish before {} {} starts ({why:?})",
            f.step,
            f.address,
            t.step,
            t.address
        );
    }
}

async fn check(fake: &Arc<FakeCloud>, text: &str) -> StepGraph {
    let spec = spec(text);
    let live = discover_all(fake.as_ref(), "demo", Kind::ALL)
        .await
        .unwrap();
    let plan = recon_plan::plan(&spec, None, Kind::ALL, &live).unwrap();
    let steps = StepGraph::build(&plan);
    let from_steps: BTreeSet<(Address, Address, bool)> = steps
        .resource_edges()
        .into_iter()
        .map(|(from, to, why)| (from, to, why == Why::KindOrder))
        .collect();
    assert_eq!(drawn_order(&spec, &plan), from_steps);
    run_in_order(fake, &plan, &steps).await;
    steps
}

#[tokio::test(start_paused = true)]
async fn the_drawing_and_the_run_follow_one_step_graph() {
    let fake = Arc::new(FakeCloud::new(FakeConfig::default()));
    let first = check(&fake, FIRST).await;
    // Kind order stays in its VPC: no NAT gateway waits for the other VPC's gateway.
    let crossing = first.edges().any(|(f, t, why)| {
        why == Why::KindOrder && first.nodes[f].address.name != first.nodes[t].address.name
    });
    assert!(!crossing, "kind order crossed VPCs");
    let second = check(&fake, SECOND).await;
    let steps: BTreeSet<(String, Step)> = second
        .nodes
        .iter()
        .map(|n| (n.address.to_string(), n.step))
        .collect();
    assert!(steps.contains(&("nat_gateway.b".into(), Step::Delete)));
    assert!(steps.contains(&("subnet.a".into(), Step::Update)));
    assert!(steps.contains(&("security_group.a".into(), Step::Create)));
    // Nothing left to do.
    let spec = spec(SECOND);
    let live = discover_all(fake.as_ref(), "demo", Kind::ALL)
        .await
        .unwrap();
    let plan = recon_plan::plan(&spec, None, Kind::ALL, &live).unwrap();
    assert!(plan.changes.is_empty(), "{:#?}", plan.changes);
}
