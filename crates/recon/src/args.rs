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
}

/// Which environment of a spec file, and its parameter values.
#[derive(Clone, Debug, Default, Args)]
pub struct SpecInputs {
    /// Which of the file's environments (a key of its `environments:`).
    #[arg(long)]
    pub env: Option<String>,
    /// A YAML file of parameter values (`name: value` per line), over the environment's own.
    #[arg(long = "values", value_name = "FILE")]
    pub values: Option<PathBuf>,
    /// A parameter value, over all others: `--set name=value`, repeatable. The value is read as
    /// YAML: `--set nat_per_az=false`, `--set 'azs=[us-east-1a, us-east-1b]'`.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The spec file.
    pub spec: PathBuf,
    #[command(flatten)]
    pub inputs: SpecInputs,
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
    #[command(flatten)]
    pub inputs: SpecInputs,
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
    #[command(flatten)]
    pub inputs: SpecInputs,
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
    #[command(flatten)]
    pub inputs: SpecInputs,
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
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).multiple(true).args(["spec", "env"])))]
pub struct DestroyArgs {
    /// The spec whose environment to destroy. Ownership is by tag, so everything tagged with the
    /// environment is deleted, whether or not the spec names it.
    pub spec: Option<PathBuf>,
    /// With a spec: which of the file's environments (a key of its `environments:`). Without
    /// one: the recon environment to destroy (its `recon:env` tag), with `--region`.
    #[arg(long)]
    pub env: Option<String>,
    /// The region, with `--env` and no spec.
    #[arg(long, conflicts_with = "spec", required_unless_present = "spec")]
    pub region: Option<String>,
    /// With a spec: a YAML file of parameter values.
    #[arg(long = "values", value_name = "FILE", requires = "spec")]
    pub values: Option<PathBuf>,
    /// With a spec: a parameter value, `--set name=value` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", requires = "spec")]
    pub set: Vec<String>,
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
}
