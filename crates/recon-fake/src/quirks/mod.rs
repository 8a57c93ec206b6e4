//! What AWS does for one kind only, beyond its schema and facts: one module per kind, named by
//! it, and one hook per phase below, each matching on the kind once. The generic paths
//! (create, update, delete, lookup) call these hooks and hold no per-kind branch of their own.

mod image;
mod instance;
mod internet_gateway;
mod nat_gateway;
mod route_table;

use recon_model::{Attrs, Kind, Value};
use recon_provider::ProviderError;
use tokio::time::Instant;

use crate::FakeConfig;
use crate::store::{Entry, Store};

/// Create, after the generic checks: the reason the new resource will end `failed` instead of
/// `available`, if AWS would fail it.
pub(crate) fn failure_on_create(
    store: &Store,
    kind: Kind,
    attrs: &Attrs,
    now: Instant,
) -> Option<String> {
    match kind {
        Kind::NatGateway => nat_gateway::failure(store, attrs, now),
        _ => None,
    }
}

/// Update, for each changed field after its references are checked: refuses a change AWS
/// refuses. `before` is the resource's attributes before this field changes.
pub(crate) fn check_update(
    store: &Store,
    kind: Kind,
    field: &str,
    before: &Attrs,
    after: Option<&Value>,
    now: Instant,
) -> Result<(), ProviderError> {
    match (kind, field) {
        (Kind::RouteTable, "routes") => match after {
            Some(after) => route_table::check_new_routes(store, before.get(field), after, now),
            None => Ok(()),
        },
        (Kind::InternetGateway, "vpc") => {
            internet_gateway::check_detach(store, before.get(field), after, now)
        }
        _ => Ok(()),
    }
}

/// Delete: whether a reference in `field` of a `user` resource keeps a `target` resource
/// from being deleted (`DependencyViolation`). By default every reference does.
pub(crate) fn blocks_delete(user: Kind, field: &str, target: Kind, config: &FakeConfig) -> bool {
    match (user, target) {
        (Kind::RouteTable, _) => route_table::blocks_delete(field, config),
        (Kind::ElasticIp, Kind::Instance) => instance::address_blocks_termination(),
        _ => true,
    }
}

/// Delete, after the generic dependency check: refuses a delete AWS refuses.
pub(crate) fn check_delete(
    store: &Store,
    entry: &Entry,
    now: Instant,
) -> Result<(), ProviderError> {
    match entry.kind() {
        Kind::InternetGateway => internet_gateway::check_delete(store, entry, now),
        _ => Ok(()),
    }
}

/// Delete, once accepted: what else the delete changes.
#[expect(
    clippy::single_match,
    reason = "one arm per kind with a quirk, like the other hooks"
)]
pub(crate) fn on_delete(store: &mut Store, kind: Kind, id: &str) {
    match kind {
        Kind::Instance => instance::disassociate_addresses(store, id),
        _ => {}
    }
}

/// Lookup: whether several matches are resolved by taking the newest (by `creation_date`)
/// instead of being refused as ambiguous.
pub(crate) fn lookup_takes_newest(kind: Kind) -> bool {
    match kind {
        Kind::Image => image::LOOKUP_TAKES_NEWEST,
        _ => false,
    }
}
