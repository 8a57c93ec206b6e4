//! `recon output SPEC [NAME] [--json]`: the spec's `outputs:`, read from the live resources.
//! Read-only.

use crate::args::OutputArgs;
use crate::{CliError, ExitStatus, outputs, printer};

pub async fn run(args: OutputArgs) -> Result<ExitStatus, CliError> {
    let loaded = super::load(&args.spec, &args.inputs)?;
    let wanted: Vec<(String, recon_model::Value)> = match &args.name {
        None => loaded.outputs.clone(),
        Some(name) => {
            let Some(one) = loaded.outputs.iter().find(|(n, _)| n == name) else {
                return Err(CliError::NoOutput {
                    name: name.clone(),
                    known: loaded
                        .outputs
                        .iter()
                        .map(|(n, _)| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            vec![one.clone()]
        }
    };
    let provider = super::aws(&loaded.spec.region).await?;
    let live = super::discover(&provider, &loaded.spec.environment).await?;
    let resolved = outputs::resolve(&wanted, &live);
    if args.json {
        let doc = match &args.name {
            Some(_) => outputs::json(&resolved)[&resolved[0].0].clone(),
            None => outputs::json(&resolved),
        };
        printer::line(&serde_json::to_string_pretty(&doc).expect("JSON values serialize"));
    } else if args.name.is_some() {
        match &resolved[0].1 {
            Ok(value) => printer::line(value),
            Err(why) => {
                return Err(CliError::OutputUnknown {
                    name: resolved[0].0.clone(),
                    why: why.clone(),
                });
            }
        }
    } else if resolved.is_empty() {
        printer::line("The spec has no `outputs:`.");
    } else {
        printer::out(outputs::text(&resolved).trim_start());
    }
    Ok(ExitStatus::Success)
}
