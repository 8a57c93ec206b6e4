//! Running a plan and showing progress the way Terraform users expect.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
    let before = recon_aws::retry_counts();
    let waited = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&waited);
    let report = execute(provider, plan, &config, move |event| {
        if matches!(event, Event::Retrying { .. }) {
            counted.fetch_add(1, Ordering::Relaxed);
        }
        printer::line(&progress::line(&event));
        observe(&event);
    })
    .await;
    let summary = progress::summary(plan);
    let retried = retried_line(before, waited.load(Ordering::Relaxed));
    if report.succeeded() {
        printer::line(&format!("\n{action} complete! {summary}{retried}"));
        return Ok(());
    }
    if !retried.is_empty() {
        printer::line(retried.trim_start());
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

/// " 12 calls retried (throttled: 3)." when any call was sent again (by the SDK, or by recon
/// after "in use" or "not found yet"), else nothing.
fn retried_line(before: recon_aws::RetryCounts, by_recon: u64) -> String {
    let now = recon_aws::retry_counts();
    let resent = now.resent - before.resent + by_recon;
    let throttled = now.throttled - before.throttled;
    if resent == 0 && throttled == 0 {
        return String::new();
    }
    format!(" {resent} calls retried (throttled: {throttled}).")
}
