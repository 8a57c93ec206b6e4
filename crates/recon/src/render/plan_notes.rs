//! What both plan renderers say beyond the diffs: the data a plan loses, moves, adoptions,
//! what an in-place change does to a running resource, and what a plan does not change but a
//! reader would assume it does. Pure; no IO, no clock.

use recon_model::{Action, Change, DataLoss, Kind, Plan, Value};

/// Notes on one change, for a reviewer: where it was moved from, that it is adopted, that
/// the instance stops, that a protected resource stays protected.
pub fn notes(plan: &Plan, c: &Change) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(from) = plan.moved_from(&c.address) {
        out.push(format!(
            "moved from `{from}`: only its tags change, nothing is created or deleted"
        ));
    }
    if plan.adopts(&c.address) {
        out.push("adopted: recon writes its ownership tags first, then the changes".to_owned());
    }
    if c.address.kind == Kind::Instance
        && c.action == Action::Update
        && c.diffs.iter().any(|d| d.field == "instance_type")
    {
        out.push(
            "the instance will be stopped, its type changed, and started again (its root volume and private IP stay)"
                .to_owned(),
        );
    }
    if c.address.kind == Kind::Instance
        && c.action == Action::Update
        && c.diffs.iter().any(|d| d.field == "root_volume")
    {
        out.push(
            "its root volume is modified in place while it runs (ModifyVolume); grow the partition and file system inside the instance to use new space (`growpart`, then `xfs_growfs` or `resize2fs`); AWS allows one modification per volume every 6 hours"
                .to_owned(),
        );
    }
    out
}

/// One line per resource whose data the plan loses.
pub fn data_loss_line(d: &DataLoss) -> String {
    let how = match d.action {
        Action::Replace => "replaced",
        _ => "deleted",
    };
    format!("{} ({}), {how}: {}", d.address, d.id, d.what)
}

/// Adoptions of resources the plan has no change for (the others carry a note).
pub fn adoptions_without_changes(plan: &Plan) -> Vec<String> {
    plan.adopted
        .iter()
        .filter(|a| plan.change(&a.address).is_none())
        .map(|a| format!("{} ({}): adopted, no other change", a.address, a.id))
        .collect()
}

