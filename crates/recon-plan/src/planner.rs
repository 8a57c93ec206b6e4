//! Diffing a spec against live resources.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use recon_model::plan::fingerprint;
use recon_model::tags::{desired_tags, to_value};
use recon_model::{
    Action, Address, Attrs, Change, Kind, LiveResource, LiveState, PLAN_FORMAT_VERSION, Plan,
    PlanMode, Reference, Spec, SpecSource, Value, diff_attrs,
};

use crate::graph::{Cycle, topological_order};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("Dependency cycle: {0}")]
    Cycle(Cycle),
    #[error("Cannot move `{from}` to `{to}`: nothing live is at `{from}` (nor at `{to}`)")]
    MoveFromMissing { from: Address, to: Address },
    #[error("Cannot move `{from}` to `{to}`: `{to}` is already live ({id})")]
    MoveTargetTaken {
        from: Address,
        to: Address,
        id: String,
    },
    #[error(
        "Cannot adopt {id} as `{address}`: the environment already has `{address}` ({live_id})"
    )]
    AdoptTaken {
        address: Address,
        id: String,
        live_id: String,
    },
    #[error("Cannot replace `{0}`: it is not live (it would be created anyway)")]
    ReplaceNotLive(Address),
    #[error("Cannot target `{0}`: the spec has no such resource and nothing live has that address")]
    UnknownTarget(Address),
}

/// What `plan` does beyond diffing the spec against the live resources.
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    /// Existing resources the spec adopts (`adopt:`), read by id, with the address they are
    /// adopted as. Their ownership tags are added by the planner.
    pub adopted: Vec<LiveResource>,
    /// Live resources to replace even though nothing forces it (`--replace`).
    pub replace: Vec<Address>,
    /// Plan only these resources and what they depend on (`--target`); empty means all.
    pub target: Vec<Address>,
}

/// Plans the changes that make `live` (this environment's resources, found by tag) match `spec`.
///
/// # Guarantees
/// - A wanted resource with no live counterpart is created; one whose live counterpart differs
///   only in in-place fields is updated; one with a differing replace-only field (or a failed
///   live resource) is replaced; a live resource the spec no longer names is deleted.
/// - References to resources that stay are resolved to their live values now; references to
///   resources created or replaced by this plan stay references, resolved at apply time. A
///   replace-only field referring to a replaced resource therefore replaces its dependent too.
/// - `kinds` are the kinds discovery read; they go into the live fingerprint.
///
/// # Assumptions
/// `live` holds only resources owned by `spec.environment`, at most one per address.
pub fn plan(
    spec: &Spec,
    source: Option<SpecSource>,
    kinds: &[Kind],
    live: &[LiveResource],
) -> Result<Plan, PlanError> {
    plan_with(spec, source, kinds, live, &PlanOptions::default())
}

/// [`plan`], with the spec's `moved:`, `adopt:` and `ignore_changes:` and the options.
///
/// # Guarantees
/// - The live fingerprint is of `live` as discovered, before moves and adoptions, so apply's
///   staleness check compares like with like.
/// - A move (`from` live, `to` not) plans the resource at `to` against the live one: an update
///   of its tags (its `recon:id`), never a create and a delete. A move whose `to` is already
///   live and whose `from` is not has been carried out: nothing to do.
/// - An adopted resource is planned as if it carried its ownership tags already; the plan
///   lists it in `adopted` so apply writes those tags first.
/// - A field in a resource's `ignore_changes` takes its live value: it never causes a change.
/// - With targets, only changes to the targets and what they depend on (in the spec) remain.
pub fn plan_with(
    spec: &Spec,
    source: Option<SpecSource>,
    kinds: &[Kind],
    discovered: &[LiveResource],
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    plan_discovered(spec, source, kinds, discovered.to_vec(), options)
}

