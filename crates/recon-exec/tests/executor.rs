//! The executor against the fake, on tokio's paused clock: every wait is simulated, so the
//! minutes a NAT gateway takes cost nothing. The fake refuses what AWS refuses (out-of-order
//! deletes, routes to a pending NAT gateway, references to what does not exist), so a run that
//! succeeds with no refused call proves its order.

mod support;

use std::sync::Arc;
use std::time::Duration;

use recon_exec::{Event, ExecConfig, ExecError, Step, StepResult};
use recon_fake::{CallOutcome, FakeCloud, FakeConfig, Op};
use recon_model::{Action, Kind, LiveState, Value};
use recon_provider::ErrorKind;
use support::*;

fn fake(config: FakeConfig) -> Arc<FakeCloud> {
    Arc::new(FakeCloud::new(config))
}

/// Builds the network on `fake`, asserting success.
async fn build_network(fake: &Arc<FakeCloud>) {
    let (report, _) = run(fake, &create_plan(&network()), &config()).await;
    assert_succeeded(&report);
    assert_eq!(divergence(fake, &network()), Vec::<String>::new());
    fake.reset_log();
}

#[tokio::test(start_paused = true)]
async fn creates_run_in_dependency_order_and_wait_for_the_nat_gateway() {
    // NAT gateway pending for 60 s; the internet gateway invisible for 30 s after its create,
    // so its attachment comes well after the NAT gateway's subnet and address are ready: only
    // the kind order (`nat_gateway` after `internet_gateway`) keeps the NAT gateway waiting.
    let fake = fake(FakeConfig::default().read_lag(Kind::InternetGateway, Duration::from_secs(30)));
    let p = create_plan(&network());
    let (report, events) = run(&fake, &p, &config()).await;

    assert_succeeded(&report);
    let calls = fake.calls();
    assert_eq!(
        refused(&calls),
        Vec::<String>::new(),
        "no call may be refused"
    );
    // References first.
    assert!(
        position(&calls, Op::Create, "vpc.main") < position(&calls, Op::Create, "subnet.public")
    );
    assert!(
        position(&calls, Op::Create, "subnet.private")
            < position(&calls, Op::Create, "route_table.private")
    );
    // The NAT gateway after its subnet, its address, and the internet gateway's attachment
    // (kind order: no reference says so; the fake fails a NAT gateway in a VPC without one).
    let nat = position(&calls, Op::Create, "nat_gateway.main");
    assert!(position(&calls, Op::Create, "subnet.public") < nat);
    assert!(position(&calls, Op::Create, "elastic_ip.nat") < nat);
    assert!(position(&calls, Op::Update, "internet_gateway.main") < nat);
    // The route to the NAT gateway only once it is available (the fake refuses it before).
    let nat_created = ok_call(&calls, Op::Create, "nat_gateway.main").at;
    let route_added = ok_call(&calls, Op::Update, "route_table.private").at;
    assert!(
        route_added >= nat_created + Duration::from_secs(60),
        "route added {route_added:?}, NAT created {nat_created:?}"
    );
    assert!(events.iter().any(|e| matches!(e,
        Event::Waiting { address, reason, .. } if address == &addr("nat_gateway.main") && reason == "pending")));
    // Converged, the NAT gateway available (not failed for want of a gateway).
    assert_eq!(divergence(&fake, &network()), Vec::<String>::new());
    // One outcome per step, sorted.
    let keys: Vec<_> = report
        .outcomes
        .iter()
        .map(|o| (o.address.clone(), o.step))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(report.outcomes.len(), network().len());
    // The report's live picture has every created resource with its id.
    for w in network() {
        let live = &report.live[&w.address];
        assert_eq!(fake.get(&live.id).unwrap().address, w.address);
    }
}

