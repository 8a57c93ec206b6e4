//! What a call may name: every value resolved, and every id it refers to (by the kind's
//! schema, nested fields included) existing, visible, and neither being deleted nor gone.

use recon_model::schema::{Type, referenced_ids};
use recon_model::{Attrs, Kind, LiveState, Value, kinds::def};
use recon_provider::ProviderError;
use tokio::time::Instant;

use crate::errors::{invalid, not_found};
use crate::ids::{kind_of_id, looks_like_id};
use crate::store::Store;

/// A reference: the field of the resource that holds it, the kinds it may name, the id.
pub(crate) type Ref<'v> = (&'static str, &'static [Kind], &'v str);

/// Refuses unresolved values (references, templates, unknowns) as [`ErrorKind::Invalid`].
///
/// [`ErrorKind::Invalid`]: recon_provider::ErrorKind::Invalid
pub(crate) fn check_known(attrs: &Attrs) -> Result<(), ProviderError> {
    match attrs.iter().find(|(_, v)| !v.is_known()) {
        Some((name, _)) => Err(unresolved(name)),
        None => Ok(()),
    }
}

pub(crate) fn unresolved(field: &str) -> ProviderError {
    invalid(
        "InvalidParameterValue",
        format!("`{field}` holds a value that is not resolved"),
    )
}

/// The ids a value holds in reference positions of `ty` (CIDR blocks in `CidrOrRef` positions
/// are not references).
pub(crate) fn refs_in<'v>(ty: &Type, v: &'v Value) -> Vec<(&'static [Kind], &'v str)> {
    let mut out = Vec::new();
    referenced_ids(ty, v, &mut out);
    out.retain(|(kinds, id)| looks_like_id(kinds, id) || !id.contains('/'));
    out
}

/// Every id `attrs` refers to by the schema of `kind`, with the field that holds it.
pub(crate) fn in_attrs(kind: Kind, attrs: &Attrs) -> Vec<Ref<'_>> {
    let mut out = Vec::new();
    for field in def(kind).fields {
        if let Some(v) = attrs.get(field.name) {
            out.extend(
                refs_in(&field.ty, v)
                    .into_iter()
                    .map(|(kinds, id)| (field.name, kinds, id)),
            );
        }
    }
    out
}

/// Checks that `id` may be referred to as one of `kinds`: it exists, is visible, and is
/// neither being deleted nor gone. The error names the kind the id's prefix says, as AWS's
/// code does.
pub(crate) fn check(
    store: &Store,
    kinds: &[Kind],
    id: &str,
    now: Instant,
) -> Result<(), ProviderError> {
    let expected = kind_of_id(id).unwrap_or(kinds[0]);
    let ok = store.get(id).is_some_and(|e| {
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
