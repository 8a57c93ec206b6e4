//! recon's own token bucket per AWS API, so that a throttled run slows down to what AWS allows
//! instead of failing or hammering.
//!
//! AWS throttles each API action of an account and region with a token bucket (EC2's documented
//! defaults: a Describe* action holds 100 tokens and refills 20 a second, a mutating action
//! holds 50 and refills 5). recon sends at full speed until AWS first answers an action with a
//! throttling error; from then on, calls to that action wait for a token of recon's copy of the
//! bucket, which starts empty (AWS's is), refills as AWS documents, and is never drawn below a
//! few tokens: a call that reaches AWS a little early still finds one. Other
//! actions, whose buckets are full, keep going at full speed, and a call that waits here gives
//! its `--parallelism` slot back while it waits (`recon_provider::slot`). A throttle after that
//! (another tool shares the bucket, or the account's limits are lower) slows the action
//! further; each success speeds it up again, up to the documented rate.
//!
//! How: an interceptor watches each answer ([`PaceCalls`]); the identity cache
//! ([`PacedIdentityCache`], wrapping the SDK's default one) waits for the action's turn before
//! each attempt is signed.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_ec2::config::IdentityCache;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::identity::{
    IdentityFuture, ResolveCachedIdentity, SharedIdentityCache, SharedIdentityResolver,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::AfterDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::config_bag::ConfigBag;
use tokio::sync::oneshot;

/// The tokens recon leaves in its copy of an action's bucket once AWS has throttled the action,
/// so that calls arriving a few milliseconds early, or out of order, do not find AWS's empty.
/// A reserve, not a slower rate: a slower rate would leave AWS's refill unspent for the whole
/// run (at 95 %, 4 s of every 80).
const RESERVE: f64 = 3.0;
/// How much a further throttle slows the action, at most once per [`CUT_INTERVAL`] (the calls
/// already in flight when it came are throttled together; that is one signal, not several).
const CUT: f64 = 0.75;
const CUT_INTERVAL: Duration = Duration::from_secs(2);
/// The slowest recon paces an action, as a share of its documented rate.
const FLOOR: f64 = 0.1;
/// How much each success speeds a slowed action up again, as a share of its documented rate.
const STEP_UP: f64 = 0.01;

/// An action's bucket size and refill per second, as EC2 documents its defaults ("Request
/// throttling for the Amazon EC2 API"; every action has a bucket of its own). Other services
/// document fewer numbers; their actions start from the same classes, and a throttle below
/// them slows the action further.
fn documented(action: &str) -> (f64, f64) {
    match action {
        "RunInstances" => (5.0, 2.0),
        "CreateNatGateway" | "DeleteNatGateway" => (10.0, 1.0),
        "CreateTags" | "DeleteTags" => (100.0, 10.0),
        "TerminateInstances"
        | "CreateLaunchTemplateVersion"
        | "ModifyLaunchTemplate"
        | "CreateNetworkInterface"
        | "DeleteNetworkInterface" => (100.0, 5.0),
        a if ["Describe", "List", "Get", "Head", "Search", "Lookup"]
            .iter()
            .any(|p| a.starts_with(p)) =>
        {
            (100.0, 20.0)
        }
        _ => (50.0, 5.0),
    }
}

/// recon's copy of one action's bucket, from its first throttle on.
#[derive(Debug)]
struct Bucket {
    capacity: f64,
    documented: f64,
    /// Tokens a second; at most `documented`.
    rate: f64,
    /// Tokens in AWS's bucket as recon reckons it; a turn leaves at least [`RESERVE`].
    tokens: f64,
    at: Instant,
    last_cut: Instant,
    /// Turns handed out: calls that waited here (for `-v` and the tests).
    turns: u64,
    /// Calls waiting for a turn, earliest priority first (see [`wait_turn`]).
    waiting: BinaryHeap<Reverse<(Instant, u64)>>,
    wakes: HashMap<u64, oneshot::Sender<()>>,
    next: u64,
    /// Whether a task is handing out turns to the waiting calls.
    dispatching: bool,
}