#[tokio::test(start_paused = true)]
async fn the_fake_refuses_a_route_to_a_pending_nat_gateway() {
    // The control for the test above: without the executor's wait, the route would fail.
    let fake = fake(FakeConfig::default());
    let mut wants = network();
    wants.retain(|w| w.address != addr("route_table.private"));
    build_network_partial(&fake, &wants).await;
    let nat = fake.find(&addr("nat_gateway.main")).remove(0);
    assert_eq!(nat.state, LiveState::Available);
    // A second NAT gateway, pending.
    let subnet = fake.find(&addr("subnet.public")).remove(0);
    let eip = fake.find(&addr("elastic_ip.nat")).remove(0);
    let second = want(
        "nat_gateway.second",
        &[("subnet", s(&subnet.id)), ("elastic_ip", s(&eip.id))],
    );
    use recon_provider::{CreateRequest, Provider};
    let pending = fake
        .create(CreateRequest {
            address: &second.address,
            environment: ENV,
            attrs: &second.attrs,
            token: "t",
        })
        .await
        .unwrap();
    assert_eq!(pending.state, LiveState::Pending);
    let table = want(
        "route_table.private",
        &[
            ("vpc", s(&fake.find(&addr("vpc.main"))[0].id)),
            (
                "routes",
                list(vec![map(&[
                    ("destination", s("0.0.0.0/0")),
                    ("nat_gateway", s(&pending.id)),
                ])]),
            ),
        ],
    );
    let created = fake
        .create(CreateRequest {
            address: &table.address,
            environment: ENV,
            attrs: &table.attrs,
            token: "t2",
        })
        .await
        .unwrap();
    let diffs = recon_model::diff_attrs(Kind::RouteTable, &table.attrs, &created.attrs);
    let err = fake
        .update(recon_provider::UpdateRequest {
            live: &created,
            attrs: &table.attrs,
            diffs: &diffs,
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::IncorrectState);
}

async fn build_network_partial(fake: &Arc<FakeCloud>, wants: &[Want]) {
    let (report, _) = run(fake, &create_plan(wants), &config()).await;
    assert_succeeded(&report);
}

#[tokio::test(start_paused = true)]
async fn deletes_run_in_reverse_order_and_wait_for_the_nat_gateway_to_be_gone() {
    let fake = fake(FakeConfig::default()); // NAT gateway deleting for 30 s
    build_network(&fake).await;
    let p = destroy_plan(&fake);
    assert_eq!(p.changes.len(), network().len());
    let (report, events) = run(&fake, &p, &config()).await;

    assert_succeeded(&report);
    assert_eq!(owned(&fake), vec![], "everything is gone");
    assert!(report.live.is_empty());
    let calls = fake.calls();
    // Out-of-order deletes are refused by the fake (DependencyViolation), and the executor
    // would retry them: success alone would not prove the order, no refusal does.
    assert_eq!(refused(&calls), Vec::<String>::new());
    let at = |a: &str| ok_call(&calls, Op::Delete, a).at;
    let nat = at("nat_gateway.main");
    for after_nat in ["subnet.public", "elastic_ip.nat", "internet_gateway.main"] {
        assert!(
            at(after_nat) >= nat + Duration::from_secs(30),
            "{after_nat} deleted at {:?}, before the NAT gateway (deleted at {nat:?}) was gone",
            at(after_nat)
        );
    }
    assert!(at("route_table.private") <= nat);
    assert!(at("security_group.db") <= at("security_group.web"));
    assert!(at("vpc.main") >= at("subnet.public"));
    assert!(events.iter().any(|e| matches!(e,
        Event::Waiting { address, reason, .. } if address == &addr("nat_gateway.main") && reason == "deleting")));
}

#[tokio::test(start_paused = true)]
async fn replace_deletes_then_creates_and_updates_dependents_after() {
    // AWS lets a NAT gateway go while a route points at it (the route turns blackhole).
    let fake = fake(FakeConfig::default().routes_block_delete(false));
    build_network(&fake).await;
    let live = owned(&fake);
    let old_nat = fake.find(&addr("nat_gateway.main")).remove(0);

    // A new address for the NAT gateway: `elastic_ip` forces replacement; the private route
    // table follows the new gateway in place.
    let new_eip = want("elastic_ip.second", &[]);
    let mut wants = network();
    wants.push(new_eip.clone());
    let nat_want = wants
        .iter_mut()
        .find(|w| w.address == addr("nat_gateway.main"))
        .unwrap();
    *nat_want = want(
        "nat_gateway.main",
        &[
            ("subnet", r("subnet.public")),
            ("elastic_ip", r("elastic_ip.second")),
        ],
    );
    let nat_want = nat_want.clone();
    let table_want = wants
        .iter()
        .find(|w| w.address == addr("route_table.private"))
        .unwrap()
        .clone();
    let nat_change = change_to(&nat_want, &old_nat, &live, &["elastic_ip.second"]);
    assert_eq!(nat_change.action, Action::Replace);
    let table_live = fake.find(&addr("route_table.private")).remove(0);
    let table_change = change_to(&table_want, &table_live, &live, &["nat_gateway.main"]);
    assert_eq!(table_change.action, Action::Update);
    let unchanged: Vec<_> = live
        .iter()
        .filter(|r| r.address != nat_want.address && r.address != table_want.address)
        .cloned()
        .collect();
    let p = plan(vec![create(&new_eip), nat_change, table_change], unchanged);

    let (report, _) = run(&fake, &p, &config()).await;
    assert_succeeded(&report);
    assert_eq!(divergence(&fake, &wants), Vec::<String>::new());
    assert_eq!(fake.get(&old_nat.id), None, "the old NAT gateway is gone");
    let calls = fake.calls();
    assert_eq!(refused(&calls), Vec::<String>::new());
    let deleted = ok_call(&calls, Op::Delete, "nat_gateway.main").at;
    let created = ok_call(&calls, Op::Create, "nat_gateway.main").at;
    let routed = ok_call(&calls, Op::Update, "route_table.private").at;
    assert!(
        created >= deleted + Duration::from_secs(30),
        "create after the old one is gone"
    );
    assert!(
        routed >= created + Duration::from_secs(60),
        "route after the new one is available"
    );
    let new_nat = &report.live[&addr("nat_gateway.main")];
    assert_ne!(new_nat.id, old_nat.id);
    let routes = fake.find(&addr("route_table.private"))[0].attrs["routes"].clone();
    assert_eq!(
        routes.as_list()[0].as_map().unwrap()["nat_gateway"],
        Value::str(&new_nat.id)
    );
    // Two outcomes for the replacement, create first in the sorted list.
    let steps: Vec<Step> = report
        .outcomes
        .iter()
        .filter(|o| o.address == addr("nat_gateway.main"))
        .map(|o| o.step)
        .collect();
    assert_eq!(steps, [Step::Create, Step::Delete]);
}

#[tokio::test(start_paused = true)]
async fn an_update_stops_using_a_resource_before_its_delete() {
    // The public route table drops its route to the internet gateway, which is deleted: the
    // fake (strict about routes) refuses the gateway's delete until the route is gone.
    let fake = fake(FakeConfig::instant());
    let wants: Vec<Want> = network()
        .into_iter()
        .filter(|w| {
            [
                "vpc.main",
                "subnet.public",
                "internet_gateway.main",
                "route_table.public",
            ]
            .contains(&w.address.to_string().as_str())
        })
        .collect();
    build_network_partial(&fake, &wants).await;
    fake.reset_log();
    let live = owned(&fake);
    let igw = fake.find(&addr("internet_gateway.main")).remove(0);
    let table_live = fake.find(&addr("route_table.public")).remove(0);
    let table_want = wants[3].clone().set("routes", list(vec![]));
    let mut table_want = table_want;
    table_want
        .depends_on
        .retain(|a| a != &addr("internet_gateway.main"));
    let table_change = change_to(&table_want, &table_live, &live, &[]);
    assert_eq!(table_change.action, Action::Update);
    assert!(
        table_change
            .live_depends_on
            .contains(&addr("internet_gateway.main"))
    );
    let known: Vec<_> = live
        .iter()
        .filter(|r| r.address == addr("vpc.main") || r.address == addr("subnet.public"))
        .cloned()
        .collect();
    let p = plan(vec![table_change, delete(&igw, &live)], known);
    let (report, _) = run(&fake, &p, &config()).await;
    assert_succeeded(&report);
    let calls = fake.calls();
    assert_eq!(refused(&calls), Vec::<String>::new());
    assert!(
        position(&calls, Op::Update, "route_table.public")
            < position(&calls, Op::Delete, "internet_gateway.main")
    );
}

#[tokio::test(start_paused = true)]
async fn concurrency_is_bounded_by_parallelism_and_used() {
    let wants: Vec<Want> = (0..12)
        .map(|i| {
            want(
                &format!("vpc.v{i:02}"),
                &[("cidr_block", s(&format!("10.{i}.0.0/16")))],
            )
        })
        .collect();
    for parallelism in [1, 3, 10] {
        let fake = fake(FakeConfig::instant().latency(Duration::from_secs(1)));
        let config = ExecConfig {
            parallelism,
            ..config()
        };
        let started = tokio::time::Instant::now();
        let (report, _) = run(&fake, &create_plan(&wants), &config).await;
        assert_succeeded(&report);
        assert_eq!(
            fake.max_in_flight(),
            parallelism,
            "parallelism {parallelism}"
        );
        // Each step is one 1 s create call (the defaults need no converging update), run
        // `parallelism` at a time.
        let waves = 12_u64.div_ceil(parallelism as u64);
        assert!(started.elapsed() >= Duration::from_secs(waves));
        assert!(started.elapsed() < Duration::from_secs(waves * 3));
    }
}

/// Ready steps beyond `steps_at_once` wait unstarted (a started step holds its change and
/// resolved attributes): with 20 independent VPCs, 4 at once and one call slot, never more
/// than 4 are under way, 4 are at some point, and all 20 are made.
#[tokio::test(start_paused = true)]
async fn steps_under_way_are_at_most_steps_at_once() {
    let wants: Vec<Want> = (0..20)
        .map(|i| {
            want(
                &format!("vpc.v{i:02}"),
                &[("cidr_block", s(&format!("10.{i}.0.0/16")))],
            )
        })
        .collect();
    let fake = fake(FakeConfig::instant().latency(Duration::from_secs(1)));
    let config = ExecConfig {
        parallelism: 1,
        steps_at_once: 4,
        ..config()
    };
    let (report, events) = run(&fake, &create_plan(&wants), &config).await;
    assert_succeeded(&report);
    let (mut under_way, mut most) = (0_i32, 0_i32);
    for event in &events {
        match event {
            Event::Started { .. } => under_way += 1,
            Event::Finished { .. } | Event::Failed { .. } => under_way -= 1,
            _ => {}
        }
        most = most.max(under_way);
    }
    assert_eq!(most, 4);
    assert_eq!(report.outcomes.len(), 20);
}

#[tokio::test(start_paused = true)]
async fn a_failure_skips_exactly_its_dependents_and_a_second_run_converges() {
    let fake = fake(FakeConfig::instant());
    let wants = vec![
        want("vpc.a", &[("cidr_block", s("10.1.0.0/16"))]),
        want(
            "subnet.a",
            &[("vpc", r("vpc.a")), ("cidr_block", s("10.1.1.0/24"))],
        ),
        want(
            "route_table.a",
            &[("vpc", r("vpc.a")), ("subnets", list(vec![r("subnet.a")]))],
        ),
        // Depends on the route table only, not on the subnet directly.
        want("security_group.a", &[("vpc", r("vpc.a"))]).depends_on("route_table.a"),
        want("vpc.b", &[("cidr_block", s("10.2.0.0/16"))]),
        want(
            "subnet.b",
            &[("vpc", r("vpc.b")), ("cidr_block", s("10.2.1.0/24"))],
        ),
    ];
    let p = create_plan(&wants);
    fake.fail_next("subnet.a", Op::Create, ErrorKind::Invalid, 1);
    let (report, events) = run(&fake, &p, &config()).await;

    assert!(!report.succeeded());
    assert_eq!(report.counts(), (3, 1, 2));
    match result(&report, "subnet.a", Step::Create) {
        StepResult::Failed {
            error: ExecError::Provider { source, .. },
        } => {
            assert_eq!(source.kind, ErrorKind::Invalid)
        }
        other => panic!("{other:?}"),
    }
    for skipped in ["route_table.a", "security_group.a"] {
        match result(&report, skipped, Step::Create) {
            StepResult::Skipped { because } => assert_eq!(because, &addr("subnet.a"), "{skipped}"),
            other => panic!("{skipped}: {other:?}"),
        }
        // Reported once, as skipped, never as a failure of its own, and never called.
        let mine: Vec<&Event> = events
            .iter()
            .filter(|e| match e {
                Event::Skipped { address, .. }
                | Event::Failed { address, .. }
                | Event::Started { address, .. }
                | Event::Finished { address, .. } => address == &addr(skipped),
                _ => false,
            })
            .collect();
        assert_eq!(mine.len(), 1, "{skipped}: {mine:?}");
        assert!(matches!(mine[0], Event::Skipped { because, .. } if because == &addr("subnet.a")));
        assert!(
            !fake
                .calls()
                .iter()
                .any(|c| c.address == Some(addr(skipped)))
        );
    }
    for done in ["vpc.a", "vpc.b", "subnet.b"] {
        assert!(
            matches!(result(&report, done, Step::Create), StepResult::Done { .. }),
            "{done}"
        );
    }

    // The rest of the plan, with what the first run made as known, converges.
    let rest = remaining(&p, &report);
    assert_eq!(rest.changes.len(), 3);
    fake.reset_log();
    let (second, _) = run(&fake, &rest, &config()).await;
    assert_succeeded(&second);
    assert_eq!(divergence(&fake, &wants), Vec::<String>::new());
    assert_eq!(
        fake.calls().iter().filter(|c| c.op == Op::Create).count(),
        3,
        "only the rest is created"
    );
}

#[tokio::test(start_paused = true)]
async fn a_fault_of_the_environment_stops_the_run_after_the_steps_in_flight() {
    // vpc.b is pending for a while: its create is in flight when vpc.a meets the fault.
    let fake = fake(FakeConfig::instant().pending(Kind::Vpc, Duration::from_secs(5)));
    let wants = vec![
        want("vpc.a", &[("cidr_block", s("10.1.0.0/16"))]),
        want(
            "subnet.a",
            &[("vpc", r("vpc.a")), ("cidr_block", s("10.1.1.0/24"))],
        ),
        want("vpc.b", &[("cidr_block", s("10.2.0.0/16"))]),
        // Independent of vpc.a: only the fault rule keeps it from starting.
        want(
            "subnet.b",
            &[("vpc", r("vpc.b")), ("cidr_block", s("10.2.1.0/24"))],
        ),
    ];
    let p = create_plan(&wants);
    fake.fault_next(
        "vpc.a",
        Op::Create,
        recon_provider::FaultCause::ConnectionRefused,
        1,
    );
    let (report, events) = run(&fake, &p, &config()).await;
    assert_eq!(
        report.counts(),
        (1, 1, 2),
        "vpc.b finished; nothing else started"
    );
    match result(&report, "vpc.a", Step::Create) {
        StepResult::Failed { error } => assert!(error.environment_fault().is_some()),
        other => panic!("{other:?}"),
    }
    match result(&report, "subnet.b", Step::Create) {
        StepResult::Skipped { because } => assert_eq!(because, &addr("vpc.a")),
        other => panic!("{other:?}"),
    }
    let failed_at = events
        .iter()
        .position(|e| matches!(e, Event::Failed { .. }))
        .unwrap();
    assert!(
        !events[failed_at..]
            .iter()
            .any(|e| matches!(e, Event::Started { .. })),
        "{events:?}"
    );

    // A failure that is not the environment's leaves the other branches going.
    let fake = fake_again();
    fake.fail_next("vpc.a", Op::Create, ErrorKind::Invalid, 1);
    let wants = vec![
        want("vpc.a", &[("cidr_block", s("10.1.0.0/16"))]),
        want("vpc.b", &[("cidr_block", s("10.2.0.0/16"))]),
        want(
            "subnet.b",
            &[("vpc", r("vpc.b")), ("cidr_block", s("10.2.1.0/24"))],
        ),
    ];
    let (report, _) = run(&fake, &create_plan(&wants), &config()).await;
    assert_eq!(report.counts(), (2, 1, 0));
}

fn fake_again() -> Arc<FakeCloud> {
    fake(FakeConfig::instant())
}

#[tokio::test(start_paused = true)]
async fn dependency_violation_is_retried_then_succeeds() {
    let fake = fake(FakeConfig::instant());
    let wants = vec![want("vpc.main", &[("cidr_block", s("10.0.0.0/16"))])];
    build_network_partial(&fake, &wants).await;
    fake.reset_log();
    fake.fail_next("vpc.main", Op::Delete, ErrorKind::DependencyViolation, 3);
    let started = tokio::time::Instant::now();
    let (report, events) = run(&fake, &destroy_plan(&fake), &config()).await;

    assert_succeeded(&report);
    assert_eq!(owned(&fake), vec![]);
    let retries: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            Event::Retrying {
                attempt,
                error,
                step: Step::Delete,
                ..
            } => {
                assert!(error.contains("DependencyViolation"), "{error}");
                Some(*attempt)
            }
            _ => None,
        })
        .collect();
    assert_eq!(retries, [1, 2, 3]);
    // Backoff 1 s, 2 s, 4 s.
    assert_eq!(started.elapsed(), Duration::from_secs(7));
    assert_eq!(
        fake.calls().iter().filter(|c| c.op == Op::Delete).count(),
        4
    );
}

