//! NAT gateways: a public one created in a VPC with no internet gateway attached goes `failed`
//! after its pending time ("Network vpc-… has no Internet gateway attached"), as on AWS.

use recon_model::{Attrs, Kind, LiveState, Value};
use tokio::time::Instant;

use crate::store::{Entry, Store};

fn is_public(attrs: &Attrs) -> bool {
    attrs.get("connectivity_type").and_then(Value::as_str) != Some("private")
}

/// Why a NAT gateway with `attrs` will fail, if it will.
pub(super) fn failure(store: &Store, attrs: &Attrs, now: Instant) -> Option<String> {
    if !is_public(attrs) {
        return None;
    }
    let subnet = attrs.get("subnet")?.as_str()?;
    let vpc = store.vpc_of_subnet(subnet)?;
    let attached = store.entries.values().any(|e| {
        e.kind() == Kind::InternetGateway
            && matches!(
                e.state(now),
                Some(LiveState::Available | LiveState::Pending)
            )
            && e.attr_str("vpc") == Some(vpc)
    });
    (!attached).then(|| format!("Network {vpc} has no Internet gateway attached"))
}

/// A public NAT gateway that is not gone in `vpc` (being deleted still counts).
pub(super) fn public_in_vpc<'a>(store: &'a Store, vpc: &str, now: Instant) -> Option<&'a Entry> {
    store.living(Kind::NatGateway, now).find(|e| {
        is_public(&e.live.attrs)
            && e.attr_str("subnet").and_then(|s| store.vpc_of_subnet(s)) == Some(vpc)
    })
}
