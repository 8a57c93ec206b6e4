//! `net/private-subnet-internet-route`: a subnet declared `tier: private` whose route table
//! sends `0.0.0.0/0` to an internet gateway.
//!
//! From the "research" environment: to install packages on the private Jupyter server, the
//! student pointed the Research subnet's route table at the internet gateway, which made the
//! subnet public: anything in it with a public address is reachable from the internet. The
//! right fix for outbound access is a NAT gateway in a public subnet.
//!
//! Severity error: the routes contradict what the spec says the subnet is. The finding is at
//! the route, because that is what to change.

use recon_model::{Kind, Spec};

use crate::facts::{internet_route, of_kind, route_tables_of, text};
use crate::{Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "net/private-subnet-internet-route",
    severity: Severity::Error,
    summary: "A route table sends 0.0.0.0/0 to an internet gateway for a subnet declared `tier: private`.",
    help: "route 0.0.0.0/0 to a NAT gateway (`nat_gateway: nat_gateway.<name>`, placed in a public subnet) instead; or, if the subnet is meant to be public, say `tier: public`",
    check,
};

fn check(spec: &Spec) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for subnet in of_kind(spec, Kind::Subnet) {
        if text(subnet, "tier") != Some("private") {
            continue;
        }
        for table in route_tables_of(spec, subnet) {
            let Some((i, gateway)) = internet_route(table) else {
                continue;
            };
            if out.iter().any(|f| f.address == table.address) {
                continue;
            }
            let index = i.to_string();
            out.push(RULE.finding(
                &table.address,
                &["routes", &index, "internet_gateway"],
                format!(
                    "`{}` sends 0.0.0.0/0 to `{gateway}`, but it serves `{}`, declared `tier: private`",
                    table.address, subnet.address
                ),
                "makes a private subnet public",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::test_support::{NETWORK, check};

    #[test]
    fn a_private_subnet_routed_to_the_internet_gateway_is_found() {
        let spec = NETWORK.replace(
            "{ destination: 0.0.0.0/0, nat_gateway: nat_gateway.main }",
            "{ destination: 0.0.0.0/0, internet_gateway: internet_gateway.main }",
        );
        assert_eq!(
            check(&RULE, &spec),
            ["net/private-subnet-internet-route route_table.private routes.0.internet_gateway"]
        );
    }

    #[test]
    fn a_private_subnet_routed_to_a_nat_gateway_is_fine() {
        assert!(check(&RULE, NETWORK).is_empty());
    }

    #[test]
    fn a_subnet_without_tier_is_not_judged() {
        let spec = NETWORK.replace(", tier: private", "").replace(
            "{ destination: 0.0.0.0/0, nat_gateway: nat_gateway.main }",
            "{ destination: 0.0.0.0/0, internet_gateway: internet_gateway.main }",
        );
        assert!(check(&RULE, &spec).is_empty());
    }
}
