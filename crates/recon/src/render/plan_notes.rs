//! What both plan renderers say beyond the diffs: the data a plan loses, moves, adoptions, and
//! what an in-place change does to a running resource. Pure; no IO, no clock.

use recon_model::{Action, Change, DataLoss, Kind, Plan};

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
                },
                DataLoss {
                    address: "kms_key.old".parse().unwrap(),
                    id: "key-1".into(),
                    action: Action::Delete,
                    what: "the key, deleted 7 days after the apply (it can be cancelled until then); everything encrypted with it becomes unreadable".into(),
                },
            ],
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
