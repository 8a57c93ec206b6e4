//! An in-memory [`Provider`] that behaves like AWS where it matters to the executor, for unit
//! tests on tokio's paused clock (`#[tokio::test(start_paused = true)]`): minutes of waiting
//! take milliseconds. It never replaces the tests against moto.
//!
//! It is generic over kinds: references, ownership and field handling come from the kind
//! schemas in `recon-model`, and ids, "not found" codes, tokens, the fields a create leaves to
//! later calls and the times a kind spends pending and deleting from each kind's AWS facts
//! (`recon_model::kinds::def(kind).aws`). What AWS does for one kind only is in `quirks/`, one
//! module per kind.
//!
//! # AWS behaviours it models
//! - **Ids** like `vpc-00000001`, `eipalloc-00000002`, `fs-00000001`, `key-00000001` (KMS
//!   key ids are UUIDs on AWS): the facts' id prefix and one counter per prefix (`ids`,
//!   `store`).
//! - **Create sets only what the create call sets** (`create`): the request's attributes,
//!   except the facts' `set_after_create` fields, which take their AWS initial value (a VPC has
//!   `enable_dns_hostnames: false`, an internet gateway is detached, a security group has AWS's
//!   default egress rule); a computed field the request leaves out gets the facts'
//!   `chosen_by_aws` value (`availability_zone: us-east-1a`). Tags are set by the create call.
//!   An Elastic IP gets a `public_ip` output from 203.0.113.0/24, a KMS key an `arn`.
//! - **References must exist** (`references`): create and update refuse ids (in the fields the
//!   call sets) that do not exist, are not visible yet, are being deleted or are gone, with the
//!   facts' code (`InvalidVpcID.NotFound`, …) and [`ErrorKind::NotFound`]. Unresolved values
//!   (references, templates, unknowns) are refused as [`ErrorKind::Invalid`].
//! - **Idempotency tokens** (`tokens`) for the kinds whose create takes one (the facts'
//!   `create_token`): the same token returns the existing resource and creates nothing
//!   ([`CallOutcome::Replayed`]); with other attributes it is `IdempotentParameterMismatch`.
//! - **Time** (`store`, [`FakeConfig`]): `pending_for` and `deleting_for` default to the facts'
//!   lifecycle (NAT gateway 60 s `pending`, 30 s `deleting`, during which it still blocks the
//!   deletion of its subnet and address), `read_lag` (eventual consistency: reads by id answer
//!   "not found", discovery misses it, updates answer "not found" and it cannot be referred
//!   to), `latency` of every mutating call. A read of a gone or unknown id answers `Ok(None)`.
//! - **Deletes in use are refused** (`delete`) with `DependencyViolation` while any other
//!   resource that is not gone (being deleted still counts) refers to the id in any reference
//!   field, nested ones included (route targets, route table associations, security group rule
//!   peers). Deleting what is already gone succeeds. (Routes are stricter than AWS by default,
//!   see [`FakeConfig::routes_block_delete`].)
//! - **In-place only** (`update`): an update of a field that the schema marks as forcing
//!   replacement is refused as [`ErrorKind::Invalid`], as AWS has no call for it.
//! - **Ownership** (`ownership`): update and delete compare the stored `recon:env` tag with the
//!   one the caller's [`LiveResource`] carries and refuse ([`ErrorKind::NotOwned`]) when they
//!   differ or either is missing. Discovery returns only resources tagged with the environment.
//! - **Per-kind behaviour** (`quirks/`):
//!   - a new route to a NAT gateway needs it `available` (`IncorrectState` otherwise);
//!   - a public NAT gateway created in a VPC with no internet gateway attached goes `failed`
//!     after its pending time ("Network vpc-… has no Internet gateway attached");
//!   - an internet gateway cannot be detached or deleted while a public NAT gateway that is not
//!     gone lives in its VPC (`DependencyViolation`: "has some mapped public address(es)");
//!   - terminating an instance with an Elastic IP succeeds and disassociates the address (its
//!     `instance` becomes unset);
//!   - an image lookup matching several takes the newest (`lookup`).
//!
//! Simplifications: a KMS key's delete is immediate unless `deleting_for` says otherwise (AWS
//! schedules it days ahead and reports it pending deletion, which providers read as gone);
//! mount targets keep the tags of their create request, where AWS takes none (the AWS
//! provider's way of recording their ownership is not modelled).
//!
//! # Test hooks
//! [`FakeCloud::fail_next`] injects errors (`inject`), [`FakeCloud::calls`] is the call log
//! (with the offset from the fake's creation, on the tokio clock) and
//! [`FakeCloud::max_in_flight`] the highest number of mutating calls at once (`calls`);
//! [`FakeCloud::insert`] and [`FakeCloud::insert_foreign`] add resources without a call, and
//! [`FakeCloud::snapshot`] is the true state, ignoring read lag (`hooks`).
//!
//! [`Provider`]: recon_provider::Provider
//! [`ErrorKind::NotFound`]: recon_provider::ErrorKind::NotFound
//! [`ErrorKind::Invalid`]: recon_provider::ErrorKind::Invalid
//! [`ErrorKind::NotOwned`]: recon_provider::ErrorKind::NotOwned
//! [`LiveResource`]: recon_model::LiveResource

mod calls;
mod config;
mod create;
mod delete;
mod errors;
mod hooks;
mod ids;
mod inject;
mod lookup;
mod ownership;
mod provider;
mod quirks;
mod references;
mod store;
mod tokens;
mod update;

use std::sync::Mutex;

use recon_model::Kind;
use tokio::time::Instant;

pub use calls::{Call, CallOutcome, Op};
pub use config::FakeConfig;

use crate::calls::InFlightCounter;
use crate::inject::Injection;
use crate::store::Store;

/// The in-memory cloud. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct FakeCloud {
    config: FakeConfig,
    start: Instant,
    inner: Mutex<Inner>,
    in_flight: InFlightCounter,
}

/// Everything behind the lock: the resources, the call log, the pending injections.
#[derive(Default)]
pub(crate) struct Inner {
    store: Store,
    calls: Vec<Call>,
    injections: Vec<Injection>,
    /// What the caller said it would delete (`Provider::expect_deletes`), in order.
    expected_deletes: Vec<(Kind, String)>,
}

impl Default for FakeCloud {
    fn default() -> Self {
        FakeCloud::new(FakeConfig::default())
    }
}

impl FakeCloud {
    pub fn new(config: FakeConfig) -> Self {
        FakeCloud {
            config,
            start: Instant::now(),
            inner: Mutex::new(Inner::default()),
            in_flight: InFlightCounter::default(),
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
}
