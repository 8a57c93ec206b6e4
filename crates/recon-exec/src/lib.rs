//! The executor: carries out a [`Plan`] through a [`Provider`].
//!
//! Creates and updates run in dependency order, deletes in reverse, a replacement as delete
//! then create, in the order of the plan's step graph ([`recon_plan::StepGraph`], the one
//! `recon graph --plan` draws); every ready step runs at once, and the AWS calls of all of them
//! are bounded by [`ExecConfig::parallelism`]. After a create
//! the executor waits until the resource is available and converges the fields the create call
//! does not set with one update. Deletes retry `DependencyViolation` with bounded backoff and
//! wait until the resource is gone. A failed step's dependents are skipped, independent
//! branches finish.
//!
//! # Architecture invariants
//! - Consumes only the plan: never discovers, never re-plans.
//! - Never prints: progress leaves through the `on_event` callback as [`Event`]s.
//! - Waiting and retrying policy lives here, once for every kind; providers only report states
//!   and classify errors.

mod bounded;
mod steps;
mod token;
mod types;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use recon_model::{Action, Address, LiveResource, Plan};
use recon_plan::StepGraph;
use recon_provider::Provider;
use tokio::task::JoinSet;

use crate::bounded::Bounded;
use crate::steps::{
    Ctx, Effect, Events, StepRun, create_step, delete_step, live_before, live_from_change,
    update_step,
};
pub use crate::token::idempotency_token;
pub use crate::types::{
    Event, ExecConfig, ExecError, KindTimeouts, Outcome, Report, StepResult, error_chain, human,
};
pub use recon_plan::Step;