/// A launch template change makes a new version; running instances launched from the template
/// keep the version they were launched with unless the plan replaces them (an instance follows
/// the template only with `launch_template_version: ${launch_template.<name>.latest_version}`).
/// One note per launch template that changes, naming the instances that keep the old version.
pub fn launch_template_notes(plan: &Plan) -> Vec<String> {
    let mut notes = Vec::new();
    for template in plan
        .changes
        .iter()
        .filter(|c| c.address.kind == Kind::LaunchTemplate && c.action == Action::Update)
    {
        let Some(template_id) = &template.id else {
            continue;
        };
        let replaced = |address: &recon_model::Address| {
            plan.changes.iter().any(|c| {
                &c.address == address && matches!(c.action, Action::Replace | Action::Delete)
            })
        };
        let keeping: Vec<String> = plan
            .known
            .values()
            .filter(|l| {
                l.address.kind == Kind::Instance
                    && l.attrs.get("launch_template").and_then(Value::as_str) == Some(template_id)
                    && !replaced(&l.address)
            })
            .map(|l| {
                let version = l
                    .attrs
                    .get("launch_template_version")
                    .map(|v| match v {
                        Value::String(s) => format!(" (version {s})"),
                        other => format!(" (version {other})"),
                    })
                    .unwrap_or_default();
                format!("`{}`{version}", l.address)
            })
            .collect();
        if !keeping.is_empty() {
            notes.push(format!(
                "`{}` gets a new version; running {} {} keep{} the version {} launched from: replace {} (or set `launch_template_version: ${{{}.latest_version}}`) to use the new one.",
                template.address,
                if keeping.len() == 1 { "instance" } else { "instances" },
                keeping.join(", "),
                if keeping.len() == 1 { "s" } else { "" },
                if keeping.len() == 1 { "it was" } else { "they were" },
                if keeping.len() == 1 { "it" } else { "them" },
                template.address,
            ));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use recon_model::{
        Action, Adopt, AttrDiff, Change, DataLoss, Moved, PLAN_FORMAT_VERSION, Plan, PlanMode,
        Value,
    };

    fn tags(id: &str) -> Value {
        Value::Map(BTreeMap::from([
            ("recon:env".to_owned(), Value::str("irb")),
            ("recon:id".to_owned(), Value::str(id)),
        ]))
    }

    fn change(address: &str, action: Action, id: &str, diffs: Vec<AttrDiff>) -> Change {
        Change {
            address: address.parse().unwrap(),
            action,
            id: Some(id.into()),
            before: Some(BTreeMap::new()),
            after: (action != Action::Delete).then(BTreeMap::new),
            diffs,
            depends_on: vec![],
            live_depends_on: vec![],
            reason: (action == Action::Delete).then(|| "not in the spec".to_owned()),
        }
    }

    /// A plan that moves a file system, adopts a VPC, changes an instance's type, and deletes
    /// a key and a file system: every note and the data-loss section.
    fn plan() -> Plan {
        let diff = |field: &str, before: Value, after: Value| AttrDiff {
            field: field.into(),
            before: Some(before),
            after: Some(after),
            forces_replacement: false,
        };
        Plan {
            format_version: PLAN_FORMAT_VERSION,
            mode: PlanMode::Apply,
            environment: "irb".into(),
            region: "us-east-1".into(),
            spec: None,
            live_fingerprint: "f".into(),
            changes: vec![
                change(
                    "efs_file_system.old",
                    Action::Delete,
                    "fs-2",
                    vec![],
                ),
                change(
                    "efs_file_system.study",
                    Action::Update,
                    "fs-1",
                    vec![diff(
                        "tags",
                        tags("efs_file_system.data"),
                        tags("efs_file_system.study"),
                    )],
                ),
                change(
                    "instance.compute",
                    Action::Update,
                    "i-1",
                    vec![diff(
                        "instance_type",
                        Value::str("t3.small"),
                        Value::str("t3.large"),
                    )],
                ),
                change("kms_key.old", Action::Delete, "key-1", vec![]),
            ],
            unchanged: vec![],
            known: BTreeMap::new(),
            lookups: vec![],
            moved: vec![Moved {
                from: "efs_file_system.data".parse().unwrap(),
                to: "efs_file_system.study".parse().unwrap(),
            }],
            adopted: vec![Adopt {
                address: "vpc.main".parse().unwrap(),
                id: "vpc-0abc".into(),
            }],
            data_loss: vec![
                DataLoss {
                    address: "efs_file_system.old".parse().unwrap(),
                    id: "fs-2".into(),
                    action: Action::Delete,
                    what: "every file on the file system (5.0 GiB)".into(),
                    refused: false,
                },
                DataLoss {
                    address: "kms_key.old".parse().unwrap(),
                    id: "key-1".into(),
                    action: Action::Delete,
                    what: "the key, deleted 7 days after the apply (it can be cancelled until then); everything encrypted with it becomes unreadable".into(),
                    refused: false,
                },
            ],
            shaping: Default::default(),
        }
    }

    #[test]
    fn text_shows_data_loss_first_and_notes_on_changes() {
        insta::assert_snapshot!(
            "plan_text_lifecycle",
            super::super::plan_text::render(&plan())
        );
    }

    #[test]
    fn markdown_shows_data_loss_under_the_summary_and_notes() {
        insta::assert_snapshot!(
            "plan_markdown_lifecycle",
            super::super::plan_markdown::render(&plan(), &[])
        );
    }

    #[test]
    fn json_carries_moves_adoptions_and_data_loss() {
        let json = serde_json::to_value(plan()).unwrap();
        insta::assert_json_snapshot!(
            "plan_json_lifecycle",
            serde_json::json!({
                "moved": json["moved"],
                "adopted": json["adopted"],
                "data_loss": json["data_loss"],
            })
        );
    }
}

#[cfg(test)]
mod launch_template_tests {
    use super::launch_template_notes;

    fn plan(instance_action: Option<&str>) -> recon_model::Plan {
        let mut changes = vec![serde_json::json!({
            "address": "launch_template.compute", "action": "update", "id": "lt-1"
        })];
        if let Some(action) = instance_action {
            changes.push(serde_json::json!({
                "address": "instance.compute", "action": action, "id": "i-1"
            }));
        }
        let live = |address: &str, id: &str, attrs: serde_json::Value| serde_json::json!({ "address": address, "id": id, "state": "available", "attrs": attrs });
        serde_json::from_value(serde_json::json!({
            "format_version": 1, "mode": "apply", "environment": "irb", "region": "us-east-1",
            "live_fingerprint": "0",
            "changes": changes,
            "known": {
                "launch_template.compute": live("launch_template.compute", "lt-1", serde_json::json!({})),
                "instance.compute": live("instance.compute", "i-1", serde_json::json!({ "launch_template": "lt-1", "launch_template_version": "1" })),
                "instance.other": live("instance.other", "i-2", serde_json::json!({ "launch_template": "lt-9" })),
            }
        }))
        .unwrap()
    }

    #[test]
    fn a_template_change_names_the_instances_that_keep_the_old_version() {
        let notes = launch_template_notes(&plan(None));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].starts_with("`launch_template.compute` gets a new version; running instance `instance.compute` (version 1) keeps the version it was launched from"), "{}", notes[0]);
        assert!(!notes[0].contains("instance.other"));
        // An instance the plan replaces gets the new version: nothing to say.
        assert!(launch_template_notes(&plan(Some("replace"))).is_empty());
    }
}
