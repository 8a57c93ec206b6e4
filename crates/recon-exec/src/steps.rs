//! The three steps, and the retry and wait loops they share.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use recon_model::{
    Address, Attrs, Change, Kind, LiveResource, LiveState, Reference, Value, diff_attrs,
};
use recon_provider::{CreateRequest, ErrorKind, Provider, ProviderError, UpdateRequest};
use tokio::time::{Instant, sleep};

mod recover;

use crate::token::idempotency_token;
use recon_plan::Step;

use crate::types::{Event, ExecConfig, ExecError, error_chain};

/// How often a `Waiting` event repeats while the reason stays the same.
const WAITING_EVERY: Duration = Duration::from_secs(10);

/// The shortest delay between polls or retries, whatever the configuration says.
const MIN_DELAY: Duration = Duration::from_millis(10);

/// Errors retried by create and update: a resource the call names may not be visible yet, or
/// not in a state that allows the call yet (a NAT gateway still pending).
const RETRY_CREATE_UPDATE: &[ErrorKind] = &[
    ErrorKind::NotFound,
    ErrorKind::IncorrectState,
    ErrorKind::Throttled,
];

/// Errors retried by delete: something still uses the resource, or it is mid-transition.
const RETRY_DELETE: &[ErrorKind] = &[
    ErrorKind::DependencyViolation,
    ErrorKind::IncorrectState,
    ErrorKind::Throttled,
];

pub(crate) type Events = Arc<dyn Fn(Event) + Send + Sync>;

/// What a step tells the scheduler.
pub(crate) struct StepRun {
    pub result: Result<String, ExecError>,
    pub effect: Effect,
}

/// What a step did to the report's picture of live resources.
pub(crate) enum Effect {
    Set(LiveResource),
    Remove,
    Keep,
}

impl StepRun {
    fn failed(error: ExecError, effect: Effect) -> Self {
        StepRun {
            result: Err(error),
            effect,
        }
    }
}

/// Everything a step needs besides its change.
pub(crate) struct Ctx<P> {
    pub provider: Arc<P>,
    pub config: Arc<ExecConfig>,
    pub events: Events,
    pub environment: Arc<str>,
    pub address: Address,
    pub step: Step,
}

impl<P: Provider> Ctx<P> {
    fn emit(&self, event: Event) {
        (self.events)(event);
    }

    fn kind(&self) -> Kind {
        self.address.kind
    }

    fn provider_error(&self, source: ProviderError, retried_for: Option<Duration>) -> ExecError {
        ExecError::Provider {
            address: self.address.clone(),
            step: self.step,
            retried_for,
            source: Box::new(source),
        }
    }

    fn invalid_plan(&self, message: impl Into<String>) -> ExecError {
        ExecError::InvalidPlan {
            address: self.address.clone(),
            step: self.step,
            message: message.into(),
        }
    }

    fn first_delay(&self) -> Duration {
        self.config.poll_initial.max(MIN_DELAY)
    }

    fn next_delay(&self, delay: Duration) -> Duration {
        (delay * 2).min(self.config.poll_max.max(self.first_delay()))
    }

