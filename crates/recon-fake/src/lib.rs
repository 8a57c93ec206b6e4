//! An in-memory [`Provider`] that behaves like AWS where it matters to the executor, for unit
//! tests on tokio's paused clock (`#[tokio::test(start_paused = true)]`): minutes of waiting
//! take milliseconds. It never replaces the tests against moto.
//!
//! It is generic over kinds: references, ownership and field handling all come from the kind
//! schemas in `recon-model`. The per-kind knowledge it adds is one small table (`kinds.rs`: id
//! prefixes, "not found" codes, which creates take a token, which fields the create call leaves
//! to later calls) and the special cases listed below.
//!
//! # AWS behaviours it models
//! - **Ids** like `vpc-00000001`, `eipalloc-00000002`, `fs-00000001`, `key-00000001` (KMS
//!   key ids are UUIDs on AWS): one counter per kind prefix. A kind the table does not know
//!   yet gets ids `<kind>-00000001` and no special treatment.
//! - **Create sets only what the create call sets.** The result is the request's attributes,
//!   except the fields later calls set, which take their AWS initial value: a VPC has
//!   `enable_dns_hostnames: false`, a subnet `map_public_ip_on_launch: false`, an internet
//!   gateway is detached, a route table has no routes, associations or main flag, a security
//!   group has AWS's default egress rule and no ingress. A computed field the request leaves
//!   out gets a value (`availability_zone: us-east-1a`). Tags are set by the create call.
//!   An Elastic IP gets a `public_ip` output from 203.0.113.0/24, a KMS key an `arn`.
//! - **References must exist.** Create and update refuse ids (in the fields the call sets) that
//!   do not exist, are not visible yet, are being deleted or are gone, with AWS's code
//!   (`InvalidVpcID.NotFound`, …) and [`ErrorKind::NotFound`]. Unresolved values (references,
//!   templates, unknowns) are refused as [`ErrorKind::Invalid`].
//! - **Routes to a NAT gateway need it `available`**: a new route to a pending (or failed) NAT
//!   gateway is refused with [`ErrorKind::IncorrectState`].
//! - **Idempotency tokens** for route tables, NAT gateways and EFS file systems (the APIs
//!   that take a client or creation token): the same token returns the existing resource and creates nothing
//!   ([`CallOutcome::Replayed`]); the same token with other attributes is
//!   `IdempotentParameterMismatch`. A token whose resource is gone creates a new one (AWS does
//!   not document how long tokens live).
//! - **Time**: [`FakeConfig::pending_for`] (NAT gateway 60 s `pending`), `deleting_for` (NAT
//!   gateway 30 s `deleting`, during which it still blocks the deletion of its subnet and
//!   address), `read_lag` (eventual consistency: reads by id answer "not found", discovery
//!   misses it, updates answer "not found" and it cannot be referred to), `latency` of every
//!   mutating call. A read of a gone or unknown id answers `Ok(None)`.
//! - **Deletes in use are refused** with `DependencyViolation` while any other resource that is
//!   not gone (being deleted still counts) refers to the id in any reference field, nested ones
//!   included (route targets, route table associations, security group rule peers). Deleting
//!   what is already gone succeeds. (Routes are stricter than AWS by default, see
//!   [`FakeConfig::routes_block_delete`].)
//! - **In-place only**: an update of a field that the schema marks as forcing replacement is
//!   refused as [`ErrorKind::Invalid`], as AWS has no call for it.
//! - **Ownership**: update and delete compare the stored `recon:env` tag with the one the
//!   caller's [`LiveResource`] carries and refuse ([`ErrorKind::NotOwned`]) when they differ
//!   or either is missing. Discovery returns only resources tagged with the environment.
//!
//! Special cases (the only per-kind code beyond the table):
//! - A public NAT gateway created in a VPC with no internet gateway attached goes `failed`
//!   after its pending time ("Network vpc-… has no Internet gateway attached"), as on AWS.
//! - An internet gateway cannot be detached or deleted while a public NAT gateway that is not
//!   gone lives in its VPC (`DependencyViolation`: "has some mapped public address(es)").
//! - Terminating an instance with an Elastic IP succeeds and disassociates the address (its
//!   `instance` becomes unset), as on AWS.
//!
//! Simplifications: a KMS key's delete is immediate unless `deleting_for` says otherwise (AWS
//! schedules it days ahead and reports it pending deletion, which providers read as gone);
//! mount targets keep the tags of their create request, where AWS takes none (the AWS
//! provider's way of recording their ownership is not modelled).
//!
//! # Test hooks
//! [`FakeCloud::fail_next`] injects errors, [`FakeCloud::calls`] is the call log (with the
//! offset from the fake's creation, on the tokio clock), [`FakeCloud::max_in_flight`] the
//! highest number of mutating calls at once, [`FakeCloud::insert`] and
//! [`FakeCloud::insert_foreign`] add resources without a call, [`FakeCloud::snapshot`] is the
//! true state (ignoring read lag).

