//! Internet gateways: AWS refuses to detach (or delete) one while a public NAT gateway that is
//! not gone maps addresses in its VPC (`DependencyViolation`: "has some mapped public
//! address(es)").

use recon_model::Value;
use recon_provider::ProviderError;
use tokio::time::Instant;

use super::nat_gateway;
use crate::errors::dependency_violation;
use crate::store::{Entry, Store};

/// An update of `vpc` from `before` to `after` detaches the gateway when it was attached and
/// `after` names another VPC or none.
pub(super) fn check_detach(
    store: &Store,
    before: Option<&Value>,
    after: Option<&Value>,
    now: Instant,
) -> Result<(), ProviderError> {
    let attached = before.and_then(Value::as_str);
    match attached.filter(|v| after.and_then(Value::as_str) != Some(*v)) {
        Some(vpc) => check_no_public_nat(store, vpc, now),
        None => Ok(()),
    }
}

/// Deleting an attached gateway detaches it first.
pub(super) fn check_delete(
    store: &Store,
    entry: &Entry,
    now: Instant,
) -> Result<(), ProviderError> {
    match entry.attr_str("vpc") {
        Some(vpc) => check_no_public_nat(store, vpc, now),
        None => Ok(()),
    }
}

fn check_no_public_nat(store: &Store, vpc: &str, now: Instant) -> Result<(), ProviderError> {
    match nat_gateway::public_in_vpc(store, vpc, now) {
        Some(nat) => Err(dependency_violation(format!(
            "Network {vpc} has some mapped public address(es) ({}). Please unmap those public address(es) before detaching the gateway.",
            nat.live.id
        ))),
        None => Ok(()),
    }
}
