//! `recon destroy SPEC` or `recon destroy --env NAME --region R`: delete everything the
//! environment owns (found by tag), verify by a fresh discovery that nothing remains (of the
//! kinds that held anything tagged when the destroy read them under the lock), look for
//! the copies of its data AWS keeps (and, with `--delete-backups`, delete them), and write the
//! sealed teardown record, whether or not every deletion succeeded.
//!
//! Protected resources (the `recon:protect` tag) stop it before anything is deleted, whether or
//! not the spec still names them. The environment's lock is held from the staleness check
//! until the record is written; with `--auto-approve`, which nobody confirms, from before the
//! discovery, so the plan is current when carried out and the environment is read once.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::SystemTime;

use recon_model::Kind;

use crate::args::{DestroyArgs, Target};
use crate::error::error_chain;
use crate::evidence::{RunBy, provenance};
use crate::render::plan_text;
use crate::teardown::{self, Outcome, Record, Recorder, Status, Sweep, data, keys};
use crate::{CliError, ExitStatus, confirm, printer};

pub async fn run(args: DestroyArgs) -> Result<ExitStatus, CliError> {
    let (environment, region, source) = match args.target.clone().resolve() {
        Target::Spec { path, inputs } => {
            let (spec, source) = super::load_spec(&path, &inputs)?;
            (spec.environment, spec.region, Some(source))
        }
        Target::Named { env, region } => (env, region, None),
    };
    let spec = source.as_ref().map(provenance::of);
    let provider = Arc::new(super::aws(&region).await?);
    let run = Run {
        provider,
        environment,
        region,
        source,
    };
    if args.auto_approve {
        // Nobody confirms: the lock is taken first and the plan made under it, so it is current
        // when carried out, with no second read of the environment to check it. Who runs it
        // is asked meanwhile; when that fails, its error is the one told (a fault of the
        // credentials or the endpoint fails the lock too), once the lock, if taken, is let go.
        let (identity, held) = tokio::join!(run.identity(), run.lock(&args));
        let held = match held {
            Ok(held) => held,
            Err(e) => return Err(identity.err().unwrap_or(e)),
        };
        return held
            .run(async {
                let identity = identity?;
                match prepare(&run, &args).await? {
                    None => Ok(ExitStatus::Success),
                    Some(prepared) => carry_out(&run, prepared, args, identity, spec).await,
                }
            })
            .await;
    }
    let identity = run.identity().await?;
    let Some(mut prepared) = prepare(&run, &args).await? else {
        return Ok(ExitStatus::Success);
    };
    run.lock(&args)
        .await?
        .run(async {
            // Under the lock: what was planned is still what is live.
            let found = recon_provider::check_fresh(&*run.provider, &prepared.plan)
                .await
                .map_err(|e| super::fresh_error(e, &run.environment))?;
            prepared.tagged_kinds = found.tagged_kinds();
            carry_out(&run, prepared, args, identity, spec).await
        })
        .await
}

/// What a run of destroy is about.
struct Run {
    provider: Arc<recon_aws::AwsProvider>,
    environment: String,
    region: String,
    source: Option<recon_model::SpecSource>,
}

impl Run {
    /// Who runs recon, asked once per run: the record says who ran the teardown.
    async fn identity(&self) -> Result<recon_aws::audit::CallerIdentity, CliError> {
        self.provider.caller_identity().await.map_err(|e| {
            crate::fault::any(&e, "asking AWS who runs recon", true)
                .unwrap_or_else(|| CliError::Aws(Box::new(e)))
        })
    }

    /// The environment's lock, for a destroy.
    async fn lock(&self, args: &DestroyArgs) -> Result<super::lock::Held, CliError> {
        super::lock::acquire(
            &self.provider,
            &self.environment,
            &self.region,
            "destroy",
            args.lock_wait,
        )
        .await
    }
}