/// A destroy does not copy the environment into the run's live set, yet the report still says
/// what the run left live: the resource whose delete failed and the ones skipped after it, as
/// the plan knew them, and none of those deleted.
#[tokio::test(start_paused = true)]
async fn a_failed_delete_and_those_skipped_after_it_are_reported_live() {
    let fake = fake(FakeConfig::instant());
    build_network(&fake).await;
    let plan = destroy_plan(&fake);
    let subnet = fake.find(&addr("subnet.public")).remove(0);
    fake.fail_next("subnet.public", Op::Delete, ErrorKind::Invalid, 1);
    let (report, _) = run(&fake, &plan, &config()).await;

    assert!(!report.succeeded());
    assert_eq!(report.live[&addr("subnet.public")].id, subnet.id);
    assert!(
        report.live.contains_key(&addr("vpc.main")),
        "skipped after it"
    );
    let mut left: Vec<String> = report.live.keys().map(ToString::to_string).collect();
    left.sort();
    let mut still: Vec<String> = owned(&fake).iter().map(|r| r.address.to_string()).collect();
    still.sort();
    assert_eq!(left, still, "the report's live set is what remains");
}

#[tokio::test(start_paused = true)]
async fn dependency_violation_gives_up_after_the_dependency_timeout() {
    let fake = fake(FakeConfig::instant());
    build_network_partial(
        &fake,
        &[want("vpc.main", &[("cidr_block", s("10.0.0.0/16"))])],
    )
    .await;
    // Something this environment does not own keeps the VPC in use.
    let vpc = fake.find(&addr("vpc.main")).remove(0);
    fake.insert_foreign(
        Kind::Subnet,
        [
            ("vpc".to_owned(), Value::str(&vpc.id)),
            ("cidr_block".to_owned(), Value::str("10.0.9.0/24")),
        ]
        .into(),
    );
    let started = tokio::time::Instant::now();
    let (report, events) = run(&fake, &destroy_plan(&fake), &config()).await;
    let StepResult::Failed { error } = result(&report, "vpc.main", Step::Delete) else {
        panic!("{:?}", report.outcomes)
    };
    assert_eq!(started.elapsed(), Duration::from_secs(15 * 60));
    let text = recon_exec::error_chain(error);
    assert!(
        text.starts_with("could not delete vpc.main (retried for 15m): DependencyViolation: "),
        "{text}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Failed { error, .. } if error == &text))
    );
    assert!(fake.get(&vpc.id).is_some());
}

