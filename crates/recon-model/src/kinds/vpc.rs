//! `vpc`: a virtual private cloud.
//!
//! The CIDR block and tenancy cannot change on a live VPC (replace); the DNS attributes and tags
//! can (in place). AWS creates a main route table, a default security group and a default
//! network ACL with every VPC; recon does not own those and never touches them, except that a
//! `route_table` with `main: true` takes over the main association.

use crate::facts::AwsFacts;
use crate::address::Kind;
use crate::kinds::cidr_of;
use crate::limits::prefix_problem;
use crate::resource::DesiredResource;
use crate::schema::{Others, Field, KindDef, Presence, Problem, Type, Update};
use crate::value::Value;

/// The regimes a VPC's `compliance` may name.
pub const COMPLIANCE: &[&str] = &["irb", "hipaa", "gdpr", "nist-800-171", "fedramp"];

pub static DEF: KindDef = KindDef {
    kind: Kind::Vpc,
    doc: "A virtual private cloud.",
    fields: &[
        Field {
            name: "cidr_block",
            ty: Type::Cidr,
            presence: Presence::Required,
            update: Update::Replace,
            doc: "The IPv4 address range, e.g. `10.0.0.0/16`.",
        },
        Field {
            name: "enable_dns_support",
            ty: Type::Bool,
            presence: Presence::Default(|| Value::Bool(true)),
            update: Update::InPlace,
            doc: "Whether the Amazon DNS server resolves names in the VPC.",
        },
        Field {
            name: "enable_dns_hostnames",
            ty: Type::Bool,
            presence: Presence::Default(|| Value::Bool(false)),
            update: Update::InPlace,
            doc: "Whether instances with public IPs get public DNS names.",
        },
        Field {
            name: "instance_tenancy",
            ty: Type::Enum(&["default", "dedicated"]),
            presence: Presence::Default(|| Value::str("default")),
            update: Update::InPlaceTo("default"),
            doc: "Tenancy of instances launched into the VPC. `dedicated` to `default` changes in place (ModifyVpcTenancy; running instances keep theirs); `default` to `dedicated` replaces the VPC.",
        },
        Field {
            name: "compliance",
            ty: Type::Set(&Type::Enum(COMPLIANCE)),
            presence: Presence::Optional,
            update: Update::Intent,
            doc: "The rules the VPC's data is held under (`irb`, `hipaa`, `gdpr`, `nist-800-171`, `fedramp`), for the review rules: such a VPC must record its traffic (`flow_log`). Never sent to AWS.",
        },
        super::TAGS,
    ],
    attributes: &["id"],
    after: &[],
    check,
    aws: AwsFacts {
        // Its delete call answers once it is gone.
        gone_when_delete_answers: true,
        // CreateVpc takes neither: ModifyVpcAttribute sets them, one per call.
        set_after_create: &[
            ("enable_dns_support", || Some(Value::Bool(true))),
            ("enable_dns_hostnames", || Some(Value::Bool(false))),
        ],
        ..AwsFacts::simple("vpc", &["InvalidVpcID.NotFound"])
    },
};

/// AWS takes VPC blocks from /16 (65,536 addresses) to /28 (16).
fn check(vpc: &DesiredResource, _: &Others<'_>) -> Vec<Problem> {
    cidr_of(vpc)
        .and_then(|cidr| prefix_problem("VPC", &vpc.address, cidr))
        .into_iter()
        .collect()
}
