//! `recon apply`: carry out the saved plan, after checking it is not stale; or
//! `recon apply SPEC`: plan, show, confirm, carry out.
//!
//! Either way the environment's lock is taken before the staleness check and held until the
//! plan is carried out, so two applies of one environment never both change it; with
//! `--auto-approve` it is taken before planning, and the plan made under it is current. A plan
//! that would delete or replace a protected resource is refused before anything is changed.

use recon_model::{Plan, sha256_hex};
use recon_provider::check_fresh;

use crate::args::{ApplyArgs, SpecInputs};
use crate::render::{plan_text, review_text};
use crate::{CliError, ExitStatus, confirm, outputs, planfile, printer};

pub async fn run(args: ApplyArgs) -> Result<ExitStatus, CliError> {
    let (plan, provider, outputs) = match &args.spec {
        Some(spec_path) if args.auto_approve => {
            let (loaded, review) = super::load_reviewed(spec_path, &args.inputs)?;
            let provider = std::sync::Arc::new(super::aws(&loaded.spec.region).await?);
            // Nobody confirms: the lock is taken first and the plan made under it, so it is
            // current when carried out, with no second read of the environment to check.
            let held = super::lock::acquire(
                &provider,
                &loaded.spec.environment,
                &loaded.spec.region,
                "apply",
                args.lock_wait,
            )
            .await?;
            let outputs = loaded.outputs.clone();
            let (on, with) = (&provider, &args);
            let plan = held
                .run(async move {
                    let plan = plan_and_show(on, &loaded, &review, with).await?;
                    // Apply carries out the plan alone: the spec's memory goes back first.
                    drop((loaded, review));
                    if plan.is_empty() && plan.adopted.is_empty() {
                        return Ok(None);
                    }
                    carry_out(on, &plan, with).await?;
                    Ok(Some(plan))
                })
                .await?;
            let Some(plan) = plan else {
                return Ok(ExitStatus::Success);
            };
            (plan, provider, outputs)
        }
        Some(spec_path) => {
            let (loaded, review) = super::load_reviewed(spec_path, &args.inputs)?;
            let provider = std::sync::Arc::new(super::aws(&loaded.spec.region).await?);
            let plan = plan_and_show(&provider, &loaded, &review, &args).await?;
            // Apply carries out the plan alone: the spec's memory goes back first.
            let super::Loaded { outputs, .. } = loaded;
            drop(review);
            if plan.is_empty() && plan.adopted.is_empty() {
                return Ok(ExitStatus::Success);
            }
            confirm::confirm("perform these actions", args.auto_approve)?;
            // Under the lock: what was planned (and confirmed) is still what is live.
            under_lock(&provider, &plan, &args, async {
                check_fresh(&*provider, &plan)
                    .await
                    .map_err(|e| super::fresh_error(e, &plan.environment))?;
                carry_out(&provider, &plan, &args).await
            })
            .await?;
            (plan, provider, outputs)
        }
        None => {
            if !args.selection.target.is_empty() || !args.selection.replace.is_empty() {
                return Err(CliError::SelectionWithoutSpec);
            }
            let plan = planfile::load(&args.plan)?;
            let loaded = saved_plan_spec(&plan, &args)?;
            super::lifecycle::refuse_losses(&plan, "apply")?;
            let provider = std::sync::Arc::new(super::aws(&plan.region).await?);
            if plan.is_empty() && plan.adopted.is_empty() {
                check_fresh(&*provider, &plan)
                    .await
                    .map_err(|e| super::fresh_error(e, &plan.environment))?;
                printer::line("No changes. Your infrastructure matches the spec.");
                return Ok(ExitStatus::Success);
            }
            // A saved plan is the plan recon makes now from the same spec and the same live
            // resources: an edited one is refused before any change, the lock included. Under
            // the lock, the live resources are checked again (another run may have changed
            // them while this one waited).
            remake_and_compare(&provider, &plan, &loaded, &args.plan).await?;
            under_lock(&provider, &plan, &args, async {
                check_fresh(&*provider, &plan)
                    .await
                    .map_err(|e| super::fresh_error(e, &plan.environment))?;
                carry_out(&provider, &plan, &args).await
            })
            .await?;
            (plan, provider, loaded.outputs)
        }
    };
    // No state file: what apply made is read back from AWS for the outputs and the key files
    // written, reading only the kinds those name.
    let mut kinds: std::collections::BTreeSet<recon_model::Kind> = outputs
        .iter()
        .flat_map(|(_, v)| v.references())
        .map(|r| r.address.kind)
        .filter(|k| recon_model::Kind::ALL.contains(k))
        .collect();
    if plan
        .changes
        .iter()
        .any(|c| c.address.kind == recon_model::Kind::KeyPair)
    {
        kinds.insert(recon_model::Kind::KeyPair);
    }
    let kinds: Vec<recon_model::Kind> = kinds.into_iter().collect();
    let live = if kinds.is_empty() {
        Vec::new()
    } else {
        recon_provider::discover_all(&*provider, &plan.environment, &kinds)
            .await
            .map_err(|errors| super::discover_failed(&plan.environment, errors))?
    };
    printer::out(&outputs::private_keys_written(&plan, &live));
    printer::out(&outputs::text(&outputs::resolve(&outputs, &live)));
    Ok(ExitStatus::Success)
}

/// Plans `loaded` against the live environment and shows the plan and the review; refuses a
/// plan that would delete or replace a protected resource.
async fn plan_and_show(
    provider: &recon_aws::AwsProvider,
    loaded: &super::Loaded,
    review: &recon_review::Review,
    args: &ApplyArgs,
) -> Result<Plan, CliError> {
    let plan = super::lifecycle::plan_spec(provider, &loaded.spec, &loaded.source, &args.selection)
        .await?;
    printer::out(&plan_text::render(&plan));
    printer::out(&review_text::render(review, &loaded.positions));
    super::lifecycle::refuse_losses(&plan, "apply")?;
    Ok(plan)
}

/// Runs `work` holding the lock of the plan's environment, taken now.
async fn under_lock(
    provider: &recon_aws::AwsProvider,
    plan: &Plan,
    args: &ApplyArgs,
    work: impl Future<Output = Result<(), CliError>>,
) -> Result<(), CliError> {
    super::lock::acquire(
        provider,
        &plan.environment,
        &plan.region,
        operation(plan),
        args.lock_wait,
    )
    .await?
    .run(work)
    .await
}

fn operation(plan: &Plan) -> &'static str {
    match plan.mode {
        recon_model::PlanMode::Apply => "apply",
        recon_model::PlanMode::Destroy => "destroy",
    }
}

/// Takes over what the plan adopts and carries the plan out.
async fn carry_out(
    provider: &std::sync::Arc<recon_aws::AwsProvider>,
    plan: &Plan,
    args: &ApplyArgs,
) -> Result<(), CliError> {
    super::lifecycle::take_ownership(provider, plan).await?;
    super::execute::run(
        std::sync::Arc::clone(provider),
        plan,
        super::execute::Tuning {
            parallelism: args.parallelism.into(),
            retry_for: args.retry_for,
        },
        if operation(plan) == "destroy" {
            "Destroy"
        } else {
            "Apply"
        },
        |_| {},
    )
    .await
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
            let spec = &loaded.spec;
            let source = Some(loaded.source.clone());
            super::plan_destroy(provider, &spec.environment, &spec.region, source)
                .await?
                .0
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
