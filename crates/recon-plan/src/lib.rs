//! The planner: what must change for the live resources to become the spec; and the step
//! graph, the order in which a plan's changes are carried out.
//!
//! # Architecture invariants
//! - Pure and deterministic: no IO, no clock, no randomness; the same spec and live resources
//!   give the same plan, changes in address order.
//! - Knows nothing of AWS: kinds are data (their schemas in `recon-model`).
//! - Never plans a change to a resource the environment does not own: it only ever sees live
//!   resources that discovery found by this environment's ownership tag.
//! - One step graph ([`StepGraph::build`]): the executor runs it and `recon graph --plan` draws
//!   it; nothing else orders a plan's steps.

mod destroy;
mod graph;
mod lifecycle;
mod planner;
mod scope;
mod steps;

pub use destroy::plan_destroy;
pub use graph::{Cycle, topological_order};
pub use planner::{PlanError, PlanOptions, plan, plan_discovered, plan_with};
pub use scope::{may_interact, vpc_scopes};
pub use steps::{Step, StepGraph, StepNode, Why};
