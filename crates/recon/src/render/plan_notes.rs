//! Notes under a plan about what it does not change but a reader would assume it does.

use recon_model::{Action, Plan, Value};

/// A launch template change makes a new version; running instances launched from the template
/// keep the version they were launched with unless the plan replaces them (an instance follows
/// the template only with `launch_template_version: ${launch_template.<name>.latest_version}`).
/// One note per launch template that changes, naming the instances that keep the old version.
pub fn launch_template_notes(plan: &Plan) -> Vec<String> {
    let mut notes = Vec::new();
    for template in plan.changes.iter().filter(|c| {
        c.address.kind == recon_model::Kind::LaunchTemplate && c.action == Action::Update
    }) {
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
                l.address.kind == recon_model::Kind::Instance
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
