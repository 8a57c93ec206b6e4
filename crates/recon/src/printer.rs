//! All output goes through here: results on stdout, the error report on stderr.

use std::io::Write;

/// Prints a block of text on stdout, as is.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`recon plan | head`) is not an error worth a panic.
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Prints one line on stdout.
pub fn line(text: &str) {
    out(&format!("{text}\n"));
}

/// The one report handler: an error and its causes as a miette report on stderr.
pub fn error(error: crate::CliError) {
    err(&format!("{:?}\n", miette::Report::new(error)));
}

/// A diagnostic that is not an error (a review warning), rendered like errors, on stderr.
pub fn diagnostic(d: impl miette::Diagnostic + Send + Sync + 'static) {
    err(&format!("{:?}\n", miette::Report::new(d)));
}

/// A warning for the person at the terminal, on stderr (stdout may be `--json`).
pub fn warn(text: &str) {
    err(&format!("{text}\n"));
}

/// Writes on stderr. A closed stderr (`recon plan 2>&1 | head`) is not worth a panic either:
/// `eprintln!` would panic and exit with 101.
fn err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}
