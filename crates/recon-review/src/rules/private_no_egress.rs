//! `vpc/private-fetch-unreachable`: a launch template whose user data fetches something at
//! boot, launched into subnets with no route out (no NAT or internet gateway) and no VPC
//! endpoint for what it fetches.
//!
//! From the "catalog" environment: each project's VPC has private subnets only, and the first
//! project's instances hung at boot on `pip install` and `dnf install` until someone added a
//! NAT gateway the template did not allow. In such a VPC, S3 (and with it Amazon Linux's
//! package repositories) is reached through an `s3` gateway endpoint, and anything else (a
//! package mirror) through an interface endpoint.
//!
//! What counts as a fetch: `dnf`, `yum`, `aws s3` and `s3://` need S3; `pip`, `apt`, `curl`,
//! `wget` and `http(s)://` need a route out or an interface endpoint (a mirror). The rule
//! cannot know which host an interface endpoint serves, so any interface endpoint in the VPC
//! satisfies the second group.
//!
//! Severity warning: the instances launch, but what they fetch never arrives.

use recon_model::{Address, DesiredResource, Kind, Spec};

use crate::facts::{of_kind, reference, references, route_tables_of, text};
use crate::{Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "vpc/private-fetch-unreachable",
    severity: Severity::Warning,
    summary: "Instances in subnets with no route out fetch something at boot that no VPC endpoint serves.",
    help: "add a `vpc_endpoint` for what the user data fetches (`s3` as a gateway for dnf, yum and S3; an interface endpoint for a package mirror), or a route through a NAT gateway",
    check,
};

const NEEDS_S3: &[&str] = &["dnf ", "yum ", "aws s3", "s3://"];
const NEEDS_OUT: &[&str] = &[
    "pip ", "pip3 ", "apt ", "apt-get ", "curl ", "wget ", "http://", "https://",
];

fn check(spec: &Spec) -> Vec<Finding> {
    let mut out = Vec::new();
    for template in of_kind(spec, Kind::LaunchTemplate) {
        let Some(user_data) = text(template, "user_data") else {
            continue;
        };
        let needs_s3 = NEEDS_S3.iter().any(|w| user_data.contains(w));
        let needs_out = NEEDS_OUT.iter().any(|w| user_data.contains(w));
        if !needs_s3 && !needs_out {
            continue;
        }
        for subnet in subnets_launched_into(spec, &template.address, template) {
            if has_route_out(spec, subnet) {
                continue;
            }
            let Some(vpc) = reference(subnet, "vpc") else {
                continue;
            };
            let endpoints: Vec<&DesiredResource> = of_kind(spec, Kind::VpcEndpoint)
                .filter(|e| reference(e, "vpc") == Some(vpc))
                .collect();
            let s3 = endpoints.iter().any(|e| text(e, "service") == Some("s3"));
            let interface = endpoints
                .iter()
                .any(|e| text(e, "endpoint_type") == Some("Interface"));
            let missing = match (needs_s3 && !s3, needs_out && !interface) {
                (true, true) => "S3 and the internet",
                (true, false) => "S3",
                (false, true) => "the internet",
                (false, false) => continue,
            };
            out.push(RULE.finding(
                &template.address,
                &["user_data"],
                format!(
                    "`{}` fetches from {missing} at boot, but `{}` has no route out and no endpoint for it",
                    template.address, subnet.address
                ),
                "fetched at boot",
            ));
            break;
        }
    }
    out
}

/// The subnets instances of `template` start in: its own, its instances', its groups'.
fn subnets_launched_into<'a>(
    spec: &'a Spec,
    address: &Address,
    template: &'a DesiredResource,
) -> Vec<&'a DesiredResource> {
    let mut addresses: Vec<&Address> = reference(template, "subnet").into_iter().collect();
    for instance in of_kind(spec, Kind::Instance) {
        if reference(instance, "launch_template") == Some(address) {
            addresses.extend(reference(instance, "subnet"));
        }
    }
    for group in of_kind(spec, Kind::AutoscalingGroup) {
        if reference(group, "launch_template") == Some(address) {
            addresses.extend(references(group, "subnets"));
        }
    }
    of_kind(spec, Kind::Subnet)
        .filter(|s| addresses.contains(&&s.address))
        .collect()
}

/// Whether a route table serving the subnet sends `0.0.0.0/0` anywhere (an internet or NAT
/// gateway).
fn has_route_out(spec: &Spec, subnet: &DesiredResource) -> bool {
    route_tables_of(spec, subnet).iter().any(|t| {
        t.attrs
            .get("routes")
            .map(|r| r.as_list())
            .unwrap_or_default()
            .iter()
            .any(|r| {
                r.as_map()
                    .and_then(|m| m.get("destination"))
                    .and_then(|d| d.as_str())
                    == Some("0.0.0.0/0")
            })
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::test_support::{NETWORK, check};

    const ISOLATED: &str = "
  vpc.p: { cidr_block: 10.9.0.0/16 }
  subnet.p: { vpc: vpc.p, cidr_block: 10.9.1.0/24, tier: private }
  route_table.p: { vpc: vpc.p, subnets: [subnet.p] }
";

    #[test]
    fn fetches_with_no_way_out_are_found() {
        let spec = format!(
            "{ISOLATED}
  launch_template.app: {{ image: ami-1, subnet: subnet.p, user_data: \"#!/bin/sh\\ndnf install -y git\\npip install pandas\\n\" }}
"
        );
        assert_eq!(
            check(&RULE, &spec),
            ["vpc/private-fetch-unreachable launch_template.app user_data"]
        );
    }

    #[test]
    fn endpoints_or_a_nat_route_satisfy_it() {
        let endpoints = format!(
            "{ISOLATED}
  security_group.mirror: {{ vpc: vpc.p }}
  vpc_endpoint.s3: {{ vpc: vpc.p, service: s3, route_tables: [route_table.p] }}
  vpc_endpoint.mirror: {{ vpc: vpc.p, service: com.amazonaws.vpce.us-east-1.vpce-svc-0123, endpoint_type: Interface, subnets: [subnet.p], security_groups: [security_group.mirror] }}
  launch_template.app: {{ image: ami-1, subnet: subnet.p, user_data: \"dnf install -y git; pip install pandas\" }}
"
        );
        assert!(check(&RULE, &endpoints).is_empty());
        let nat = format!(
            "{NETWORK}
  launch_template.app: {{ image: ami-1, subnet: subnet.private, user_data: \"pip install pandas\" }}
"
        );
        assert!(check(&RULE, &nat).is_empty());
    }
}
