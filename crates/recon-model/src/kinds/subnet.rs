//! `subnet`: a range of a VPC's addresses in one availability zone.
//!
//! VPC, CIDR and zone are fixed for a subnet's life (replace); `map_public_ip_on_launch` and
//! tags change in place. The CIDR must lie inside the VPC's and must not overlap another subnet
//! of the same VPC: AWS refuses both, and recon says so before any call. `tier` is intent only
//! (never sent to AWS, never compared): the review rules check the routes against it.

use crate::facts::AwsFacts;
use crate::address::Kind;
use crate::kinds::{cidr_of, referenced_cidr};
use crate::limits::prefix_problem;
use crate::resource::DesiredResource;
use crate::schema::{Field, KindDef, Others, Presence, Problem, Type, Update};
use crate::value::Value;

pub static DEF: KindDef = KindDef {
    kind: Kind::Subnet,
    doc: "A subnet of a VPC in one availability zone.",
    fields: &[
        Field {
            name: "vpc",
            ty: Type::Ref(&[Kind::Vpc]),
            presence: Presence::Required,
            update: Update::Replace,
            doc: "The VPC, e.g. `vpc.main`.",
        },
        Field {
            name: "cidr_block",
            ty: Type::Cidr,
            presence: Presence::Required,
            update: Update::Replace,
            doc: "The subnet's range, inside the VPC's.",
        },
        Field {
            name: "availability_zone",
            ty: Type::String,
            presence: Presence::Computed,
            update: Update::Replace,
            doc: "e.g. `us-east-1a`. AWS chooses one when absent.",
        },
        Field {
            name: "map_public_ip_on_launch",
            ty: Type::Bool,
            presence: Presence::Default(|| Value::Bool(false)),
            update: Update::InPlace,
            doc: "Whether instances launched here get a public IPv4 address.",
        },
        Field {
            name: "tier",
            ty: Type::Enum(&["public", "private"]),
            presence: Presence::Optional,
            update: Update::Intent,
            doc: "What the subnet is meant to be, for the review rules: `public` (routes to an internet gateway) or `private` (no route from the internet; outbound through a NAT gateway). Never sent to AWS.",
        },
        super::TAGS,
    ],
    attributes: &["id"],
    after: &[],
    check,
    aws: AwsFacts {
        // Its delete call answers once it is gone.
        gone_when_delete_answers: true,
        // ModifySubnetAttribute.
        set_after_create: &[("map_public_ip_on_launch", || Some(Value::Bool(false)))],
        chosen_by_aws: &[("availability_zone", || Value::str("us-east-1a"))],
        ..AwsFacts::simple("subnet", &["InvalidSubnetID.NotFound"])
    },
};

fn check(subnet: &DesiredResource, others: &Others<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let Some(own) = cidr_of(subnet) else {
        return problems;
    };
    // AWS takes subnet blocks from /16 to /28, like VPC blocks.
    problems.extend(prefix_problem("subnet", &subnet.address, own));
    if let Some((vpc, vpc_cidr)) = referenced_cidr(subnet, "vpc", others)
        && !vpc_cidr.contains(&own)
    {
        problems.push(
            Problem::at(
                &["cidr_block"],
                format!(
                    "subnet `{}` is outside its VPC `{vpc}` ({vpc_cidr})",
                    subnet.address
                ),
                format!("not inside {vpc_cidr}"),
            )
            .help(format!("choose a block inside {vpc_cidr}")),
        );
    }
    // Report an overlap once, on the later of the two subnets: only subnets of the same VPC
    // can overlap, and only they are compared.
    let (Some(Value::Ref(vpc)), Some(own_position)) =
        (subnet.attrs.get("vpc"), others.position(&subnet.address))
    else {
        return problems;
    };
    for (_, other) in others
        .referring(Kind::Subnet, "vpc", &vpc.address)
        .into_iter()
        .take_while(|(i, _)| *i < own_position)
    {
        if let Some(theirs) = cidr_of(other)
            && (theirs.contains(&own.network()) || own.contains(&theirs.network()))
        {
            problems.push(
                Problem::at(
                    &["cidr_block"],
                    format!(
                        "subnet `{}` overlaps `{}` ({theirs})",
                        subnet.address, other.address
                    ),
                    format!("overlaps {} ({theirs})", other.address),
                )
                .help("subnets of one VPC need disjoint ranges"),
            );
        }
    }
    problems
}
