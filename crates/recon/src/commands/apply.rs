//! `recon apply`: carry out the saved plan, after checking it is not stale; or
//! `recon apply SPEC`: plan, show, confirm, carry out.

use recon_model::{Kind, Plan, sha256_hex};
use recon_provider::{FreshError, check_fresh};

use crate::args::{ApplyArgs, SpecInputs};
use crate::render::{plan_text, review_text};
use crate::{CliError, ExitStatus, confirm, outputs, planfile, printer};

pub async fn run(args: ApplyArgs) -> Result<ExitStatus, CliError> {
    let (plan, provider, outputs) = match &args.spec {
        Some(spec_path) => {
            let (loaded, review) = super::load_reviewed(spec_path, &args.inputs)?;
            let provider = super::aws(&loaded.spec.region).await?;
            let (spec, lookups) =
                super::resolve_lookups(&provider, &loaded.spec, &loaded.source).await?;
            let live = super::discover(&provider, &spec.environment).await?;
            super::warn_missing_private_keys(&spec, &live);
            let mut plan = recon_plan::plan(&spec, Some(loaded.source.clone()), Kind::ALL, &live)?;
            super::check_private_key_files_free(&spec, &plan)?;
            plan.lookups = lookups;
            printer::out(&plan_text::render(&plan));
            printer::out(&review_text::render(&review, &loaded.positions));
            if plan.is_empty() {
                return Ok(ExitStatus::Success);
            }
            confirm::confirm("perform these actions", args.auto_approve)?;
            (plan, provider, loaded.outputs)
        }
        None => {
            let plan = planfile::load(&args.plan)?;
            check_spec_unchanged(&plan)?;
            super::stale_values::check(&plan, &args.inputs)?;
            let provider = super::aws(&plan.region).await?;
            check_fresh(&provider, &plan).await.map_err(|e| match e {
                FreshError::Stale { environment } => CliError::StaleLive { environment },
                FreshError::Discover(errors) => super::discover_failed(&plan.environment, errors),
            })?;
            if plan.is_empty() {
                printer::line("No changes. Your infrastructure matches the spec.");
                return Ok(ExitStatus::Success);
            }
            // The spec is the one planned (checked above): its outputs are printed after.
            let outputs = match &plan.spec {
                Some(source) => {
                    let inputs = SpecInputs::of(source);
                    super::load(std::path::Path::new(&source.path), &inputs)?.outputs
                }
                None => Vec::new(),
            };
            (plan, provider, outputs)
        }
    };
    let provider = std::sync::Arc::new(provider);
    super::execute::run(
        std::sync::Arc::clone(&provider),
        &plan,
        super::execute::Tuning {
            parallelism: args.parallelism.into(),
            retry_for: args.retry_for,
        },
        "Apply",
        |_| {},
    )
    .await?;
    // No state file: what apply made is read back from AWS for the outputs.
    let live = super::discover(&*provider, &plan.environment).await?;
    printer::out(&outputs::private_keys_written(&plan, &live));
    printer::out(&outputs::text(&outputs::resolve(&outputs, &live)));
    Ok(ExitStatus::Success)
}

/// Refuses a plan whose spec file is gone or different from the one planned.
fn check_spec_unchanged(plan: &Plan) -> Result<(), CliError> {
    let Some(source) = &plan.spec else {
        return Ok(());
    };
    let stale = || CliError::StaleSpec {
        spec: source.path.clone(),
    };
    let text = std::fs::read(&source.path).map_err(|_| stale())?;
    if sha256_hex(&text) != source.sha256 {
        return Err(stale());
    }
    Ok(())
}
