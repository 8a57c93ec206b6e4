//! `recon plan SPEC`: review, diff against live AWS, print, save. Review errors stop it before
//! any AWS call.

use crate::args::PlanArgs;
use crate::render::{plan_text, review_text};
use crate::{CliError, ExitStatus, planfile, printer};
use recon_model::Kind;

pub async fn run(args: PlanArgs) -> Result<ExitStatus, CliError> {
    let (loaded, review) = super::load_reviewed(&args.spec)?;
    let (spec, source) = (&loaded.spec, loaded.source.clone());
    let provider = super::aws(&spec.region).await?;
    let live = super::discover(&provider, &spec.environment).await?;
    super::warn_missing_private_keys(spec, &live);
    let plan = recon_plan::plan(spec, Some(source), Kind::ALL, &live)?;
    planfile::save(&plan, &args.out)?;
    if args.json {
        printer::line(&serde_json::to_string_pretty(&plan).expect("plans serialize"));
    } else {
        printer::out(&plan_text::render(&plan));
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
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}