/// Carries out every change of `plan`, reporting progress through `on_event`, and returns what
/// happened to each step.
///
/// Each change becomes steps: `Create` → create, `Update` → update, `Delete` → delete,
/// `Replace` → delete (the live resource) then create (the wanted one). The steps are ordered by
/// [`StepGraph::build`]: the plan's `depends_on` (creates and updates after those of what they
/// depend on), `live_depends_on` (deletes before the deletes of what the live version uses; an
/// update that stops using a deleted resource before its delete), and the kinds' `after` order
/// within a VPC; see the step functions for what each step does, waits for and retries.
///
/// # Guarantees
/// - No provider call is made for a step before every step it is ordered after is done.
/// - At most `parallelism` provider calls (hence at most that many mutating calls) are in
///   flight at once. A step holds no slot while it waits between polls or retries, so steps
///   waiting for slow resources never keep a ready step from starting its calls, as long as
///   fewer than `steps_at_once` steps are under way; ready steps beyond that start, in plan
///   order, as others finish.
/// - If the ordering constraints form a cycle, nothing is called: the cycle's steps fail with
///   [`ExecError::Cycle`] and every other step is skipped because of the cycle's first step.
/// - A failed step's transitive dependents are not run: each is reported once as
///   `Skipped { because }` naming the step that failed first on its path (the root cause),
///   never as an error of its own. Steps that do not depend on a failure run to the end.
/// - `Report::outcomes` has exactly one outcome per step, sorted by address then step, whatever
///   order the steps ran in.
/// - References in `after` are resolved from the results of earlier steps and `plan.known`,
///   and only those: the provider is never asked to discover.
/// - Every event of a step is sent before its outcome is recorded; the last event of each
///   step is `Finished`, `Failed` or `Skipped`.
///
/// # Assumptions
/// - The plan is the one the caller reviewed and still matches the live resources (the CLI
///   checks the live fingerprint before calling this).
/// - Each change's `depends_on` lists every resource its `after` refers to (the planner
///   guarantees it); `live_depends_on` lists what its live version uses.
/// - A replaced resource's old version is not used, at the time of its delete, by a resource
///   that is only updated in place (that update is ordered after the new version's create).
///   Where AWS refuses such a delete (a security group still named by another group's rule)
///   the delete retries until `dependency_timeout` and fails; where AWS allows it (a route to
///   a replaced NAT gateway becomes a blackhole until the update) it works.
pub async fn execute<P: Provider>(
    provider: Arc<P>,
    plan: &Plan,
    config: &ExecConfig,
    on_event: impl Fn(Event) + Send + Sync + 'static,
) -> Report {
    let events: Events = Arc::new(on_event);
    let graph = StepGraph::build(plan);
    let mut live = initial_live(plan);
    let n = graph.nodes.len();
    let mut results: Vec<Option<StepResult>> = (0..n).map(|_| None).collect();

    if let Some(cycle) = graph.cycle() {
        let steps: Vec<(Address, Step)> = cycle
            .iter()
            .map(|&i| (graph.nodes[i].address.clone(), graph.nodes[i].step))
            .collect();
        let because = steps[0].0.clone();
        for &i in &cycle {
            let error = ExecError::Cycle {
                steps: steps.clone(),
            };
            events(Event::Failed {
                address: graph.nodes[i].address.clone(),
                step: graph.nodes[i].step,
                error: error_chain(&error),
            });
            results[i] = Some(StepResult::Failed { error });
        }
        for (i, node) in graph.nodes.iter().enumerate() {
            if results[i].is_none() {
                events(Event::Skipped {
                    address: node.address.clone(),
                    step: node.step,
                    because: because.clone(),
                });
                results[i] = Some(StepResult::Skipped {
                    because: because.clone(),
                });
            }
        }
        return report(plan, &graph, results, live);
    }

    provider.expect_deletes(&deletes(plan));
    let provider = Arc::new(Bounded::new(provider, config.parallelism));
    let config = Arc::new(config.clone());
    let environment: Arc<str> = plan.environment.as_str().into();
    let mut waiting_for: Vec<usize> = (0..n).map(|i| graph.waits_for(i).len()).collect();
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| waiting_for[i] == 0).collect();
    let mut tasks: JoinSet<StepRun> = JoinSet::new();
    let mut task_node: HashMap<tokio::task::Id, usize> = HashMap::new();

    // Set by the first step that failed for a fault of the environment: nothing more starts.
    let mut halted: Option<Address> = None;
    loop {
        if halted.is_some() {
            ready.clear();
        }
        let room = config.steps_at_once.max(config.parallelism);
        while tasks.len() < room {
            let Some(i) = ready.pop_first() else {
                break;
            };
            let node = &graph.nodes[i];
            let change = &plan.changes[node.change];
            let ctx = Ctx {
                provider: provider.clone(),
                config: config.clone(),
                events: events.clone(),
                environment: environment.clone(),
                address: node.address.clone(),
                step: node.step,
            };
            tracing::debug!(address = %node.address, step = %node.step, "starting");
            events(Event::Started {
                address: node.address.clone(),
                step: node.step,
            });
            let handle = match node.step {
                Step::Create => {
                    let resolved = ctx.resolve(change, &live);
                    tasks.spawn(create_step(ctx, change.clone(), resolved))
                }
                Step::Update => {
                    let resolved = ctx.resolve(change, &live);
                    let current = live.get(&node.address).cloned();
                    tasks.spawn(update_step(ctx, change.clone(), resolved, current))
                }
                Step::Delete => {
                    let deleting = live_from_change(&ctx, change);
                    tasks.spawn(delete_step(ctx, deleting))
                }
            };
            task_node.insert(handle.id(), i);
        }
        let Some(joined) = tasks.join_next_with_id().await else {
            break;
        };
        let (i, run) = match joined {
            Ok((id, run)) => (task_node[&id], run),
            Err(e) => {
                let i = task_node[&e.id()];
                let node = &graph.nodes[i];
                let error = ExecError::Internal {
                    address: node.address.clone(),
                    step: node.step,
                    message: e.to_string(),
                };
                (
                    i,
                    StepRun {
                        result: Err(error),
                        effect: Effect::Keep,
                    },
                )
            }
        };
        let node = &graph.nodes[i];
        match run.effect {
            Effect::Set(r) => {
                live.insert(node.address.clone(), r);
            }
            Effect::Remove => {
                live.remove(&node.address);
            }
            Effect::Keep => {}
        }
        match &run.result {
            Ok(id) => tracing::debug!(address = %node.address, step = %node.step, id, "done"),
            Err(e) => {
                tracing::debug!(address = %node.address, step = %node.step, error = %error_chain(e), "failed")
            }
        }
        match run.result {
            Ok(id) => {
                results[i] = Some(StepResult::Done { id });
                for &d in graph.waited_on_by(i) {
                    waiting_for[d] -= 1;
                    if waiting_for[d] == 0 && results[d].is_none() {
                        ready.insert(d);
                    }
                }
            }
            Err(error) => {
                events(Event::Failed {
                    address: node.address.clone(),
                    step: node.step,
                    error: error_chain(&error),
                });
                if halted.is_none() && error.environment_fault().is_some() {
                    halted = Some(node.address.clone());
                }
                results[i] = Some(StepResult::Failed { error });
                skip_dependents(&graph, i, &mut results, &events);
            }
        }
    }
    if let Some(because) = halted {
        // The steps that never started: they would meet the same fault.
        for (i, node) in graph.nodes.iter().enumerate() {
            if results[i].is_none() {
                events(Event::Skipped {
                    address: node.address.clone(),
                    step: node.step,
                    because: because.clone(),
                });
                results[i] = Some(StepResult::Skipped {
                    because: because.clone(),
                });
            }
        }
    }
    report(plan, &graph, results, live)
}