    /// Calls `call` until it succeeds, retrying the error kinds in `retry_on` with exponential
    /// backoff (from `poll_initial` to `poll_max`) for at most `budget` after the first
    /// failure, with a `Retrying` event before each retry. The last try is at `budget`.
    async fn with_retries<T, F, Fut>(
        &self,
        retry_on: &[ErrorKind],
        budget: Duration,
        mut call: F,
    ) -> Result<T, ExecError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let mut started: Option<Instant> = None;
        let mut delay = self.first_delay();
        let mut attempt = 0u32;
        loop {
            match call().await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let first = *started.get_or_insert_with(Instant::now);
                    let waited = first.elapsed();
                    if !retry_on.contains(&e.kind) || waited >= budget {
                        let retried = (attempt > 0).then_some(waited);
                        return Err(self.provider_error(e, retried));
                    }
                    attempt += 1;
                    tracing::debug!(address = %self.address, step = %self.step, attempt, error = %error_chain(&e), "retrying");
                    self.emit(Event::Retrying {
                        address: self.address.clone(),
                        step: self.step,
                        error: error_chain(&e),
                        attempt,
                    });
                    sleep(delay.min(budget - waited)).await;
                    delay = self.next_delay(delay);
                }
            }
        }
    }

    /// Emits `Waiting` when `reason` differs from the last one or 10 s have passed.
    fn waiting(&self, reason: &str, last: &mut Option<(String, Instant)>) {
        let now = Instant::now();
        let due = match last {
            Some((r, at)) => r != reason || now - *at >= WAITING_EVERY,
            None => true,
        };
        if due {
            self.emit(Event::Waiting {
                address: self.address.clone(),
                step: self.step,
                reason: reason.to_owned(),
            });
            *last = Some((reason.to_owned(), now));
        }
    }

    /// Polls `read` until the resource is `Available`, reading once at once.
    ///
    /// Tolerates "not found" (`Ok(None)` or `ErrorKind::NotFound`) for `not_found_grace` and
    /// `Pending` for the kind's ready timeout, both from the first read; throttling is polled
    /// through. `Failed` or `Deleting` end the wait with [`ExecError::ResourceFailed`]. `last`
    /// is updated with every version read.
    async fn wait_available(
        &self,
        id: &str,
        last: &mut LiveResource,
    ) -> Result<LiveResource, ExecError> {
        let start = Instant::now();
        let ready = self.config.timeouts_for(self.kind()).ready;
        let grace = self.config.not_found_grace;
        let mut delay = self.first_delay();
        let mut reported = None;
        loop {
            let (limit, goal, state) = match self.provider.read(self.kind(), id).await {
                Ok(Some(r)) => match r.state {
                    LiveState::Available => return Ok(r),
                    LiveState::Pending => {
                        *last = r;
                        (ready, "become available", "pending")
                    }
                    LiveState::Failed | LiveState::Deleting => {
                        let message = r
                            .outputs
                            .get("failure_message")
                            .and_then(Value::as_str)
                            .map(str::to_owned);
                        let state = state_name(r.state).to_owned();
                        *last = r;
                        return Err(ExecError::ResourceFailed {
                            address: self.address.clone(),
                            step: self.step,
                            state,
                            message,
                        });
                    }
                },
                Ok(None) => (grace, "become visible", "not found"),
                Err(e) if e.kind == ErrorKind::NotFound => (grace, "become visible", "not found"),
                Err(e) if e.kind == ErrorKind::Throttled => {
                    (ready, "become available", "throttled")
                }
                Err(e) => return Err(self.provider_error(e, None)),
            };
            let waited = start.elapsed();
            if waited >= limit {
                return Err(ExecError::Timeout {
                    address: self.address.clone(),
                    step: self.step,
                    goal,
                    waited: limit,
                    last_state: state.to_owned(),
                });
            }
            self.waiting(
                if state == "not found" {
                    "not visible yet"
                } else {
                    state
                },
                &mut reported,
            );
            sleep(delay.min(limit - waited)).await;
            delay = self.next_delay(delay);
        }
    }

    /// Polls `read` until the resource is gone (`Ok(None)` or `ErrorKind::NotFound`), reading
    /// once at once, for at most the kind's delete timeout. `last` is updated with every
    /// version read.
    async fn wait_gone(&self, id: &str, last: &mut LiveResource) -> Result<(), ExecError> {
        let start = Instant::now();
        let limit = self.config.timeouts_for(self.kind()).delete;
        let mut delay = self.first_delay();
        let mut reported = None;
        loop {
            let state = match self.provider.read(self.kind(), id).await {
                Ok(None) => return Ok(()),
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
                Ok(Some(r)) => {
                    let state = state_name(r.state);
                    *last = r;
                    state
                }
                Err(e) if e.kind == ErrorKind::Throttled => "throttled",
                Err(e) => return Err(self.provider_error(e, None)),
            };
            let waited = start.elapsed();
            if waited >= limit {
                return Err(ExecError::Timeout {
                    address: self.address.clone(),
                    step: self.step,
                    goal: "be deleted",
                    waited: limit,
                    last_state: state.to_owned(),
                });
            }
            self.waiting(state, &mut reported);
            sleep(delay.min(limit - waited)).await;
            delay = self.next_delay(delay);
        }
    }

    /// `change.after` with every reference resolved from `live` (what the steps before this
    /// one made, and what the plan knows): done when the step starts, so that a waiting step
    /// holds its resolved attributes, not copies of the resources it refers to.
    pub(crate) fn resolve(
        &self,
        change: &Change,
        live: &BTreeMap<Address, LiveResource>,
    ) -> Result<Attrs, ExecError> {
        let after = change
            .after
            .as_ref()
            .ok_or_else(|| self.invalid_plan("the change has no wanted attributes (`after`)"))?;
        let lookup = |r: &Reference| live.get(&r.address)?.attribute(&r.attr);
        let mut out = Attrs::new();
        for (name, value) in after {
            let resolved = value.resolve(&lookup);
            if !resolved.is_known() {
                let reference = resolved
                    .references()
                    .first()
                    .map(|r| format!("`{r}`"))
                    .unwrap_or_else(|| format!("`{name}` (known only after apply)"));
                return Err(ExecError::Unresolved {
                    address: self.address.clone(),
                    step: self.step,
                    reference,
                });
            }
            out.insert(name.clone(), resolved);
        }
        Ok(out)
    }

    fn finished(&self, id: &str, started: Instant) {
        self.emit(Event::Finished {
            address: self.address.clone(),
            step: self.step,
            id: id.to_owned(),
            elapsed: started.elapsed(),
        });
    }
}