mod config;
mod kinds;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub use config::FakeConfig;
use recon_model::schema::{Type, referenced_ids};
use recon_model::{
    Address, Attrs, Kind, LiveResource, LiveState, Presence, Update, Value, kinds::def, tags,
};
use recon_provider::{CreateRequest, ErrorKind, Provider, ProviderError, UpdateRequest};
use tokio::time::Instant;

use crate::kinds::{kind_of_id, looks_like_id, table};

/// A provider operation, as logged and as targeted by [`FakeCloud::fail_next`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    Discover,
    Read,
    Create,
    Update,
    Delete,
}

impl Op {
    /// Create, update and delete: the calls that change something.
    pub fn is_mutating(self) -> bool {
        matches!(self, Op::Create | Op::Update | Op::Delete)
    }
}

/// How a logged call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    Ok,
    /// A create whose token matched an existing resource: nothing was created.
    Replayed,
    Err(ErrorKind),
}

/// One call to the fake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub op: Op,
    pub kind: Kind,
    /// The resource's address, when the call names one (all but discover, and reads of ids
    /// the fake does not know).
    pub address: Option<Address>,
    /// The resource's id (for a create: the id it made or returned).
    pub id: Option<String>,
    /// The idempotency token a create was given.
    pub token: Option<String>,
    /// When the call ended, since the fake was made (tokio clock).
    pub at: Duration,
    pub outcome: CallOutcome,
}

impl Call {
    pub fn ok(&self) -> bool {
        !matches!(self.outcome, CallOutcome::Err(_))
    }
}

struct Injection {
    target: String,
    op: Op,
    kind: ErrorKind,
    remaining: u32,
}

struct Entry {
    live: LiveResource,
    visible_at: Instant,
    ready_at: Instant,
    gone_at: Option<Instant>,
    /// Set when the resource will end `failed` instead of `available`.
    failure: Option<String>,
    /// The create's token and attributes, for kinds whose create takes one.
    token: Option<(String, Attrs)>,
}

impl Entry {
    /// `None` once gone.
    fn state(&self, now: Instant) -> Option<LiveState> {
        if let Some(gone) = self.gone_at {
            return (now < gone).then_some(LiveState::Deleting);
        }
        Some(if now < self.ready_at {
            LiveState::Pending
        } else if self.failure.is_some() {
            LiveState::Failed
        } else {
            LiveState::Available
        })
    }

    fn visible(&self, now: Instant) -> bool {
        now >= self.visible_at
    }

    fn current(&self, now: Instant) -> Option<LiveResource> {
        let state = self.state(now)?;
        let mut live = self.live.clone();
        live.state = state;
        Some(live)
    }

    fn kind(&self) -> Kind {
        self.live.address.kind
    }
}

#[derive(Default)]
struct Inner {
    entries: BTreeMap<String, Entry>,
    counters: BTreeMap<&'static str, u32>,
    public_ips: u32,
    foreign: u32,
    calls: Vec<Call>,
    injections: Vec<Injection>,
}

/// The in-memory cloud. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct FakeCloud {
    config: FakeConfig,
    start: Instant,
    inner: Mutex<Inner>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Default for FakeCloud {
    fn default() -> Self {
        FakeCloud::new(FakeConfig::default())
    }
}

struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn error(kind: ErrorKind, code: &str, message: impl Into<String>) -> ProviderError {
    ProviderError::new(kind, message).with_code(code)
}

fn not_found(kind: Kind, id: &str) -> ProviderError {
    error(
        ErrorKind::NotFound,
        table(kind).not_found,
        format!("The {kind} ID '{id}' does not exist"),
    )
}

