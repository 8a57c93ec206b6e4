//! `iam/instance-role-wildcard`: a role that EC2 instances act as (its trust policy admits
//! `ec2.amazonaws.com`) allowed every action (`*` or `*:*`), inline or by the AWS
//! `AdministratorAccess` policy.
//!
//! From the "research" environment, whose notebook instances were given an administrator role
//! "until we know what Jupyter needs": one notebook that runs untrusted code then owns the
//! account, data and audit trail included. An instance role should list the actions its
//! software uses (Session Manager's managed policy, `s3:GetObject` on one bucket).
//!
//! Severity error: it is the difference between losing one instance and losing the account.

use recon_model::{Kind, Spec, Value};

use crate::facts::of_kind;
use crate::{Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "iam/instance-role-wildcard",
    severity: Severity::Error,
    summary: "A role instances act as may do every action (`*:*`).",
    help: "list the actions the instance's software needs, on the resources it needs them on",
    check,
};

const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

fn check(spec: &Spec) -> Vec<Finding> {
    let mut out = Vec::new();
    for role in of_kind(spec, Kind::IamRole).filter(|r| for_instances(r.attrs.get("trust_policy")))
    {
        let managed = role
            .attrs
            .get("managed_policy_arns")
            .map(Value::as_list)
            .unwrap_or_default();
        if let Some(i) = managed.iter().position(|a| a.as_str() == Some(ADMIN)) {
            out.push(RULE.finding(
                &role.address,
                &["managed_policy_arns", &i.to_string()],
                format!("instance role `{}` has AdministratorAccess", role.address),
                "every action on every resource",
            ));
        }
        let inline = role
            .attrs
            .get("inline_policies")
            .map(Value::as_list)
            .unwrap_or_default();
        for (i, policy) in inline.iter().enumerate() {
            let document = policy.as_map().and_then(|m| m.get("policy"));
            if document.is_some_and(allows_everything) {
                out.push(RULE.finding(
                    &role.address,
                    &["inline_policies", &i.to_string(), "policy"],
                    format!("instance role `{}` allows every action", role.address),
                    "`Action: \"*\"` allowed",
                ));
            }
        }
    }
    out
}

/// Whether a trust policy lets EC2 (instances) assume the role.
fn for_instances(trust: Option<&Value>) -> bool {
    let Some(trust) = trust else { return false };
    recon_model::kinds::iam_role::statements(trust)
        .iter()
        .any(|s| {
            s.as_map()
                .and_then(|m| m.get("Principal"))
                .and_then(Value::as_map)
                .and_then(|p| p.get("Service"))
                .is_some_and(|svc| texts(svc).any(|t| t == "ec2.amazonaws.com"))
        })
}

/// Whether a policy has an `Allow` statement for every action.
fn allows_everything(policy: &Value) -> bool {
    recon_model::kinds::iam_role::statements(policy)
        .iter()
        .any(|s| {
            let Some(m) = s.as_map() else { return false };
            m.get("Effect").and_then(Value::as_str) == Some("Allow")
                && m.get("Action")
                    .is_some_and(|a| texts(a).any(|t| t == "*" || t == "*:*"))
        })
}

/// A policy value that is text or a list of text.
fn texts(v: &Value) -> impl Iterator<Item = &str> {
    let items: Vec<&str> = match v {
        Value::String(s) => vec![s.as_str()],
        Value::List(l) => l.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    items.into_iter()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::test_support::check;

    #[test]
    fn instance_roles_that_may_do_everything_are_found() {
        let spec = "
  iam_role.admin:
    trust_policy:
      Statement: [{ Effect: Allow, Principal: { Service: [ec2.amazonaws.com] }, Action: sts:AssumeRole }]
    managed_policy_arns: [arn:aws:iam::aws:policy/AdministratorAccess]
    inline_policies:
      - name: all
        policy: { Statement: [{ Effect: Allow, Action: '*:*', Resource: '*' }] }
  iam_role.flow:
    trust_policy:
      Statement: [{ Effect: Allow, Principal: { Service: vpc-flow-logs.amazonaws.com }, Action: sts:AssumeRole }]
    inline_policies:
      - name: all
        policy: { Statement: [{ Effect: Allow, Action: '*', Resource: '*' }] }
  iam_role.narrow:
    trust_policy:
      Statement: [{ Effect: Allow, Principal: { Service: ec2.amazonaws.com }, Action: sts:AssumeRole }]
    inline_policies:
      - name: read
        policy: { Statement: [{ Effect: Allow, Action: [s3:GetObject], Resource: '*' }] }
";
        assert_eq!(
            check(&RULE, spec),
            [
                "iam/instance-role-wildcard iam_role.admin inline_policies.0.policy",
                "iam/instance-role-wildcard iam_role.admin managed_policy_arns.0",
            ]
        );
    }
}