/// The plan and what was read for the record before any change.
struct Prepared {
    plan: recon_model::Plan,
    /// Each Auto Scaling group's instances, for the record.
    group_instances: std::collections::BTreeMap<recon_model::Address, Vec<String>>,
    targets: data::Targets,
    /// The kinds in which the last read under the lock found anything tagged with the
    /// environment: the sweep after the deletes reads these again.
    tagged_kinds: BTreeSet<Kind>,
}

/// Discovers, plans, shows the plan and the copies of the data, and asks for confirmation.
/// `None`: nothing to destroy (said so).
async fn prepare(run: &Run, args: &DestroyArgs) -> Result<Option<Prepared>, CliError> {
    let (provider, environment, region) = (&run.provider, &run.environment, &run.region);
    let (plan, found) =
        super::plan_destroy(&**provider, environment, region, run.source.clone()).await?;
    let super::DestroyListing {
        tagged_kinds,
        unaddressable,
        group_instances,
    } = found;
    if plan.is_empty() {
        // Nothing recon can address; anything else tagged with the environment, which the
        // same listing found, is named.
        if !unaddressable.is_empty() {
            return Err(CliError::Remaining {
                environment: environment.clone(),
                remaining: unaddressable.iter().map(ToString::to_string).collect(),
            });
        }
        printer::line(&format!(
            "Nothing to destroy: no resources tagged recon:env={environment} in {region}."
        ));
        return Ok(None);
    }
    // Found before the deletes, while the resources (and their volumes) can still be read.
    let targets = match data::Targets::of(provider, &plan, &group_instances).await {
        Ok(t) => t,
        Err(e) => {
            printer::warn(&format!(
                "Warning: could not read the instances' volumes, so their backups are not looked for: {}",
                error_chain(&e)
            ));
            data::Targets {
                file_systems: data::Targets::file_systems(&plan),
                volumes: Vec::new(),
            }
        }
    };
    let before = data::find(provider, environment, &targets).await;
    printer::out(&plan_text::render(&plan));
    super::lifecycle::refuse_losses(&plan, "destroy")?;
    let heading = if args.delete_backups {
        "\nWith --delete-backups, these copies of the data are deleted too:"
    } else {
        "\nThese copies of the data remain after the destroy (--delete-backups deletes them):"
    };
    printer::out(&data::console(&before, heading));
    let what = if args.delete_backups && !before.items.is_empty() {
        "destroy all of these resources and delete these backups"
    } else {
        "destroy all of these resources"
    };
    confirm::confirm(what, args.auto_approve)?;
    Ok(Some(Prepared {
        plan,
        group_instances,
        targets,
        tagged_kinds,
    }))
}

