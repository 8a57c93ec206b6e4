//! `net/public-ip-in-private-subnet`: an instance, launch template or subnet asking for public
//! IPv4 addresses in a private subnet.
//!
//! From the "irb" environment: the compute launch template, in the private subnet, asked for a
//! public IP. In a subnet with no route to an internet gateway the address does nothing but
//! suggest the host is reachable; in a subnet wrongly routed to one, it exposes a host meant to
//! be private. Either way the spec says two contradicting things.
//!
//! A subnet is private when it is declared `tier: private` or has no route to an internet
//! gateway. Checked: `map_public_ip_on_launch: true` on such a subnet; `associate_public_ip:
//! true` on a launch template or instance that launches in one (the instance's own subnet, or
//! its launch template's).
//!
//! Severity error: the host's exposure contradicts the subnet's.

use recon_model::{DesiredResource, Kind, Spec};

use crate::facts::{flag, is_private, of_kind, reference, why_private};
use crate::{Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "net/public-ip-in-private-subnet",
    severity: Severity::Error,
    summary: "A public IPv4 address is asked for in a private subnet.",
    help: "remove `associate_public_ip: true` (or `map_public_ip_on_launch: true`); reach private hosts through a bastion or VPN, and let them out through a NAT gateway",
    check,
};

fn private_subnet<'a>(spec: &'a Spec, resource: &DesiredResource) -> Option<&'a DesiredResource> {
    let subnet = spec.get(reference(resource, "subnet")?)?;
    is_private(spec, subnet).then_some(subnet)
}

fn check(spec: &Spec) -> Vec<Finding> {
    let mut out = Vec::new();
    for subnet in of_kind(spec, Kind::Subnet) {
        if flag(subnet, "map_public_ip_on_launch") == Some(true) && is_private(spec, subnet) {
            out.push(RULE.finding(
                &subnet.address,
                &["map_public_ip_on_launch"],
                format!(
                    "`{}` gives instances public IPs, but {}",
                    subnet.address,
                    why_private(subnet)
                ),
                "public IPs in a private subnet",
            ));
        }
    }
    for template in of_kind(spec, Kind::LaunchTemplate) {
        if flag(template, "associate_public_ip") != Some(true) {
            continue;
        }
        if let Some(subnet) = private_subnet(spec, template) {
            out.push(RULE.finding(
                &template.address,
                &["associate_public_ip"],
                format!(
                    "`{}` asks for a public IP in `{}`, but {}",
                    template.address,
                    subnet.address,
                    why_private(subnet)
                ),
                "public IP in a private subnet",
            ));
        }
    }
    for instance in of_kind(spec, Kind::Instance) {
        let template = reference(instance, "launch_template").and_then(|a| spec.get(a));
        let (public, path) = match flag(instance, "associate_public_ip") {
            Some(p) => (p, "associate_public_ip"),
            // Only the instance's own subnet is its own mistake; the template's is reported
            // on the template.
            None => (
                instance.attrs.contains_key("subnet")
                    && template.and_then(|t| flag(t, "associate_public_ip")) == Some(true),
                "subnet",
            ),
        };
        if !public {
            continue;
        }
        let subnet = if instance.attrs.contains_key("subnet") {
            private_subnet(spec, instance)
        } else {
            template.and_then(|t| private_subnet(spec, t))
        };
        if let Some(subnet) = subnet {
            out.push(RULE.finding(
                &instance.address,
                &[path],
                format!(
                    "`{}` asks for a public IP in `{}`, but {}",
                    instance.address,
                    subnet.address,
                    why_private(subnet)
                ),
                "public IP in a private subnet",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::test_support::{NETWORK, check};

    const TEMPLATE: &str = "
  launch_template.compute: { image: ami-1, instance_type: t3.micro, subnet: subnet.private, associate_public_ip: true }
  instance.compute: { launch_template: launch_template.compute }
";

    #[test]
    fn a_launch_template_asking_for_a_public_ip_in_the_private_subnet_is_found() {
        assert_eq!(
            check(&RULE, &format!("{NETWORK}{TEMPLATE}")),
            ["net/public-ip-in-private-subnet launch_template.compute associate_public_ip"]
        );
    }

    #[test]
    fn no_public_ip_or_a_public_subnet_is_fine() {
        let private = TEMPLATE.replace(", associate_public_ip: true", "");
        assert!(check(&RULE, &format!("{NETWORK}{private}")).is_empty());
        let public = TEMPLATE.replace("subnet.private", "subnet.public");
        assert!(check(&RULE, &format!("{NETWORK}{public}")).is_empty());
    }

    #[test]
    fn instances_and_subnets_are_checked_too() {
        let spec = format!(
            "{}  instance.jupyter: {{ image: ami-1, instance_type: t3.micro, subnet: subnet.private, associate_public_ip: true }}\n",
            NETWORK.replace(
                "tier: private",
                "tier: private, map_public_ip_on_launch: true"
            )
        );
        assert_eq!(
            check(&RULE, &spec),
            [
                "net/public-ip-in-private-subnet subnet.private map_public_ip_on_launch",
                "net/public-ip-in-private-subnet instance.jupyter associate_public_ip",
            ]
        );
    }
}
