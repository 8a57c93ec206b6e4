//! The executor's public vocabulary: configuration, steps, events, outcomes, errors, report.

use std::collections::BTreeMap;

use std::time::Duration;

use recon_model::{Address, Kind, LiveResource, kinds};
use recon_plan::Step;
use recon_provider::ProviderError;

/// How long to wait for a kind's resources to become available and to be gone (by default,
/// the kind's AWS facts: `ready_within` and `deleted_within`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindTimeouts {
    /// From the create call's return to `available`.
    pub ready: Duration,
    /// From the accepted delete call to gone.
    pub delete: Duration,
}

/// Timing and concurrency of [`crate::execute`].
#[derive(Clone, Debug)]
pub struct ExecConfig {
    /// AWS calls in flight at once (at least 1), whatever the number of steps under way.
    /// Default 10.
    pub parallelism: usize,
    /// Steps started and not yet finished, at most (at least `parallelism`). A started step
    /// holds its change and its resolved attributes while it waits for a call slot, a poll or
    /// AWS's rate limit: starting every ready step at once held 30 MB at 5,000 resources.
    /// Many times `parallelism`, so that steps waiting for one throttled API (which hold no
    /// slot) leave room for steps calling others. Default 512.
    pub steps_at_once: usize,
    /// First delay between polls and retries. Default 1 s; doubles each time up to `poll_max`.
    pub poll_initial: Duration,
    /// Longest delay between polls and retries. Default 15 s.
    pub poll_max: Duration,
    /// How long "not found" is tolerated for a resource just created (reads) or one a call
    /// names (create and update retries), and how long `IncorrectState` is retried on create
    /// and update. Default 2 min.
    pub not_found_grace: Duration,
    /// How long a delete refused with `DependencyViolation` or `IncorrectState` is retried.
    /// Default 15 min.
    pub dependency_timeout: Duration,
    /// Per-kind waits that override the kind's AWS facts (`DEF.aws.lifecycle`: most kinds
    /// 10 min to become available and 20 min to be gone, a NAT gateway 10 and 30). Default:
    /// none.
    pub timeouts: BTreeMap<Kind, KindTimeouts>,
}

impl Default for ExecConfig {
    fn default() -> Self {
        const MIN: u64 = 60;
        ExecConfig {
            parallelism: 10,
            steps_at_once: 512,
            poll_initial: Duration::from_secs(1),
            poll_max: Duration::from_secs(15),
            not_found_grace: Duration::from_secs(2 * MIN),
            dependency_timeout: Duration::from_secs(15 * MIN),
            timeouts: BTreeMap::new(),
        }
    }
}

impl ExecConfig {
    pub fn timeouts_for(&self, kind: Kind) -> KindTimeouts {
        self.timeouts.get(&kind).copied().unwrap_or_else(|| {
            let lifecycle = kinds::def(kind).aws.lifecycle;
            KindTimeouts {
                ready: lifecycle.ready_within,
                delete: lifecycle.deleted_within,
            }
        })
    }
}

