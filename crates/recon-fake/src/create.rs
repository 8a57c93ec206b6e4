//! A create call: what it sets, what it refuses, and the new resource's place in time.

use recon_model::{Attrs, LiveResource, LiveState, Presence, kinds::def};
use recon_provider::{CreateRequest, ProviderError};
use tokio::time::Instant;

use crate::errors::invalid;
use crate::store::Entry;
use crate::{FakeCloud, FakeConfig, Inner, quirks, references, tokens};

impl FakeCloud {
    /// Makes the resource of `request`, or returns the one its token already made (`true`).
    ///
    /// # Guarantees
    /// Sets only what the create call sets: the request's fields, except those the kind's
    /// facts say later calls set (they take AWS's initial value), plus what AWS chooses for
    /// computed fields the request leaves out. Refuses unknown fields, unresolved values and
    /// references to what may not be referred to, creating nothing.
    pub(crate) fn create_now(
        &self,
        inner: &mut Inner,
        request: &CreateRequest<'_>,
        now: Instant,
    ) -> Result<(LiveResource, bool), ProviderError> {
        let kind = request.address.kind;
        let kind_def = def(kind);
        let facts = &kind_def.aws;
        let takes_token = facts.create_token.takes_token();
        references::check_known(request.attrs)?;
        if takes_token
            && let Some(live) =
                tokens::replay(&inner.store, kind, request.token, request.attrs, now)?
        {
            return Ok((live, true));
        }

        let mut attrs = Attrs::new();
        for field in kind_def.fields {
            if let Some(v) = request.attrs.get(field.name) {
                attrs.insert(field.name.to_owned(), v.clone());
            }
        }
        for name in request.attrs.keys() {
            if kind_def.field(name).is_none() {
                return Err(invalid(
                    "InvalidParameterValue",
                    format!("`{kind}` has no field `{name}`"),
                ));
            }
        }
        for (name, initial) in facts.set_after_create {
            match initial() {
                Some(v) => attrs.insert((*name).to_owned(), v),
                None => attrs.remove(*name),
            };
        }
        for (name, value) in facts.chosen_by_aws {
            debug_assert!(matches!(
                kind_def.field(name).map(|f| &f.presence),
                Some(Presence::Computed)
            ));
            attrs.entry((*name).to_owned()).or_insert_with(value);
        }
        for (_, kinds, id) in references::in_attrs(kind, &attrs) {
            references::check(&inner.store, kinds, id, now)?;
        }

        let failure = quirks::failure_on_create(&inner.store, kind, &attrs, now);
        let id = inner.store.next_id(kind);
        let live = LiveResource {
            address: request.address.clone(),
            id: id.clone(),
            state: LiveState::Pending,
            outputs: inner.store.outputs(kind, &id),
            attrs,
        };
        let entry = Entry {
            live,
            visible_at: now + FakeConfig::get(&self.config.read_lag, kind),
            ready_at: now + FakeConfig::get(&self.config.pending_for, kind),
            gone_at: None,
            failure,
            token: takes_token.then(|| (request.token.to_owned(), request.attrs.clone())),
        };
        let live = entry.current(now).expect("just made");
        inner.store.entries.insert(id, entry);
        Ok((live, false))
    }
}