pub(crate) fn state_name(state: LiveState) -> &'static str {
    match state {
        LiveState::Pending => "pending",
        LiveState::Available => "available",
        LiveState::Deleting => "deleting",
        LiveState::Failed => "failed",
    }
}

/// The live resource a change is about, as the plan saw it (`id`, `before`).
pub(crate) fn live_from_change<P: Provider>(
    ctx: &Ctx<P>,
    change: &Change,
) -> Result<LiveResource, ExecError> {
    if change.id.is_none() {
        return Err(ctx.invalid_plan("the change has no live id"));
    }
    live_before(change)
        .ok_or_else(|| ctx.invalid_plan("the change has no live attributes (`before`)"))
}

/// The live version of a change's resource, as the plan knew it (`id`, `before`); `None`
/// for a create.
pub(crate) fn live_before(change: &Change) -> Option<LiveResource> {
    let (Some(id), Some(before)) = (&change.id, &change.before) else {
        return None;
    };
    Some(LiveResource {
        address: change.address.clone(),
        id: id.clone(),
        state: LiveState::Available,
        attrs: before.clone(),
        outputs: BTreeMap::new(),
    })
}

/// Creates a resource (a `Create` change, or the second half of a `Replace`).
///
/// # Guarantees
/// - At most one create call succeeds per run of the step, and it carries a deterministic
///   idempotency token ([`idempotency_token`]): re-running the same plan after a crash asks
///   for the same resource again rather than a second one (for kinds whose API takes a
///   token).
/// - On `Done`, the resource is `Available` (read back after the create, reading once at
///   once and then polling with backoff, unless the provider says the create's `Available`
///   answer is all a read would say) and every field of the resolved wanted attributes
///   matches it: fields the create call does not set are converged by one `update` call.
/// - Retries `NotFound`, `IncorrectState` and throttling on the create and update calls for
///   at most `not_found_grace`; tolerates "not found" reads for `not_found_grace` and
///   `pending` for the kind's ready timeout; a `failed` resource fails the step at once.
///
/// # Assumptions
/// - `resolved` is `change.after` resolved by [`Ctx::resolve`] when the step started: every
///   reference is to a resource the plan knows unchanged, or one an earlier step (ordered
///   before this one) created or updated. Otherwise it is [`ExecError::Unresolved`] and the
///   step fails before any call.
/// - `after["tags"]` already holds the full tag set, ownership tags included.
pub(crate) async fn create_step<P: Provider>(
    ctx: Ctx<P>,
    change: Change,
    resolved: Result<Attrs, ExecError>,
) -> StepRun {
    let started = Instant::now();
    let attrs = match resolved {
        Ok(a) => a,
        Err(e) => return StepRun::failed(e, Effect::Keep),
    };
    // A replacement must not replay the token of the resource it replaces (same attributes,
    // e.g. replacing a failed NAT gateway): the replaced id is part of its token.
    let replaces = change
        .id
        .as_deref()
        .filter(|_| change.action == recon_model::Action::Replace);
    let token = idempotency_token(&ctx.environment, &change.address, &attrs, replaces);
    let request = CreateRequest {
        address: &change.address,
        environment: &ctx.environment,
        attrs: &attrs,
        token: &token,
    };
    let grace = ctx.config.not_found_grace;
    let created = match ctx.create_once(&request).await {
        Ok(c) => c,
        Err(e) => return StepRun::failed(e, Effect::Keep),
    };
    let id = created.id.clone();
    let live = if created.state == LiveState::Available
        && ctx.provider.create_reply_is_a_read(ctx.kind())
    {
        // The create's answer is what a read would say: reading it back would only spend a
        // request (dependents retry a "not found" while AWS catches up).
        created
    } else {
        let mut last = created;
        match ctx.wait_available(&id, &mut last).await {
            Ok(l) => l,
            Err(e) => return StepRun::failed(e, Effect::Set(last)),
        }
    };
    let diffs = diff_attrs(ctx.kind(), &attrs, &live.attrs);
    let live = if diffs.is_empty() {
        live
    } else {
        let request = UpdateRequest {
            live: &live,
            attrs: &attrs,
            diffs: &diffs,
        };
        match ctx
            .with_retries(RETRY_CREATE_UPDATE, grace, || {
                ctx.provider.update_created(request.clone())
            })
            .await
        {
            Ok(l) => l,
            Err(e) => return StepRun::failed(e, Effect::Set(live)),
        }
    };
    ctx.finished(&id, started);
    StepRun {
        result: Ok(id),
        effect: Effect::Set(live),
    }
}

