//! `recon validate SPEC [--format text|sarif]`: offline checks and the review rules only.

use crate::args::{Format, ValidateArgs};
use crate::render::{review_text, sarif};
use crate::{CliError, ExitStatus, printer, review};

pub async fn run(args: ValidateArgs) -> Result<ExitStatus, CliError> {
    let loaded = super::load(&args.spec, &args.inputs)?;
    let found = recon_review::review(&loaded.spec, &loaded.silences);
    if args.format == Format::Sarif {
        let log = sarif::render(&found, &loaded.positions);
        printer::line(&serde_json::to_string_pretty(&log).expect("JSON values serialize"));
        // The log is written either way; errors still fail the run, as in text.
        return if found.has_errors() {
            Err(review::failed(&loaded, &found))
        } else {
            Ok(ExitStatus::Success)
        };
    }
    if found.has_errors() {
        return Err(review::failed(&loaded, &found));
    }
    review::warn(&loaded, &found);
    let spec = &loaded.spec;
    let lookups = match spec.lookups.len() {
        0 => String::new(),
        n => format!(" and {n} lookups (found at plan time)"),
    };
    printer::line(&format!(
        "{} is valid: {} resources{lookups} in environment `{}` ({}).",
        loaded.source.path,
        spec.resources.len(),
        spec.environment,
        spec.region
    ));
    printer::out(&review_text::render(&found, &loaded.positions));
    Ok(ExitStatus::Success)
}
