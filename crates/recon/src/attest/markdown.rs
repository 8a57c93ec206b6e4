//! The Markdown rendering of a report, for an IRB or an auditor. A pure function of the
//! report: `recon verify-record` re-renders it from the JSON and compares.

use std::fmt::Write as _;

use super::Report;

pub fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Attestation: environment `{}` as live on {}\n",
        r.environment, r.at
    );
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| AWS account | {} |", r.run_by.account);
    let _ = writeln!(out, "| Read by | `{}` |", r.run_by.caller_arn);
    let _ = writeln!(out, "| Region | {} |", r.region);
    let _ = writeln!(out, "| recon version | {} |", r.run_by.recon_version);
    match &r.spec {
        Some(s) => {
            let _ = writeln!(
                out,
                "| Spec | `{}` (sha256 `{}`) |",
                s.absolute_path, s.sha256
            );
            let commit = match &s.git {
                Some(g) => format!(
                    "`{}`{}",
                    g.commit,
                    if g.spec_committed {
                        ""
                    } else {
                        " (**the spec differs from the commit**)"
                    }
                ),
                None => "none: not in a Git repository".to_owned(),
            };
            let _ = writeln!(out, "| Spec commit | {commit} |");
            if let Some(inputs) = s.inputs_cell() {
                let _ = writeln!(out, "| Parameters | {inputs} |");
            }
        }
        None => {
            let _ = writeln!(out, "| Spec | none (reported by environment name) |");
        }
    }
    let _ = writeln!(
        out,
        "| Report sha256 | `{}` |\n",
        r.record_sha256.as_deref().unwrap_or("unsealed")
    );
    let _ = writeln!(
        out,
        "Made with read-only calls. Everything below is what AWS reported for resources tagged `recon:env={}`.\n",
        r.environment
    );

    let _ = writeln!(out, "## Resources ({})\n", r.resources.len());
    let _ = writeln!(out, "| Kind | Address | AWS id |\n|---|---|---|");
    for o in &r.resources {
        let _ = writeln!(out, "| {} | `{}` | `{}` |", o.kind, o.address, o.id);
    }

    let _ = writeln!(out, "\n## Encryption at rest\n");
    if r.encryption.is_empty() {
        let _ = writeln!(
            out,
            "The environment has no file systems or instance volumes."
        );
    } else {
        let _ = writeln!(
            out,
            "| Store | Address | AWS id | Encrypted | KMS key |\n|---|---|---|---|---|"
        );
        for s in &r.encryption {
            let key = match (&s.kms_key, &s.kms_key_address) {
                (Some(k), Some(a)) => format!("`{a}` (`{k}`)"),
                (Some(k), None) => format!("`{k}` (not the environment's)"),
                (None, _) if s.encrypted => "AWS-managed key".to_owned(),
                (None, _) => "-".to_owned(),
            };
            let _ = writeln!(
                out,
                "| {} | `{}` | `{}` | {} | {key} |",
                s.store,
                s.address,
                s.id,
                if s.encrypted { "yes" } else { "**no**" }
            );
        }
    }
    let _ = writeln!(
        out,
        "\nS3: recon manages no S3 buckets; none belong to this environment."
    );

    let _ = writeln!(out, "\n## Reachable from the internet\n");
    if r.internet.reachable.is_empty() {
        let _ = writeln!(out, "Nothing has a public address.");
    } else {
        let _ = writeln!(
            out,
            "| Address | AWS id | Public address | Open to the internet |\n|---|---|---|---|"
        );
        for e in &r.internet.reachable {
            let open = if e.open.is_empty() {
                "no rule admits the internet".to_owned()
            } else {
                e.open.join("; ")
            };
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} | {open} |",
                e.address, e.id, e.public_address
            );
        }
    }
    if !r.internet.open_rules.is_empty() {
        let _ = writeln!(out, "\nSecurity group rules open to the world:\n");
        for o in &r.internet.open_rules {
            let _ = writeln!(
                out,
                "- `{}` (`{}`): {} {} from {}",
                o.address, o.id, o.protocol, o.ports, o.from
            );
        }
    }

    let _ = writeln!(out, "\n## Who can decrypt\n");
    if r.decrypt.is_empty() {
        let _ = writeln!(out, "The environment has no KMS keys.");
    }
    for k in &r.decrypt {
        let _ = writeln!(out, "- `{}` (`{}`):", k.address, k.id);
        if k.grants.is_empty() {
            let _ = writeln!(out, "  - no grants");
        }
        for g in &k.grants {
            let _ = writeln!(
                out,
                "  - grant `{}`: `{}` may {}",
                g.name,
                g.grantee_principal,
                g.operations.join(", ")
            );
        }
    }
    if !r.decrypt.is_empty() {
        let _ = writeln!(
            out,
            "\nThe keys' policies also grant access (at least to the account's administrators); they are not read here."
        );
    }

    let _ = writeln!(out, "\n## Backups\n");
    if r.backups.is_empty() {
        let _ = writeln!(out, "The environment has no file systems.");
    }
    for b in &r.backups {
        let state = match b.automatic_backups {
            Some(true) => "on (AWS Backup keeps recovery points after the file system is deleted)",
            Some(false) => "**off**",
            None => "unknown (AWS did not say)",
        };
        let _ = writeln!(
            out,
            "- `{}` (`{}`): automatic backups {state}",
            b.address, b.id
        );
    }

    let _ = writeln!(out, "\n## Review of the spec\n");
    match &r.review {
        None => {
            let _ = writeln!(out, "No spec given: no review.");
        }
        Some(f) if f.is_empty() => {
            let _ = writeln!(out, "The review rules found nothing.");
        }
        Some(findings) => {
            for f in findings {
                let silenced = f
                    .silenced_because
                    .as_deref()
                    .map(|why| format!(" (silenced: \"{why}\")"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "- {} `{}` at `{}`: {}{silenced}",
                    f.severity, f.rule, f.address, f.message
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "\n## Checking this report\n\n`recon verify-record <report>.json` recomputes the sha256 above and checks that this Markdown is the rendering of that JSON."
    );
    out
}
