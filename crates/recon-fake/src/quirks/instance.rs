//! Instances: terminating one with an Elastic IP succeeds and disassociates the address (its
//! `instance` becomes unset), as on AWS.

use recon_model::Kind;

use crate::store::Store;

/// An address associated with an instance does not keep it from being terminated.
pub(super) fn address_blocks_termination() -> bool {
    false
}

/// Unsets `instance` on every Elastic IP associated with the terminated instance `id`.
pub(super) fn disassociate_addresses(store: &mut Store, id: &str) {
    for e in store.entries.values_mut() {
        if e.kind() == Kind::ElasticIp && e.attr_str("instance") == Some(id) {
            e.live.attrs.remove("instance");
        }
    }
}