impl Bucket {
    /// AWS's bucket just answered "empty".
    fn empty(action: &str, now: Instant) -> Bucket {
        let (capacity, documented) = documented(action);
        Bucket {
            capacity,
            documented,
            rate: documented,
            tokens: 0.0,
            at: now,
            last_cut: now,
            turns: 0,
            waiting: BinaryHeap::new(),
            wakes: HashMap::new(),
            next: 0,
            dispatching: false,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.at = now.max(self.at);
    }

    /// A call of priority `priority` asks for a turn: `None` if it has one now, else the
    /// receiver its turn comes on, and whether a dispatcher must be started.
    fn admit(&mut self, priority: Instant, now: Instant) -> Option<(oneshot::Receiver<()>, bool)> {
        self.refill(now);
        if self.waiting.is_empty() && self.tokens >= 1.0 + RESERVE {
            self.tokens -= 1.0;
            self.turns += 1;
            return None;
        }
        let (tx, rx) = oneshot::channel();
        let seq = self.next;
        self.next += 1;
        self.waiting.push(Reverse((priority, seq)));
        self.wakes.insert(seq, tx);
        let start = !std::mem::replace(&mut self.dispatching, true);
        Some((rx, start))
    }

    /// Hands the tokens there are to the waiting calls, earliest priority first; then how
    /// long until the next token (`None`: nobody waits, the dispatcher stops).
    fn dispatch(&mut self, now: Instant) -> Option<Duration> {
        self.refill(now);
        loop {
            let Some(&Reverse((_, seq))) = self.waiting.peek() else {
                self.dispatching = false;
                return None;
            };
            // (A millionth of a token short is rounding in the refill, not a wait.)
            let needed = 1.0 + RESERVE;
            if self.tokens < needed - 1e-6 {
                return Some(Duration::from_secs_f64((needed - self.tokens) / self.rate));
            }
            self.waiting.pop();
            let woke = self
                .wakes
                .remove(&seq)
                .is_some_and(|wake| wake.send(()).is_ok());
            // A caller that stopped waiting (Ctrl-C) leaves its token.
            if woke {
                self.tokens -= 1.0;
                self.turns += 1;
            }
        }
    }

    fn throttled(&mut self, now: Instant) {
        self.refill(now);
        self.tokens = self.tokens.min(0.0);
        if now.saturating_duration_since(self.last_cut) >= CUT_INTERVAL {
            self.rate = (self.rate * CUT).max(FLOOR * self.documented);
            self.last_cut = now;
        }
    }

    fn answered(&mut self, now: Instant) {
        self.refill(now);
        self.rate = (self.rate + STEP_UP * self.documented).min(self.documented);
    }
}

/// The buckets of the actions AWS has throttled in this run, by `service:action`.
static BUCKETS: LazyLock<Mutex<HashMap<Arc<str>, Bucket>>> = LazyLock::new(Default::default);

fn with_buckets<T>(f: impl FnOnce(&mut HashMap<Arc<str>, Bucket>) -> T) -> T {
    f(&mut BUCKETS.lock().unwrap_or_else(|e| e.into_inner()))
}

/// The turns `action`'s bucket (of any service) has handed out in this process: calls that
/// waited for it before they were signed.
#[cfg(test)]
pub(crate) fn turns(action: &str) -> u64 {
    let suffix = format!(":{action}");
    with_buckets(|b| {
        b.iter()
            .filter(|(api, _)| api.ends_with(&suffix))
            .map(|(_, bucket)| bucket.turns)
            .sum()
    })
}

/// Waits for a turn of `api`'s bucket (at once for an action never throttled), without a
/// `--parallelism` slot. Turns go to the calls whose provider call started first, so that a
/// step of several calls to one throttled action (a route table's disassociations) finishes
/// before later steps start theirs, and what waits for it can proceed.
async fn wait_turn(api: &Api) {
    let priority = recon_provider::slot::started().unwrap_or_else(Instant::now);
    let admitted = with_buckets(|b| {
        b.get_mut(&api.0)
            .and_then(|bucket| bucket.admit(priority, Instant::now()))
    });
    let Some((turn, start_dispatcher)) = admitted else {
        return;
    };
    if start_dispatcher {
        tokio::spawn(dispatch(api.clone()));
    }
    let _ = recon_provider::slot::released_while(turn).await;
}

/// Hands out `api`'s turns as its bucket refills, until nobody waits.
async fn dispatch(api: Api) {
    while let Some(wait) =
        with_buckets(|b| b.get_mut(&api.0).and_then(|b| b.dispatch(Instant::now())))
    {
        tokio::time::sleep(wait).await;
    }
}

fn throttled(api: &Api, now: Instant) {
    with_buckets(|b| match b.get_mut(&api.0) {
        Some(bucket) => bucket.throttled(now),
        None => {
            let bucket = Bucket::empty(api.action(), now);
            tracing::debug!(api = %api.0, rate = bucket.rate, "throttled by AWS: pacing its calls");
            b.insert(Arc::clone(&api.0), bucket);
        }
    });
}

fn answered(api: &Api, now: Instant) {
    with_buckets(|b| {
        if let Some(bucket) = b.get_mut(&api.0) {
            bucket.answered(now);
        }
    });
}

/// A call's `service:action`.
#[derive(Clone, Debug)]
struct Api(Arc<str>);

impl Api {
    fn of(cfg: &ConfigBag) -> Option<Api> {
        let metadata = cfg.load::<Metadata>()?;
        Some(Api(
            format!("{}:{}", metadata.service(), metadata.name()).into()
        ))
    }

