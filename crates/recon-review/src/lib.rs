//! Review rules: mistakes a spec can be valid with, found before any AWS call.
//!
//! The spec parser says whether a spec *can* be applied; the review rules say whether it
//! *should* be: a NAT gateway in a subnet with no way to the internet, a private subnet routed
//! to an internet gateway, SSH open to the world, a file system compute cannot mount, data left
//! unencrypted. Each rule comes from a mistake made by hand in one of the environments recon was
//! built for ("irb", "research", "web"; their original versions are under `tests/fixtures/`),
//! and its module says which.
//!
//! ```text
//! Spec + silences ──review()──▶ Review { findings, silenced }
//! ```
//!
//! A rule is one module under [`rules`], exposing a [`Rule`]: an id (`net/admin-port-open`),
//! a severity, a one-line summary, the fix, and a check over the whole spec that returns
//! [`Finding`]s, each at an address and a path inside the resource (as a kind's `Problem` is),
//! so the caller can point at the offending value. [`ALL`] lists the rules; adding one is one
//! module and one line there.
//!
//! A resource silences a rule with an annotation that names it and says why:
//!
//! ```yaml
//! security_group.bastion:
//!   review:
//!     silence:
//!       - rule: net/admin-port-open
//!         reason: "The bastion is the only way in; SSH keys only, access logged."
//! ```
//!
//! Silenced findings are kept, with their reason, for the plan and SARIF to show.
//!
//! # Architecture invariants
//! - Pure: a spec in, findings out. No IO, no AWS, no rendering; the CLI turns findings into
//!   diagnostics with positions (through `recon-spec`) and decides what stops a plan.
//! - Deterministic: findings come in spec order (the resource's position in the file), then in
//!   rule order.
//! - A rule reads only the spec: what AWS has is unknown here, so a rule fires only on what the
//!   spec says (or leaves out), never on a guess about live resources.

mod facts;
pub mod rules;

use std::fmt;

use recon_model::{Address, Silence, Spec};

/// How bad a finding is. Errors stop `recon plan` and `recon apply`; warnings are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    /// `error` or `warning` (SARIF's `level` words).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One review rule.
#[derive(Debug)]
pub struct Rule {
    /// `area/what`, e.g. `net/nat-in-private-subnet`: what annotations name.
    pub id: &'static str,
    pub severity: Severity,
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// One line: the usual fix.
    pub help: &'static str,
    pub check: fn(&Spec) -> Vec<Finding>,
}

impl Rule {
    /// A finding of this rule at `path` inside `address`, with the rule's help.
    pub fn finding(
        &'static self,
        address: &Address,
        path: &[&str],
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Finding {
        Finding {
            rule: self.id,
            severity: self.severity,
            address: address.clone(),
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            message: message.into(),
            label: label.into(),
            help: self.help.to_owned(),
        }
    }
}

/// What a rule found, at the value (a path inside a resource's fields, like a kind's
/// `Problem`) that causes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub address: Address,
    /// Inside the resource: `["ingress", "0", "from"]`; `[]` is the resource itself.
    pub path: Vec<String>,
    pub message: String,
    /// A few words under the offending value.
    pub label: String,
    /// The fix.
    pub help: String,
}

impl Finding {
    /// A finding with a help line made for it rather than the rule's.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = help.into();
        self
    }
}

/// Every rule, in the order findings are reported for one resource.
pub static ALL: &[&Rule] = &[
    &rules::nat_in_private_subnet::RULE,
    &rules::private_subnet_internet_route::RULE,
    &rules::public_ip_in_private_subnet::RULE,
    &rules::admin_port_open::RULE,
    &rules::efs_mount_target_nfs_closed::RULE,
    &rules::efs_unencrypted::RULE,
    &rules::ebs_unencrypted::RULE,
    &rules::kms_rotation_disabled::RULE,
    &rules::imdsv1_allowed::RULE,
    &rules::private_no_egress::RULE,
    &rules::flow_log_missing::RULE,
    &rules::s3_public_access::RULE,
    &rules::s3_no_kms_key::RULE,
    &rules::iam_wildcard::RULE,
];

/// Findings about the annotations themselves: a `rule` that names no rule.
pub static UNKNOWN_RULE: Rule = Rule {
    id: "review/unknown-rule",
    severity: Severity::Error,
    summary: "A `review.silence` entry names a rule that does not exist.",
    help: "use one of the rule ids listed in docs/spec.md, \"Review rules\"",
    check: |_| Vec::new(),
};

