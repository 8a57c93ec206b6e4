//! `recon destroy SPEC` or `recon destroy --env NAME --region R`: delete everything the
//! environment owns (found by tag), then verify by a fresh discovery that nothing remains.

use std::sync::Arc;

use recon_model::Kind;

use crate::args::DestroyArgs;
use crate::render::plan_text;
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
    confirm::confirm("destroy all of these resources", args.auto_approve)?;
    super::execute::run(
        Arc::clone(&provider),
        &plan,
        args.parallelism.into(),
        "Destroy",
    )
    .await?;

    let remaining = super::discover(&*provider, &environment).await?;
    if remaining.is_empty() {
        printer::line(&format!(
            "Verified: no resources tagged recon:env={environment} remain in {region}."
        ));
        Ok(ExitStatus::Success)
    } else {
        Err(CliError::Remaining {
            environment,
            remaining: remaining
                .iter()
                .map(|r| format!("{} ({})", r.address, r.id))
                .collect(),
        })
    }
}
