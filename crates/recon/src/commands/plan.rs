//! `recon plan SPEC`: review, find the lookups, diff against live AWS, print, save. Review
//! errors stop it before any AWS call; a lookup that finds nothing stops it before any change.

use crate::args::{PlanArgs, PlanFormat};
use crate::render::{plan_markdown, plan_notes, plan_text, review_text};
use crate::{CliError, ExitStatus, planfile, printer};
use recon_model::Kind;

pub async fn run(args: PlanArgs) -> Result<ExitStatus, CliError> {
    let (loaded, review) = super::load_reviewed(&args.spec, &args.inputs)?;
    let source = loaded.source.clone();
    let provider = super::aws(&loaded.spec.region).await?;
    let (spec, lookups) = super::resolve_lookups(&provider, &loaded.spec, &source).await?;
    let live = super::discover(&provider, &spec.environment).await?;
    super::warn_missing_private_keys(&spec, &live);
    let mut plan = recon_plan::plan(&spec, Some(source), Kind::ALL, &live)?;
    super::check_private_key_files_free(&spec, &plan)?;
    plan.lookups = lookups;
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
