//! `recon apply`: carry out the saved plan, after checking it is not stale; or
//! `recon apply SPEC`: plan, show, confirm, carry out.
//!
//! Either way the environment's lock is taken before the staleness check and held until the
//! plan is carried out, so two applies of one environment never both change it; a plan that
//! would delete or replace a protected resource is refused before anything is changed.

use recon_model::{Plan, sha256_hex};
use recon_provider::{FreshError, check_fresh};

use crate::args::{ApplyArgs, SpecInputs};
use crate::render::{plan_text, review_text};
use crate::{CliError, ExitStatus, confirm, outputs, planfile, printer};

pub async fn run(args: ApplyArgs) -> Result<ExitStatus, CliError> {
    // A saved plan's spec, read again: the plan is made again from it under the lock.
    let mut saved: Option<super::Loaded> = None;
    let (plan, provider, outputs) = match &args.spec {
        Some(spec_path) => {
            let (loaded, review) = super::load_reviewed(spec_path, &args.inputs)?;
            let provider = super::aws(&loaded.spec.region).await?;
            let plan = super::lifecycle::plan_spec(
                &provider,
                &loaded.spec,
                &loaded.source,
                &args.selection,
            )
            .await?;
            printer::out(&plan_text::render(&plan));
            printer::out(&review_text::render(&review, &loaded.positions));
            super::lifecycle::refuse_protected(&plan, "apply")?;
            if plan.is_empty() && plan.adopted.is_empty() {
                return Ok(ExitStatus::Success);
            }
            confirm::confirm("perform these actions", args.auto_approve)?;
            (plan, provider, loaded.outputs)
        }
        None => {
            if !args.selection.target.is_empty() || !args.selection.replace.is_empty() {
                return Err(CliError::SelectionWithoutSpec);
            }
            let plan = planfile::load(&args.plan)?;
            let loaded = saved_plan_spec(&plan, &args)?;
            super::lifecycle::refuse_protected(&plan, "apply")?;
            let provider = super::aws(&plan.region).await?;
            if plan.is_empty() && plan.adopted.is_empty() {
                check_fresh(&provider, &plan)
                    .await
                    .map_err(|e| fresh_error(e, &plan.environment))?;
                printer::line("No changes. Your infrastructure matches the spec.");
                return Ok(ExitStatus::Success);
            }
            let outputs = loaded.outputs.clone();
            saved = Some(loaded);
            (plan, provider, outputs)
        }
    };
    let operation = match plan.mode {
        recon_model::PlanMode::Apply => "apply",
        recon_model::PlanMode::Destroy => "destroy",
    };
    let held = super::lock::acquire(
        &provider,
        &plan.environment,
        &plan.region,
        operation,
        args.lock_wait,
    )
    .await?;
    let provider = std::sync::Arc::new(provider);
    held.run(async {
        // Under the lock: what was planned is still what is live, and a saved plan is the
        // plan recon makes now from the same spec and the same live resources.
        match &saved {
            Some(loaded) => remake_and_compare(&provider, &plan, loaded, &args.plan).await?,
            None => {
                check_fresh(&*provider, &plan)
                    .await
                    .map_err(|e| fresh_error(e, &plan.environment))?;
            }
        }
        super::lifecycle::take_ownership(&provider, &plan).await?;
        super::execute::run(
            std::sync::Arc::clone(&provider),
            &plan,
            super::execute::Tuning {
                parallelism: args.parallelism.into(),
                retry_for: args.retry_for,
            },
            if operation == "destroy" {
                "Destroy"
            } else {
                "Apply"
            },
            |_| {},
        )
        .await
    })
    .await?;
    // No state file: what apply made is read back from AWS for the outputs.
    let live = super::discover(&*provider, &plan.environment).await?;
    printer::out(&outputs::private_keys_written(&plan, &live));
    printer::out(&outputs::text(&outputs::resolve(&outputs, &live)));
    Ok(ExitStatus::Success)
}

fn fresh_error(e: FreshError, environment: &str) -> CliError {
    match e {
        FreshError::Stale { environment } => CliError::StaleLive { environment },
        FreshError::Discover(errors) => super::discover_failed(environment, errors),
    }
}

/// The spec a saved plan was made from, read as it was then (its environment, values file and
/// `--set`), after the checks that need no AWS call: the plan names a spec, the spec and the
/// values are unchanged, and the plan's environment and region are the spec's.
fn saved_plan_spec(plan: &Plan, args: &ApplyArgs) -> Result<super::Loaded, CliError> {
    let edited = |what: String| CliError::PlanEdited {
        path: args.plan.clone(),
        what,
    };
    let Some(source) = &plan.spec else {
        return Err(edited(
            "it names no spec (recon writes the spec it was made from into every plan)".into(),
        ));
    };
    check_spec_unchanged(plan)?;
    super::stale_values::check(plan, &args.inputs)?;
    let loaded = super::load(std::path::Path::new(&source.path), &SpecInputs::of(source))?;
    if (&loaded.spec.environment, &loaded.spec.region) != (&plan.environment, &plan.region) {
        return Err(edited(format!(
            "it is for environment `{}` in {}, but its spec `{}` makes `{}` in {}",
            plan.environment, plan.region, source.path, loaded.spec.environment, loaded.spec.region
        )));
    }
    Ok(loaded)
}

/// Makes the plan again, the way the saved one says it was made, and refuses the saved one
/// unless it is the same: the live resources changed (stale), or the file was edited.
///
/// # Guarantees
/// Only reads. Equal means equal as JSON values: every change, every before and after, the
/// lookups, moves, adoptions and the environment and region.
async fn remake_and_compare(
    provider: &recon_aws::AwsProvider,
    saved: &Plan,
    loaded: &super::Loaded,
    path: &std::path::Path,
) -> Result<(), CliError> {
    let again = match saved.mode {
        recon_model::PlanMode::Apply => {
            let selection = crate::args::Selection {
                target: saved.shaping.target.clone(),
                replace: saved.shaping.replace.clone(),
            };
            super::lifecycle::plan_spec(provider, &loaded.spec, &loaded.source, &selection).await?
        }
        recon_model::PlanMode::Destroy => {
            let live = super::discover(provider, &loaded.spec.environment).await?;
            recon_plan::plan_destroy(
                &loaded.spec.environment,
                &loaded.spec.region,
                Some(loaded.source.clone()),
                recon_model::Kind::ALL,
                &live,
            )
        }
    };
    if again.live_fingerprint != saved.live_fingerprint {
        return Err(CliError::StaleLive {
            environment: saved.environment.clone(),
        });
    }
    let as_json = |p: &Plan| serde_json::to_value(p).expect("plans serialize");
    if as_json(&again) != as_json(saved) {
        return Err(CliError::PlanEdited {
            path: path.to_owned(),
            what: "it differs from the plan recon makes now from the same spec and the same live resources".into(),
        });
    }
    Ok(())
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
