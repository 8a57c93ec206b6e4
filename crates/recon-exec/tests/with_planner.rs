//! The executor with the real planner on the fake: plan, apply, plan again (no changes, no
//! mutating call), change the spec (replace and update), destroy. The fake, the planner's
//! diff and the executor's convergence must agree on what "done" means.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use recon_exec::ExecConfig;
use recon_fake::{FakeCloud, FakeConfig, Op};
use recon_model::{Action, DesiredResource, Kind, Plan, Spec};
use recon_provider::discover_all;
use support::*;

fn spec(wants: &[Want]) -> Spec {
    Spec {
        environment: ENV.into(),
        region: "us-east-1".into(),
        tags: BTreeMap::new(),
        lookups: vec![],
        resources: wants
            .iter()
            .map(|w| {
                let mut attrs = w.attrs.clone();
                attrs.remove("tags");
                DesiredResource {
                    address: w.address.clone(),
                    attrs,
                    depends_on: vec![],
                }
            })
            .collect(),
        lifecycle: Default::default(),
    }
}

async fn plan_for(fake: &FakeCloud, wants: &[Want]) -> Plan {
    let live = discover_all(fake, ENV, Kind::ALL).await.expect("discovery");
    recon_plan::plan(&spec(wants), None, Kind::ALL, &live).expect("plan")
}

#[tokio::test(start_paused = true)]
async fn apply_then_replan_is_empty_then_change_then_destroy() {
    let fake = Arc::new(FakeCloud::new(FakeConfig::default()));
    let config = ExecConfig::default();

    let first = plan_for(&fake, &network()).await;
    assert!(first.changes.iter().all(|c| c.action == Action::Create));
    let (report, _) = run(&fake, &first, &config).await;
    assert_succeeded(&report);

    let second = plan_for(&fake, &network()).await;
    assert!(second.is_empty(), "{:#?}", second.changes);
    fake.reset_log();
    let (report, events) = run(&fake, &second, &config).await;
    assert!(report.succeeded());
    assert!(events.is_empty());
    assert_eq!(fake.mutating_calls(), 0);

    // A new address for the NAT gateway (replace) and a tighter rule on the database group
    // (update in place).
    let mut wants = network();
    wants.push(want("elastic_ip.second", &[]));
    for w in &mut wants {
        if w.address == addr("nat_gateway.main") {
            *w = want(
                "nat_gateway.main",
                &[
                    ("subnet", r("subnet.public")),
                    ("elastic_ip", r("elastic_ip.second")),
                ],
            );
        }
        if w.address == addr("security_group.db") {
            *w = want(
                "security_group.db",
                &[
                    ("vpc", r("vpc.main")),
                    (
                        "ingress",
                        list(vec![map(&[
                            ("protocol", s("tcp")),
                            ("ports", s("5433")),
                            ("from", r("security_group.web")),
                        ])]),
                    ),
                    ("egress", list(vec![])),
                ],
            );
        }
    }
    let change = plan_for(&fake, &wants).await;
    let actions: std::collections::BTreeSet<(String, Action)> = change
        .changes
        .iter()
        .map(|c| (c.address.to_string(), c.action))
        .collect();
    assert_eq!(
        actions,
        std::collections::BTreeSet::from([
            ("elastic_ip.second".to_owned(), Action::Create),
            ("nat_gateway.main".to_owned(), Action::Replace),
            ("route_table.private".to_owned(), Action::Update),
            ("security_group.db".to_owned(), Action::Update),
        ])
    );
    // The fake is strict about routes by default: the route table still routes to the old
    // NAT gateway when it is deleted. AWS lets that happen (blackhole route); model AWS.
    let aws_like = Arc::new(FakeCloud::new(
        FakeConfig::default().routes_block_delete(false),
    ));
    let (report, _) = run(&aws_like, &plan_for(&aws_like, &network()).await, &config).await;
    assert_succeeded(&report);
    let change = plan_for(&aws_like, &wants).await;
    let (report, _) = run(&aws_like, &change, &config).await;
    assert_succeeded(&report);
    assert_eq!(divergence(&aws_like, &wants), Vec::<String>::new());
    assert!(plan_for(&aws_like, &wants).await.is_empty());

    // Destroy everything: the planner's destroy plan, in an order the fake accepts.
    let live = discover_all(aws_like.as_ref(), ENV, Kind::ALL)
        .await
        .unwrap();
    let destroy = recon_plan::plan_destroy(ENV, "us-east-1", None, Kind::ALL, live);
    aws_like.reset_log();
    let (report, _) = run(&aws_like, &destroy, &config).await;
    assert_succeeded(&report);
    assert_eq!(owned(&aws_like), vec![]);
    assert_eq!(refused(&aws_like.calls()), Vec::<String>::new());
    assert!(
        aws_like
            .calls()
            .iter()
            .filter(|c| c.op.is_mutating())
            .all(|c| c.op == Op::Delete)
    );
}
