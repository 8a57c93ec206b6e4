//! Review findings as diagnostics: at the offending value's line and column, with the rule id as
//! the code and the rule's severity; and the summary line.

use recon_review::{Finding, Review, Severity};
use recon_spec::{Located, LocatedDiagnostic};

use crate::commands::Loaded;
use crate::{CliError, printer};

/// A finding as a miette diagnostic pointing into the spec.
pub fn diagnostic(loaded: &Loaded, finding: &Finding) -> LocatedDiagnostic {
    loaded.positions.diagnostic(Located {
        address: finding.address.clone(),
        path: finding.path.clone(),
        code: finding.rule.to_owned(),
        severity: match finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        },
        message: finding.message.clone(),
        label: finding.label.clone(),
        help: Some(finding.help.clone()),
    })
}

/// `2 errors, 1 warning, 1 silenced` (only the parts that are not zero), or `None`.
pub fn counts(review: &Review) -> Option<String> {
    let plural = |n: usize, one: &str| match n {
        1 => format!("1 {one}"),
        n => format!("{n} {one}s"),
    };
    let parts: Vec<String> = [
        (review.errors().count(), "error"),
        (review.warnings().count(), "warning"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, one)| plural(n, one))
    .chain((!review.silenced.is_empty()).then(|| format!("{} silenced", review.silenced.len())))
    .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The error that stops `plan` and `apply`: every finding, errors and warnings, as related
/// diagnostics.
pub fn failed(loaded: &Loaded, review: &Review) -> CliError {
    CliError::Review {
        file: loaded.source.path.clone(),
        counts: counts(review).unwrap_or_default(),
        findings: review
            .findings
            .iter()
            .map(|f| diagnostic(loaded, f))
            .collect(),
    }
}

/// Warnings on stderr, each with its position, then one summary line.
pub fn warn(loaded: &Loaded, review: &Review) {
    for finding in review.warnings() {
        printer::diagnostic(diagnostic(loaded, finding));
    }
    if let Some(counts) = counts(review) {
        printer::warn(&format!("Review of {}: {counts}.", loaded.source.path));
    }
}
