//! Test hooks that read the true state (read lag ignored) or add resources without a call.

use recon_model::{Address, Attrs, Kind, LiveResource, LiveState, Value, tags};
use tokio::time::Instant;

use crate::FakeCloud;
use crate::store::Entry;

impl FakeCloud {
    /// Every resource that is not gone, as it truly is (read lag ignored), by address then id.
    pub fn snapshot(&self) -> Vec<LiveResource> {
        let now = Instant::now();
        let inner = self.lock();
        let mut out: Vec<LiveResource> = inner
            .store
            .entries
            .values()
            .filter_map(|e| e.current(now))
            .collect();
        out.sort_by(|a, b| (&a.address, &a.id).cmp(&(&b.address, &b.id)));
        out
    }

    /// One resource by id as it truly is (read lag ignored); `None` when gone or unknown.
    pub fn get(&self, id: &str) -> Option<LiveResource> {
        self.lock().store.get(id)?.current(Instant::now())
    }

    /// The resources (not gone) with this address.
    pub fn find(&self, address: &Address) -> Vec<LiveResource> {
        self.snapshot()
            .into_iter()
            .filter(|r| &r.address == address)
            .collect()
    }

    /// Adds an available, visible resource without a call and without checks: `attrs` as
    /// given, tags included (own them with `recon:env` and `recon:id`, or not).
    pub fn insert(&self, address: Address, attrs: Attrs) -> LiveResource {
        let now = Instant::now();
        let mut inner = self.lock();
        let store = &mut inner.store;
        let id = store.next_id(address.kind);
        let live = LiveResource {
            outputs: store.outputs(address.kind, &id),
            address,
            id: id.clone(),
            state: LiveState::Available,
            attrs,
        };
        store.entries.insert(
            id,
            Entry {
                live: live.clone(),
                visible_at: now,
                ready_at: now,
                gone_at: None,
                failure: None,
                token: None,
            },
        );
        live
    }

    /// Adds a resource the environment under test does not own: `attrs["tags"]` carries
    /// another environment's tags or none. Its address comes from a `recon:id` tag if it has
    /// one, else it is `kind.foreign-N`.
    pub fn insert_foreign(&self, kind: Kind, attrs: Attrs) -> LiveResource {
        let address = attrs
            .get("tags")
            .and_then(Value::as_map)
            .and_then(|t| t.get(tags::ID))
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Address>().ok())
            .filter(|a| a.kind == kind)
            .unwrap_or_else(|| {
                let n = self.lock().store.next_foreign();
                Address::new(kind, format!("foreign-{n}"))
            });
        self.insert(address, attrs)
    }
}
