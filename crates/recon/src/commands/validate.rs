//! `recon validate SPEC [--format text|sarif]`: offline checks and the review rules only.

use crate::args::{Format, ValidateArgs};
use crate::render::{review_text, sarif};
use crate::{CliError, ExitStatus, printer, review};

pub async fn run(args: ValidateArgs) -> Result<ExitStatus, CliError> {
    let loaded = match super::load(&args.spec, &args.inputs) {
        Ok(loaded) => loaded,
        Err(CliError::Spec(errors)) if args.format == Format::Sarif => {
            // Parse errors are results too: a typo shows inline in the pull request.
            let log = sarif::render_spec_errors(&errors);
            printer::line(&serde_json::to_string_pretty(&log).expect("JSON values serialize"));
            return Err(CliError::Spec(errors));
        }
        Err(e) => return Err(e),
    };
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
        1 => " and 1 lookup (found at plan time)".to_owned(),
        n => format!(" and {n} lookups (found at plan time)"),
    };
    let resources = match spec.resources.len() {
        1 => "1 resource".to_owned(),
        n => format!("{n} resources"),
    };
    printer::line(&format!(
        "{} is valid: {resources}{lookups} in environment `{}` ({}).",
        loaded.source.path, spec.environment, spec.region
    ));
    printer::out(&review_text::render(&found, &loaded.positions));
    Ok(ExitStatus::Success)
}
