//! `recon graph SPEC`: the dependency graph as Mermaid or DOT, optionally coloured by a saved
//! plan. Offline: reads the spec (and the plan file), never AWS.

use crate::args::{GraphArgs, GraphFormat};
use crate::render::{graph, graph_dot, graph_mermaid};
use crate::{CliError, ExitStatus, planfile, printer};

pub fn run(args: GraphArgs) -> Result<ExitStatus, CliError> {
    let (spec, source) = super::load_spec(&args.spec, &args.inputs)?;
    let plan = args.plan.as_deref().map(planfile::load).transpose()?;
    if let (Some(plan), Some(path)) = (&plan, &args.plan) {
        if plan.environment != spec.environment {
            return Err(CliError::PlanEnvironment {
                path: path.clone(),
                plan: plan.environment.clone(),
                spec: spec.environment.clone(),
            });
        }
        if plan
            .spec
            .as_ref()
            .is_some_and(|s| s.sha256 != source.sha256)
        {
            printer::warn(&format!(
                "Warning: the plan `{}` was made from another version of `{}`; its actions may not match the graph.",
                path.display(),
                source.path
            ));
        }
    }
    let graph = graph::build(&spec, plan.as_ref())
        .map_err(|cycle| CliError::Plan(recon_plan::PlanError::Cycle(cycle)))?;
    printer::out(&match args.format {
        GraphFormat::Mermaid => graph_mermaid::render(&graph),
        GraphFormat::Dot => graph_dot::render(&graph),
    });
    Ok(ExitStatus::Success)
}
