//! Ownership: a change goes only to a resource whose stored `recon:env` tag is the caller's.

use recon_model::{LiveResource, tags};
use recon_provider::{ErrorKind, ProviderError};

use crate::errors::error;
use crate::store::Entry;

/// Refuses ([`ErrorKind::NotOwned`]) when the stored and claimed environments differ or either
/// is missing.
pub(crate) fn check_owner(entry: &Entry, caller: &LiveResource) -> Result<(), ProviderError> {
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
