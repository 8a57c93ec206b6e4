//! `recon plan SPEC`: review, find the lookups, diff against live AWS, print, save. Review
//! errors stop it before any AWS call; a lookup that finds nothing stops it before any change.
//! A plan that would delete or replace a protected resource is refused and not saved.
//! `--destroy` plans the deletion of everything the environment owns instead. A plan never
//! takes the environment's lock.

use crate::args::{PlanArgs, PlanFormat};
use crate::render::{plan_markdown, plan_notes, plan_text, review_text};
use crate::{CliError, ExitStatus, planfile, printer};

pub async fn run(args: PlanArgs) -> Result<ExitStatus, CliError> {
    let (loaded, review) = super::load_reviewed(&args.spec, &args.inputs)?;
    let source = loaded.source.clone();
    let provider = super::aws(&loaded.spec.region).await?;
    let plan = if args.destroy {
        let spec = &loaded.spec;
        super::plan_destroy(&provider, &spec.environment, &spec.region, Some(source))
            .await?
            .0
    } else {
        super::lifecycle::plan_spec(&provider, &loaded.spec, &source, &args.selection).await?
    };
    if !plan.protected_losses().is_empty() || !plan.refused_losses().is_empty() {
        // Show what was asked for, then refuse: nothing is saved to apply.
        printer::out(&plan_text::render(&plan));
        // An older plan at the same path must not be applied by mistake either.
        let _ = std::fs::remove_file(&args.out);
        super::lifecycle::refuse_losses(&plan, "save this plan")?;
    }
    planfile::save(&plan, &args.out)?;
    match args.format() {
        PlanFormat::Json => {
            printer::line(&serde_json::to_string_pretty(&plan).expect("plans serialize"));
        }
        PlanFormat::Markdown => {
            printer::out(&plan_markdown::render(
                &plan,
                &review_text::for_markdown(&review, &loaded.positions),
            ));
            for note in plan_notes::launch_template_notes(&plan) {
                printer::line(&format!("\n> **Note:** {note}"));
            }
            printer::out(&plan_markdown::footer(
                &args.out.display().to_string(),
                &planfile::digest(&args.out)?,
            ));
        }
        PlanFormat::Text => {
            printer::out(&plan_text::render(&plan));
            for note in plan_notes::launch_template_notes(&plan) {
                printer::line(&format!("\nNote: {note}"));
            }
            printer::out(&review_text::render(&review, &loaded.positions));
            if !plan.is_empty() {
                printer::line(&format!(
                    "\nSaved the plan to {}. To carry out exactly this plan, run:\n    recon apply{}",
                    args.out.display(),
                    if args.out.as_os_str() == ".recon/plan.json" {
                        String::new()
                    } else {
                        format!(" --plan {}", args.out.display())
                    }
                ));
            }
        }
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}