    fn action(&self) -> &str {
        self.0.rsplit(':').next().unwrap_or(&self.0)
    }
}

/// The interceptor every client carries (see `sdk_config`): tells the action's bucket of each
/// throttling answer and each success.
#[derive(Debug, Default)]
pub(crate) struct PaceCalls;

impl Intercept for PaceCalls {
    fn name(&self) -> &'static str {
        "recon: pace calls"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(api) = Api::of(cfg) else {
            return Ok(());
        };
        let response = context.response();
        if crate::retry_count::is_throttling(response) {
            throttled(&api, Instant::now());
        } else if response.status().is_success() {
            answered(&api, Instant::now());
        }
        Ok(())
    }
}

/// The SDK's identity cache, with each attempt first waiting for its action's turn.
///
/// Why here: the identity is resolved for every attempt, asynchronously, with the call's
/// configuration (hence its action) at hand, and just before the request is signed. A wait
/// after signing could outlast the signature's validity (AWS refuses a request signed more than
/// five minutes before it arrives), and one inside the HTTP client would look to the SDK like a
/// stalled upload.
#[derive(Debug)]
pub(crate) struct PacedIdentityCache {
    inner: SharedIdentityCache,
}

impl PacedIdentityCache {
    /// Around the SDK's default (lazy) identity cache.
    pub(crate) fn around_default() -> PacedIdentityCache {
        PacedIdentityCache {
            inner: IdentityCache::lazy().build(),
        }
    }
}

