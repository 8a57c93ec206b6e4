//! A delete call: refused while something still uses the resource; otherwise it is `deleting`
//! for the kind's deleting time, then gone.

use recon_model::{LiveResource, LiveState};
use recon_provider::ProviderError;
use tokio::time::Instant;

use crate::errors::{dependency_violation, not_found};
use crate::ownership::check_owner;
use crate::{FakeCloud, FakeConfig, Inner, quirks, references};

impl FakeCloud {
    /// Starts deleting `live`.
    ///
    /// # Guarantees
    /// Deleting what is already gone or being deleted succeeds and changes nothing. Refuses
    /// (`DependencyViolation`) while any other resource that is not gone (being deleted still
    /// counts) refers to the id in a reference field, nested ones included, unless the kind's
    /// quirks say that reference does not block; refuses what the caller does not own.
    pub(crate) fn delete_now(
        &self,
        inner: &mut Inner,
        live: &LiveResource,
        now: Instant,
    ) -> Result<(), ProviderError> {
        let kind = live.kind();
        let id = live.id.as_str();
        let store = &inner.store;
        let Some(entry) = store.get(id).filter(|e| e.kind() == kind) else {
            return Ok(());
        };
        match entry.state(now) {
            None | Some(LiveState::Deleting) => return Ok(()),
            Some(_) => {}
        }
        if !entry.visible(now) {
            return Err(not_found(kind, id));
        }
        check_owner(entry, live)?;
        let users: Vec<&str> = store
            .entries
            .values()
            .filter(|e| e.live.id != id && e.state(now).is_some())
            .filter(|e| {
                references::in_attrs(e.kind(), &e.live.attrs)
                    .iter()
                    .any(|(field, _, r)| {
                        *r == id && quirks::blocks_delete(e.kind(), field, kind, &self.config)
                    })
            })
            .map(|e| e.live.id.as_str())
            .collect();
        if !users.is_empty() {
            return Err(dependency_violation(format!(
                "resource {id} has a dependent object ({})",
                users.join(", ")
            )));
        }
        quirks::check_delete(store, entry, now)?;
        quirks::on_delete(&mut inner.store, kind, id);
        let entry = inner.store.entries.get_mut(id).expect("found above");
        entry.gone_at = Some(now + FakeConfig::get(&self.config.deleting_for, kind));
        Ok(())
    }
}
