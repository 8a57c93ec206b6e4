//! Command-line arguments.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Declarative AWS environments from YAML specs: plan, review, apply, destroy.
#[derive(Debug, Parser)]
#[command(name = "recon", version, long_about = None)]
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
    /// Attest what is live now for an environment (for audits and IRB reviews): every owned
    /// resource, encryption at rest, what the internet can reach, who can decrypt, backups,
    /// and the spec's review findings. Makes only reads.
    Report(ReportArgs),
    /// Check a teardown record or report against its sha256 seal, and that its Markdown
    /// rendering agrees. Makes no AWS call.
    VerifyRecord(VerifyRecordArgs),
    /// Show what the environment owns now, read from AWS (no state file): address, kind, AWS
    /// id, state and the attributes people look up.
    Show(ShowArgs),
    /// Print the spec's `outputs:`, read from the live resources (all, or the one NAME).
    Output(OutputArgs),
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// The spec file.
    pub spec: PathBuf,
    /// One output, printed alone (its bare value, for scripts).
    pub name: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["spec", "env"])))]
pub struct ReportArgs {
    /// The spec of the environment (its review findings are included).
    pub spec: Option<PathBuf>,
    /// The environment to report on, instead of a spec.
    #[arg(long, conflicts_with = "spec", requires = "region")]
    pub env: Option<String>,
    /// The region, with `--env`.
    #[arg(long)]
    pub region: Option<String>,
    /// Where to write the report (JSON; the Markdown rendering goes beside it with `.md`).
    /// Default: `.recon/report/<environment>-<UTC time>.json`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// What to print on stdout: the report as `markdown` or `json`.
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    pub format: ReportFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct VerifyRecordArgs {
    /// The JSON record (a teardown record or a report).
    pub record: PathBuf,
    /// Its Markdown rendering. Default: the same path with `.md`, checked when it exists.
    #[arg(long)]
    pub markdown: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["spec", "env"])))]
pub struct ShowArgs {
    /// The spec whose environment to show (its `environment` and `region`).
    pub spec: Option<PathBuf>,
    /// The environment to show, instead of a spec.
    #[arg(long, conflicts_with = "spec", requires = "region")]
    pub env: Option<String>,
    /// The region, with `--env`.
    #[arg(long, value_parser = known_region)]
    pub region: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
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
    /// How many AWS calls may be in flight at once. A change that waits (for a NAT gateway to
    /// become available, or between retries) holds no slot.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
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
    #[arg(long, value_parser = known_region)]
    pub region: Option<String>,
    /// Skip the confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Where to write the teardown record (JSON; the Markdown rendering goes beside it with
    /// `.md`). Default: `.recon/teardown/<environment>-<UTC time>.json`.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Also delete the copies of the environment's data AWS keeps: AWS Backup recovery points
    /// of its file systems and instance volumes, and EBS snapshots tagged with the environment.
    /// Each is confirmed gone and recorded. Backup plans and vaults are never touched.
    #[arg(long)]
    pub delete_backups: bool,
    /// How long to keep retrying a delete that AWS refuses because something still uses the
    /// resource (e.g. `15m`, `90s`).
    #[arg(long, default_value = "15m", value_parser = humantime::parse_duration)]
    pub retry_for: Duration,
    /// How many AWS calls may be in flight at once. A deletion that waits (for a resource to be
    /// gone, or between retries) holds no slot.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
}

/// A region AWS has, checked offline (as a spec's `region` is).
fn known_region(text: &str) -> Result<String, String> {
    if recon_model::regions::is_known(text) {
        return Ok(text.to_owned());
    }
    let stem = text.rsplit_once('-').map_or(text, |(stem, _)| stem);
    let near: Vec<&str> = recon_model::regions::KNOWN
        .iter()
        .copied()
        .filter(|r| r.rsplit_once('-').is_some_and(|(s, _)| s == stem))
        .collect();
    Err(if near.is_empty() {
        format!("`{text}` is not an AWS region (such as `us-east-1` or `eu-west-2`)")
    } else {
        format!(
            "`{text}` is not an AWS region; did you mean {}?",
            near.iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    })
}
