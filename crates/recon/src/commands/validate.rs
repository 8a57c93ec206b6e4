//! `recon validate SPEC`: offline checks only.

use crate::args::ValidateArgs;
use crate::{CliError, ExitStatus, printer};

pub async fn run(args: ValidateArgs) -> Result<ExitStatus, CliError> {
    let (spec, source) = super::load_spec(&args.spec)?;
    let lookups = match spec.lookups.len() {
        0 => String::new(),
        n => format!(" and {n} lookups (found at plan time)"),
    };
    printer::line(&format!(
        "{} is valid: {} resources{lookups} in environment `{}` ({}).",
        source.path,
        spec.resources.len(),
        spec.environment,
        spec.region
    ));
    Ok(ExitStatus::Success)
}