/// [`plan_with`], taking the discovered resources: the plan keeps the unchanged ones it needs
/// (`known`) without copying them, so planning holds one copy of the environment, not three.
pub fn plan_discovered(
    spec: &Spec,
    source: Option<SpecSource>,
    kinds: &[Kind],
    discovered: Vec<LiveResource>,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let order = topological_order(&spec.resources).map_err(PlanError::Cycle)?;
    let live_fingerprint = fingerprint(kinds, &discovered);
    let crate::lifecycle::Seen {
        live: seen,
        moved,
        adopted,
    } = crate::lifecycle::apply_lifecycle(spec, discovered, options)?;
    let live = seen.as_slice();
    let live_by_address: BTreeMap<&Address, &LiveResource> = live
        .iter()
        .filter(|r| r.state != LiveState::Deleting)
        .map(|r| (&r.address, r))
        .collect();
    let ids = IdIndex::new(live);

    let mut actions: BTreeMap<Address, Action> = BTreeMap::new();
    let mut changes = Vec::new();
    let mut unchanged = Vec::new();
    for wanted in order {
        let mut attrs = wanted.attrs.clone();
        // Intent-only fields (a subnet's `tier`) are for review, never for AWS.
        let def = recon_model::kinds::def(wanted.address.kind);
        attrs.retain(|name, _| !def.is_intent(name));
        attrs.insert("tags".into(), to_value(&desired_tags(spec, wanted)));
        let mut resolved = resolve(&attrs, &actions, &live_by_address);
        if let (Some(ignored), Some(current)) = (
            spec.lifecycle.ignore_changes.get(&wanted.address),
            live_by_address.get(&wanted.address),
        ) {
            crate::lifecycle::keep_live(&mut resolved, &current.attrs, ignored);
        }
        let depends_on = wanted.dependencies();
        let address = wanted.address.clone();
        let Some(current) = live_by_address.get(&address) else {
            actions.insert(address.clone(), Action::Create);
            changes.push(Change {
                address,
                action: Action::Create,
                id: None,
                before: None,
                after: Some(resolved),
                diffs: vec![],
                depends_on,
                live_depends_on: vec![],
                reason: None,
            });
            continue;
        };
        let diffs = diff_attrs(address.kind, &resolved, &current.attrs);
        let failed = current.state == LiveState::Failed;
        let forcing: Vec<&str> = diffs
            .iter()
            .filter(|d| d.forces_replacement)
            .map(|d| d.field.as_str())
            .collect();
        let (action, reason) = if failed {
            (Action::Replace, Some("failed on the AWS side".to_owned()))
        } else if options.replace.contains(&address) {
            (
                Action::Replace,
                Some("replacement requested (`--replace`)".to_owned()),
            )
        } else if !forcing.is_empty() {
            let fields = forcing
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ");
            (
                Action::Replace,
                Some(format!("{fields} forces replacement")),
            )
        } else if !diffs.is_empty() {
            (Action::Update, None)
        } else {
            unchanged.push(address);
            continue;
        };
        actions.insert(address.clone(), action);
        changes.push(Change {
            address,
            action,
            id: Some(current.id.clone()),
            before: Some(current.attrs.clone()),
            after: Some(resolved),
            diffs,
            depends_on,
            live_depends_on: ids.dependencies_of(current),
            reason,
        });
    }

    for current in live {
        if spec.get(&current.address).is_none() {
            changes.push(Change {
                address: current.address.clone(),
                action: Action::Delete,
                id: Some(current.id.clone()),
                before: Some(current.attrs.clone()),
                after: None,
                diffs: vec![],
                depends_on: vec![],
                live_depends_on: ids.dependencies_of(current),
                reason: Some(match claimed_address(current) {
                    Some(claimed) => format!(
                        "a duplicate of `{claimed}` (a second live resource with its tags); the one in use is kept"
                    ),
                    None => "not in the spec".into(),
                }),
            });
        }
    }
    for r in &options.replace {
        if !live_by_address.contains_key(r) {
            return Err(PlanError::ReplaceNotLive(r.clone()));
        }
    }
    if !options.target.is_empty() {
        let keep = crate::lifecycle::targeted(spec, live, &options.target)?;
        changes.retain(|c| keep.contains(&c.address));
    }
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    unchanged.sort();
    let data_loss = crate::lifecycle::data_loss(&changes, live);

    // The resources kept are chosen by reference, then moved out of what was discovered.
    let keep: BTreeSet<(Address, String)> = live_by_address
        .iter()
        .filter(|(a, _)| !matches!(actions.get(*a), Some(Action::Replace)))
        .filter(|(a, _)| spec.get(a).is_some())
        .map(|(a, r)| ((*a).clone(), r.id.clone()))
        .collect();
    drop((live_by_address, ids));
    let known = seen
        .into_iter()
        .filter(|r| keep.contains(&(r.address.clone(), r.id.clone())))
        .map(|r| (r.address.clone(), r))
        .collect();
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        mode: PlanMode::Apply,
        environment: spec.environment.clone(),
        region: spec.region.clone(),
        spec: source,
        live_fingerprint,
        changes,
        unchanged,
        known,
        lookups: Vec::new(),
        moved,
        adopted,
        data_loss,
        shaping: recon_model::Shaping {
            target: options.target.clone(),
            replace: options.replace.clone(),
        },
    })
}