impl ResolveCachedIdentity for PacedIdentityCache {
    fn resolve_cached_identity<'a>(
        &'a self,
        resolver: SharedIdentityResolver,
        runtime_components: &'a RuntimeComponents,
        config_bag: &'a ConfigBag,
    ) -> IdentityFuture<'a> {
        IdentityFuture::new(async move {
            if let Some(api) = Api::of(config_bag) {
                wait_turn(&api).await;
            }
            self.inner
                .resolve_cached_identity(resolver, runtime_components, config_bag)
                .await
        })
    }

    fn validate_base_client_config(
        &self,
        runtime_components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner
            .validate_base_client_config(runtime_components, cfg)
    }

    fn validate_final_config(
        &self,
        runtime_components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner.validate_final_config(runtime_components, cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, ms: u64) -> Instant {
        start + Duration::from_millis(ms)
    }

    #[test]
    fn after_a_throttle_turns_come_at_the_documented_rate_above_a_reserve_earliest_first() {
        let start = Instant::now();
        let mut bucket = Bucket::empty("CreateSubnet", start);
        // Three calls wait, asked in this order by calls that started at 3, 1 and 2.
        let mut turns: Vec<(u64, oneshot::Receiver<()>)> = [3, 1, 2]
            .into_iter()
            .map(|p| (p, bucket.admit(at(start, p), start).expect("no token").0))
            .collect();
        // Five a second documented: the first turn once the reserve and one token are in
        // (800 ms), then one every 200 ms.
        let mut now = start;
        let mut order = Vec::new();
        let mut waits = Vec::new();
        let woken = |turns: &mut Vec<(u64, oneshot::Receiver<()>)>, order: &mut Vec<u64>| {
            for (p, rx) in turns.iter_mut() {
                if rx.try_recv().is_ok() {
                    order.push(*p);
                }
            }
        };
        while let Some(wait) = bucket.dispatch(now) {
            woken(&mut turns, &mut order);
            waits.push(wait.as_millis());
            now += wait;
        }
        woken(&mut turns, &mut order);
        assert_eq!(waits, [800, 200, 200]);
        assert_eq!(order, [1, 2, 3], "the earliest call first");
        // Once nobody waits and the bucket has refilled, a turn is taken at once.
        assert!(bucket.admit(start, at(start, 10_000)).is_none());
        assert_eq!(bucket.turns, 4);
    }

    #[test]
    fn further_throttles_slow_the_action_once_per_interval_and_successes_speed_it_up() {
        let start = Instant::now();
        let mut bucket = Bucket::empty("DeleteSubnet", start);
        bucket.throttled(at(start, 100));
        assert_eq!(bucket.rate, 5.0, "calls already in flight: one signal");
        bucket.throttled(at(start, 2_100));
        assert!((bucket.rate - 5.0 * 0.75).abs() < 1e-9);
        for _ in 0..100 {
            bucket.answered(at(start, 2_200));
        }
        assert_eq!(
            bucket.rate, 5.0,
            "back up to the documented pace, not above"
        );
        for i in 1..=40 {
            bucket.throttled(at(start, 2_200 + 2_000 * i));
        }
        assert!((bucket.rate - 0.5).abs() < 1e-9, "never below a tenth");
    }

    #[test]
    fn reads_and_the_slow_actions_have_their_documented_buckets() {
        assert_eq!(documented("DescribeSubnets"), (100.0, 20.0));
        assert_eq!(documented("CreateVpc"), (50.0, 5.0));
        assert_eq!(documented("CreateNatGateway"), (10.0, 1.0));
        assert_eq!(documented("RunInstances"), (5.0, 2.0));
    }

    #[tokio::test]
    async fn a_throttling_answer_paces_the_action_and_its_retry_waits_for_a_turn() {
        use crate::stub_server::{Reply, StubServer};
        let ok = r#"<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><vpcSet/></DescribeVpcsResponse>"#;
        let stub = StubServer::start(vec![
            Reply::error("DescribeVpcs", 503, "RequestLimitExceeded"),
            Reply {
                action: "DescribeVpcs",
                status: 200,
                xml: ok.into(),
            },
        ]);
        let config = crate::stub_server::config(&stub.endpoint)
            .to_builder()
            .identity_cache(PacedIdentityCache::around_default())
            .retry_config(
                aws_config::retry::RetryConfig::standard()
                    .with_initial_backoff(Duration::from_millis(1)),
            )
            .build();
        crate::sdk_config::ec2(&config)
            .describe_vpcs()
            .send()
            .await
            .expect("the second attempt succeeds");
        assert_eq!(stub.unused(), 0);
        let paced: Vec<(String, u64, f64)> = with_buckets(|b| {
            b.iter()
                .map(|(api, b)| (api.to_string(), b.turns, b.rate))
                .collect()
        });
        // Only the throttled action is paced, at a Describe's 20 a second, and the retry took
        // the first turn.
        assert_eq!(paced.len(), 1, "{paced:?}");
        let (api, turns, rate) = &paced[0];
        assert!(api.ends_with(":DescribeVpcs"), "{api}");
        assert_eq!(*turns, 1);
        assert!((rate - 20.0).abs() < 1e-9, "{rate}");
    }

    #[tokio::test]
    async fn an_action_never_throttled_is_not_paced() {
        let api = Api("ec2:CreateInternetGateway-never-throttled".into());
        // Returns at once: no bucket, no wait.
        wait_turn(&api).await;
        assert!(with_buckets(|b| b.get(&api.0).is_none()));
    }
}
