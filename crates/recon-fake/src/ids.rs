//! Ids as the kind's AWS facts shape them (`recon_model::kinds::def(kind).aws`): the prefix,
//! and telling the kind of an id from it.

use recon_model::{Kind, kinds::def};

/// `vpc` in `vpc-00000001`. KMS key ids are UUIDs on AWS; the fake's are `key-00000001`.
pub(crate) fn prefix(kind: Kind) -> &'static str {
    def(kind).aws.id_prefix
}

/// Whether `id` looks like an id of one of `kinds` (`sg-…` for security groups). A
/// [`recon_model::Type::CidrOrRef`] value that does not is a CIDR block, not a reference.
pub(crate) fn looks_like_id(kinds: &[Kind], id: &str) -> bool {
    kinds.iter().any(|k| def(*k).aws.owns_id(id))
}

/// The kind an id belongs to, by its prefix (the first kind with it, where two share one).
pub(crate) fn kind_of_id(id: &str) -> Option<Kind> {
    Kind::EVERY
        .iter()
        .copied()
        .find(|k| def(*k).aws.owns_id(id))
}
