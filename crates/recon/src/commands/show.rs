//! `recon show SPEC` or `recon show --env NAME --region R`: what the environment owns now, read
//! from AWS by its tags. Read-only.

use crate::args::{ShowArgs, Target};
use crate::render::show;
use crate::{CliError, ExitStatus, printer};

pub async fn run(args: ShowArgs) -> Result<ExitStatus, CliError> {
    let (environment, region) = match args.target.resolve() {
        Target::Spec { path, inputs } => {
            let (spec, _) = super::load_spec(&path, &inputs)?;
            (spec.environment, spec.region)
        }
        Target::Named { env, region } => (env, region),
    };
    let provider = super::aws(&region).await?;
    let live = super::discover(&provider, &environment).await?;
    if args.json {
        let doc = show::json(&environment, &region, &live);
        printer::line(&serde_json::to_string_pretty(&doc).expect("JSON values serialize"));
    } else {
        printer::out(&show::text(&environment, &region, &live));
    }
    Ok(ExitStatus::Success)
}
