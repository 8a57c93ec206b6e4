//! `recon validate SPEC`: offline checks only.

use crate::args::ValidateArgs;
use crate::{CliError, ExitStatus, printer};

pub async fn run(args: ValidateArgs) -> Result<ExitStatus, CliError> {
    let (spec, source) = super::load_spec(&args.spec)?;
    printer::line(&format!(
        "{} is valid: {} resources in environment `{}` ({}).",
        source.path,
        spec.resources.len(),
        spec.environment,
        spec.region
    ));
    Ok(ExitStatus::Success)
}
