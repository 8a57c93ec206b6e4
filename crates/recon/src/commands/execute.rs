//! Running a plan and showing progress the way Terraform users expect.

use std::sync::Arc;

use recon_exec::{ExecConfig, StepResult, execute};
use recon_model::Plan;
use recon_provider::Provider;

use crate::error::{StepFailure, error_chain};
use crate::render::progress;
use crate::{CliError, printer};

/// Carries out `plan`, printing progress, and summarises. Fails when any step failed.
pub async fn run<P: Provider>(
    provider: Arc<P>,
    plan: &Plan,
    parallelism: usize,
    action: &'static str,
) -> Result<(), CliError> {
    let config = ExecConfig {
        parallelism,
        ..ExecConfig::default()
    };
    printer::line("");
    let report = execute(provider, plan, &config, |event| {
        printer::line(&progress::line(&event));
    })
    .await;
    let summary = progress::summary(plan);
    if report.succeeded() {
        printer::line(&format!("\n{action} complete! {summary}"));
        return Ok(());
    }
    let (done, failed, skipped) = report.counts();
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
