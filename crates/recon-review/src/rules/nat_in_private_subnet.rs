//! `net/nat-in-private-subnet`: a public NAT gateway in a subnet with no route to an internet
//! gateway.
//!
//! From the "irb" environment: the notebook placed the NAT gateway in the private subnet it was
//! meant to serve. A NAT gateway forwards to the internet through *its own* subnet's route
//! table, so there it has no way out and the private subnet has no outbound access at all.
//!
//! Severity error: the environment cannot work as written. A private NAT gateway
//! (`connectivity_type: private`) is not concerned.

use recon_model::{Kind, Spec};

use crate::facts::{is_public, of_kind, reference, text};
use crate::{Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "net/nat-in-private-subnet",
    severity: Severity::Error,
    summary: "A public NAT gateway sits in a subnet with no route to an internet gateway.",
    help: "put the NAT gateway in a public subnet (one whose route table sends 0.0.0.0/0 to an internet gateway); the private subnet's route table points at the NAT gateway",
    check,
};

fn check(spec: &Spec) -> Vec<Finding> {
    let mut out = Vec::new();
    for nat in of_kind(spec, Kind::NatGateway) {
        if text(nat, "connectivity_type") == Some("private") {
            continue;
        }
        let Some(subnet) = reference(nat, "subnet").and_then(|a| spec.get(a)) else {
            continue;
        };
        if !is_public(spec, subnet) {
            out.push(RULE.finding(
                &nat.address,
                &["subnet"],
                format!(
                    "NAT gateway `{}` is in `{}`, which has no route to an internet gateway",
                    nat.address, subnet.address
                ),
                "not a public subnet",
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
    fn a_nat_gateway_in_the_private_subnet_is_found() {
        let spec = NETWORK.replace(
            "nat_gateway.main: { subnet: subnet.public",
            "nat_gateway.main: { subnet: subnet.private",
        );
        assert_eq!(
            check(&RULE, &spec),
            ["net/nat-in-private-subnet nat_gateway.main subnet"]
        );
    }

    #[test]
    fn a_nat_gateway_in_the_public_subnet_is_fine() {
        assert!(check(&RULE, NETWORK).is_empty());
    }

    #[test]
    fn the_vpc_main_table_counts_for_subnets_without_their_own() {
        // The public subnet has no association, but the main table routes to the gateway.
        let spec = NETWORK.replace("    subnets: [subnet.public]\n", "    main: true\n");
        assert!(check(&RULE, &spec).is_empty(), "{:?}", check(&RULE, &spec));
    }
}
