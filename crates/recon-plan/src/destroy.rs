//! Planning the deletion of everything an environment owns.

use recon_model::plan::fingerprint;
use recon_model::{
    Action, Address, Change, Kind, LiveResource, PLAN_FORMAT_VERSION, Plan, PlanMode, SpecSource,
};

use crate::planner::IdIndex;

/// A plan deleting every live resource of the environment, whatever a spec says: ownership is by
/// tag, so `live` (found by this environment's tag) is exactly what it owns.
///
/// # Guarantees
/// - Each delete carries what its live resource refers to, so apply deletes dependents first.
/// - `live` is moved into the plan, not copied: at 5,000 resources a second copy of every
///   resource's attributes is megabytes. Its outputs are not kept (the plan has none).
pub fn plan_destroy(
    environment: &str,
    region: &str,
    source: Option<SpecSource>,
    kinds: &[Kind],
    live: Vec<LiveResource>,
) -> Plan {
    let live_fingerprint = fingerprint(kinds, &live);
    let mut data_loss: Vec<_> = live
        .iter()
        .filter_map(|r| recon_model::lifecycle::data_loss(Action::Delete, r))
        .collect();
    // What each delete refers to and why it is there, read while `live` is whole (they look
    // up other resources' ids); then `live` is taken apart into the changes.
    let ids = IdIndex::new(&live);
    let refs: Vec<(Vec<Address>, Option<String>)> = live
        .iter()
        .map(|r| {
            (
                ids.dependencies_of(r),
                crate::planner::claimed_address(r).map(|claimed| {
                    format!("a duplicate of `{claimed}` (a second live resource with its tags)")
                }),
            )
        })
        .collect();
    drop(ids);
    let mut changes: Vec<Change> = live
        .into_iter()
        .zip(refs)
        .map(|(r, (live_depends_on, reason))| Change {
            address: r.address,
            action: Action::Delete,
            id: Some(r.id),
            before: Some(r.attrs),
            after: None,
            diffs: vec![],
            depends_on: vec![],
            live_depends_on,
            reason,
        })
        .collect();
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    // In the changes' order, as the plan lists them.
    data_loss.sort_by(|a, b| a.address.cmp(&b.address));
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        mode: PlanMode::Destroy,
        environment: environment.to_owned(),
        region: region.to_owned(),
        spec: source,
        live_fingerprint,
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
