//! One module per rule, each with the same parts: which mistake it comes from (rustdoc), the
//! [`Rule`](crate::Rule) value, its check, and tests on a minimal spec that triggers it and one
//! that does not.

pub mod admin_port_open;
pub mod ebs_unencrypted;
pub mod efs_mount_target_nfs_closed;
pub mod efs_unencrypted;
pub mod flow_log_missing;
pub mod iam_wildcard;
pub mod imdsv1_allowed;
pub mod kms_rotation_disabled;
pub mod nat_in_private_subnet;
pub mod private_no_egress;
pub mod private_subnet_internet_route;
pub mod public_ip_in_private_subnet;
pub mod s3_no_kms_key;
pub mod s3_public_access;

#[cfg(test)]
pub(crate) mod test_support {
    use crate::{Rule, review_with};

    const HEAD: &str = "environment: test\nregion: us-east-1\nresources:\n";

    /// A VPC with a public subnet (routed to an internet gateway) and a private one (routed to
    /// a NAT gateway in the public one): what most rules need around the resource under test.
    pub const NETWORK: &str = "
  vpc.main: { cidr_block: 10.0.0.0/16 }
  subnet.public: { vpc: vpc.main, cidr_block: 10.0.1.0/24, map_public_ip_on_launch: true }
  subnet.private: { vpc: vpc.main, cidr_block: 10.0.2.0/24, tier: private }
  internet_gateway.main: { vpc: vpc.main }
  route_table.public:
    vpc: vpc.main
    routes: [ { destination: 0.0.0.0/0, internet_gateway: internet_gateway.main } ]
    subnets: [subnet.public]
  elastic_ip.nat: {}
  nat_gateway.main: { subnet: subnet.public, elastic_ip: elastic_ip.nat }
  route_table.private:
    vpc: vpc.main
    routes: [ { destination: 0.0.0.0/0, nat_gateway: nat_gateway.main } ]
    subnets: [subnet.private]
";

    /// `rule address path` for each finding of `rule` on a spec with these resources (the
    /// silenced ones prefixed with `silenced `).
    pub fn check(rule: &'static Rule, resources: &str) -> Vec<String> {
        let file = recon_spec::SourceFile {
            name: "t.yaml".into(),
            text: format!("{HEAD}{resources}"),
        };
        let parsed = recon_spec::parse_document(&file).unwrap_or_else(|e| {
            panic!(
                "the test spec is invalid: {:#?}",
                e.diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()
            )
        });
        let review = review_with(&[rule], &parsed.spec, &parsed.silences);
        let show = |f: &crate::Finding| format!("{} {} {}", f.rule, f.address, f.path.join("."));
        review
            .findings
            .iter()
            .map(show)
            .chain(
                review
                    .silenced
                    .iter()
                    .map(|s| format!("silenced {}", show(&s.finding))),
            )
            .collect()
    }
}
