//! Moves, adoptions, ignored fields, targets and data loss: what the planner does around the
//! diff itself.

use std::collections::BTreeSet;

use recon_model::lifecycle;
use recon_model::tags::{ENV, ID};
use recon_model::{
    Action, Address, Adopt, Attrs, Change, DataLoss, LiveResource, Moved, Spec, Value,
};

use crate::planner::{PlanError, PlanOptions};

/// The live resources as the plan sees them, with the moves and adoptions to record.
pub(crate) struct Seen {
    pub live: Vec<LiveResource>,
    pub moved: Vec<Moved>,
    pub adopted: Vec<Adopt>,
}

/// The live resources as the plan sees them: moved ones at their new address, adopted ones
/// added with their ownership tags. Returns them with the moves and adoptions to record.
pub(crate) fn apply_lifecycle(
    spec: &Spec,
    discovered: Vec<LiveResource>,
    options: &PlanOptions,
) -> Result<Seen, PlanError> {
    let mut live = discovered;
    let mut moved = Vec::new();
    for m in &spec.lifecycle.moved {
        let from = live.iter().position(|r| r.address == m.from);
        let to = live.iter().find(|r| r.address == m.to);
        match (from, to) {
            (Some(_), Some(taken)) => {
                return Err(PlanError::MoveTargetTaken {
                    from: m.from.clone(),
                    to: m.to.clone(),
                    id: taken.id.clone(),
                });
            }
            (Some(i), None) => {
                live[i].address = m.to.clone();
                moved.push(m.clone());
            }
            // Moved by an earlier apply.
            (None, Some(_)) => {}
            (None, None) => {
                return Err(PlanError::MoveFromMissing {
                    from: m.from.clone(),
                    to: m.to.clone(),
                });
            }
        }
    }
    let mut adopted = Vec::new();
    for found in &options.adopted {
        if live.iter().any(|r| r.id == found.id) {
            // Adopted by an earlier apply: discovery found it by its tags.
            continue;
        }
        if let Some(taken) = live.iter().find(|r| r.address == found.address) {
            return Err(PlanError::AdoptTaken {
                address: found.address.clone(),
                id: found.id.clone(),
                live_id: taken.id.clone(),
            });
        }
        let mut r = found.clone();
        let mut tags = r
            .attrs
            .get("tags")
            .and_then(Value::as_map)
            .cloned()
            .unwrap_or_default();
        tags.insert(ENV.into(), Value::str(&spec.environment));
        tags.insert(ID.into(), Value::str(found.address.to_string()));
        r.attrs.insert("tags".into(), Value::Map(tags));
        adopted.push(Adopt {
            address: r.address.clone(),
            id: r.id.clone(),
        });
        live.push(r);
    }
    live.sort_by(|a, b| (&a.address, &a.id).cmp(&(&b.address, &b.id)));
    Ok(Seen {
        live,
        moved,
        adopted,
    })
}

/// Gives each ignored field its live value (or none, when AWS reports none).
pub(crate) fn keep_live(wanted: &mut Attrs, live: &Attrs, ignored: &[String]) {
    for field in ignored {
        match live.get(field) {
            Some(v) => {
                wanted.insert(field.clone(), v.clone());
            }
            None => {
                wanted.remove(field);
            }
        }
    }
}

/// The targets and everything they depend on in the spec, transitively. A target that is not
/// in the spec must be live (its change is a delete).
pub(crate) fn targeted(
    spec: &Spec,
    live: &[LiveResource],
    targets: &[Address],
) -> Result<BTreeSet<Address>, PlanError> {
    let mut keep = BTreeSet::new();
    let mut todo: Vec<Address> = Vec::new();
    for t in targets {
        if spec.get(t).is_none() && !live.iter().any(|r| &r.address == t) {
            return Err(PlanError::UnknownTarget(t.clone()));
        }
        todo.push(t.clone());
    }
    while let Some(a) = todo.pop() {
        if !keep.insert(a.clone()) {
            continue;
        }
        if let Some(wanted) = spec.get(&a) {
            todo.extend(wanted.dependencies());
        }
    }
    Ok(keep)
}

/// The data the deletes and replacements of `changes` lose, in address order.
pub(crate) fn data_loss(changes: &[Change], live: &[LiveResource]) -> Vec<DataLoss> {
    changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
        .filter_map(|c| {
            let r = live
                .iter()
                .find(|r| r.address == c.address && Some(&r.id) == c.id.as_ref())?;
            lifecycle::data_loss(c.action, r)
        })
        .collect()
}
