//! Command-line arguments.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Declarative AWS environments from YAML specs: plan, review, apply, destroy.
#[derive(Debug, Parser)]
#[command(name = "recon", version, about, long_about = None)]
pub struct Cli {
    /// More logging on stderr (-v, -vv). `RUST_LOG` overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a spec offline: parse, resolve references, check, review. Makes no AWS call.
    Validate(ValidateArgs),
    /// Compare a spec with what is live in AWS, show the plan and save it.
    Plan(PlanArgs),
    /// Carry out the saved plan (or plan a spec, confirm, and carry that out).
    Apply(ApplyArgs),
    /// Delete everything the environment owns, then verify nothing remains.
    Destroy(DestroyArgs),
    /// Print a spec's dependency graph as Mermaid or DOT. Makes no AWS call.
    Graph(GraphArgs),
    /// Print the JSON Schema of the spec language (for editors). Makes no AWS call.
    Schema,
    /// Break an environment's apply lock, left behind by a run that was killed.
    Unlock(UnlockArgs),
}

/// An address given on the command line (`--target`, `--replace`).
fn address(s: &str) -> Result<recon_model::Address, String> {
    s.parse::<recon_model::Address>()
        .map_err(|e| format!("{e} (write `kind.name`, e.g. `efs_file_system.data`)"))
}

/// `--target` and `--replace`, shared by `plan` and `apply SPEC`.
#[derive(Debug, Args)]
pub struct Selection {
    /// Plan only this resource and what it depends on (repeatable).
    #[arg(long, value_name = "ADDRESS", value_parser = address)]
    pub target: Vec<recon_model::Address>,
    /// Replace this resource even though nothing forces it (repeatable).
    #[arg(long, value_name = "ADDRESS", value_parser = address)]
    pub replace: Vec<recon_model::Address>,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// The environment whose lock to break.
    #[arg(long)]
    pub env: String,
    /// The environment's region.
    #[arg(long)]
    pub region: String,
    /// Skip the confirmation.
    #[arg(long)]
    pub auto_approve: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The spec file.
    pub spec: PathBuf,
    /// `text`: diagnostics on stderr, a summary on stdout. `sarif`: the review findings as a
    /// SARIF 2.1.0 log on stdout, for a code host to show inline in a pull request.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// How `recon validate` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Sarif,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The spec file.
    pub spec: PathBuf,
    /// Where to save the plan.
    #[arg(short, long, default_value = ".recon/plan.json")]
    pub out: PathBuf,
    /// How to print the plan on stdout: `text` (like `terraform plan`), `json` (the saved plan
    /// document) or `markdown` (a pull-request comment).
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// The same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan the deletion of everything the environment owns; `recon apply` carries it out.
    #[arg(long, conflicts_with_all = ["target", "replace"])]
    pub destroy: bool,
    #[command(flatten)]
    pub selection: Selection,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

impl PlanArgs {
    /// `--json` is an alias of `--format json`.
    pub fn format(&self) -> PlanFormat {
        if self.json {
            PlanFormat::Json
        } else {
            self.format
        }
    }
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The spec file.
    pub spec: PathBuf,
    /// `mermaid` (renders in GitHub and GitLab Markdown) or `dot` (Graphviz).
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
    /// A saved plan of this spec (`recon plan -o FILE`): colour each resource by its planned
    /// action, and add the resources the plan deletes.
    #[arg(long)]
    pub plan: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A spec to plan and apply after confirmation. Without it, the saved plan is applied.
    pub spec: Option<PathBuf>,
    /// The saved plan to apply (when no spec is given).
    #[arg(long, default_value = ".recon/plan.json", conflicts_with = "spec")]
    pub plan: PathBuf,
    /// Skip the confirmation (only meaningful with a spec).
    #[arg(long)]
    pub auto_approve: bool,
    /// How long to keep retrying a delete that AWS refuses because something still uses the
    /// resource (e.g. `15m`, `90s`).
    #[arg(long, default_value = "15m", value_parser = humantime::parse_duration)]
    pub retry_for: Duration,
    /// How many changes may run at once.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// How long to wait for another apply or destroy of the environment to finish (e.g.
    /// `5m`); 0 fails at once, naming who holds the lock.
    #[arg(long, default_value = "0s", value_parser = humantime::parse_duration)]
    pub lock_wait: Duration,
    #[command(flatten)]
    pub selection: Selection,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["spec", "env"])))]
pub struct DestroyArgs {
    /// The spec whose environment to destroy. Ownership is by tag, so everything tagged with the
    /// environment is deleted, whether or not the spec names it.
    pub spec: Option<PathBuf>,
    /// The environment to destroy, instead of a spec.
    #[arg(long, conflicts_with = "spec", requires = "region")]
    pub env: Option<String>,
    /// The region, with `--env`.
    #[arg(long)]
    pub region: Option<String>,
    /// Skip the confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Where to write the teardown record (JSON; the Markdown rendering goes beside it with
    /// `.md`). Default: `.recon/teardown/<environment>-<UTC time>.json`.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// How long to keep retrying a delete that AWS refuses because something still uses the
    /// resource (e.g. `15m`, `90s`).
    #[arg(long, default_value = "15m", value_parser = humantime::parse_duration)]
    pub retry_for: Duration,
    /// How many deletions may run at once.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// How long to wait for another apply or destroy of the environment to finish; 0 fails
    /// at once, naming who holds the lock.
    #[arg(long, default_value = "0s", value_parser = humantime::parse_duration)]
    pub lock_wait: Duration,
}
