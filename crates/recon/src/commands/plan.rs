//! `recon plan SPEC`: diff against live AWS, print, save.

use crate::args::{PlanArgs, PlanFormat};
use crate::render::{plan_markdown, plan_text};
use crate::{CliError, ExitStatus, planfile, printer};
use recon_model::Kind;

pub async fn run(args: PlanArgs) -> Result<ExitStatus, CliError> {
    let (spec, source) = super::load_spec(&args.spec)?;
    let provider = super::aws(&spec.region).await?;
    let (spec, lookups) = super::resolve_lookups(&provider, &spec, &source).await?;
    let live = super::discover(&provider, &spec.environment).await?;
    super::warn_missing_private_keys(&spec, &live);
    let mut plan = recon_plan::plan(&spec, Some(source), Kind::ALL, &live)?;
    plan.lookups = lookups;
    planfile::save(&plan, &args.out)?;
    match args.format() {
        PlanFormat::Json => {
            printer::line(&serde_json::to_string_pretty(&plan).expect("plans serialize"));
        }
        // The review rules' findings go here once they exist; until then, none.
        PlanFormat::Markdown => printer::out(&plan_markdown::render(&plan, &[])),
        PlanFormat::Text => {
            printer::out(&plan_text::render(&plan));
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