#[tokio::test(start_paused = true)]
async fn not_found_right_after_create_is_tolerated() {
    // Reads and references miss a new VPC for 30 s.
    let fake = fake(FakeConfig::instant().read_lag(Kind::Vpc, Duration::from_secs(30)));
    let wants = vec![
        want(
            "vpc.main",
            &[
                ("cidr_block", s("10.0.0.0/16")),
                ("enable_dns_hostnames", Value::Bool(true)),
            ],
        ),
        want(
            "subnet.a",
            &[("vpc", r("vpc.main")), ("cidr_block", s("10.0.1.0/24"))],
        ),
    ];
    let (report, events) = run(&fake, &create_plan(&wants), &config()).await;
    assert_succeeded(&report);
    assert_eq!(divergence(&fake, &wants), Vec::<String>::new());
    let calls = fake.calls();
    let not_found_reads = calls
        .iter()
        .filter(|c| c.op == Op::Read && c.outcome == CallOutcome::Err(ErrorKind::NotFound))
        .count();
    assert!(not_found_reads >= 3, "{not_found_reads}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Waiting { reason, .. } if reason == "not visible yet"))
    );
    assert!(ok_call(&calls, Op::Update, "vpc.main").at >= Duration::from_secs(30));
    assert!(ok_call(&calls, Op::Create, "subnet.a").at >= Duration::from_secs(30));
    assert_eq!(refused(&calls), Vec::<String>::new());
}

