//! The review's part of the plan text: warnings (also on stderr with their source lines) and
//! silenced findings with the reason each was silenced, so that whoever reviews the plan sees
//! every accepted risk and why.
//!
//! ```text
//! Review warnings:
//!   - net/admin-port-open at spec.yaml:70:43 (security_group.dmz)
//!     `security_group.dmz` admits SSH (22) from the whole internet
//!
//! Silenced review findings:
//!   - net/admin-port-open at spec.yaml:62:43 (security_group.bastion)
//!     `security_group.bastion` admits SSH (22) from the whole internet
//!     reason: The bastion is the only way in; SSH keys only, access logged.
//! ```

use std::fmt::Write;

use recon_review::{Finding, Review};
use recon_spec::Positions;

fn item(out: &mut String, positions: &Positions, f: &Finding) {
    let r = positions.region(positions.span(&f.address, &f.path));
    let _ = writeln!(
        out,
        "  - {} at {}:{}:{} ({})\n    {}",
        f.rule,
        positions.file(),
        r.start_line,
        r.start_column,
        f.address,
        f.message
    );
}

/// Empty when the review found nothing at all.
pub fn render(review: &Review, positions: &Positions) -> String {
    let mut out = String::new();
    if review.warnings().next().is_some() {
        out.push_str("\nReview warnings:\n");
        for f in review.warnings() {
            item(&mut out, positions, f);
        }
    }
    if !review.silenced.is_empty() {
        out.push_str("\nSilenced review findings:\n");
        for s in &review.silenced {
            item(&mut out, positions, &s.finding);
            let _ = writeln!(out, "    reason: {}", s.reason);
        }
    }
    out
}

/// The review's warnings and silenced findings (with their reasons) as the Markdown plan's
/// warnings section lists them.
pub fn for_markdown(review: &Review, positions: &Positions) -> Vec<super::plan_markdown::Warning> {
    let warning = |f: &recon_review::Finding, message: String| super::plan_markdown::Warning {
        id: f.rule.to_owned(),
        address: Some(f.address.to_string()),
        line: Some(
            positions
                .region(positions.span(&f.address, &f.path))
                .start_line,
        ),
        message,
    };
    review
        .warnings()
        .map(|f| warning(f, f.message.clone()))
        .chain(review.silenced.iter().map(|s| {
            warning(
                &s.finding,
                format!("{} (silenced: {})", s.finding.message, s.reason),
            )
        }))
        .collect()
}

#[cfg(test)]
mod tests {
    const SPEC: &str = "environment: demo
region: us-east-1
resources:
  vpc.main: { cidr_block: 10.0.0.0/16 }
  security_group.bastion:
    vpc: vpc.main
    ingress: [ { protocol: tcp, ports: 22, from: 0.0.0.0/0 } ]
    review:
      silence:
        - { rule: net/admin-port-open, reason: the only way in }
  security_group.web:
    vpc: vpc.main
    ingress: [ { protocol: tcp, ports: 3389, from: 0.0.0.0/0 } ]
";

    #[test]
    fn warnings_and_silenced_findings_are_listed_with_positions_and_reasons() {
        let parsed = recon_spec::parse_document(&recon_spec::SourceFile {
            name: "spec.yaml".into(),
            text: SPEC.into(),
        })
        .unwrap();
        let review = recon_review::review(&parsed.spec, &parsed.silences);
        assert_eq!(
            super::render(&review, &parsed.positions),
            "
Review warnings:
  - net/admin-port-open at spec.yaml:13:52 (security_group.web)
    `security_group.web` admits RDP (3389) from the whole internet

Silenced review findings:
  - net/admin-port-open at spec.yaml:7:50 (security_group.bastion)
    `security_group.bastion` admits SSH (22) from the whole internet
    reason: the only way in
"
        );
    }
}
