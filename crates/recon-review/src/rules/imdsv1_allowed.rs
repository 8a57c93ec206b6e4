//! `ec2/imdsv1-allowed`: a launch template or instance that lets software on the instance use
//! IMDSv1, the instance metadata service without session tokens.
//!
//! From the "irb" and "research" environments, whose instances ran notebooks and web apps: with
//! IMDSv1, one server-side request forgery in such an app (fetch this URL for me) hands out the
//! instance role's credentials. IMDSv2 needs a session token from a PUT first, which those
//! requests cannot make. The environments' authors never set it: the launch templates and
//! instances took AWS's default, which allows IMDSv1.
//!
//! recon's launch templates require tokens by default (`http_tokens: required`); this rule
//! finds `http_tokens: optional` on a launch template or instance, and an instance launched
//! without a launch template that does not say `http_tokens: required` (it would take the
//! AMI's default, which allows IMDSv1 for most AMIs). An instance from a launch template takes
//! the template's setting.
//!
//! Severity warning: IMDSv1 is a risk only with software that fetches URLs for others, and
//! `http_tokens` changes in place on a launch template.

use recon_model::{Kind, Spec};

use crate::facts::{of_kind, text};
use crate::{Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "ec2/imdsv1-allowed",
    severity: Severity::Warning,
    summary: "A launch template or instance allows IMDSv1 (instance metadata without session tokens).",
    help: "set `http_tokens: required` (IMDSv2 only)",
    check,
};

fn check(spec: &Spec) -> Vec<Finding> {
    let mut out = Vec::new();
    for resource in of_kind(spec, Kind::LaunchTemplate).chain(of_kind(spec, Kind::Instance)) {
        match text(resource, "http_tokens") {
            Some("optional") => out.push(RULE.finding(
                &resource.address,
                &["http_tokens"],
                format!("`{}` allows IMDSv1", resource.address),
                "IMDSv1 allowed",
            )),
            None if resource.address.kind == Kind::Instance
                && !resource.attrs.contains_key("launch_template") =>
            {
                out.push(RULE.finding(
                    &resource.address,
                    &[],
                    format!(
                        "`{}` does not require IMDSv2: it takes its AMI's default, which usually allows IMDSv1",
                        resource.address
                    ),
                    "no `http_tokens`",
                ));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::test_support::check;

    #[test]
    fn optional_tokens_and_unset_instances_are_found() {
        let spec = "
  launch_template.web: { image: ami-1, http_tokens: optional }
  instance.vpn: { image: ami-1, instance_type: t3.micro }
";
        assert_eq!(
            check(&RULE, spec),
            [
                "ec2/imdsv1-allowed launch_template.web http_tokens",
                "ec2/imdsv1-allowed instance.vpn ",
            ]
        );
    }

    #[test]
    fn required_tokens_and_the_template_default_are_fine() {
        let spec = "
  launch_template.web: { image: ami-1 }
  instance.web: { launch_template: launch_template.web }
  instance.vpn: { image: ami-1, instance_type: t3.micro, http_tokens: required }
";
        assert!(check(&RULE, spec).is_empty());
    }
}
