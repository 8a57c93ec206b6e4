//! An update call: in-place changes only, to an owned resource that is visible and not being
//! deleted.

use recon_model::{LiveResource, LiveState, Update, kinds::def};
use recon_provider::{ErrorKind, ProviderError, UpdateRequest};
use tokio::time::Instant;

use crate::errors::{error, invalid, not_found};
use crate::ownership::check_owner;
use crate::{FakeCloud, Inner, quirks, references};

impl FakeCloud {
    /// Applies the request's diffs, one field at a time, all or none.
    ///
    /// # Guarantees
    /// Refuses a field the schema marks as forcing replacement (AWS has no call for it), an
    /// unresolved value, and an id the call newly names that may not be referred to; ids that
    /// were already there are not checked again (unchanged routes to a gone target stay, as
    /// blackholes do). Nothing changes unless every diff is accepted.
    pub(crate) fn update_now(
        &self,
        inner: &mut Inner,
        request: &UpdateRequest<'_>,
        now: Instant,
    ) -> Result<LiveResource, ProviderError> {
        let kind = request.live.kind();
        let kind_def = def(kind);
        let id = request.live.id.as_str();
        let store = &inner.store;
        let entry = store
            .get(id)
            .filter(|e| e.kind() == kind && e.visible(now) && e.state(now).is_some())
            .ok_or_else(|| not_found(kind, id))?;
        check_owner(entry, request.live)?;
        if entry.state(now) == Some(LiveState::Deleting) {
            return Err(error(
                ErrorKind::IncorrectState,
                "IncorrectState",
                format!("{id} is being deleted"),
            ));
        }
        let mut attrs = entry.live.attrs.clone();
        for diff in request.diffs {
            let Some(field) = kind_def.field(&diff.field) else {
                return Err(invalid(
                    "InvalidParameterValue",
                    format!("`{kind}` has no field `{}`", diff.field),
                ));
            };
            if field.update == Update::Replace || diff.forces_replacement {
                return Err(invalid(
                    "InvalidParameterCombination",
                    format!("`{}` of {id} cannot change in place", diff.field),
                ));
            }
            if let Some(after) = &diff.after
                && !after.is_known()
            {
                return Err(references::unresolved(&diff.field));
            }
            let before_ids: Vec<&str> = attrs
                .get(field.name)
                .map(|v| references::refs_in(&field.ty, v))
                .unwrap_or_default()
                .into_iter()
                .map(|(_, id)| id)
                .collect();
            if let Some(after) = &diff.after {
                for (kinds, rid) in references::refs_in(&field.ty, after) {
                    if !before_ids.contains(&rid) {
                        references::check(store, kinds, rid, now)?;
                    }
                }
            }
            quirks::check_update(store, kind, field.name, &attrs, diff.after.as_ref(), now)?;
            match &diff.after {
                Some(v) => attrs.insert(diff.field.clone(), v.clone()),
                None => attrs.remove(&diff.field),
            };
        }
        let entry = inner.store.entries.get_mut(id).expect("found above");
        entry.live.attrs = attrs;
        Ok(entry.current(now).expect("not gone"))
    }
}
