//! The fake's resources and how each one moves through time: visible after the read lag,
//! `pending` until ready (`failed` instead of `available` when its create was doomed),
//! `deleting` until gone.

use std::collections::BTreeMap;

use recon_model::{Attrs, Kind, LiveResource, LiveState, Value, kinds::def};
use tokio::time::Instant;

use crate::ids;

/// One resource the fake has made or been given.
pub(crate) struct Entry {
    pub live: LiveResource,
    pub visible_at: Instant,
    pub ready_at: Instant,
    pub gone_at: Option<Instant>,
    /// Set when the resource will end `failed` instead of `available`.
    pub failure: Option<String>,
    /// The create's token and attributes, for kinds whose create takes one.
    pub token: Option<(String, Attrs)>,
}

impl Entry {
    /// `None` once gone.
    pub fn state(&self, now: Instant) -> Option<LiveState> {
        if let Some(gone) = self.gone_at {
            return (now < gone).then_some(LiveState::Deleting);
        }
        Some(if now < self.ready_at {
            LiveState::Pending
        } else if self.failure.is_some() {
            LiveState::Failed
        } else {
            LiveState::Available
        })
    }

    /// Whether reads, discovery and references see it yet (read lag).
    pub fn visible(&self, now: Instant) -> bool {
        now >= self.visible_at
    }

    /// The resource as it is at `now`; `None` once gone.
    pub fn current(&self, now: Instant) -> Option<LiveResource> {
        let state = self.state(now)?;
        let mut live = self.live.clone();
        live.state = state;
        Some(live)
    }

    pub fn kind(&self) -> Kind {
        self.live.address.kind
    }

    /// The string value of `field`, if set.
    pub fn attr_str(&self, field: &str) -> Option<&str> {
        self.live.attrs.get(field).and_then(Value::as_str)
    }
}

/// Every resource by id, and the counters that make new ids and outputs.
#[derive(Default)]
pub(crate) struct Store {
    pub entries: BTreeMap<String, Entry>,
    counters: BTreeMap<&'static str, u32>,
    public_ips: u32,
    foreign: u32,
}

impl Store {
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.get(id)
    }

    /// The entries of `kind` that are not gone at `now`.
    pub fn living(&self, kind: Kind, now: Instant) -> impl Iterator<Item = &Entry> {
        self.entries
            .values()
            .filter(move |e| e.kind() == kind && e.state(now).is_some())
    }

    /// The VPC of a subnet id, if known.
    pub fn vpc_of_subnet(&self, subnet: &str) -> Option<&str> {
        self.get(subnet)?.attr_str("vpc")
    }

    /// A new id for `kind`: its facts' prefix and one counter per prefix (`vpc-00000001`).
    pub fn next_id(&mut self, kind: Kind) -> String {
        let prefix = ids::prefix(kind);
        let n = self.counters.entry(prefix).or_insert(0);
        *n += 1;
        format!("{prefix}-{n:08}")
    }

    /// The number of the next resource inserted without an address (`foreign-N`).
    pub fn next_foreign(&mut self) -> u32 {
        self.foreign += 1;
        self.foreign
    }

    /// Values for the kind's attributes that are not fields: a `public_ip` from
    /// 203.0.113.0/24, an `arn`, and `<attr>-of-<id>` for anything else.
    pub fn outputs(&mut self, kind: Kind, id: &str) -> BTreeMap<String, Value> {
        let kind_def = def(kind);
        let mut out = BTreeMap::new();
        for attr in kind_def.attributes {
            if *attr == "id" || kind_def.field(attr).is_some() {
                continue;
            }
            let value = if *attr == "public_ip" {
                self.public_ips += 1;
                format!("203.0.113.{}", self.public_ips % 254 + 1)
            } else if *attr == "arn" {
                format!("arn:aws:fake:us-east-1:000000000000:{kind}/{id}")
            } else {
                format!("{attr}-of-{id}")
            };
            out.insert((*attr).to_owned(), Value::str(value));
        }
        out
    }
}
