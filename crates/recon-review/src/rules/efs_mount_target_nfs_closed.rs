//! `efs/mount-target-nfs-closed`: an EFS mount target whose security groups do not admit NFS
//! (TCP 2049) from the instances that mount its file system.
//!
//! From the "irb" environment: no security group had an NFS rule, so the compute instance's
//! `mount -t efs` hung at boot. Nothing in AWS refuses such a setup; the mount just times out.
//!
//! Who mounts: a launch template whose `user_data` refers to the file system
//! (`${efs_file_system.data.id}`), and the instances launched from it (an instance that gives
//! its own `security_groups` or `subnet` is checked with those). A mount target admits one when
//! one of its security groups has an ingress rule for `tcp` (or `all`) including port 2049 from
//! one of the mounter's security groups, or from a CIDR block containing the mounter's subnet
//! (or its `private_ip`). A mount target without `security_groups` gets the VPC's default
//! group, which admits only its own members: the spec cannot make compute one, so it is found.
//! Egress is not checked (groups allow all outbound unless the spec says otherwise).
//!
//! Severity error: the file system cannot be mounted as written.

use recon_model::{Address, DesiredResource, Kind, Spec, Value};

use crate::facts::{cidr, ingress, of_kind, reference, references, text};
use crate::{Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "efs/mount-target-nfs-closed",
    severity: Severity::Error,
    summary: "An EFS mount target does not admit NFS (TCP 2049) from the instances that mount it.",
    help: "give the mount target a security group admitting `{ protocol: tcp, ports: 2049, from: security_group.<compute's group> }`",
    check,
};

/// A launch template or instance that mounts a file system, with its network identity.
struct Mounter<'a> {
    address: &'a Address,
    file_system: &'a Address,
    groups: Vec<&'a Address>,
    subnet: Option<&'a DesiredResource>,
    private_ip: Option<std::net::Ipv4Addr>,
}

fn mounted_file_systems(template: &DesiredResource) -> Vec<&Address> {
    let mut out: Vec<&Address> = template
        .attrs
        .get("user_data")
        .map(Value::references)
        .unwrap_or_default()
        .into_iter()
        .map(|r| &r.address)
        .filter(|a| a.kind == Kind::EfsFileSystem)
        .collect();
    out.dedup();
    out
}

fn mounters(spec: &Spec) -> Vec<Mounter<'_>> {
    let mut out = Vec::new();
    for template in of_kind(spec, Kind::LaunchTemplate) {
        for fs in mounted_file_systems(template) {
            let subnet = reference(template, "subnet").and_then(|a| spec.get(a));
            out.push(Mounter {
                address: &template.address,
                file_system: fs,
                groups: references(template, "security_groups"),
                subnet,
                private_ip: None,
            });
            for instance in of_kind(spec, Kind::Instance) {
                if reference(instance, "launch_template") != Some(&template.address) {
                    continue;
                }
                let own_groups = instance.attrs.contains_key("security_groups");
                let own_subnet = instance.attrs.contains_key("subnet");
                let private_ip = text(instance, "private_ip").and_then(|ip| ip.parse().ok());
                if !own_groups && !own_subnet && private_ip.is_none() {
                    continue;
                }
                out.push(Mounter {
                    address: &instance.address,
                    file_system: fs,
                    groups: if own_groups {
                        references(instance, "security_groups")
                    } else {
                        references(template, "security_groups")
                    },
                    subnet: if own_subnet {
                        reference(instance, "subnet").and_then(|a| spec.get(a))
                    } else {
                        subnet
                    },
                    private_ip,
                });
            }
        }
    }
    out
}

fn admits(spec: &Spec, groups: &[&Address], mounter: &Mounter<'_>) -> bool {
    groups
        .iter()
        .filter_map(|g| spec.get(g))
        .flat_map(ingress)
        .filter(|rule| rule.admits_tcp(2049))
        .any(|rule| {
            if let Some(group) = rule.source_group() {
                return mounter.groups.contains(&group);
            }
            let Some(block) = rule.source_cidr() else {
                return false;
            };
            match (mounter.subnet.and_then(cidr), mounter.private_ip) {
                (_, Some(ip)) if block.contains(&ip) => true,
                (Some(subnet), _) => block.contains(&subnet),
                // Where the mounter is is unknown: give the rule the benefit of the doubt.
                (None, None) => true,
                (None, Some(_)) => false,
            }
        })
}

