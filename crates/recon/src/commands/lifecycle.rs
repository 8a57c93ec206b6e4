//! What `plan` and `apply` do for the spec's lifecycle sections and for protection: reading the
//! resources a spec adopts, refusing plans that would lose a protected resource, and writing
//! the ownership tags of adopted resources before anything else.

use recon_aws::AwsProvider;
use recon_model::{Kind, LiveResource, Plan, Spec, SpecSource};
use recon_plan::PlanOptions;

use crate::args::Selection;
use crate::{CliError, printer};

/// Reviews, looks up, discovers and plans `spec` with `selection`.
pub async fn plan_spec(
    provider: &AwsProvider,
    spec: &Spec,
    source: &SpecSource,
    selection: &Selection,
) -> Result<Plan, CliError> {
    let (spec, lookups) = super::resolve_lookups(provider, spec, source).await?;
    let live = super::discover(provider, &spec.environment).await?;
    super::warn_missing_private_keys(&spec, &live);
    let options = PlanOptions {
        adopted: adopted(provider, &spec, &live).await?,
        replace: selection.replace.clone(),
        target: selection.target.clone(),
    };
    let mut plan =
        recon_plan::plan_discovered(&spec, Some(source.clone()), Kind::ALL, live, &options)?;
    super::check_private_key_files_free(&spec, &plan)?;
    plan.lookups = lookups;
    if !selection.target.is_empty() {
        printer::warn(
            "Warning: this plan is limited to the `--target` resources and what they depend on; other changes the spec needs are not in it.\n",
        );
    }
    Ok(plan)
}

/// The existing resources the spec adopts that discovery did not already find as this
/// environment's (an earlier apply adopted those).
async fn adopted(
    provider: &AwsProvider,
    spec: &Spec,
    live: &[LiveResource],
) -> Result<Vec<LiveResource>, CliError> {
    let mut out = Vec::new();
    for a in &spec.lifecycle.adopt {
        if live.iter().any(|r| r.id == a.id) {
            continue;
        }
        let found = provider
            .read_for_adoption(&a.address, &a.id, &spec.environment)
            .await
            .map_err(|source| CliError::Adopt {
                address: a.address.to_string(),
                id: a.id.clone(),
                source: Box::new(source),
            })?;
        out.push(found);
    }
    Ok(out)
}

/// Refuses a plan that would lose what must not be lost as the spec stands, naming each
/// resource: a protected resource it deletes or replaces, an S3 bucket holding objects it
/// deletes without `force_destroy: true`.
pub fn refuse_losses(plan: &Plan, action: &'static str) -> Result<(), CliError> {
    let lost = plan.protected_losses();
    if !lost.is_empty() {
        return Err(CliError::Protected {
            action,
            resources: lost
                .iter()
                .map(|c| {
                    format!(
                        "{} ({}, {})",
                        c.address,
                        c.id.as_deref().unwrap_or("?"),
                        match c.action {
                            recon_model::Action::Replace => "replace",
                            _ => "delete",
                        }
                    )
                })
                .collect(),
        });
    }
    let unforced = plan.refused_losses();
    if !unforced.is_empty() {
        return Err(CliError::NotEmpty {
            action,
            resources: unforced
                .iter()
                .map(|d| format!("{} ({})", d.address, d.id))
                .collect(),
        });
    }
    Ok(())
}

/// Writes the ownership tags of every resource the plan adopts, before any other change.
pub async fn take_ownership(provider: &AwsProvider, plan: &Plan) -> Result<(), CliError> {
    for a in &plan.adopted {
        provider
            .write_ownership(&a.address, &a.id, &plan.environment)
            .await
            .map_err(|source| CliError::Adopt {
                address: a.address.to_string(),
                id: a.id.clone(),
                source: Box::new(source),
            })?;
        printer::line(&format!("{}: adopted ({})", a.address, a.id));
    }
    Ok(())
}
