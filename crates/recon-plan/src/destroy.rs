//! Planning the deletion of everything an environment owns.

use recon_model::plan::fingerprint;
use recon_model::{
    Action, Change, Kind, LiveResource, PLAN_FORMAT_VERSION, Plan, PlanMode, SpecSource,
};

use crate::planner::IdIndex;

/// A plan deleting every live resource of the environment, whatever a spec says: ownership is by
/// tag, so `live` (found by this environment's tag) is exactly what it owns.
///
/// # Guarantees
/// Each delete carries what its live resource refers to, so apply deletes dependents first.
pub fn plan_destroy(
    environment: &str,
    region: &str,
    source: Option<SpecSource>,
    kinds: &[Kind],
    live: &[LiveResource],
) -> Plan {
    let ids = IdIndex::new(live);
    let mut changes: Vec<Change> = live
        .iter()
        .map(|r| Change {
            address: r.address.clone(),
            action: Action::Delete,
            id: Some(r.id.clone()),
            before: Some(r.attrs.clone()),
            after: None,
            diffs: vec![],
            depends_on: vec![],
            live_depends_on: ids.dependencies_of(r),
            reason: crate::planner::claimed_address(r).map(|claimed| {
                format!("a duplicate of `{claimed}` (a second live resource with its tags)")
            }),
        })
        .collect();
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    let data_loss = crate::lifecycle::data_loss(&changes, live);
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        mode: PlanMode::Destroy,
        environment: environment.to_owned(),
        region: region.to_owned(),
        spec: source,
        live_fingerprint: fingerprint(kinds, live),
        changes,
        unchanged: vec![],
        known: Default::default(),
        lookups: Vec::new(),
        moved: Vec::new(),
        adopted: Vec::new(),
        data_loss,
        shaping: Default::default(),
    }
}