/// Carries out the plan under the lock, verifies by a fresh census that nothing remains, and
/// writes the teardown record.
async fn carry_out(
    run: &Run,
    prepared: Prepared,
    args: DestroyArgs,
    identity: recon_aws::audit::CallerIdentity,
    spec: Option<crate::evidence::provenance::SpecProvenance>,
) -> Result<ExitStatus, CliError> {
    let (provider, environment, region) = (&run.provider, run.environment.clone(), &run.region);
    let Prepared {
        plan,
        group_instances,
        targets,
        tagged_kinds,
    } = prepared;
    let started = SystemTime::now();
    let recorder = Recorder::new(&plan, &group_instances);
    let observer = recorder.clone();
    let executed = super::execute::run(
        Arc::clone(provider),
        &plan,
        super::execute::Tuning {
            parallelism: args.parallelism.into(),
            retry_for: args.retry_for,
        },
        "Destroy",
        move |event| observer.observe(event),
    )
    .await;
    // Its entries are in the record: not held while the sweep reads and the record is written.
    drop(plan);

    // Three reads of their own, at once: everything tagged with the environment, whatever its
    // recon:id says, in the kinds that held any; the keys' deletion dates; and, listed again,
    // what AWS keeps of the data now that the resources are gone. A kind that held nothing
    // when the environment was read under the lock is not read again: recon made nothing
    // since, and no other recon run can while the lock is held.
    let mut resources = recorder.entries();
    let swept: Vec<Kind> = tagged_kinds.into_iter().collect();
    let (sweep, (), mut remaining_data) = tokio::join!(
        async {
            let found = census(provider, &environment, &swept).await;
            let at = teardown::timestamp(SystemTime::now());
            let kinds = swept.iter().map(|k| k.as_str().to_owned()).collect();
            match found {
                Ok(remaining) => Sweep {
                    at,
                    kinds,
                    remaining,
                    error: None,
                },
                Err(e) => Sweep {
                    at,
                    kinds,
                    remaining: vec![],
                    error: Some(error_chain(&e)),
                },
            }
        },
        keys::confirm(provider, &mut resources),
        data::find(provider, &environment, &targets),
    );
    if args.delete_backups {
        data::delete_all(&**provider, &mut remaining_data, args.retry_for, data::POLL).await;
    }
    let complete = executed.is_ok()
        && sweep.error.is_none()
        && sweep.remaining.is_empty()
        && resources
            .iter()
            .all(|e| matches!(e.status, Status::Deleted | Status::ScheduledForDeletion));
    let mut record = Record {
        format_version: teardown::RECORD_FORMAT_VERSION,
        environment: environment.clone(),
        region: region.clone(),
        run_by: RunBy::new(identity),
        spec,
        started_at: teardown::timestamp(started),
        finished_at: teardown::timestamp(SystemTime::now()),
        outcome: if complete {
            Outcome::Complete
        } else {
            Outcome::Incomplete
        },
        resources,
        delete_backups: args.delete_backups,
        remaining_data,
        sweep: sweep.clone(),
        record_sha256: None,
    };
    let path = args
        .record
        .unwrap_or_else(|| teardown::default_path(&environment, started));
    let md = teardown::write(&mut record, &path)?;
    printer::out(&summary(&record));
    printer::line(&format!(
        "Teardown record: {} (and {}), sha256 {}",
        path.display(),
        md.display(),
        record.record_sha256.as_deref().unwrap_or_default()
    ));

    executed?;
    if let Some(error) = sweep.error {
        return Err(CliError::SweepFailed { environment, error });
    }
    if !sweep.remaining.is_empty() {
        return Err(CliError::Remaining {
            environment,
            remaining: sweep.remaining,
        });
    }
    printer::line(&format!(
        "Verified: no resources tagged recon:env={environment} remain in {region} \
         ({}).",
        teardown::swept_kinds(&record.sweep)
    ));
    let unconfirmed = record
        .remaining_data
        .remaining()
        .filter(|d| d.status != data::DataStatus::Remains)
        .count();
    if unconfirmed > 0 {
        return Err(CliError::BackupsNotDeleted { count: unconfirmed });
    }
    Ok(ExitStatus::Success)
}

/// The end of the output: keys pending deletion and the data that remains, with dates.
fn summary(record: &Record) -> String {
    let mut out = String::new();
    for e in record
        .resources
        .iter()
        .filter(|e| e.status == Status::ScheduledForDeletion)
    {
        out.push_str(&format!(
            "KMS key {} ({}) is scheduled for deletion: KMS destroys the key material on {}.\n",
            e.address,
            e.id,
            e.key_material_destroyed_on.as_deref().unwrap_or("?")
        ));
    }
    let heading = if record.delete_backups {
        "Copies of the data (--delete-backups):"
    } else {
        "Data that remains (copies AWS keeps; --delete-backups deletes them):"
    };
    out.push_str(&data::console(&record.remaining_data, heading));
    out
}

/// Every resource of `kinds` tagged `recon:env` = `environment`, as text (`vpc.main (vpc-1)`,
/// or the kind, the id and the `recon:id` that recon cannot use).
async fn census(
    provider: &recon_aws::AwsProvider,
    environment: &str,
    kinds: &[Kind],
) -> Result<Vec<String>, CliError> {
    recon_provider::census_all(provider, environment, kinds)
        .await
        .map(|tagged| tagged.iter().map(ToString::to_string).collect())
        .map_err(|errors| super::discover_failed(environment, errors))
}