/// Changes a live resource in place (an `Update` change).
///
/// # Guarantees
/// - Sends only the fields where the resolved wanted attributes differ from the live ones the
///   plan recorded (`diff_attrs(kind, resolved after, before)`), in one `update` call; makes
///   no call when nothing differs once references are resolved.
/// - Retries `NotFound`, `IncorrectState` and throttling for at most `not_found_grace`.
///
/// # Assumptions
/// - `change.id` and `change.before` describe the live resource as it still is (the CLI
///   refuses stale plans); `current` (the plan's `known` entry, if any) supplies its outputs.
/// - `resolved` as for [`create_step`].
pub(crate) async fn update_step<P: Provider>(
    ctx: Ctx<P>,
    change: Change,
    resolved: Result<Attrs, ExecError>,
    current: Option<LiveResource>,
) -> StepRun {
    let started = Instant::now();
    let mut live = match live_from_change(&ctx, &change) {
        Ok(l) => l,
        Err(e) => return StepRun::failed(e, Effect::Keep),
    };
    if let Some(current) = current.filter(|c| c.id == live.id) {
        live.outputs = current.outputs;
    }
    let attrs = match resolved {
        Ok(a) => a,
        Err(e) => return StepRun::failed(e, Effect::Keep),
    };
    let diffs = diff_attrs(ctx.kind(), &attrs, &live.attrs);
    let updated = if diffs.is_empty() {
        live
    } else {
        let request = UpdateRequest {
            live: &live,
            attrs: &attrs,
            diffs: &diffs,
        };
        match ctx
            .with_retries(RETRY_CREATE_UPDATE, ctx.config.not_found_grace, || {
                ctx.provider.update(request.clone())
            })
            .await
        {
            Ok(l) => l,
            Err(e) => return StepRun::failed(e, Effect::Keep),
        }
    };
    let id = updated.id.clone();
    ctx.finished(&id, started);
    StepRun {
        result: Ok(id),
        effect: Effect::Set(updated),
    }
}

/// Deletes a live resource (a `Delete` change, or the first half of a `Replace`) and waits
/// until it is gone.
///
/// # Guarantees
/// - On `Done`, a read of the id says the resource is gone: anything that had to wait for it
///   (a subnet for its NAT gateway) can go next.
/// - Retries `DependencyViolation`, `IncorrectState` and throttling on the delete call with
///   backoff for at most `dependency_timeout` (a `Retrying` event each time), then waits
///   for the kind's delete timeout.
///
/// # Assumptions
/// - The resource is the one the plan recorded (`change.id`, `change.before`, carrying the
///   ownership tags the provider re-checks).
/// - Per the provider contract, deleting what is already gone succeeds; a "not found" answer
///   to the delete call is taken to mean the same, and the wait confirms it.
///
/// Takes the live resource, not the change: a step under way holds one copy of its
/// attributes, not two (a large destroy has hundreds under way).
pub(crate) async fn delete_step<P: Provider>(
    ctx: Ctx<P>,
    live: Result<LiveResource, ExecError>,
) -> StepRun {
    let started = Instant::now();
    let live = match live {
        Ok(l) => l,
        Err(e) => return StepRun::failed(e, Effect::Keep),
    };
    let deleted = ctx
        .with_retries(RETRY_DELETE, ctx.config.dependency_timeout, || async {
            match ctx.provider.delete(&live).await {
                Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
                other => other,
            }
        })
        .await;
    if let Err(e) = deleted {
        return StepRun::failed(e, Effect::Keep);
    }
    // Polled for only where AWS's delete answers before the resource is gone; a dependent
    // delete AWS still refuses for a moment after (eventual consistency) is retried.
    if !recon_model::kinds::def(live.kind())
        .aws
        .gone_when_delete_answers
    {
        let mut last = live.clone();
        if let Err(e) = ctx.wait_gone(&live.id, &mut last).await {
            return StepRun::failed(e, Effect::Set(last));
        }
    }
    ctx.finished(&live.id, started);
    StepRun {
        result: Ok(live.id),
        effect: Effect::Remove,
    }
}