#[tokio::test(start_paused = true)]
async fn not_found_longer_than_the_grace_fails_clearly() {
    let fake = fake(FakeConfig::instant().read_lag(Kind::Vpc, Duration::from_secs(600)));
    let wants = vec![want("vpc.main", &[("cidr_block", s("10.0.0.0/16"))])];
    let (report, _) = run(&fake, &create_plan(&wants), &config()).await;
    let StepResult::Failed { error } = result(&report, "vpc.main", Step::Create) else {
        panic!()
    };
    assert_eq!(
        error.to_string(),
        "timed out after 2m waiting for vpc.main to become visible (last state: not found)"
    );
    // What was made is in the report, so the user can be told.
    assert_eq!(report.live[&addr("vpc.main")].address, addr("vpc.main"));
}

#[tokio::test(start_paused = true)]
async fn a_nat_gateway_that_never_becomes_available_times_out_clearly() {
    let fake = fake(FakeConfig::default().pending(Kind::NatGateway, Duration::from_secs(3600)));
    let started = tokio::time::Instant::now();
    let (report, events) = run(&fake, &create_plan(&network()), &config()).await;
    let StepResult::Failed { error } = result(&report, "nat_gateway.main", Step::Create) else {
        panic!("{:?}", report.outcomes)
    };
    assert_eq!(
        error.to_string(),
        "timed out after 10m waiting for nat_gateway.main to become available (last state: pending)"
    );
    assert!(matches!(error, ExecError::Timeout { .. }));
    assert!(matches!(
        result(&report, "route_table.private", Step::Create),
        StepResult::Skipped { because } if because == &addr("nat_gateway.main")
    ));
    assert_eq!(report.counts(), (network().len() - 2, 1, 1));
    assert!(started.elapsed() >= Duration::from_secs(600));
    assert!(started.elapsed() < Duration::from_secs(620));
    // Waiting events are paced (reason changes or every 10 s), not one per poll.
    let waits = events
        .iter()
        .filter(
            |e| matches!(e, Event::Waiting { address, .. } if address == &addr("nat_gateway.main")),
        )
        .count();
    assert!((5..=61).contains(&waits), "{waits}");
}

#[tokio::test(start_paused = true)]
async fn a_failed_nat_gateway_fails_its_step_at_once() {
    // Without the internet gateway in the plan, AWS (and the fake) fail the NAT gateway.
    let fake = fake(FakeConfig::default());
    let wants: Vec<Want> = network()
        .into_iter()
        .filter(|w| !matches!(w.address.kind, Kind::InternetGateway | Kind::RouteTable))
        .collect();
    let (report, _) = run(&fake, &create_plan(&wants), &config()).await;
    let StepResult::Failed { error } = result(&report, "nat_gateway.main", Step::Create) else {
        panic!()
    };
    assert_eq!(
        error.to_string(),
        "nat_gateway.main is failed on the AWS side after its create"
    );
}

