//! `net/admin-port-open`: a security group admitting an administration port from the whole
//! internet.
//!
//! From all three environments: "irb" opened SSH on the bastion to the world, "research" opened
//! SSH and the OpenVPN admin UI (943) on the access server and, by not referencing the DMZ
//! group, SSH and Jupyter on the private servers; "web" opened SSH next to HTTP. Scanners find
//! such ports within minutes and try passwords and exploits on them.
//!
//! The administration ports: 22 (SSH), 23 (Telnet), 943 (OpenVPN Access Server admin UI),
//! 3389 (RDP), 5900 (VNC), 5985 and 5986 (WinRM), 8888 (Jupyter: a shell in the browser).
//! A rule admits one when its protocol is `tcp` or `all` and its ports include it. "The whole
//! internet" is a `from` of `0.0.0.0/0` (the spec has no IPv6 rules yet; `::/0` will count
//! when it does).
//!
//! Severity warning: sometimes deliberate (a bastion, a VPN server). Narrow the source, or
//! silence the rule on that group with the reason.

use recon_model::{Kind, Spec};

use crate::facts::{ingress, of_kind};
use crate::{Finding, Rule, Severity};

/// The ports this rule watches, with what usually listens there.
pub const ADMIN_PORTS: &[(u16, &str)] = &[
    (22, "SSH"),
    (23, "Telnet"),
    (943, "OpenVPN admin UI"),
    (3389, "RDP"),
    (5900, "VNC"),
    (5985, "WinRM"),
    (5986, "WinRM"),
    (8888, "Jupyter"),
];

pub static RULE: Rule = Rule {
    id: "net/admin-port-open",
    severity: Severity::Warning,
    summary: "A security group admits an administration port (SSH, RDP, …) from the whole internet.",
    help: "admit it from your institution's address range, a VPN's or bastion's security group (`from: security_group.<name>`), or use SSM Session Manager; if it is deliberate, silence the rule on this group with the reason",
    check,
};

fn check(spec: &Spec) -> Vec<Finding> {
    let mut out = Vec::new();
    for group in of_kind(spec, Kind::SecurityGroup) {
        for rule in ingress(group) {
            if rule.source_cidr().is_none_or(|c| c.prefix_len() != 0) {
                continue;
            }
            let open: Vec<String> = ADMIN_PORTS
                .iter()
                .filter(|(port, _)| rule.admits_tcp(*port))
                .map(|(port, name)| format!("{name} ({port})"))
                .collect();
            if open.is_empty() {
                continue;
            }
            let index = rule.index.to_string();
            out.push(RULE.finding(
                &group.address,
                &["ingress", &index, "from"],
                format!(
                    "`{}` admits {} from the whole internet",
                    group.address,
                    open.join(", ")
                ),
                "the whole internet",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::test_support::check;

    fn group(rule: &str) -> String {
        format!(
            "  vpc.main: {{ cidr_block: 10.0.0.0/16 }}\n  security_group.bastion:\n    vpc: vpc.main\n    ingress: [ {{ protocol: tcp, ports: 80, from: 0.0.0.0/0 }}, {rule} ]\n  security_group.vpn: {{ vpc: vpc.main }}\n"
        )
    }

    #[test]
    fn ssh_from_the_world_is_found() {
        assert_eq!(
            check(
                &RULE,
                &group("{ protocol: tcp, ports: 22, from: 0.0.0.0/0 }")
            ),
            ["net/admin-port-open security_group.bastion ingress.1.from"]
        );
        // A range, or every protocol, includes the admin ports too.
        assert_eq!(
            check(&RULE, &group("{ protocol: all, from: 0.0.0.0/0 }")).len(),
            1
        );
        assert_eq!(
            check(
                &RULE,
                &group("{ protocol: tcp, ports: 900-1000, from: 0.0.0.0/0 }")
            )
            .len(),
            1
        );
    }

    #[test]
    fn ssh_from_a_range_or_a_group_and_web_from_the_world_are_fine() {
        assert!(
            check(
                &RULE,
                &group("{ protocol: tcp, ports: 22, from: 10.0.0.0/16 }")
            )
            .is_empty()
        );
        assert!(
            check(
                &RULE,
                &group("{ protocol: tcp, ports: 22, from: security_group.vpn }")
            )
            .is_empty()
        );
        assert!(
            check(
                &RULE,
                &group("{ protocol: udp, ports: 1194, from: 0.0.0.0/0 }")
            )
            .is_empty()
        );
    }

    #[test]
    fn a_silence_with_a_reason_moves_the_finding_aside() {
        let spec = group("{ protocol: tcp, ports: 22, from: 0.0.0.0/0 }").replace(
            "  security_group.vpn",
            "    review:\n      silence:\n        - { rule: net/admin-port-open, reason: the only way in }\n  security_group.vpn",
        );
        assert_eq!(
            check(&RULE, &spec),
            ["silenced net/admin-port-open security_group.bastion ingress.1.from"]
        );
    }
}
