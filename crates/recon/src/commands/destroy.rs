//! `recon destroy SPEC` or `recon destroy --env NAME --region R`: delete everything the
//! environment owns (found by tag), verify by a fresh discovery that nothing remains, and write
//! the teardown record, whether or not every deletion succeeded.
//!
//! Protected resources (the `recon:protect` tag) stop it before anything is deleted, whether or
//! not the spec still names them. The environment's lock is held from the staleness check
//! until the final sweep.

use std::sync::Arc;
use std::time::SystemTime;

use recon_model::Kind;

use crate::args::DestroyArgs;
use crate::error::error_chain;
use crate::render::plan_text;
use crate::teardown::{self, Outcome, Record, Recorder, Status, Sweep};
use crate::{CliError, ExitStatus, confirm, printer};

pub async fn run(args: DestroyArgs) -> Result<ExitStatus, CliError> {
    let (environment, region, source) = match (&args.spec, args.env, args.region) {
        (Some(path), _, _) => {
            let (spec, source) = super::load_spec(path)?;
            (spec.environment, spec.region, Some(source))
        }
        (None, Some(env), Some(region)) => (env, region, None),
        _ => unreachable!("clap requires a spec or --env with --region"),
    };
    let provider = Arc::new(super::aws(&region).await?);
    let live = super::discover(&*provider, &environment).await?;
    let plan = recon_plan::plan_destroy(&environment, &region, source, Kind::ALL, &live);
    if plan.is_empty() {
        printer::line(&format!(
            "Nothing to destroy: no resources tagged recon:env={environment} in {region}."
        ));
        return Ok(ExitStatus::Success);
    }
    printer::out(&plan_text::render(&plan));
    super::lifecycle::refuse_protected(&plan, "destroy")?;
    confirm::confirm("destroy all of these resources", args.auto_approve)?;

    let held =
        super::lock::acquire(&provider, &environment, &region, "destroy", args.lock_wait).await?;
    held.run(carry_out(
        provider,
        plan,
        live,
        environment,
        region,
        args.record,
        super::execute::Tuning {
            parallelism: args.parallelism.into(),
            retry_for: args.retry_for,
        },
    ))
    .await
}

/// Deletes, sweeps and records, under the lock.
async fn carry_out(
    provider: Arc<recon_aws::AwsProvider>,
    plan: recon_model::Plan,
    live: Vec<recon_model::LiveResource>,
    environment: String,
    region: String,
    record_path: Option<std::path::PathBuf>,
    tuning: super::execute::Tuning,
) -> Result<ExitStatus, CliError> {
    recon_provider::check_fresh(&*provider, &plan)
        .await
        .map_err(|e| match e {
            recon_provider::FreshError::Stale { environment } => {
                CliError::StaleLive { environment }
            }
            recon_provider::FreshError::Discover(errors) => {
                super::discover_failed(&environment, errors)
            }
        })?;
    let started = SystemTime::now();
    let recorder = Recorder::new(&plan, &live);
    let observer = recorder.clone();
    let executed = super::execute::run(
        Arc::clone(&provider),
        &plan,
        tuning,
        "Destroy",
        move |event| observer.observe(event),
    )
    .await;

    let sweep = match super::discover(&*provider, &environment).await {
        Ok(remaining) => Sweep {
            at: teardown::timestamp(SystemTime::now()),
            remaining: remaining
                .iter()
                .map(|r| format!("{} ({})", r.address, r.id))
                .collect(),
            error: None,
        },
        Err(e) => Sweep {
            at: teardown::timestamp(SystemTime::now()),
            remaining: vec![],
            error: Some(error_chain(&e)),
        },
    };
    let resources = recorder.entries();
    let complete = executed.is_ok()
        && sweep.error.is_none()
        && sweep.remaining.is_empty()
        && resources.iter().all(|e| e.status == Status::Deleted);
    let record = Record {
        format_version: teardown::RECORD_FORMAT_VERSION,
        environment: environment.clone(),
        region: region.clone(),
        spec: plan.spec.clone(),
        started_at: teardown::timestamp(started),
        finished_at: teardown::timestamp(SystemTime::now()),
        outcome: if complete {
            Outcome::Complete
        } else {
            Outcome::Incomplete
        },
        resources,
        sweep: sweep.clone(),
    };
    let path = record_path.unwrap_or_else(|| teardown::default_path(&environment, started));
    let md = teardown::write(&record, &path)?;
    printer::line(&format!(
        "Teardown record: {} (and {})",
        path.display(),
        md.display()
    ));

    executed?;
    if let Some(error) = sweep.error {
        return Err(CliError::SweepFailed { environment, error });
    }
    if sweep.remaining.is_empty() {
        printer::line(&format!(
            "Verified: no resources tagged recon:env={environment} remain in {region}."
        ));
        Ok(ExitStatus::Success)
    } else {
        Err(CliError::Remaining {
            environment,
            remaining: sweep.remaining,
        })
    }
}