/// Findings about the annotations themselves: a silence nothing needs.
pub static UNUSED_SILENCE: Rule = Rule {
    id: "review/unused-silence",
    severity: Severity::Warning,
    summary: "A `review.silence` entry silences nothing: the rule finds nothing on this resource.",
    help: "remove the entry, so that a later finding of this rule is not silenced unseen",
    check: |_| Vec::new(),
};

/// The rules about annotations, for listings (SARIF's rule table).
pub static META: &[&Rule] = &[&UNKNOWN_RULE, &UNUSED_SILENCE];

/// The rule with this id, among [`ALL`] and [`META`].
pub fn rule(id: &str) -> Option<&'static Rule> {
    ALL.iter().chain(META).copied().find(|r| r.id == id)
}

/// A finding an annotation silenced, with the annotation's reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Silenced {
    pub finding: Finding,
    pub reason: String,
}

/// The outcome of a review.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Review {
    /// Findings no annotation silences, and problems with the annotations themselves.
    pub findings: Vec<Finding>,
    /// Findings an annotation silenced.
    pub silenced: Vec<Silenced>,
}

impl Review {
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}

/// Runs every rule of [`ALL`] over `spec`, then applies `silences` (from the spec's
/// annotations).
///
/// # Guarantees
/// - A finding is silenced when a silence on its address names its rule; it moves to
///   [`Review::silenced`] with the reason.
/// - A silence naming no rule is an error finding ([`UNKNOWN_RULE`], with the closest id); one
///   that silences nothing is a warning ([`UNUSED_SILENCE`]). Both point at the silence's `rule`.
pub fn review(spec: &Spec, silences: &[Silence]) -> Review {
    review_with(ALL, spec, silences)
}

/// [`review`] with a chosen set of rules (tests run one rule at a time).
pub fn review_with(rules: &[&'static Rule], spec: &Spec, silences: &[Silence]) -> Review {
    let position = |a: &Address| spec.resources.iter().position(|r| &r.address == a);
    let mut found: Vec<(usize, Finding)> = Vec::new();
    for (order, rule) in rules.iter().enumerate() {
        for f in (rule.check)(spec) {
            found.push((order, f));
        }
    }
    found.sort_by(|(ra, a), (rb, b)| {
        (position(&a.address), ra, &a.path).cmp(&(position(&b.address), rb, &b.path))
    });

    let mut out = Review::default();
    let mut used = vec![false; silences.len()];
    for (_, finding) in found {
        let silence = silences
            .iter()
            .position(|s| s.address == finding.address && s.rule == finding.rule);
        match silence {
            Some(i) => {
                used[i] = true;
                out.silenced.push(Silenced {
                    finding,
                    reason: silences[i].reason.clone(),
                });
            }
            None => out.findings.push(finding),
        }
    }
    let mut annotation_findings = Vec::new();
    for (i, s) in silences.iter().enumerate() {
        let index = silences[..i]
            .iter()
            .filter(|o| o.address == s.address)
            .count()
            .to_string();
        let path = ["review", "silence", index.as_str(), "rule"];
        if rule(&s.rule).is_none_or(|r| META.iter().any(|m| m.id == r.id)) {
            let mut f = UNKNOWN_RULE.finding(
                &s.address,
                &path,
                format!(
                    "`{}` silences `{}`, which is not a review rule",
                    s.address, s.rule
                ),
                "no such rule",
            );
            if let Some(close) = closest(&s.rule) {
                f = f.help(format!("did you mean `{close}`?"));
            }
            annotation_findings.push(f);
        } else if !used[i] && rules.iter().any(|r| r.id == s.rule) {
            annotation_findings.push(UNUSED_SILENCE.finding(
                &s.address,
                &path,
                format!(
                    "`{}` silences `{}`, but the rule finds nothing here",
                    s.address, s.rule
                ),
                "silences nothing",
            ));
        }
    }
    out.findings.extend(annotation_findings);
    out
}

/// The rule id closest to `id` (by edit distance, within a third of its length).
fn closest(id: &str) -> Option<&'static str> {
    ALL.iter()
        .map(|r| (edit_distance(id, r.id), r.id))
        .filter(|(d, _)| *d <= id.len().max(3) / 3)
        .min()
        .map(|(_, id)| id)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests;