fn injected(kind: ErrorKind, resource: Kind) -> ProviderError {
    let code = match kind {
        ErrorKind::NotFound => table(resource).not_found,
        ErrorKind::DependencyViolation => "DependencyViolation",
        ErrorKind::IncorrectState => "IncorrectState",
        ErrorKind::AlreadyExists => "AlreadyExists",
        ErrorKind::Throttled => "RequestLimitExceeded",
        ErrorKind::Invalid => "InvalidParameterValue",
        ErrorKind::NotOwned => "NotOwned",
        ErrorKind::Ambiguous | ErrorKind::Other => "InternalError",
    };
    error(kind, code, "injected by the test")
}

impl FakeCloud {
    pub fn new(config: FakeConfig) -> Self {
        FakeCloud {
            config,
            start: Instant::now(),
            inner: Mutex::new(Inner::default()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        }
    }

    pub fn config(&self) -> &FakeConfig {
        &self.config
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (every mutation is one insert
        // or one field write): keep going.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    // ---- Test hooks ----------------------------------------------------------------------

    /// Makes the next `times` calls of `op` on `target` fail with `kind` (and an AWS-like
    /// code), before they have any effect. `target` is an address (`subnet.a`) or a kind
    /// (`subnet`: any resource of the kind).
    pub fn fail_next(&self, target: &str, op: Op, kind: ErrorKind, times: u32) {
        self.lock().injections.push(Injection {
            target: target.to_owned(),
            op,
            kind,
            remaining: times,
        });
    }

    /// Every call so far, in the order they ended.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// The number of create, update and delete calls so far (failed ones included).
    pub fn mutating_calls(&self) -> usize {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.op.is_mutating())
            .count()
    }

    /// Forgets the call log and the in-flight maximum (between two runs of a test).
    pub fn reset_log(&self) {
        self.lock().calls.clear();
        self.max_in_flight
            .store(self.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    /// The highest number of mutating calls that were in progress at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// Every resource that is not gone, as it truly is (read lag ignored), by address then id.
    pub fn snapshot(&self) -> Vec<LiveResource> {
        let now = Instant::now();
        let inner = self.lock();
        let mut out: Vec<LiveResource> = inner
            .entries
            .values()
            .filter_map(|e| e.current(now))
            .collect();
        out.sort_by(|a, b| (&a.address, &a.id).cmp(&(&b.address, &b.id)));
        out
    }

    /// One resource by id as it truly is (read lag ignored); `None` when gone or unknown.
    pub fn get(&self, id: &str) -> Option<LiveResource> {
        self.lock().entries.get(id)?.current(Instant::now())
    }

    /// The resources (not gone) with this address.
    pub fn find(&self, address: &Address) -> Vec<LiveResource> {
        self.snapshot()
            .into_iter()
            .filter(|r| &r.address == address)
            .collect()
    }

    /// Adds an available, visible resource without a call and without checks: `attrs` as
    /// given, tags included (own them with `recon:env` and `recon:id`, or not).
    pub fn insert(&self, address: Address, attrs: Attrs) -> LiveResource {
        let now = Instant::now();
        let mut inner = self.lock();
        let id = next_id(&mut inner, address.kind);
        let live = LiveResource {
            outputs: outputs(&mut inner, address.kind, &id),
            address,
            id: id.clone(),
            state: LiveState::Available,
            attrs,
        };
        inner.entries.insert(
            id,
            Entry {
                live: live.clone(),
                visible_at: now,
                ready_at: now,
                gone_at: None,
                failure: None,
                token: None,
            },
        );
        live
    }

    /// Adds a resource the environment under test does not own: `attrs["tags"]` carries
    /// another environment's tags or none. Its address comes from a `recon:id` tag if it has
    /// one, else it is `kind.foreign-N`.
    pub fn insert_foreign(&self, kind: Kind, attrs: Attrs) -> LiveResource {
        let address = attrs
            .get("tags")
            .and_then(Value::as_map)
            .and_then(|t| t.get(tags::ID))
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Address>().ok())
            .filter(|a| a.kind == kind)
            .unwrap_or_else(|| {
                let mut inner = self.lock();
                inner.foreign += 1;
                Address::new(kind, format!("foreign-{}", inner.foreign))
            });
        self.insert(address, attrs)
    }

    // ---- Internals -----------------------------------------------------------------------

    async fn mutating(&self) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let guard = InFlight(&self.in_flight);
        if !self.config.latency.is_zero() {
            tokio::time::sleep(self.config.latency).await;
        }
        guard
    }

    fn log(&self, inner: &mut Inner, mut call: Call) {
        call.at = Instant::now() - self.start;
        inner.calls.push(call);
    }

    fn take_injection(
        inner: &mut Inner,
        op: Op,
        kind: Kind,
        address: Option<&Address>,
    ) -> Option<ProviderError> {
        let address = address.map(ToString::to_string);
        let hit = inner.injections.iter_mut().find(|i| {
            i.op == op
                && i.remaining > 0
                && (i.target == kind.as_str() || Some(&i.target) == address.as_ref())
        })?;
        hit.remaining -= 1;
        let e = injected(hit.kind, kind);
        inner.injections.retain(|i| i.remaining > 0);
        Some(e)
    }

    fn lag(&self, kind: Kind) -> Duration {
        FakeConfig::get(&self.config.read_lag, kind)
    }

    /// Checks that `id` may be referred to as one of `kinds`: it exists, is visible, and is
    /// neither being deleted nor gone.
    fn check_reference(
        inner: &Inner,
        kinds: &[Kind],
        id: &str,
        now: Instant,
    ) -> Result<(), ProviderError> {
        let expected = kind_of_id(id).unwrap_or(kinds[0]);
        let ok = inner.entries.get(id).is_some_and(|e| {
            kinds.contains(&e.kind())
                && e.visible(now)
                && matches!(
                    e.state(now),
                    Some(LiveState::Pending | LiveState::Available | LiveState::Failed)
                )
        });
        if ok {
            Ok(())
        } else {
            Err(not_found(expected, id))
        }
    }

    fn create_now(
        &self,
        inner: &mut Inner,
        request: &CreateRequest<'_>,
        now: Instant,
    ) -> Result<(LiveResource, bool), ProviderError> {
        let kind = request.address.kind;
        let kind_def = def(kind);
        let t = table(kind);
        check_known(request.attrs)?;
        if t.token {
            if request.token.is_empty() || request.token.len() > 64 || !request.token.is_ascii() {
                return Err(error(
                    ErrorKind::Invalid,
                    "InvalidParameterValue",
                    "the client token must be 1 to 64 ASCII characters",
                ));
            }
            let existing = inner.entries.values().find(|e| {
                e.kind() == kind
                    && e.state(now).is_some()
                    && e.token
                        .as_ref()
                        .is_some_and(|(tok, _)| tok == request.token)
            });
            if let Some(e) = existing {
                let (_, attrs) = e.token.as_ref().expect("matched on the token");
                if attrs != request.attrs {
                    return Err(error(
                        ErrorKind::Invalid,
                        "IdempotentParameterMismatch",
                        format!(
                            "the client token {} was used with other parameters",
                            request.token
                        ),
                    ));
                }
                return Ok((e.current(now).expect("not gone"), true));
            }
        }

        // What the create call itself sets.
        let mut attrs = Attrs::new();
        for field in kind_def.fields {
            if let Some(v) = request.attrs.get(field.name) {
                attrs.insert(field.name.to_owned(), v.clone());
            }
        }
        for name in request.attrs.keys() {
            if kind_def.field(name).is_none() {
                return Err(error(
                    ErrorKind::Invalid,
                    "InvalidParameterValue",
                    format!("`{kind}` has no field `{name}`"),
                ));
            }
        }
        for (name, initial) in t.later {
            match initial() {
                Some(v) => attrs.insert((*name).to_owned(), v),
                None => attrs.remove(*name),
            };
        }
        for (name, value) in t.computed {
            debug_assert!(matches!(
                kind_def.field(name).map(|f| &f.presence),
                Some(Presence::Computed)
            ));
            attrs.entry((*name).to_owned()).or_insert_with(value);
        }
        for (kinds, id) in reference_ids(kind, &attrs, true) {
            Self::check_reference(inner, kinds, id, now)?;
        }

        let failure = (kind == Kind::NatGateway)
            .then(|| nat_without_gateway(inner, &attrs, now))
            .flatten();
        let id = next_id(inner, kind);
        let live = LiveResource {
            address: request.address.clone(),
            id: id.clone(),
            state: LiveState::Pending,
            outputs: outputs(inner, kind, &id),
            attrs,
        };
        let entry = Entry {
            live,
            visible_at: now + self.lag(kind),
            ready_at: now + FakeConfig::get(&self.config.pending_for, kind),
            gone_at: None,
            failure,
            token: t
                .token
                .then(|| (request.token.to_owned(), request.attrs.clone())),
        };
        let live = entry.current(now).expect("just made");
        inner.entries.insert(id, entry);
        Ok((live, false))
    }

    fn update_now(
        &self,
        inner: &mut Inner,
        request: &UpdateRequest<'_>,
        now: Instant,
    ) -> Result<LiveResource, ProviderError> {
        let kind = request.live.kind();
        let kind_def = def(kind);
        let id = request.live.id.as_str();
        let entry = inner
            .entries
            .get(id)
            .filter(|e| e.kind() == kind && e.visible(now) && e.state(now).is_some())
            .ok_or_else(|| not_found(kind, id))?;
        check_owner(entry, request.live)?;
        if entry.state(now) == Some(LiveState::Deleting) {
            return Err(error(
                ErrorKind::IncorrectState,
                "IncorrectState",
                format!("{id} is being deleted"),
            ));
        }
        let mut attrs = entry.live.attrs.clone();
        for diff in request.diffs {
            let Some(field) = kind_def.field(&diff.field) else {
                return Err(error(
                    ErrorKind::Invalid,
                    "InvalidParameterValue",
                    format!("`{kind}` has no field `{}`", diff.field),
                ));
            };
            if field.update == Update::Replace {
                return Err(error(
                    ErrorKind::Invalid,
                    "InvalidParameterCombination",
                    format!("`{}` of {id} cannot change in place", diff.field),
                ));
            }
            if let Some(after) = &diff.after
                && !after.is_known()
            {
                return Err(unresolved(&diff.field));
            }
            // Only ids that the call newly names are checked (unchanged routes to a gone
            // target stay, as blackholes do).
            let before_ids: Vec<&str> = attrs
                .get(field.name)
                .map(|v| refs_in(&field.ty, v))
                .unwrap_or_default()
                .into_iter()
                .map(|(_, id)| id)
                .collect();
            if let Some(after) = &diff.after {
                for (kinds, rid) in refs_in(&field.ty, after) {
                    if !before_ids.contains(&rid) {
                        Self::check_reference(inner, kinds, rid, now)?;
                    }
                }
                if kind == Kind::RouteTable && field.name == "routes" {
                    check_new_routes(inner, attrs.get("routes"), after, now)?;
                }
            }
            if kind == Kind::InternetGateway && field.name == "vpc" {
                let attached = attrs.get("vpc").and_then(Value::as_str);
                if let Some(vpc) =
                    attached.filter(|v| diff.after.as_ref().and_then(Value::as_str) != Some(*v))
                {
                    check_no_public_nat(inner, vpc, now)?;
                }
            }
            match &diff.after {
                Some(v) => attrs.insert(diff.field.clone(), v.clone()),
                None => attrs.remove(&diff.field),
            };
        }
        let entry = inner.entries.get_mut(id).expect("found above");
        entry.live.attrs = attrs;
        Ok(entry.current(now).expect("not gone"))
    }

    fn delete_now(
        &self,
        inner: &mut Inner,
        live: &LiveResource,
        now: Instant,
    ) -> Result<(), ProviderError> {
        let kind = live.kind();
        let id = live.id.as_str();
        let Some(entry) = inner.entries.get(id).filter(|e| e.kind() == kind) else {
            return Ok(());
        };
        match entry.state(now) {
            None | Some(LiveState::Deleting) => return Ok(()),
            Some(_) => {}
        }
        if !entry.visible(now) {
            return Err(not_found(kind, id));
        }
        check_owner(entry, live)?;
        let users: Vec<&str> = inner
            .entries
            .values()
            .filter(|e| e.live.id != id && e.state(now).is_some())
            // Terminating an instance disassociates its Elastic IP (below): no dependency.
            .filter(|e| !(kind == Kind::Instance && e.kind() == Kind::ElasticIp))
            .filter(|e| {
                reference_ids(e.kind(), &e.live.attrs, self.config.routes_block_delete)
                    .iter()
                    .any(|(_, r)| *r == id)
            })
            .map(|e| e.live.id.as_str())
            .collect();
        if !users.is_empty() {
            return Err(error(
                ErrorKind::DependencyViolation,
                "DependencyViolation",
                format!(
                    "resource {id} has a dependent object ({})",
                    users.join(", ")
                ),
            ));
        }
        if kind == Kind::InternetGateway
            && let Some(vpc) = entry.live.attrs.get("vpc").and_then(Value::as_str)
        {
            check_no_public_nat(inner, vpc, now)?;
        }
        if kind == Kind::Instance {
            for e in inner.entries.values_mut() {
                if e.kind() == Kind::ElasticIp
                    && e.live.attrs.get("instance").and_then(Value::as_str) == Some(id)
                {
                    e.live.attrs.remove("instance");
                }
            }
        }
        let entry = inner.entries.get_mut(id).expect("found above");
        entry.gone_at = Some(now + FakeConfig::get(&self.config.deleting_for, kind));
        Ok(())
    }
}

fn next_id(inner: &mut Inner, kind: Kind) -> String {
    let prefix = table(kind).prefix;
    let n = inner.counters.entry(prefix).or_insert(0);
    *n += 1;
    format!("{prefix}-{n:08}")
}

/// Values for the kind's attributes that are not fields (`public_ip`).
fn outputs(inner: &mut Inner, kind: Kind, id: &str) -> BTreeMap<String, Value> {
    let kind_def = def(kind);
    let mut out = BTreeMap::new();
    for attr in kind_def.attributes {
        if *attr == "id" || kind_def.field(attr).is_some() {
            continue;
        }
        let value = if *attr == "public_ip" {
            inner.public_ips += 1;
            format!("203.0.113.{}", inner.public_ips % 254 + 1)
        } else if *attr == "arn" {
            format!("arn:aws:fake:us-east-1:000000000000:{kind}/{id}")
        } else {
            format!("{attr}-of-{id}")
        };
        out.insert((*attr).to_owned(), Value::str(value));
    }
    out
}

fn check_known(attrs: &Attrs) -> Result<(), ProviderError> {
    match attrs.iter().find(|(_, v)| !v.is_known()) {
        Some((name, _)) => Err(unresolved(name)),
        None => Ok(()),
    }
}

fn unresolved(field: &str) -> ProviderError {
    error(
        ErrorKind::Invalid,
        "InvalidParameterValue",
        format!("`{field}` holds a value that is not resolved"),
    )
}

fn check_owner(entry: &Entry, caller: &LiveResource) -> Result<(), ProviderError> {
    let stored = entry.live.tag(tags::ENV);
    if stored.is_some() && stored == caller.tag(tags::ENV) {
        Ok(())
    } else {
        Err(error(
            ErrorKind::NotOwned,
            "NotOwned",
            format!(
                "{} is tagged {}={}; the caller claims {}",
                entry.live.id,
                tags::ENV,
                stored.unwrap_or("(none)"),
                caller.tag(tags::ENV).unwrap_or("(none)")
            ),
        ))
    }
}

/// The ids a value holds in reference positions of `ty` (CIDR blocks in `CidrOrRef` positions
/// are not references).
fn refs_in<'v>(ty: &Type, v: &'v Value) -> Vec<(&'static [Kind], &'v str)> {
    let mut out = Vec::new();
    referenced_ids(ty, v, &mut out);
    out.retain(|(kinds, id)| looks_like_id(kinds, id) || !id.contains('/'));
    out
}

/// Every id `attrs` refers to by the kind's schema; without route targets unless
/// `with_routes` (see [`FakeConfig::routes_block_delete`]).
fn reference_ids(kind: Kind, attrs: &Attrs, with_routes: bool) -> Vec<(&'static [Kind], &str)> {
    let mut out = Vec::new();
    for field in def(kind).fields {
        if !with_routes && kind == Kind::RouteTable && field.name == "routes" {
            continue;
        }
        if let Some(v) = attrs.get(field.name) {
            out.extend(refs_in(&field.ty, v));
        }
    }
    out
}

/// The VPC of a subnet id, if known.
fn vpc_of_subnet<'a>(inner: &'a Inner, subnet: &str) -> Option<&'a str> {
    inner.entries.get(subnet)?.live.attrs.get("vpc")?.as_str()
}

