//! How the fake behaves in time.

use std::collections::BTreeMap;
use std::time::Duration;

use recon_model::{Kind, kinds::def};

/// Per-kind durations and call latency. [`FakeConfig::default`] is AWS-like: each kind is
/// `pending` and `deleting` for as long as its AWS facts' lifecycle says (a NAT gateway 60 s and
/// 30 s, everything else is immediate), reads never lag and calls take no time.
/// [`FakeConfig::instant`] has no delays at all.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// How long a new resource stays [`recon_model::LiveState::Pending`] before it becomes
    /// `Available`.
    pub pending_for: BTreeMap<Kind, Duration>,
    /// How long a deleted resource stays [`recon_model::LiveState::Deleting`] (still blocking
    /// the deletion of what it refers to) before it is gone.
    pub deleting_for: BTreeMap<Kind, Duration>,
    /// Eventual consistency: for this long after its creation, reads by id and discovery do not
    /// see a resource, updates of it answer "not found", and it cannot be referred to.
    pub read_lag: BTreeMap<Kind, Duration>,
    /// How long every mutating call (create, update, delete) takes.
    pub latency: Duration,
    /// Whether a route refuses the deletion of its target (NAT gateway, internet gateway).
    /// `true` (the default) is stricter than AWS, which lets the target go and leaves a
    /// `blackhole` route, and makes the delete order of route tables observable; `false` models
    /// AWS exactly.
    pub routes_block_delete: bool,
    /// The kinds whose create answer the provider declares complete
    /// (`Provider::create_reply_is_a_read`), as the AWS provider does for some.
    pub create_reply_is_a_read: std::collections::BTreeSet<Kind>,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            pending_for: from_lifecycle(|l| l.pending),
            deleting_for: from_lifecycle(|l| l.deleting),
            read_lag: BTreeMap::new(),
            latency: Duration::ZERO,
            routes_block_delete: true,
            create_reply_is_a_read: std::collections::BTreeSet::new(),
        }
    }
}

/// The kinds whose lifecycle gives a non-zero duration, with it.
fn from_lifecycle(
    duration: fn(&recon_model::facts::Lifecycle) -> Duration,
) -> BTreeMap<Kind, Duration> {
    Kind::EVERY
        .iter()
        .map(|k| (*k, duration(&def(*k).aws.lifecycle)))
        .filter(|(_, d)| !d.is_zero())
        .collect()
}

impl FakeConfig {
    /// Nothing takes time: every resource is available at once and gone at once.
    pub fn instant() -> Self {
        FakeConfig {
            pending_for: BTreeMap::new(),
            deleting_for: BTreeMap::new(),
            ..FakeConfig::default()
        }
    }

    pub fn pending(mut self, kind: Kind, d: Duration) -> Self {
        self.pending_for.insert(kind, d);
        self
    }

    pub fn deleting(mut self, kind: Kind, d: Duration) -> Self {
        self.deleting_for.insert(kind, d);
        self
    }

    /// Declares `kind`'s create answer complete, so the executor reads nothing back after it.
    pub fn create_reply_is_a_read(mut self, kind: Kind) -> Self {
        self.create_reply_is_a_read.insert(kind);
        self
    }

    pub fn read_lag(mut self, kind: Kind, d: Duration) -> Self {
        self.read_lag.insert(kind, d);
        self
    }

    pub fn latency(mut self, d: Duration) -> Self {
        self.latency = d;
        self
    }

    pub fn routes_block_delete(mut self, yes: bool) -> Self {
        self.routes_block_delete = yes;
        self
    }

    pub(crate) fn get(map: &BTreeMap<Kind, Duration>, kind: Kind) -> Duration {
        map.get(&kind).copied().unwrap_or(Duration::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_takes_the_lifecycle_of_the_facts() {
        let config = FakeConfig::default();
        assert_eq!(
            config.pending_for,
            BTreeMap::from([
                (Kind::NatGateway, Duration::from_secs(60)),
                (Kind::VpcEndpoint, Duration::from_secs(60)),
            ])
        );
        assert_eq!(
            config.deleting_for,
            BTreeMap::from([
                (Kind::NatGateway, Duration::from_secs(30)),
                (Kind::VpcEndpoint, Duration::from_secs(30)),
            ])
        );
        let instant = FakeConfig::instant();
        assert!(instant.pending_for.is_empty() && instant.deleting_for.is_empty());
    }
}
