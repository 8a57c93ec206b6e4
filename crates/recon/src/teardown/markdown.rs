//! The Markdown rendering of a teardown record, for a compliance officer or an IRB: the same
//! facts as the JSON, quoting its seal. `recon verify-record` re-renders it from the JSON and
//! compares, so this function must stay a pure function of the record.

use std::fmt::Write as _;

use super::data::{self, DataStatus};
use super::{Entry, Outcome, Record, Status};

pub fn markdown(r: &Record) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Teardown record: environment `{}`\n", r.environment);
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| AWS account | {} |", r.run_by.account);
    let _ = writeln!(out, "| Run by | `{}` |", r.run_by.caller_arn);
    let _ = writeln!(out, "| Region | {} |", r.region);
    let _ = writeln!(out, "| recon version | {} |", r.run_by.recon_version);
    match &r.spec {
        Some(spec) => {
            let _ = writeln!(
                out,
                "| Spec | `{}` (sha256 `{}`) |",
                spec.absolute_path, spec.sha256
            );
            let commit = match &spec.git {
                Some(g) => format!(
                    "`{}` in `{}`; {}; {}",
                    g.commit,
                    g.repository,
                    if g.spec_committed {
                        "the spec is as committed"
                    } else {
                        "**the spec differs from the commit**"
                    },
                    if g.dirty {
                        "the repository had uncommitted changes"
                    } else {
                        "the repository was clean"
                    }
                ),
                None => "none: the spec is not in a Git repository".to_owned(),
            };
            let _ = writeln!(out, "| Spec commit | {commit} |");
            if let Some(inputs) = spec.inputs_cell() {
                let _ = writeln!(out, "| Parameters | {inputs} |");
            }
        }
        None => {
            let _ = writeln!(out, "| Spec | none (destroyed by environment name) |");
        }
    }
    let _ = writeln!(out, "| Started | {} |", r.started_at);
    let _ = writeln!(out, "| Finished | {} |", r.finished_at);
    let _ = writeln!(out, "| Outcome | {} |", outcome(r));
    let _ = writeln!(
        out,
        "| Record sha256 | `{}` |\n",
        r.record_sha256.as_deref().unwrap_or("unsealed")
    );
    resources(r, &mut out);
    remaining_data(r, &mut out);
    groups(r, &mut out);
    data_lost(r, &mut out);
    problems(r, &mut out);
    sweep(r, &mut out);
    let _ = writeln!(
        out,
        "\n## Checking this record\n\nThe JSON record carries `record_sha256`, the sha256 of its canonical form, quoted above. `recon verify-record <record>.json` recomputes it and checks that this Markdown is the rendering of that JSON: an edit to either is detected."
    );
    out
}

fn outcome(r: &Record) -> String {
    let kept = r.remaining_data.remaining().count();
    let data = match (&r.remaining_data.error, kept) {
        (Some(_), _) => "**copies of the data could not be looked for** (see below)".to_owned(),
        (None, 0) => "no copies of the data were found".to_owned(),
        (None, n) => format!("**{n} copies of the data remain** (see \"Data that remains\")"),
    };
    match r.outcome {
        Outcome::Complete => format!(
            "**Complete**: every resource confirmed gone (KMS keys: scheduled for deletion, dates below); {data}"
        ),
        Outcome::Incomplete => format!("**Incomplete**: see below; {data}"),
    }
}

fn status(e: &Entry) -> String {
    match e.status {
        Status::Deleted => "deleted".to_owned(),
        Status::ScheduledForDeletion => format!(
            "scheduled for deletion on {} (key material destroyed then)",
            e.key_material_destroyed_on.as_deref().unwrap_or("?")
        ),
        Status::Unconfirmed => "**not confirmed deleted**".to_owned(),
        Status::Failed => "**failed**".to_owned(),
        Status::Skipped => "**skipped**".to_owned(),
        Status::NotAttempted => "not attempted".to_owned(),
    }
}

fn resources(r: &Record, out: &mut String) {
    let _ = writeln!(out, "## Resources\n");
    let _ = writeln!(
        out,
        "| Kind | Address | AWS id | Status | Deletion requested | Confirmed gone |\n|---|---|---|---|---|---|"
    );
    for e in &r.resources {
        let _ = writeln!(
            out,
            "| {} | `{}` | `{}` | {} | {} | {} |",
            e.kind,
            e.address,
            e.id,
            status(e),
            e.requested_at.as_deref().unwrap_or("-"),
            e.confirmed_gone_at.as_deref().unwrap_or("-"),
        );
    }
}