fn is_public_nat(attrs: &Attrs) -> bool {
    attrs.get("connectivity_type").and_then(Value::as_str) != Some("private")
}

/// Special case: AWS fails a public NAT gateway whose VPC has no internet gateway attached.
fn nat_without_gateway(inner: &Inner, attrs: &Attrs, now: Instant) -> Option<String> {
    if !is_public_nat(attrs) {
        return None;
    }
    let subnet = attrs.get("subnet")?.as_str()?;
    let vpc = vpc_of_subnet(inner, subnet)?;
    let attached = inner.entries.values().any(|e| {
        e.kind() == Kind::InternetGateway
            && matches!(
                e.state(now),
                Some(LiveState::Available | LiveState::Pending)
            )
            && e.live.attrs.get("vpc").and_then(Value::as_str) == Some(vpc)
    });
    (!attached).then(|| format!("Network {vpc} has no Internet gateway attached"))
}

/// Special case: AWS refuses to detach (or delete) an internet gateway while a public NAT
/// gateway maps addresses in its VPC.
fn check_no_public_nat(inner: &Inner, vpc: &str, now: Instant) -> Result<(), ProviderError> {
    let nat = inner.entries.values().find(|e| {
        e.kind() == Kind::NatGateway
            && e.state(now).is_some()
            && is_public_nat(&e.live.attrs)
            && e.live
                .attrs
                .get("subnet")
                .and_then(Value::as_str)
                .and_then(|s| vpc_of_subnet(inner, s))
                == Some(vpc)
    });
    match nat {
        Some(nat) => Err(error(
            ErrorKind::DependencyViolation,
            "DependencyViolation",
            format!(
                "Network {vpc} has some mapped public address(es) ({}). Please unmap those public address(es) before detaching the gateway.",
                nat.live.id
            ),
        )),
        None => Ok(()),
    }
}

