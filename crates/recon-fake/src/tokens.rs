//! Idempotency tokens, for the kinds whose create call takes one (their facts'
//! `create_token`): the same token returns the existing resource and creates nothing; the same
//! token with other attributes is `IdempotentParameterMismatch`. A token whose resource is gone
//! creates a new one (AWS does not document how long tokens live).

use recon_model::{Attrs, Kind, LiveResource};
use recon_provider::ProviderError;
use tokio::time::Instant;

use crate::errors::invalid;
use crate::store::Store;

/// The resource an earlier create with `token` made, if it is not gone.
///
/// # Guarantees
/// Refuses a token AWS would refuse (empty, over 64 characters, not ASCII) and a known token
/// given other attributes, before anything is created.
pub(crate) fn replay(
    store: &Store,
    kind: Kind,
    token: &str,
    attrs: &Attrs,
    now: Instant,
) -> Result<Option<LiveResource>, ProviderError> {
    if token.is_empty() || token.len() > 64 || !token.is_ascii() {
        return Err(invalid(
            "InvalidParameterValue",
            "the client token must be 1 to 64 ASCII characters",
        ));
    }
    let Some(entry) = store
        .living(kind, now)
        .find(|e| e.token.as_ref().is_some_and(|(t, _)| t == token))
    else {
        return Ok(None);
    };
    let (_, first) = entry.token.as_ref().expect("matched on the token");
    if first != attrs {
        return Err(invalid(
            "IdempotentParameterMismatch",
            format!("the client token {token} was used with other parameters"),
        ));
    }
    Ok(entry.current(now))
}