fn remaining_data(r: &Record, out: &mut String) {
    let d = &r.remaining_data;
    let _ = writeln!(out, "\n## Data that remains\n");
    if let Some(e) = &d.error {
        let _ = writeln!(
            out,
            "**The search for backups and snapshots could not run**: {e}. Recovery points and snapshots of the environment's data may remain; check AWS Backup and EC2 snapshots by hand."
        );
        return;
    }
    let _ = writeln!(
        out,
        "AWS Backup recovery points of the environment's file systems and instance volumes, and EBS snapshots tagged `recon:env={}`, looked for in every backup vault of {}.\n",
        r.environment, r.region
    );
    let kept: Vec<_> = d.remaining().collect();
    if kept.is_empty() {
        let _ = writeln!(out, "None remain.");
    } else {
        let _ = writeln!(
            out,
            "These copies hold the environment's data until they expire or are deleted{}:\n",
            if r.delete_backups {
                ""
            } else {
                " (`recon destroy --delete-backups` deletes them)"
            }
        );
        let _ = writeln!(
            out,
            "| Kind | Of | Id | Vault | Made | Expiry | State |\n|---|---|---|---|---|---|---|"
        );
        for e in kept {
            let state = match e.status {
                DataStatus::Remains => "remains".to_owned(),
                _ => format!(
                    "**deletion not confirmed**: {}",
                    e.reason.as_deref().unwrap_or_default()
                ),
            };
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | {} | {} | {} | {state} |",
                e.kind.label(),
                of(e),
                e.id,
                e.vault
                    .as_deref()
                    .map_or("-".to_owned(), |v| format!("`{v}`")),
                e.created_at.as_deref().unwrap_or("-"),
                data::expiry(e),
            );
        }
    }
    let deleted: Vec<_> = d
        .items
        .iter()
        .filter(|e| e.status == DataStatus::Deleted)
        .collect();
    if !deleted.is_empty() {
        let _ = writeln!(out, "\n### Deleted with `--delete-backups`\n");
        let _ = writeln!(
            out,
            "| Kind | Of | Id | Deletion requested | Confirmed gone |\n|---|---|---|---|---|"
        );
        for e in deleted {
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | {} | {} |",
                e.kind.label(),
                of(e),
                e.id,
                e.deletion_requested_at.as_deref().unwrap_or("-"),
                e.confirmed_gone_at.as_deref().unwrap_or("-"),
            );
        }
    }
}

fn of(e: &data::DataEntry) -> String {
    match &e.of_address {
        Some(a) => format!("`{a}` (`{}`)", e.of),
        None => format!("`{}`", e.of),
    }
}

fn groups(r: &Record, out: &mut String) {
    let groups: Vec<&Entry> = r
        .resources
        .iter()
        .filter(|e| !e.instances.is_empty())
        .collect();
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## Instances of Auto Scaling groups\n");
    for e in groups {
        let fate = if e.status == Status::Deleted {
            "terminated by the group (scaled to zero) before it was deleted"
        } else {
            "the group was not deleted: they may remain"
        };
        let ids: Vec<String> = e.instances.iter().map(|i| format!("`{i}`")).collect();
        let _ = writeln!(out, "- `{}`: {}; {fate}", e.address, ids.join(", "));
    }
}

fn data_lost(r: &Record, out: &mut String) {
    let lost: Vec<(&Entry, &String)> = r
        .resources
        .iter()
        .filter_map(|e| Some((e, e.data_lost.as_ref()?)))
        .collect();
    if lost.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## Data deleted with its resource\n");
    for (e, what) in lost {
        let fate = if e.status == Status::Deleted {
            "deleted"
        } else {
            "not deleted: it remains"
        };
        let _ = writeln!(out, "- `{}` (`{}`): {what}; {fate}", e.address, e.id);
    }
}

fn problems(r: &Record, out: &mut String) {
    let problems: Vec<&Entry> = r.resources.iter().filter(|e| e.reason.is_some()).collect();
    if problems.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## Not deleted, or not confirmed\n");
    for e in problems {
        let _ = writeln!(
            out,
            "- `{}` (`{}`): {}",
            e.address,
            e.id,
            e.reason.as_deref().unwrap_or_default()
        );
    }
}

fn sweep(r: &Record, out: &mut String) {
    let _ = writeln!(out, "\n## Final sweep\n");
    let _ = writeln!(
        out,
        "A fresh discovery of resources tagged `recon:env={}` in {} at {} ({}):",
        r.environment,
        r.region,
        r.sweep.at,
        super::swept_kinds(&r.sweep)
    );
    match (&r.sweep.error, r.sweep.remaining.is_empty()) {
        (Some(e), _) => {
            let _ = writeln!(out, "\n**the sweep could not run**: {e}");
        }
        (None, true) => {
            let _ = writeln!(
                out,
                "\nno resource tagged with the environment remains (KMS keys pending deletion are no longer usable and are not listed)."
            );
        }
        (None, false) => {
            let _ = writeln!(out, "\nthese remain:\n");
            for x in &r.sweep.remaining {
                let _ = writeln!(out, "- `{x}`");
            }
        }
    }
}
