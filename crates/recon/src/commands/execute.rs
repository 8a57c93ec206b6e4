//! Running a plan and showing progress the way Terraform users expect.

use std::sync::Arc;
use std::time::Duration;

use recon_exec::{Event, ExecConfig, StepResult, execute};
use recon_model::Plan;
use recon_provider::Provider;

use crate::error::{StepFailure, error_chain};
use crate::render::progress;
use crate::{CliError, printer};

/// The command-line knobs of the executor.
#[derive(Clone, Copy, Debug)]
pub struct Tuning {
    pub parallelism: usize,
    pub retry_for: Duration,
}

/// Carries out `plan`, printing progress and passing each event to `observe`, and summarises.
/// Fails when any step failed.
pub async fn run<P: Provider>(
    provider: Arc<P>,
    plan: &Plan,
    tuning: Tuning,
    action: &'static str,
    observe: impl Fn(&Event) + Send + Sync + 'static,
) -> Result<(), CliError> {
    let config = ExecConfig {
        parallelism: tuning.parallelism,
        dependency_timeout: tuning.retry_for,
        ..ExecConfig::default()
    };
    printer::line("");
    let report = execute(provider, plan, &config, move |event| {
        printer::line(&progress::line(&event));
        observe(&event);
    })
    .await;
    let summary = progress::summary(plan);
    if report.succeeded() {
        printer::line(&format!("\n{action} complete! {summary}"));
        return Ok(());
    }
    let (done, failed, skipped) = report.counts();
    // A fault of the environment (no credentials, an endpoint down) is one message, not one
    // per step: the executor started nothing after it.
    let fault = report.outcomes.iter().find_map(|o| match &o.result {
        StepResult::Failed { error } => error
            .environment_fault()
            .map(|f| (f, format!("{} {}", o.step, o.address))),
        _ => None,
    });
    if let Some((fault, doing)) = fault {
        return Err(crate::fault::during_changes(fault, &doing, done, skipped));
    }
    let causes = report
        .outcomes
        .iter()
        .filter_map(|o| match &o.result {
            StepResult::Failed { error } => Some(StepFailure {
                address: o.address.to_string(),
                message: error_chain(error),
            }),
            _ => None,
        })
        .collect();
    Err(CliError::ExecutionFailed {
        action,
        done,
        failed,
        skipped,
        causes,
    })
}
