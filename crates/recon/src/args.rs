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
    /// Break an environment's apply lock, left behind by a run that was killed.
    Unlock(UnlockArgs),
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// The spec file.
    pub spec: PathBuf,
    #[command(flatten)]
    pub inputs: SpecInputs,
    /// One output, printed alone (its bare value, for scripts).
    pub name: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The spec of the environment (its review findings are included), or `--env NAME
    /// --region R`.
    #[command(flatten)]
    pub target: EnvTarget,
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
pub struct ShowArgs {
    /// The spec whose environment to show (its `environment` and `region`), or `--env NAME
    /// --region R`.
    #[command(flatten)]
    pub target: EnvTarget,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The environment a command acts on: a spec (with `--env`, `--values` and `--set` for a file
/// that defines several), or a recon environment by name (`--env NAME --region R`, no spec).
#[derive(Clone, Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).multiple(true).args(["spec", "env"])))]
pub struct EnvTarget {
    /// The spec file.
    pub spec: Option<PathBuf>,
    /// With a spec: which of the file's environments (a key of its `environments:`). Without
    /// one: the recon environment (its `recon:env` tag, e.g. `platform-dev`), with `--region`.
    #[arg(long)]
    pub env: Option<String>,
    /// The region, with `--env` and no spec.
    #[arg(
        long,
        conflicts_with = "spec",
        required_unless_present = "spec",
        value_parser = known_region
    )]
    pub region: Option<String>,
    /// With a spec: a YAML file of parameter values.
    #[arg(long = "values", value_name = "FILE", requires = "spec")]
    pub values: Option<PathBuf>,
    /// With a spec: a parameter value, `--set name=value` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", requires = "spec")]
    pub set: Vec<String>,
}

/// An [`EnvTarget`], decided: a spec and the inputs choosing its environment, or a name.
pub enum Target {
    Spec { path: PathBuf, inputs: SpecInputs },
    Named { env: String, region: String },
}

impl SpecInputs {
    /// The inputs a saved plan's spec was read with.
    pub fn of(source: &recon_model::SpecSource) -> Self {
        Self {
            env: source.env.clone(),
            values: source.values.as_ref().map(|v| PathBuf::from(&v.path)),
            set: source.set.clone(),
        }
    }
}

impl EnvTarget {
    pub fn resolve(self) -> Target {
        match (self.spec, self.env, self.region) {
            (Some(path), env, _) => Target::Spec {
                path,
                inputs: SpecInputs {
                    env,
                    values: self.values,
                    set: self.set,
                },
            },
            (None, Some(env), Some(region)) => Target::Named { env, region },
            _ => unreachable!("clap requires a spec, or --env with --region"),
        }
    }
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
    #[arg(long, value_parser = known_region)]
    pub region: String,
    /// Skip the confirmation.
    #[arg(long)]
    pub auto_approve: bool,
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
    /// How many AWS calls may be in flight at once. A change that waits (for a NAT gateway to
    /// become available, or between retries) holds no slot.
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
pub struct DestroyArgs {
    /// The spec whose environment to destroy, or `--env NAME --region R`. Ownership is by tag,
    /// so everything tagged with the environment is deleted, whether or not the spec names it.
    #[command(flatten)]
    pub target: EnvTarget,
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
    /// How long to wait for another apply or destroy of the environment to finish; 0 fails
    /// at once, naming who holds the lock.
    #[arg(long, default_value = "0s", value_parser = humantime::parse_duration)]
    pub lock_wait: Duration,
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