/// Marks every step that transitively waits for `failed` and has no result yet as skipped
/// because of `failed`'s address.
fn skip_dependents(
    graph: &StepGraph,
    failed: usize,
    results: &mut [Option<StepResult>],
    events: &Events,
) {
    let because = graph.nodes[failed].address.clone();
    let mut stack: Vec<usize> = graph.waited_on_by(failed).iter().copied().collect();
    while let Some(d) = stack.pop() {
        if results[d].is_some() {
            continue;
        }
        let node = &graph.nodes[d];
        events(Event::Skipped {
            address: node.address.clone(),
            step: node.step,
            because: because.clone(),
        });
        results[d] = Some(StepResult::Skipped {
            because: because.clone(),
        });
        stack.extend(graph.waited_on_by(d).iter().copied());
    }
}

/// What the plan says is live and a step may read: unchanged resources, and the live versions
/// of the resources it updates or replaces. A resource it only deletes is left out: its delete
/// reads its change, and nothing refers to what is going away; so a destroy does not hold a
/// second copy of the environment (one resource at a time, as each delete starts).
fn initial_live(plan: &Plan) -> BTreeMap<Address, LiveResource> {
    let mut live = plan.known.clone();
    for change in &plan.changes {
        if matches!(change.action, Action::Create | Action::Delete)
            || live.contains_key(&change.address)
        {
            continue;
        }
        if let Some(r) = live_before(change) {
            live.insert(change.address.clone(), r);
        }
    }
    live
}

/// The outcome of every step, in address order, and the live resources as the run left them.
fn report(
    plan: &Plan,
    graph: &StepGraph,
    results: Vec<Option<StepResult>>,
    mut live: BTreeMap<Address, LiveResource>,
) -> Report {
    // A resource whose delete did not happen is still live: back in, as the plan knew it.
    for (node, result) in graph.nodes.iter().zip(&results) {
        let change = &plan.changes[node.change];
        let deleted = matches!(result, Some(StepResult::Done { .. }));
        if change.action == Action::Delete
            && !deleted
            && !live.contains_key(&node.address)
            && let Some(r) = live_before(change)
        {
            live.insert(node.address.clone(), r);
        }
    }
    let mut outcomes: Vec<Outcome> = graph
        .nodes
        .iter()
        .zip(results)
        .map(|(node, result)| Outcome {
            address: node.address.clone(),
            step: node.step,
            result: result.unwrap_or_else(|| StepResult::Failed {
                error: ExecError::Internal {
                    address: node.address.clone(),
                    step: node.step,
                    message: "the step never became ready".into(),
                },
            }),
        })
        .collect();
    outcomes.sort_by(|a, b| (&a.address, a.step).cmp(&(&b.address, b.step)));
    Report { outcomes, live }
}

/// The live resources the plan deletes (deleted or replaced), by kind and id.
fn deletes(plan: &Plan) -> Vec<(recon_model::Kind, String)> {
    plan.changes
        .iter()
        .filter(|c| {
            matches!(
                c.action,
                recon_model::Action::Delete | recon_model::Action::Replace
            )
        })
        .filter_map(|c| Some((c.address.kind, c.id.clone()?)))
        .collect()
}
