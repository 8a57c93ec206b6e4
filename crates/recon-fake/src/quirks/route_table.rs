//! Route tables: a new route to a NAT gateway needs it `available` (one pending or failed is
//! refused with `IncorrectState`); and whether routes block the deletion of their targets is
//! [`FakeConfig::routes_block_delete`] (AWS lets the target go and leaves a `blackhole` route).

use recon_model::{LiveState, Value};
use recon_provider::{ErrorKind, ProviderError};
use tokio::time::Instant;

use crate::FakeConfig;
use crate::errors::error;
use crate::store::Store;

/// Routes in `after` that `before` does not have may only target an available NAT gateway.
pub(super) fn check_new_routes(
    store: &Store,
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
        let state = store.get(nat).and_then(|e| e.state(now));
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

/// Every reference of a route table blocks the deletion of what it names, except routes when
/// the config models AWS's blackholes.
pub(super) fn blocks_delete(field: &str, config: &FakeConfig) -> bool {
    field != "routes" || config.routes_block_delete
}