#[tokio::test(start_paused = true)]
async fn idempotency_tokens_are_stable_and_a_rerun_after_a_crash_reuses_the_resource() {
    let tokens = |fake: &FakeCloud| -> Vec<(String, String)> {
        fake.calls()
            .iter()
            .filter(|c| c.op == Op::Create)
            .map(|c| {
                (
                    c.address.as_ref().unwrap().to_string(),
                    c.token.clone().unwrap(),
                )
            })
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_iter()
            .collect()
    };
    let p = create_plan(&network());
    let first = fake(FakeConfig::default());
    let (report, _) = run(&first, &p, &config()).await;
    assert_succeeded(&report);
    let second = fake(FakeConfig::default());
    let (report, _) = run(&second, &p, &config()).await;
    assert_succeeded(&report);
    assert_eq!(tokens(&first), tokens(&second));
    assert!(tokens(&first).iter().all(|(_, t)| t.len() == 32));

    // A run dies after the NAT gateway's create call (here: its first read fails hard); the
    // same plan run again gets the same NAT gateway back instead of a second one.
    let fake = fake(FakeConfig::default());
    fake.fail_next("nat_gateway.main", Op::Read, ErrorKind::Other, 1);
    let (report, _) = run(&fake, &p, &config()).await;
    assert!(matches!(
        result(&report, "nat_gateway.main", Step::Create),
        StepResult::Failed { .. }
    ));
    let made = report.live[&addr("nat_gateway.main")].id.clone();
    let rest = remaining(&p, &report);
    let (report, _) = run(&fake, &rest, &config()).await;
    assert_succeeded(&report);
    let nat_creates: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| c.op == Op::Create && c.kind == Kind::NatGateway)
        .collect();
    assert_eq!(nat_creates.len(), 2);
    assert_eq!(nat_creates[0].token, nat_creates[1].token);
    assert_eq!(nat_creates[1].outcome, CallOutcome::Replayed);
    assert_eq!(fake.find(&addr("nat_gateway.main")).len(), 1);
    assert_eq!(report.live[&addr("nat_gateway.main")].id, made);
    assert_eq!(divergence(&fake, &network()), Vec::<String>::new());
}

#[tokio::test(start_paused = true)]
async fn create_then_converges_what_the_create_call_does_not_set() {
    let fake = fake(FakeConfig::instant());
    let wants: Vec<Want> = network()
        .into_iter()
        .filter(|w| {
            [
                "vpc.main",
                "internet_gateway.main",
                "security_group.web",
                "security_group.db",
                "elastic_ip.nat",
            ]
            .contains(&w.address.to_string().as_str())
        })
        .collect();
    let started = tokio::time::Instant::now();
    let (report, events) = run(&fake, &create_plan(&wants), &config()).await;
    assert_succeeded(&report);
    assert_eq!(divergence(&fake, &wants), Vec::<String>::new());
    // Against a backend with no delays, no step sleeps: the first read after a create finds
    // the resource available.
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::Waiting { .. } | Event::Retrying { .. }))
    );
    let calls = fake.calls();
    // Each converged by one update after its create...
    for a in [
        "vpc.main",
        "internet_gateway.main",
        "security_group.web",
        "security_group.db",
    ] {
        assert!(
            position(&calls, Op::Create, a) < position(&calls, Op::Update, a),
            "{a}"
        );
        assert_eq!(
            calls
                .iter()
                .filter(|c| c.op == Op::Update && c.address == Some(addr(a)))
                .count(),
            1
        );
    }
    // ...and nothing to converge on an address.
    assert!(
        !calls
            .iter()
            .any(|c| c.op == Op::Update && c.kind == Kind::ElasticIp)
    );
    let vpc = &report.live[&addr("vpc.main")];
    let igw = &report.live[&addr("internet_gateway.main")];
    assert_eq!(igw.attrs["vpc"], Value::str(&vpc.id), "attached");
    let db = &report.live[&addr("security_group.db")];
    assert_eq!(
        db.attrs["egress"],
        list(vec![]),
        "AWS's default egress rule revoked"
    );
    let web = &report.live[&addr("security_group.web")];
    assert_eq!(
        db.attrs["ingress"].as_list()[0].as_map().unwrap()["from"],
        Value::str(&web.id)
    );
}

#[tokio::test(start_paused = true)]
async fn a_cycle_among_steps_fails_before_any_call() {
    let fake = fake(FakeConfig::instant());
    let wants = vec![
        want("vpc.a", &[("cidr_block", s("10.1.0.0/16"))]).depends_on("vpc.b"),
        want("vpc.b", &[("cidr_block", s("10.2.0.0/16"))]).depends_on("vpc.a"),
        want("vpc.c", &[("cidr_block", s("10.3.0.0/16"))]),
    ];
    let (report, events) = run(&fake, &create_plan(&wants), &config()).await;
    assert!(fake.calls().is_empty(), "{:?}", fake.calls());
    assert_eq!(report.counts(), (0, 2, 1));
    let StepResult::Failed { error } = result(&report, "vpc.a", Step::Create) else {
        panic!()
    };
    assert_eq!(
        error.to_string(),
        "the plan's steps depend on each other in a cycle: create vpc.a -> create vpc.b -> create vpc.a"
    );
    assert!(matches!(
        result(&report, "vpc.c", Step::Create),
        StepResult::Skipped { .. }
    ));
    assert!(!events.iter().any(|e| matches!(e, Event::Started { .. })));
}

