//! `recon schema`: the JSON Schema of the spec language on stdout. Offline.

use crate::{CliError, ExitStatus, printer};

pub fn run() -> Result<ExitStatus, CliError> {
    let schema = recon_spec::json_schema();
    printer::line(&serde_json::to_string_pretty(&schema).expect("schemas serialize"));
    Ok(ExitStatus::Success)
}
