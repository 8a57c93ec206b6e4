//! The ownership check before a delete, made for many deletes at once.
//!
//! A delete must not touch what the environment does not own, so the resource's `recon:env`
//! tag is read before it. Read one by one, that is a describe per delete. The run knows what it
//! is about to delete ([`DeleteChecks::expect`]), so the first delete of a kind reads every
//! resource of that kind still to be deleted, in one describe by ids, and the deletes that
//! follow use that read while it is fresh ([`FRESH`]); then the next one reads again. The
//! listing a destroy plans from is such a read too ([`DeleteChecks::listed`]): a destroy whose
//! deletes of a kind start within [`FRESH`] of it reads nothing more before them.
//!
//! # Guarantees
//! - A delete's first attempt uses a read answered at most [`FRESH`] before it; a retried
//!   delete, or one of a resource the run did not expect to delete, reads the resource alone,
//!   as before. Timed from the answer, not the question: a listing of a large environment can
//!   take seconds to answer (a loaded endpoint, many pages), and timed from its question it
//!   would be stale before the deletes it was made for could use it.
//! - One batch read of a kind at a time: concurrent deletes of the kind wait for it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use recon_model::Kind;

use crate::kinds::Found;

/// How long a batch read stands for the deletes after it. Long enough for the deletes a
/// describe can cover (they start a few at a time), short against anyone retagging a resource
/// while the environment's lock is held.
pub(crate) const FRESH: Duration = Duration::from_secs(5);

#[derive(Clone, Debug, Default)]
pub(crate) struct DeleteChecks {
    state: Arc<Mutex<State>>,
    /// One batch read per kind at a time.
    reading: Arc<Mutex<HashMap<Kind, Arc<tokio::sync::Mutex<()>>>>>,
}

#[derive(Debug, Default)]
struct State {
    /// What the run expects to delete and has not started deleting, by kind.
    expected: HashMap<Kind, HashSet<String>>,
    /// Deletes started (a second attempt reads alone).
    started: HashSet<(Kind, String)>,
    /// The last batch read of each id: when, and what it found (`None`: gone).
    checked: HashMap<(Kind, String), (Instant, Option<Found>)>,
}

/// What [`DeleteChecks::begin`] says about a delete.
pub(crate) enum Check {
    /// Read in a batch: use [`DeleteChecks::checked`] after [`DeleteChecks::batch`].
    InBatch,
    /// Read the resource alone (a retry, or not expected).
    Alone,
}

impl DeleteChecks {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The resources this run is about to delete. Reads no longer fresh are dropped.
    pub(crate) fn expect(&self, resources: &[(Kind, String)]) {
        let mut state = self.state();
        let now = Instant::now();
        state
            .checked
            .retain(|_, (at, _)| now.saturating_duration_since(*at) <= FRESH);
        for (kind, id) in resources {
            state.expected.entry(*kind).or_default().insert(id.clone());
        }
    }

    /// A delete of `id` starts.
    pub(crate) fn begin(&self, kind: Kind, id: &str) -> Check {
        let mut state = self.state();
        let first = state.started.insert((kind, id.to_owned()));
        let expected = state
            .expected
            .get(&kind)
            .is_some_and(|ids| ids.contains(id));
        if first && expected {
            Check::InBatch
        } else {
            Check::Alone
        }
    }

    /// The lock a batch read of `kind` is made under.
    pub(crate) fn batch_lock(&self, kind: Kind) -> Arc<tokio::sync::Mutex<()>> {
        let mut reading = self.reading.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(reading.entry(kind).or_default())
    }

    /// The fresh batch read of `id`, if there is one (`Some(None)`: it found `id` gone). The
    /// delete is then on its way: `id` leaves the expected set.
    pub(crate) fn checked(&self, kind: Kind, id: &str, now: Instant) -> Option<Option<Found>> {
        let mut state = self.state();
        let key = (kind, id.to_owned());
        let (at, found) = state.checked.get(&key)?;
        if now.saturating_duration_since(*at) > FRESH {
            return None;
        }
        let found = found.clone();
        state.checked.remove(&key);
        if let Some(ids) = state.expected.get_mut(&kind) {
            ids.remove(id);
        }
        Some(found)
    }

    /// The ids a batch read of `kind` covers: every one still expected.
    pub(crate) fn batch(&self, kind: Kind) -> Vec<String> {
        let state = self.state();
        let mut ids: Vec<String> = state
            .expected
            .get(&kind)
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default();
        ids.sort();
        ids
    }