#[tokio::test(start_paused = true)]
async fn a_plan_without_changes_makes_no_mutating_call() {
    let fake = fake(FakeConfig::instant());
    build_network(&fake).await;
    let p = plan(vec![], owned(&fake));
    let (report, events) = run(&fake, &p, &config()).await;
    assert!(report.succeeded());
    assert!(report.outcomes.is_empty());
    assert!(events.is_empty());
    assert_eq!(fake.mutating_calls(), 0);
    assert_eq!(report.live.len(), network().len());

    // An update whose difference disappears once references resolve makes no call either.
    let live = owned(&fake);
    let subnet = fake.find(&addr("subnet.private")).remove(0);
    let w = network()
        .into_iter()
        .find(|w| w.address == addr("subnet.private"))
        .unwrap();
    let mut change = change_to(&w, &subnet, &live, &["vpc.main"]);
    change.action = Action::Update;
    let known: Vec<_> = live
        .iter()
        .filter(|r| r.address != w.address)
        .cloned()
        .collect();
    let (report, _) = run(&fake, &plan(vec![change], known), &config()).await;
    assert_succeeded(&report);
    assert_eq!(fake.mutating_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn update_retries_not_found_within_the_grace() {
    let fake = fake(FakeConfig::instant());
    build_network(&fake).await;
    let live = owned(&fake);
    let subnet = fake.find(&addr("subnet.private")).remove(0);
    let w = network()
        .into_iter()
        .find(|w| w.address == addr("subnet.private"))
        .unwrap()
        .set("map_public_ip_on_launch", Value::Bool(true));
    let change = change_to(&w, &subnet, &live, &[]);
    assert_eq!(change.action, Action::Update);
    let known: Vec<_> = live
        .iter()
        .filter(|r| r.address != w.address)
        .cloned()
        .collect();
    fake.fail_next("subnet.private", Op::Update, ErrorKind::NotFound, 2);
    let (report, events) = run(&fake, &plan(vec![change], known), &config()).await;
    assert_succeeded(&report);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Retrying { .. }))
            .count(),
        2
    );
    assert_eq!(divergence(&fake, &[w]), Vec::<String>::new());
}