/// Resolves references to resources that stay (unchanged or updated in place) to their live
/// values; references to resources this plan creates or replaces stay references, and so do
/// references to what an update may change.
fn resolve(
    attrs: &Attrs,
    actions: &BTreeMap<Address, Action>,
    live: &BTreeMap<&Address, &LiveResource>,
) -> Attrs {
    let lookup = |r: &Reference| -> Option<Value> {
        match actions.get(&r.address) {
            Some(Action::Create | Action::Replace) => None,
            Some(Action::Update) if !survives_update(r) => None,
            _ => live.get(&r.address)?.attribute(&r.attr),
        }
    };
    attrs
        .iter()
        .map(|(k, v)| (k.clone(), v.resolve(&lookup)))
        .collect()
}

/// Whether an update in place leaves the referenced attribute as it is: the id, the ARN (which
/// names the resource for as long as it lives), and fields that only a replacement changes (a
/// bucket's or role's `name`). A bucket policy naming `${s3_bucket.notebooks.arn}` is then no
/// change when the bucket's tags change.
fn survives_update(r: &Reference) -> bool {
    r.attr == "id"
        || r.attr == "arn"
        || recon_model::kinds::def(r.address.kind)
            .field(&r.attr)
            .is_some_and(|f| f.update == recon_model::Update::Replace)
}

/// Maps AWS ids back to addresses, to say which live resources a live resource refers to.
pub(crate) struct IdIndex<'a> {
    by_id: HashMap<&'a str, &'a Address>,
}

impl<'a> IdIndex<'a> {
    pub(crate) fn new(live: &'a [LiveResource]) -> Self {
        IdIndex {
            by_id: live.iter().map(|r| (r.id.as_str(), &r.address)).collect(),
        }
    }

    /// Owned live resources that `resource` refers to, by the kind's schema.
    pub(crate) fn dependencies_of(&self, resource: &LiveResource) -> Vec<Address> {
        let mut out: Vec<Address> = resource
            .referenced_ids()
            .into_iter()
            .filter_map(|(kinds, id)| {
                self.by_id
                    .get(id)
                    .filter(|a| kinds.contains(&a.kind))
                    .map(|a| (*a).clone())
            })
            .filter(|a| a != &resource.address)
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The address a live resource's `recon:id` tag claims when discovery found it as a duplicate
/// of another (and gave it an address of its own).
pub(crate) fn claimed_address(live: &LiveResource) -> Option<&str> {
    live.tag(recon_model::tags::ID)
        .filter(|claimed| *claimed != live.address.to_string())
}
