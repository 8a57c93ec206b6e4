//! `recon`: plan, apply and destroy AWS environments described in YAML.
//!
//! # Architecture invariants
//! - The only crate that prints (through [`printer`]), renders formats and picks exit codes.
//! - Commands are plain async functions returning an [`ExitStatus`] or a [`CliError`]; one
//!   report handler in `main` turns errors into miette reports on stderr.

mod args;
mod attest;
mod commands;
mod confirm;
mod error;
mod evidence;
mod fault;
mod outputs;
mod planfile;
mod printer;
mod render;
mod review;
mod teardown;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
pub use crate::error::CliError;

/// How a command ended, when it did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    /// `plan --detailed-exitcode` found changes.
    Changes,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return report(CliError::Runtime(e)),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Validate(a) => commands::validate::run(a).await,
            Command::Plan(a) => commands::plan::run(a).await,
            Command::Apply(a) => commands::apply::run(a).await,
            Command::Destroy(a) => commands::destroy::run(a).await,
            Command::Graph(a) => commands::graph::run(a),
            Command::Schema => commands::schema::run(),
            Command::Report(a) => commands::report::run(a).await,
            Command::VerifyRecord(a) => commands::verify_record::run(a),
            Command::Show(a) => commands::show::run(a).await,
            Command::Output(a) => commands::output::run(a).await,
            Command::Unlock(a) => commands::unlock::run(a).await,
        }
    });
    match result {
        Ok(ExitStatus::Success) => ExitCode::SUCCESS,
        Ok(ExitStatus::Changes) => ExitCode::from(2),
        Err(e) => report(e),
    }
}

fn report(error: CliError) -> ExitCode {
    printer::error(error);
    ExitCode::FAILURE
}

/// Logs go to stderr; `RUST_LOG` overrides `-v`. Without `-v` only recon's own warnings: the
/// SDK's warnings repeat, as a dump, what recon reports in one message. Colour only on a
/// terminal.
fn init_logging(verbose: u8) {
    use std::io::IsTerminal;
    let default = match verbose {
        0 => "error,recon=warn",
        1 => "info,recon=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal())
        .init();
}