/// Progress, for the CLI to print. The order of events of concurrent steps is not
/// deterministic; the events of one step are in order (`Started`, any `Waiting`/`Retrying`,
/// then `Finished` or `Failed`; or only `Skipped`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Started {
        address: Address,
        step: Step,
    },
    /// Polling a state that takes time ("pending", "deleting", "not visible yet"). Sent when
    /// the reason changes and then at most every 10 s.
    Waiting {
        address: Address,
        step: Step,
        reason: String,
    },
    /// A call failed in a way that may clear (`DependencyViolation`, "not found" just after
    /// a create, throttling) and will be tried again; `attempt` counts the retries, from 1.
    Retrying {
        address: Address,
        step: Step,
        error: String,
        attempt: u32,
    },
    Finished {
        address: Address,
        step: Step,
        id: String,
        elapsed: Duration,
    },
    /// `error` is the whole cause chain on one line.
    Failed {
        address: Address,
        step: Step,
        error: String,
    },
    /// Not run because `because` (the step that failed first, not an intermediate skipped
    /// one) failed.
    Skipped {
        address: Address,
        step: Step,
        because: Address,
    },
}

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The provider refused a call, with retries exhausted where the error is retried.
    #[error("could not {step} {address}{}", retried_note(*retried_for))]
    Provider {
        address: Address,
        step: Step,
        /// How long the call was retried before giving up (`None`: not retried).
        retried_for: Option<Duration>,
        /// Boxed: it carries the fault of the environment, and every step result holds one.
        #[source]
        source: Box<ProviderError>,
    },
    /// A wait ran out: "timed out after 10m waiting for nat_gateway.main to become available
    /// (last state: pending)".
    #[error(
        "timed out after {} waiting for {address} to {goal} (last state: {last_state})",
        human(*waited)
    )]
    Timeout {
        address: Address,
        step: Step,
        /// "become visible", "become available", "be deleted".
        goal: &'static str,
        /// The configured limit that ran out.
        waited: Duration,
        last_state: String,
    },
    /// The resource reached a state it cannot leave towards the goal (a NAT gateway `failed`).
    #[error("{address} is {state} on the AWS side after its {step}{}", message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    ResourceFailed {
        address: Address,
        step: Step,
        state: String,
        message: Option<String>,
    },
    /// A reference in the wanted attributes has no value: the plan does not know the resource
    /// and no earlier step produced it.
    #[error(
        "cannot {step} {address}: {reference} has no value (neither in the plan nor made by an earlier step)"
    )]
    Unresolved {
        address: Address,
        step: Step,
        reference: String,
    },
    /// The change lacks what its action needs (an id for a delete, `after` for a create).
    #[error("cannot {step} {address}: the plan is inconsistent: {message}")]
    InvalidPlan {
        address: Address,
        step: Step,
        message: String,
    },
    /// The steps' ordering constraints form a cycle; nothing was run.
    #[error(
        "the plan's steps depend on each other in a cycle: {}",
        cycle_text(steps)
    )]
    Cycle { steps: Vec<(Address, Step)> },
    /// The step's task ended without a result (a panic).
    #[error("{step} of {address} stopped unexpectedly: {message}")]
    Internal {
        address: Address,
        step: Step,
        message: String,
    },
}

impl ExecError {
    /// The fault of the environment behind a failed call when it is the same for every call
    /// (no credentials, an endpoint that refuses or hangs): no other step can succeed either.
    pub fn environment_fault(&self) -> Option<&recon_provider::Fault> {
        match self {
            ExecError::Provider { source, .. } => source.kind_independent_fault(),
            _ => None,
        }
    }
}

fn retried_note(d: Option<Duration>) -> String {
    d.map(|d| format!(" (retried for {})", human(d)))
        .unwrap_or_default()
}

fn cycle_text(steps: &[(Address, Step)]) -> String {
    let mut parts: Vec<String> = steps.iter().map(|(a, s)| format!("{s} {a}")).collect();
    if let Some(first) = parts.first().cloned() {
        parts.push(first);
    }
    parts.join(" -> ")
}

/// `10m`, `2m30s`, `45s`, `1h`, `250ms`.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// The error and its sources on one line, without repeating a source the message already
/// contains.
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

/// How one step ended.
#[derive(Debug)]
pub enum StepResult {
    /// `id`: the resource's id (for a delete, the id it had).
    Done {
        id: String,
    },
    Failed {
        error: ExecError,
    },
    /// Not run: `because` failed (the root cause).
    Skipped {
        because: Address,
    },
}

#[derive(Debug)]
pub struct Outcome {
    pub address: Address,
    pub step: Step,
    pub result: StepResult,
}

/// What [`crate::execute`] did.
#[derive(Debug)]
pub struct Report {
    /// One per step, sorted by address, then step.
    pub outcomes: Vec<Outcome>,
    /// The last known state of every resource the plan knew or touched: `plan.known`, the
    /// live versions of updated, replaced and deleted resources, overwritten by what each
    /// step produced (created and updated resources as the provider last reported them;
    /// deleted ones removed). A resource whose create call succeeded but whose later wait
    /// failed is included as last seen.
    pub live: BTreeMap<Address, LiveResource>,
}

impl Report {
    /// Whether every step is done.
    pub fn succeeded(&self) -> bool {
        self.outcomes
            .iter()
            .all(|o| matches!(o.result, StepResult::Done { .. }))
    }

    /// (done, failed, skipped).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for o in &self.outcomes {
            match o.result {
                StepResult::Done { .. } => c.0 += 1,
                StepResult::Failed { .. } => c.1 += 1,
                StepResult::Skipped { .. } => c.2 += 1,
            }
        }
        c
    }

    /// The outcome of one step, if the plan had it.
    pub fn outcome(&self, address: &Address, step: Step) -> Option<&Outcome> {
        self.outcomes
            .iter()
            .find(|o| &o.address == address && o.step == step)
    }
}
