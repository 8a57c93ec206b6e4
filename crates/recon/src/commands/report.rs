//! `recon report SPEC` or `recon report --env NAME --region R`: an attestation of what is live
//! now for an environment. Only reads: STS GetCallerIdentity and one discovery.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::args::{ReportArgs, ReportFormat, Target};
use crate::attest::{self, Report};
use crate::evidence::{RunBy, provenance, seal};
use crate::teardown::timestamp;
use crate::{CliError, ExitStatus, printer};

pub async fn run(args: ReportArgs) -> Result<ExitStatus, CliError> {
    let (environment, region, spec, review) = match args.target.resolve() {
        Target::Spec { path, inputs } => {
            let loaded = super::load(&path, &inputs)?;
            let review = recon_review::review(&loaded.spec, &loaded.silences);
            (
                loaded.spec.environment.clone(),
                loaded.spec.region.clone(),
                Some(provenance::of(&loaded.source)),
                Some(review),
            )
        }
        Target::Named { env, region } => (env, region, None, None),
    };
    let provider = super::aws(&region).await?;
    let identity = provider.caller_identity().await.map_err(|e| {
        crate::fault::any(&e, "asking AWS who runs recon", true)
            .unwrap_or_else(|| CliError::Aws(Box::new(e)))
    })?;
    let now = SystemTime::now();
    let live = super::discover(&provider, &environment).await?;
    let mut report = attest::build(attest::build::Inputs {
        environment: environment.clone(),
        region,
        run_by: RunBy::new(identity),
        spec,
        at: timestamp(now),
        live: &live,
        review: review.as_ref(),
    });
    let path = args.out.unwrap_or_else(|| {
        let stamp: String = timestamp(now)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        PathBuf::from(".recon/report").join(format!("{environment}-{stamp}.json"))
    });
    let (json, md) = write(&mut report, &path)?;
    match args.format {
        ReportFormat::Markdown => printer::out(&md),
        ReportFormat::Json => printer::line(&json),
    }
    printer::warn(&format!(
        "Report: {} (and {}), sha256 {}",
        path.display(),
        path.with_extension("md").display(),
        report.record_sha256.as_deref().unwrap_or_default()
    ));
    Ok(ExitStatus::Success)
}

/// Seals `report`, writes its JSON to `path` and Markdown beside it; returns both texts.
fn write(report: &mut Report, path: &Path) -> Result<(String, String), CliError> {
    let fail = |path: &Path| {
        let path = path.to_owned();
        move |source| CliError::Write { path, source }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail(path))?;
    }
    report.record_sha256 = None;
    let value = seal::seal(serde_json::to_value(&*report).expect("reports serialize"));
    report.record_sha256 = value
        .get(seal::FIELD)
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    let json = serde_json::to_string_pretty(&value).expect("reports serialize");
    std::fs::write(path, &json).map_err(fail(path))?;
    let md = attest::markdown(report);
    let md_path = path.with_extension("md");
    std::fs::write(&md_path, &md).map_err(fail(&md_path))?;
    Ok((json, md))
}
