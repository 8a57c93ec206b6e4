//! `vpc/flow-log-missing`: a VPC whose spec says its data is held under a compliance regime
//! (`compliance: [irb]`) but whose traffic no flow log records.
//!
//! From the "catalog" environment: its published template assumed "flow logs and audit trails
//! are on", and nothing in it turned them on. An IRB's or HIPAA's audit asks who talked to the
//! data's hosts; without flow logs nobody can say. The VPC's `compliance` field states the
//! intent; a `flow_log` for the VPC, or one for each of its subnets, satisfies it.
//!
//! Severity error: the author declared the regime, and a flow log is one resource to add.

use recon_model::{Address, Kind, Spec};

use crate::facts::{of_kind, reference};
use crate::{Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "vpc/flow-log-missing",
    severity: Severity::Error,
    summary: "A VPC declared under a compliance regime has no flow log.",
    help: "add a `flow_log` with `vpc:` naming it, delivering to a `log_group` (with a `role`) or an `s3_bucket`",
    check,
};

fn check(spec: &Spec) -> Vec<Finding> {
    let recorded: Vec<&Address> = of_kind(spec, Kind::FlowLog)
        .filter_map(|f| reference(f, "vpc").or_else(|| reference(f, "subnet")))
        .collect();
    let mut out = Vec::new();
    for vpc in of_kind(spec, Kind::Vpc) {
        let regimes = vpc
            .attrs
            .get("compliance")
            .map(|v| v.as_list())
            .unwrap_or_default();
        if regimes.is_empty() || recorded.contains(&&vpc.address) {
            continue;
        }
        let subnets: Vec<&Address> = of_kind(spec, Kind::Subnet)
            .filter(|s| reference(s, "vpc") == Some(&vpc.address))
            .map(|s| &s.address)
            .collect();
        if !subnets.is_empty() && subnets.iter().all(|s| recorded.contains(s)) {
            continue;
        }
        let names: Vec<String> = regimes
            .iter()
            .filter_map(|r| r.as_str())
            .map(|r| format!("`{r}`"))
            .collect();
        out.push(RULE.finding(
            &vpc.address,
            &["compliance"],
            format!(
                "VPC `{}` holds {} data, but no flow log records its traffic",
                vpc.address,
                names.join(" and ")
            ),
            "no flow log",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::test_support::check;

    const LOGS: &str = "
  iam_role.flow:
    trust_policy:
      Version: '2012-10-17'
      Statement: [{ Effect: Allow, Principal: { Service: vpc-flow-logs.amazonaws.com }, Action: sts:AssumeRole }]
  log_group.flow: {}
";

    #[test]
    fn a_declared_vpc_without_a_flow_log_is_found() {
        let spec = format!(
            "{LOGS}
  vpc.data: {{ cidr_block: 10.0.0.0/16, compliance: [irb] }}
  vpc.plain: {{ cidr_block: 10.1.0.0/16 }}
"
        );
        assert_eq!(
            check(&RULE, &spec),
            ["vpc/flow-log-missing vpc.data compliance"]
        );
    }

    #[test]
    fn a_flow_log_for_the_vpc_or_every_subnet_satisfies_it() {
        let spec = format!(
            "{LOGS}
  vpc.a: {{ cidr_block: 10.0.0.0/16, compliance: [irb] }}
  flow_log.a: {{ vpc: vpc.a, log_group: log_group.flow, role: iam_role.flow }}
  vpc.b: {{ cidr_block: 10.1.0.0/16, compliance: [hipaa] }}
  subnet.b: {{ vpc: vpc.b, cidr_block: 10.1.1.0/24 }}
  flow_log.b: {{ subnet: subnet.b, log_group: log_group.flow, role: iam_role.flow }}
"
        );
        assert!(check(&RULE, &spec).is_empty());
    }
}