/// Routes in `after` that `before` does not have may only target an available NAT gateway.
fn check_new_routes(
    inner: &Inner,
    before: Option<&Value>,
    after: &Value,
    now: Instant,
) -> Result<(), ProviderError> {
    let before = before.map(Value::as_list).unwrap_or_default();
    for route in after.as_list() {
        if before.contains(route) {
            continue;
        }
        let Some(nat) = route
            .as_map()
            .and_then(|m| m.get("nat_gateway"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        let state = inner.entries.get(nat).and_then(|e| e.state(now));
        if state != Some(LiveState::Available) {
            let state = state.map_or("deleted".to_owned(), |s| format!("{s:?}").to_lowercase());
            return Err(error(
                ErrorKind::IncorrectState,
                "IncorrectState",
                format!("{nat} is {state}: a route may only target an available NAT gateway"),
            ));
        }
    }
    Ok(())
}

impl Provider for FakeCloud {
    async fn discover(
        &self,
        kind: Kind,
        environment: &str,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let now = Instant::now();
        let mut inner = self.lock();
        let mut call = Call {
            op: Op::Discover,
            kind,
            address: None,
            id: None,
            token: None,
            at: Duration::ZERO,
            outcome: CallOutcome::Ok,
        };
        if let Some(e) = Self::take_injection(&mut inner, Op::Discover, kind, None) {
            call.outcome = CallOutcome::Err(e.kind);
            self.log(&mut inner, call);
            return Err(e);
        }
        let mut found: Vec<LiveResource> = inner
            .entries
            .values()
            .filter(|e| e.kind() == kind && e.visible(now))
            .filter(|e| e.live.tag(tags::ENV) == Some(environment))
            .filter_map(|e| e.current(now))
            .collect();
        found.sort_by(|a, b| (&a.address, &a.id).cmp(&(&b.address, &b.id)));
        self.log(&mut inner, call);
        Ok(found)
    }

    async fn read(&self, kind: Kind, id: &str) -> Result<Option<LiveResource>, ProviderError> {
        let now = Instant::now();
        let mut inner = self.lock();
        let address = inner
            .entries
            .get(id)
            .filter(|e| e.kind() == kind)
            .map(|e| e.live.address.clone());
        let mut call = Call {
            op: Op::Read,
            kind,
            address: address.clone(),
            id: Some(id.to_owned()),
            token: None,
            at: Duration::ZERO,
            outcome: CallOutcome::Ok,
        };
        let result = match Self::take_injection(&mut inner, Op::Read, kind, address.as_ref()) {
            Some(e) => Err(e),
            None => match inner.entries.get(id).filter(|e| e.kind() == kind) {
                None => Ok(None),
                Some(e) if !e.visible(now) => Err(not_found(kind, id)),
                Some(e) => Ok(e.current(now)),
            },
        };
        if let Err(e) = &result {
            call.outcome = CallOutcome::Err(e.kind);
        }
        self.log(&mut inner, call);
        result
    }

    async fn create(&self, request: CreateRequest<'_>) -> Result<LiveResource, ProviderError> {
        let _in_flight = self.mutating().await;
        let now = Instant::now();
        let kind = request.address.kind;
        let mut inner = self.lock();
        let mut call = Call {
            op: Op::Create,
            kind,
            address: Some(request.address.clone()),
            id: None,
            token: Some(request.token.to_owned()),
            at: Duration::ZERO,
            outcome: CallOutcome::Ok,
        };
        let result = match Self::take_injection(&mut inner, Op::Create, kind, Some(request.address))
        {
            Some(e) => Err(e),
            None => self.create_now(&mut inner, &request, now),
        };
        let result = match result {
            Ok((live, replayed)) => {
                call.id = Some(live.id.clone());
                if replayed {
                    call.outcome = CallOutcome::Replayed;
                }
                Ok(live)
            }
            Err(e) => {
                call.outcome = CallOutcome::Err(e.kind);
                Err(e)
            }
        };
        self.log(&mut inner, call);
        result
    }

    async fn update(&self, request: UpdateRequest<'_>) -> Result<LiveResource, ProviderError> {
        let _in_flight = self.mutating().await;
        let now = Instant::now();
        let kind = request.live.kind();
        let mut inner = self.lock();
        let mut call = Call {
            op: Op::Update,
            kind,
            address: Some(request.live.address.clone()),
            id: Some(request.live.id.clone()),
            token: None,
            at: Duration::ZERO,
            outcome: CallOutcome::Ok,
        };
        let result =
            match Self::take_injection(&mut inner, Op::Update, kind, Some(&request.live.address)) {
                Some(e) => Err(e),
                None => self.update_now(&mut inner, &request, now),
            };
        if let Err(e) = &result {
            call.outcome = CallOutcome::Err(e.kind);
        }
        self.log(&mut inner, call);
        result
    }

    async fn delete(&self, live: &LiveResource) -> Result<(), ProviderError> {
        let _in_flight = self.mutating().await;
        let now = Instant::now();
        let kind = live.kind();
        let mut inner = self.lock();
        let mut call = Call {
            op: Op::Delete,
            kind,
            address: Some(live.address.clone()),
            id: Some(live.id.clone()),
            token: None,
            at: Duration::ZERO,
            outcome: CallOutcome::Ok,
        };
        let result = match Self::take_injection(&mut inner, Op::Delete, kind, Some(&live.address)) {
            Some(e) => Err(e),
            None => self.delete_now(&mut inner, live, now),
        };
        if let Err(e) = &result {
            call.outcome = CallOutcome::Err(e.kind);
        }
        self.log(&mut inner, call);
        result
    }

    /// Matches the resources inserted with [`FakeCloud::insert_foreign`] of the lookup's kind:
    /// `id` exactly, `tags` all present, `name` as a `*` pattern, any other filter equal to the
    /// attribute of the same name; images by newest `creation_date`, the others exactly one.
    async fn lookup(
        &self,
        address: &Address,
        filters: &Attrs,
    ) -> Result<LiveResource, ProviderError> {
        let now = Instant::now();
        let inner = self.lock();
        let mut found: Vec<LiveResource> = inner
            .entries
            .values()
            .filter(|e| e.kind() == address.kind && e.visible(now))
            .filter_map(|e| e.current(now))
            .filter(|r| matches_filters(r, filters))
            .collect();
        found.sort_by(|a, b| {
            let date = |r: &LiveResource| r.attribute("creation_date");
            (date(b), &b.id).cmp(&(date(a), &a.id))
        });
        match (address.kind, found.len()) {
            (_, 0) => Err(ProviderError::new(
                ErrorKind::NotFound,
                format!("no {} matches the lookup", address.kind),
            )),
            (Kind::Image, _) | (_, 1) => {
                let mut live = found.swap_remove(0);
                live.address = address.clone();
                Ok(live)
            }
            (_, n) => Err(ProviderError::new(
                ErrorKind::Invalid,
                format!("{n} {}s match the lookup", address.kind),
            )),
        }
    }
}

fn matches_filters(live: &LiveResource, filters: &Attrs) -> bool {
    filters.iter().all(|(key, want)| match key.as_str() {
        "id" => want.as_str() == Some(live.id.as_str()),
        "tags" => want
            .as_map()
            .is_some_and(|t| t.iter().all(|(k, v)| live.tag(k) == v.as_str())),
        "name" => match (want.as_str(), live.attribute("name")) {
            (Some(pattern), Some(Value::String(name))) => glob(pattern, &name),
            _ => false,
        },
        _ => live.attribute(key).as_ref() == Some(want),
    })
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            text.starts_with(head)
                && (0..=text.len() - head.len()).any(|i| {
                    text.is_char_boundary(head.len() + i) && glob(rest, &text[head.len() + i..])
                })
        }
    }
}
