//! Every way a command can fail, as one diagnostic type.

use std::path::PathBuf;

use miette::Diagnostic;
use recon_provider::DiscoverError;

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum CliError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Spec(#[from] recon_spec::SpecErrors),

    #[error("Could not read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("Could not write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("Could not start the async runtime")]
    Runtime(#[source] std::io::Error),

    #[error(
        "Key pair `{address}` would be created, but its private key file `{file}` already exists"
    )]
    #[diagnostic(
        code(recon::plan::private_key_file_exists),
        help(
            "nothing was changed; recon writes a new key only to a new file. The file is likely the key of an earlier key pair of this name (AWS keeps no copy): move it away or delete it, or set `private_key_file` to another path, then plan again"
        )
    )]
    PrivateKeyFileExists { address: String, file: String },

    #[error("The spec has no output `{name}`")]
    #[diagnostic(help("its outputs: {known}"))]
    NoOutput { name: String, known: String },

    #[error("Output `{name}` has no value: {why}")]
    #[diagnostic(help("apply the spec first (`recon plan`, then `recon apply`)"))]
    OutputUnknown { name: String, why: String },

    #[error("Could not set up the AWS client")]
    Aws(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// A fault of the environment (credentials, network, endpoint, permission): one message,
    /// without the SDK's detail (logged at `-v`).
    #[error("{message}")]
    #[diagnostic(code(recon::environment))]
    Environment {
        message: String,
        #[help]
        help: String,
    },

    #[error("{} of the spec's lookups found nothing usable", causes.len())]
    #[diagnostic(help("nothing was changed; fix the lookups, then plan again"))]
    Lookup {
        #[related]
        causes: Vec<LookupFailure>,
    },

    #[error("Could not read the live resources of environment `{environment}`")]
    #[diagnostic(help("nothing was changed; check credentials, region and network, then retry"))]
    Discover {
        environment: String,
        #[related]
        causes: Vec<DiscoverFailure>,
    },

    #[error("The review of `{file}` found errors ({counts}): nothing was planned")]
    #[diagnostic(help(
        "fix them; or, if a finding is deliberate, silence its rule on that resource with `review: {{ silence: [ {{ rule: <id>, reason: <why> }} ] }}` (docs/spec.md, \"Review rules\")"
    ))]
    Review {
        file: String,
        counts: String,
        #[related]
        findings: Vec<recon_spec::LocatedDiagnostic>,
    },

    #[error(transparent)]
    #[diagnostic(code(recon::plan))]
    Plan(#[from] recon_plan::PlanError),

    #[error("No saved plan at `{}`", path.display())]
    #[diagnostic(help("make one with `recon plan SPEC`, review it, then run `recon apply`"))]
    NoPlan { path: PathBuf },

    #[error("`{}` is not a recon plan", path.display())]
    #[diagnostic(help("make one with `recon plan SPEC`"))]
    BadPlan {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    #[error(
        "The plan `{}` has format version {found}; this recon reads version {expected}",
        path.display()
    )]
    #[diagnostic(help("make a new plan with this version of recon"))]
    PlanVersion {
        path: PathBuf,
        found: u32,
        expected: u32,
    },

    #[error(
        "The plan `{}` is for environment `{plan}`, but the spec is for `{spec}`",
        path.display()
    )]
    #[diagnostic(help("pass a plan made from this spec: `recon plan SPEC -o FILE`"))]
    PlanEnvironment {
        path: PathBuf,
        plan: String,
        spec: String,
    },

    #[error("The saved plan is stale: the spec `{spec}` changed after the plan was made")]
    #[diagnostic(
        code(recon::apply::stale),
        help("nothing was changed; run `recon plan {spec}` again and review the new plan")
    )]
    StaleSpec { spec: String },

    #[error("The saved plan is stale: {change}")]
    #[diagnostic(
        code(recon::apply::stale),
        help("nothing was changed; run `recon plan {spec}{args}` again and review the new plan")
    )]
    StaleValues {
        spec: String,
        /// The plan's `--env`, `--values` and `--set`, as a command line tail.
        args: String,
        change: String,
    },

    #[error(
        "The saved plan is stale: the live resources of environment `{environment}` changed after the plan was made"
    )]
    #[diagnostic(
        code(recon::apply::stale),
        help("nothing was changed; run `recon plan` again and review the new plan")
    )]
    StaleLive { environment: String },

    #[error("Refusing to {action} without confirmation: standard input is not a terminal")]
    #[diagnostic(help("review the plan above, then pass `--auto-approve`"))]
    NotConfirmed { action: &'static str },

    #[error("{action} cancelled: nothing was changed")]
    Cancelled { action: &'static str },

    #[error("{action} failed: {failed} failed, {skipped} skipped because of them, {done} done")]
    #[diagnostic(help(
        "fix the cause and run the command again: finished work is kept and found by its tags"
    ))]
    ExecutionFailed {
        action: &'static str,
        done: usize,
        failed: usize,
        skipped: usize,
        #[related]
        causes: Vec<StepFailure>,
    },

    #[error("Could not verify that environment `{environment}` is gone: {error}")]
    #[diagnostic(help("run `recon destroy` again to re-check"))]
    SweepFailed { environment: String, error: String },

    #[error(
        "Refusing to {action}: the plan would delete or replace {} protected resource{}: {}",
        resources.len(),
        if resources.len() == 1 { "" } else { "s" },
        resources.join(", ")
    )]
    #[diagnostic(
        code(recon::protected),
        help(
            "nothing was changed. Protection is the `recon:protect` tag on the resource. To lift it, set `protect: false` on the resource in the spec (add the block back if it is gone) and apply: the plan shows it as a change of its tags. Then plan the deletion again"
        )
    )]
    Protected {
        action: &'static str,
        resources: Vec<String>,
    },

    #[error(
        "Refusing to {action}: the plan would delete {} S3 bucket{} that still hold{} objects: {}",
        resources.len(),
        if resources.len() == 1 { "" } else { "s" },
        if resources.len() == 1 { "s" } else { "" },
        resources.join(", ")
    )]
    #[diagnostic(
        code(recon::bucket_not_empty),
        help(
            "nothing was changed. Deleting a bucket deletes its objects, which recon does only when the bucket's spec says `force_destroy: true`. To allow it, add `force_destroy: true` to the bucket in the spec and apply (the plan shows it as a change of the bucket), then plan the deletion again; or empty the bucket first"
        )
    )]
    NotEmpty {
        action: &'static str,
        resources: Vec<String>,
    },

    #[error("Environment `{environment}` is locked by {holder}")]
    #[diagnostic(
        code(recon::locked),
        help(
            "another apply or destroy of this environment is running: wait for it (or pass `--lock-wait 10m`). If that run was killed on another machine, check nothing is running there, then `recon unlock --env {environment} --region {region}`"
        )
    )]
    Locked {
        environment: String,
        region: String,
        holder: String,
    },

    #[error("Could not take or release the lock of environment `{environment}`")]
    Lock {
        environment: String,
        #[source]
        source: Box<recon_provider::ProviderError>,
    },

    #[error("Cannot adopt {id} as `{address}`")]
    #[diagnostic(help(
        "adopt only resources that no recon environment owns, by their AWS id; nothing was changed"
    ))]
    Adopt {
        address: String,
        id: String,
        #[source]
        source: Box<recon_provider::ProviderError>,
    },

    /// A problem found in a file the spec names (a `public_key_file`), at its value in the spec.
    #[error(transparent)]
    #[diagnostic(transparent)]
    InSpec(Box<recon_spec::LocatedDiagnostic>),

    #[error("The saved plan `{}` is not one recon would make: {what}", path.display())]
    #[diagnostic(
        code(recon::apply::edited_plan),
        help(
            "nothing was changed; a saved plan is applied only as recon made it. Make it again with `recon plan SPEC -o FILE`, review it, and apply that"
        )
    )]
    PlanEdited { path: PathBuf, what: String },

    #[error("`--target` and `--replace` shape a new plan: give them with a spec")]
    #[diagnostic(help("run `recon plan SPEC --target ADDRESS`, review, then `recon apply`"))]
    SelectionWithoutSpec,

    #[error("Interrupted: the lock of environment `{environment}` was released")]
    #[diagnostic(help(
        "changes already made are kept and found by their tags; plan again to see where things stand"
    ))]
    Interrupted { environment: String },

    #[error("{} tagged recon:env={environment} {}: {}", count(remaining.len(), "resource"), if remaining.len() == 1 { "remains" } else { "remain" }, remaining.join(", "))]
    #[diagnostic(help(
        "run `recon destroy` again; if it persists, see what blocks them in the AWS console. recon never deletes a resource whose recon:id is missing or not one of its addresses: delete it by hand, or set its recon:id tag to its address"
    ))]
    Remaining {
        environment: String,
        remaining: Vec<String>,
    },

    #[error("{count} backups or snapshots of the environment's data were not confirmed deleted")]
    #[diagnostic(help(
        "the teardown record lists each with why; run `recon destroy --delete-backups` again, or delete them in the AWS Backup console"
    ))]
    BackupsNotDeleted { count: usize },

    #[error("`{}` is not a sealed recon record: it has no `record_sha256`", path.display())]
    #[diagnostic(help(
        "records written by recon 0.1 before sealing cannot be verified; check the file is a teardown record or report"
    ))]
    RecordUnsealed { path: PathBuf },

    #[error("`{}` does not match its seal: it was changed after recon wrote it", path.display())]
    #[diagnostic(help(
        "recorded sha256 {recorded}, content sha256 {computed}; ask for the original record"
    ))]
    RecordTampered {
        path: PathBuf,
        recorded: String,
        computed: String,
    },

    #[error("`{}` does not agree with its JSON record", markdown.display())]
    #[diagnostic(help("{why}; the JSON record (which matches its seal) is the authority"))]
    MarkdownDiffers { markdown: PathBuf, why: String },

    #[error("`{}` is not a recon record", path.display())]
    NotARecord {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// One kind whose discovery failed.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
pub struct DiscoverFailure {
    message: String,
    #[help]
    help: Option<String>,
}

impl From<DiscoverError> for DiscoverFailure {
    fn from(e: DiscoverError) -> Self {
        let help = match &e {
            DiscoverError::Kind { source, .. } => {
                source.fault.as_deref().map(crate::fault::what_to_do)
            }
        };
        DiscoverFailure {
            message: error_chain(&e),
            help,
        }
    }
}

/// A lookup that matched nothing or more than one resource, at its key in the spec.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("lookup `{address}`: {message}")]
pub struct LookupFailure {
    pub address: String,
    pub message: String,
    #[source_code]
    pub src: recon_spec::ShownSource,
    #[label("this lookup")]
    pub span: Option<miette::SourceSpan>,
    #[help]
    pub help: Option<String>,
}

/// One step that failed during apply or destroy.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{address}: {message}")]
pub struct StepFailure {
    pub address: String,
    pub message: String,
}

/// An error and its sources on one line: `a: b: c`.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// "1 resource", "3 resources".
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