#[tokio::test(start_paused = true)]
async fn a_missing_reference_fails_the_step_without_a_call() {
    let fake = fake(FakeConfig::instant());
    let w = want(
        "subnet.a",
        &[("vpc", r("vpc.nowhere")), ("cidr_block", s("10.0.1.0/24"))],
    );
    let (report, _) = run(&fake, &create_plan(&[w]), &config()).await;
    let StepResult::Failed { error } = result(&report, "subnet.a", Step::Create) else {
        panic!()
    };
    assert!(matches!(error, ExecError::Unresolved { .. }), "{error}");
    assert_eq!(fake.mutating_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn deleting_what_is_already_gone_succeeds() {
    let fake = fake(FakeConfig::instant());
    build_network_partial(
        &fake,
        &[want("vpc.main", &[("cidr_block", s("10.0.0.0/16"))])],
    )
    .await;
    let p = destroy_plan(&fake);
    // Deleted behind recon's back; a provider that answers "not found" rather than success.
    let vpc = fake.find(&addr("vpc.main")).remove(0);
    use recon_provider::Provider;
    fake.delete(&vpc).await.unwrap();
    fake.fail_next("vpc.main", Op::Delete, ErrorKind::NotFound, 1);
    let (report, _) = run(&fake, &p, &config()).await;
    assert_succeeded(&report);
    assert!(report.live.is_empty());
}

#[tokio::test(start_paused = true)]
async fn replacing_a_failed_nat_gateway_makes_a_new_one_with_a_new_token() {
    let fake = fake(FakeConfig::default());
    // First run without the internet gateway: the NAT gateway ends `failed`.
    let first: Vec<Want> = network()
        .into_iter()
        .filter(|w| !matches!(w.address.kind, Kind::InternetGateway | Kind::RouteTable))
        .collect();
    let (report, _) = run(&fake, &create_plan(&first), &config()).await;
    assert!(matches!(
        result(&report, "nat_gateway.main", Step::Create),
        StepResult::Failed { .. }
    ));
    let failed = fake.find(&addr("nat_gateway.main")).remove(0);
    assert_eq!(failed.state, LiveState::Failed);
    let first_token = ok_call(&fake.calls(), Op::Create, "nat_gateway.main")
        .token
        .clone();

    // Second run: add the gateway, replace the failed NAT gateway with an identical one (the
    // planner's "failed on the AWS side" replacement).
    fake.reset_log();
    let live = owned(&fake);
    let nat_want = network()
        .into_iter()
        .find(|w| w.address == failed.address)
        .unwrap();
    let mut nat_change = change_to(&nat_want, &failed, &live, &[]);
    assert!(nat_change.diffs.is_empty());
    nat_change.action = Action::Replace;
    let igw = network()
        .into_iter()
        .find(|w| w.address == addr("internet_gateway.main"))
        .unwrap();
    let known: Vec<_> = live
        .iter()
        .filter(|r| r.address != failed.address)
        .cloned()
        .collect();
    let (report, _) = run(
        &fake,
        &plan(vec![create(&igw), nat_change], known),
        &config(),
    )
    .await;
    assert_succeeded(&report);
    let calls = fake.calls();
    let second = ok_call(&calls, Op::Create, "nat_gateway.main");
    assert_eq!(
        second.outcome,
        CallOutcome::Ok,
        "a new NAT gateway, not the failed one"
    );
    assert_ne!(second.token, first_token);
    assert_eq!(fake.get(&failed.id), None);
    assert_eq!(
        fake.find(&addr("nat_gateway.main"))[0].state,
        LiveState::Available
    );
}

/// `--parallelism` bounds calls, not steps: eleven NAT gateways pending for a minute each
/// (more than the ten slots) do not keep an unrelated VPC and security group from being made.
#[tokio::test(start_paused = true)]
async fn steps_waiting_on_slow_nat_gateways_hold_no_slot() {
    let fake = fake(FakeConfig::default().pending(Kind::NatGateway, secs(600)));
    // First run: a VPC with an attached internet gateway, a public subnet and eleven addresses.
    let mut base = vec![
        want("vpc.main", &[("cidr_block", s("10.0.0.0/16"))]),
        want("internet_gateway.main", &[("vpc", r("vpc.main"))]),
        want(
            "subnet.public",
            &[("vpc", r("vpc.main")), ("cidr_block", s("10.0.1.0/24"))],
        ),
    ];
    base.extend((0..11).map(|i| want(&format!("elastic_ip.e{i:02}"), &[])));
    let (report, _) = run(&fake, &create_plan(&base), &config()).await;
    assert_succeeded(&report);
    fake.reset_log();

    // Second run: eleven NAT gateways (they sort first, so they are the first ready steps),
    // and a VPC with a security group that nothing ties to them.
    let mut wants: Vec<Want> = (0..11)
        .map(|i| {
            want(
                &format!("nat_gateway.n{i:02}"),
                &[
                    ("subnet", r("subnet.public")),
                    ("elastic_ip", r(&format!("elastic_ip.e{i:02}"))),
                ],
            )
        })
        .collect();
    wants.push(want("vpc.other", &[("cidr_block", s("10.1.0.0/16"))]));
    wants.push(want("security_group.other", &[("vpc", r("vpc.other"))]));
    let known: Vec<_> = report.live.values().cloned().collect();
    let p = plan(wants.iter().map(create).collect(), known);
    let started = tokio::time::Instant::now();
    let config = ExecConfig {
        parallelism: 10,
        ..config()
    };
    let (report, events) = run(&fake, &p, &config).await;
    assert_succeeded(&report);

    let calls = fake.calls();
    let other = ok_call(&calls, Op::Create, "security_group.other");
    let first_nat_ready = Duration::from_secs(600);
    assert!(
        other.at < Duration::from_secs(5),
        "the unrelated security group was created at {:?}, behind the NAT gateways",
        other.at
    );
    // Every NAT gateway was asked for at once and waited for together, not ten at a time.
    for i in 0..11 {
        let nat = ok_call(&calls, Op::Create, &format!("nat_gateway.n{i:02}"));
        assert!(
            nat.at < Duration::from_secs(5),
            "nat n{i:02} at {:?}",
            nat.at
        );
    }
    assert!(started.elapsed() < first_nat_ready * 2);
    assert!(fake.max_in_flight() <= 10);
    let waiting = events
        .iter()
        .filter(|e| matches!(e, Event::Waiting { address, .. } if address.kind == Kind::NatGateway))
        .count();
    assert!(waiting >= 11, "each NAT gateway waited while pending");
}

#[tokio::test(start_paused = true)]
async fn a_create_whose_answer_is_complete_is_not_read_back() {
    // Every kind of the network but the NAT gateway (pending for minutes: it is waited for).
    let complete = [
        Kind::Vpc,
        Kind::Subnet,
        Kind::InternetGateway,
        Kind::RouteTable,
        Kind::ElasticIp,
    ];
    let config = complete
        .iter()
        .fold(FakeConfig::default(), |c, k| c.create_reply_is_a_read(*k));
    let fake = fake(config);
    let (report, _) = run(&fake, &create_plan(&network()), &ExecConfig::default()).await;
    assert_succeeded(&report);
    assert_eq!(divergence(&fake, &network()), Vec::<String>::new());
    let reads = |kind: Kind| {
        fake.calls()
            .iter()
            .filter(|c| c.op == Op::Read && c.kind == kind)
            .count()
    };
    for kind in complete {
        assert_eq!(reads(kind), 0, "{kind} read back after its create");
    }
    assert!(
        reads(Kind::NatGateway) > 0,
        "the pending NAT gateway is waited for"
    );
}

#[tokio::test(start_paused = true)]
async fn a_delete_that_answers_once_gone_is_not_polled() {
    let fake = fake(FakeConfig::default());
    build_network(&fake).await;
    let before = fake.calls().len();
    let (report, _) = run(&fake, &destroy_plan(&fake), &config()).await;
    assert_succeeded(&report);
    let reads = |kind: Kind| {
        fake.calls()[before..]
            .iter()
            .filter(|c| c.op == Op::Read && c.kind == kind)
            .count()
    };
    for kind in [
        Kind::Vpc,
        Kind::Subnet,
        Kind::InternetGateway,
        Kind::RouteTable,
        Kind::ElasticIp,
    ] {
        assert!(recon_model::kinds::def(kind).aws.gone_when_delete_answers);
        assert_eq!(reads(kind), 0, "{kind} polled after its delete");
    }
    assert!(
        reads(Kind::NatGateway) > 0,
        "the deleting NAT gateway is waited for"
    );
}

/// Before its first step the executor tells the provider every delete of the plan, so that
/// the AWS provider can check their ownership with one describe per kind.
#[tokio::test(start_paused = true)]
async fn the_provider_is_told_the_plans_deletes_before_they_start() {
    let fake = fake(FakeConfig::default());
    build_network(&fake).await;
    let plan = destroy_plan(&fake);
    let (report, _) = run(&fake, &plan, &config()).await;
    assert_succeeded(&report);
    let mut told = fake.expected_deletes();
    told.sort();
    let mut planned: Vec<(Kind, String)> = plan
        .changes
        .iter()
        .map(|c| (c.address.kind, c.id.clone().expect("a delete has an id")))
        .collect();
    planned.sort();
    assert!(!planned.is_empty());
    assert_eq!(told, planned);
}