fn check(spec: &Spec) -> Vec<Finding> {
    let mounters = mounters(spec);
    let mut out = Vec::new();
    for target in of_kind(spec, Kind::EfsMountTarget) {
        let Some(fs) = reference(target, "file_system") else {
            continue;
        };
        let groups = references(target, "security_groups");
        for mounter in mounters.iter().filter(|m| m.file_system == fs) {
            if admits(spec, &groups, mounter) {
                continue;
            }
            let (path, why): (&[&str], String) = if target.attrs.contains_key("security_groups") {
                (&["security_groups"], String::new())
            } else {
                (
                    &[],
                    " (it has no `security_groups`, so it gets the VPC's default group)".into(),
                )
            };
            let mut finding = RULE.finding(
                &target.address,
                path,
                format!(
                    "`{}` does not admit NFS (tcp 2049) from `{}`, whose user data mounts `{fs}`{why}",
                    target.address, mounter.address
                ),
                "no NFS from the instances that mount it",
            );
            match (groups.first(), mounter.groups.first()) {
                // A group cannot admit itself by reference: the mount target needs its own.
                (Some(own), Some(from)) if mounter.groups.contains(own) => {
                    finding = finding.help(format!(
                        "give the mount target its own security group (not `{own}`) with `{{ protocol: tcp, ports: 2049, from: {from} }}`"
                    ));
                }
                (Some(own), Some(from)) => {
                    finding = finding.help(format!(
                        "add `{{ protocol: tcp, ports: 2049, from: {from} }}` to the ingress of `{own}`"
                    ));
                }
                _ => {}
            }
            out.push(finding);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::test_support::{NETWORK, check};

    const STORAGE: &str = "
  security_group.compute: { vpc: vpc.main, ingress: [ { protocol: tcp, ports: 22, from: 10.0.0.0/16 } ] }
  security_group.efs: { vpc: vpc.main, ingress: [ { protocol: tcp, ports: 2049, from: security_group.compute } ] }
  efs_file_system.data: {}
  efs_mount_target.data: { file_system: efs_file_system.data, subnet: subnet.private, security_groups: [security_group.efs] }
  launch_template.compute:
    image: ami-1
    subnet: subnet.private
    security_groups: [security_group.compute]
    user_data: mount -t efs ${efs_file_system.data.id}:/ /data
  instance.compute: { launch_template: launch_template.compute }
";

    #[test]
    fn a_mount_target_without_nfs_from_compute_is_found() {
        // The irb original: the mount target shares compute's group, which has no NFS rule.
        let spec = STORAGE.replace(
            "security_groups: [security_group.efs]",
            "security_groups: [security_group.compute]",
        );
        assert_eq!(
            check(&RULE, &format!("{NETWORK}{spec}")),
            ["efs/mount-target-nfs-closed efs_mount_target.data security_groups"]
        );
        // No groups at all: the VPC's default group.
        let spec = STORAGE.replace(", security_groups: [security_group.efs]", "");
        assert_eq!(
            check(&RULE, &format!("{NETWORK}{spec}")),
            ["efs/mount-target-nfs-closed efs_mount_target.data "]
        );
    }

    #[test]
    fn nfs_from_the_compute_group_or_its_subnet_is_fine() {
        assert!(check(&RULE, &format!("{NETWORK}{STORAGE}")).is_empty());
        let by_cidr = STORAGE.replace("from: security_group.compute", "from: 10.0.0.0/16");
        assert!(check(&RULE, &format!("{NETWORK}{by_cidr}")).is_empty());
        // Nobody mounts it: nothing to check.
        let unused = STORAGE.replace(
            "    user_data: mount -t efs ${efs_file_system.data.id}:/ /data\n",
            "",
        );
        let unused = unused.replace(
            "security_groups: [security_group.efs]",
            "security_groups: [security_group.compute]",
        );
        assert!(check(&RULE, &format!("{NETWORK}{unused}")).is_empty());
    }

    #[test]
    fn a_cidr_rule_must_cover_the_mounter_subnet() {
        let public_only = STORAGE.replace("from: security_group.compute", "from: 10.0.1.0/24");
        assert_eq!(
            check(&RULE, &format!("{NETWORK}{public_only}")),
            ["efs/mount-target-nfs-closed efs_mount_target.data security_groups"]
        );
    }
}