    /// A listing of `kind` by its ownership tag, answered at `at`, found `found`: it stands
    /// for the check of each resource in it (what it did not list, it says nothing about).
    pub(crate) fn listed(&self, kind: Kind, found: &[Found], at: Instant) {
        let mut state = self.state();
        for f in found {
            state
                .checked
                .insert((kind, f.id.clone()), (at, Some(f.clone())));
        }
    }

    /// A batch read of `ids`, answered at `at`, found `found`.
    pub(crate) fn read(&self, kind: Kind, ids: &[String], found: Vec<Found>, at: Instant) {
        let mut by_id: HashMap<String, Found> =
            found.into_iter().map(|f| (f.id.clone(), f)).collect();
        let mut state = self.state();
        for id in ids {
            state
                .checked
                .insert((kind, id.clone()), (at, by_id.remove(id)));
        }
    }
}

#[cfg(test)]
mod tests {
    use recon_model::{Attrs, LiveState};

    use super::*;

    fn found(id: &str) -> Found {
        Found::new(id, LiveState::Available, Attrs::new())
    }

    #[test]
    fn a_batch_read_stands_for_the_first_attempts_of_expected_deletes_while_fresh() {
        let checks = DeleteChecks::default();
        let ids = |v: &[&str]| {
            v.iter()
                .map(|s| (Kind::Subnet, s.to_string()))
                .collect::<Vec<_>>()
        };
        checks.expect(&ids(&["subnet-1", "subnet-2", "subnet-3"]));

        assert!(matches!(
            checks.begin(Kind::Subnet, "subnet-1"),
            Check::InBatch
        ));
        let start = Instant::now();
        assert_eq!(
            checks.checked(Kind::Subnet, "subnet-1", start),
            None,
            "not read yet"
        );
        let batch = checks.batch(Kind::Subnet);
        assert_eq!(batch, ["subnet-1", "subnet-2", "subnet-3"]);
        // subnet-3 is gone already.
        checks.read(
            Kind::Subnet,
            &batch,
            vec![found("subnet-1"), found("subnet-2")],
            start,
        );
        assert_eq!(
            checks.checked(Kind::Subnet, "subnet-1", start),
            Some(Some(found("subnet-1")))
        );

        // The next delete uses the same read while it is fresh, and a gone one is said so.
        assert!(matches!(
            checks.begin(Kind::Subnet, "subnet-3"),
            Check::InBatch
        ));
        assert_eq!(
            checks.checked(Kind::Subnet, "subnet-3", start + FRESH),
            Some(None)
        );
        // Stale: read again, covering only what is still expected.
        assert!(matches!(
            checks.begin(Kind::Subnet, "subnet-2"),
            Check::InBatch
        ));
        let later = start + FRESH + Duration::from_millis(1);
        assert_eq!(checks.checked(Kind::Subnet, "subnet-2", later), None);
        assert_eq!(checks.batch(Kind::Subnet), ["subnet-2"]);

        // A retry, or a delete the run did not expect, reads alone.
        assert!(matches!(
            checks.begin(Kind::Subnet, "subnet-1"),
            Check::Alone
        ));
        assert!(matches!(checks.begin(Kind::Vpc, "vpc-1"), Check::Alone));
    }

    #[test]
    fn a_listing_stands_for_the_checks_of_what_it_found_while_fresh() {
        let checks = DeleteChecks::default();
        let start = Instant::now();
        checks.listed(Kind::Subnet, &[found("subnet-1"), found("subnet-2")], start);
        checks.expect(&[
            (Kind::Subnet, "subnet-1".to_owned()),
            (Kind::Subnet, "subnet-2".to_owned()),
            (Kind::Subnet, "subnet-3".to_owned()),
        ]);
        assert!(matches!(
            checks.begin(Kind::Subnet, "subnet-1"),
            Check::InBatch
        ));
        assert_eq!(
            checks.checked(Kind::Subnet, "subnet-1", start + FRESH),
            Some(Some(found("subnet-1")))
        );
        // What the listing did not find, it says nothing about: a batch read covers it.
        assert_eq!(checks.checked(Kind::Subnet, "subnet-3", start), None);
        // Stale: no longer used.
        let later = start + FRESH + Duration::from_millis(1);
        assert_eq!(checks.checked(Kind::Subnet, "subnet-2", later), None);
        assert_eq!(checks.batch(Kind::Subnet), ["subnet-2", "subnet-3"]);
    }
}
