//! `recon apply`: carry out the saved plan, after checking it is not stale; or
//! `recon apply SPEC`: plan, show, confirm, carry out.

use recon_model::{Kind, Plan, sha256_hex};
use recon_provider::{FreshError, check_fresh};

use crate::args::ApplyArgs;
use crate::render::{plan_text, review_text};
use crate::{CliError, ExitStatus, confirm, planfile, printer};

pub async fn run(args: ApplyArgs) -> Result<ExitStatus, CliError> {
    let (plan, provider) = match &args.spec {
        Some(spec_path) => {
            let (loaded, review) = super::load_reviewed(spec_path, &args.inputs)?;
            let provider = super::aws(&loaded.spec.region).await?;
            let (spec, lookups) =
                super::resolve_lookups(&provider, &loaded.spec, &loaded.source).await?;
            let live = super::discover(&provider, &spec.environment).await?;
            super::warn_missing_private_keys(&spec, &live);
            let mut plan = recon_plan::plan(&spec, Some(loaded.source.clone()), Kind::ALL, &live)?;
            plan.lookups = lookups;
            printer::out(&plan_text::render(&plan));
            printer::out(&review_text::render(&review, &loaded.positions));
            if plan.is_empty() {
                return Ok(ExitStatus::Success);
            }
            confirm::confirm("perform these actions", args.auto_approve)?;
            (plan, provider)
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
            (plan, provider)
        }
    };
    super::execute::run(
        std::sync::Arc::new(provider),
        &plan,
        super::execute::Tuning {
            parallelism: args.parallelism.into(),
            retry_for: args.retry_for,
        },
        "Apply",
        |_| {},
    )
    .await?;
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
