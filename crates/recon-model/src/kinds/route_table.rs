//! `route_table`: a VPC route table with its routes and subnet associations.
//!
//! Routes, associations and `main` change in place: routes are a set keyed by destination,
//! each with exactly one target. `main: true` moves the VPC's main association to this table;
//! before this table is deleted the main association goes back to the VPC's original table.

use std::collections::BTreeSet;

use crate::facts::{AwsFacts, CreateToken};
use crate::address::Kind;
use crate::resource::DesiredResource;
use crate::schema::{Others, Field, KindDef, Presence, Problem, Type, Update};
use crate::value::Value;

pub const ROUTE_TARGETS: &[&str] = &["internet_gateway", "nat_gateway"];

pub static DEF: KindDef = KindDef {
    kind: Kind::RouteTable,
    doc: "A route table: routes to gateways, and the subnets that use it.",
    fields: &[
        Field {
            name: "vpc",
            ty: Type::Ref(&[Kind::Vpc]),
            presence: Presence::Required,
            update: Update::Replace,
            doc: "The VPC.",
        },
        Field {
            name: "routes",
            ty: Type::Set(&Type::Object(&[
                Field {
                    name: "destination",
                    ty: Type::Cidr,
                    presence: Presence::Required,
                    update: Update::InPlace,
                    doc: "Destination CIDR, e.g. `0.0.0.0/0`.",
                },
                Field {
                    name: "internet_gateway",
                    ty: Type::Ref(&[Kind::InternetGateway]),
                    presence: Presence::Optional,
                    update: Update::InPlace,
                    doc: "Target: an internet gateway.",
                },
                Field {
                    name: "nat_gateway",
                    ty: Type::Ref(&[Kind::NatGateway]),
                    presence: Presence::Optional,
                    update: Update::InPlace,
                    doc: "Target: a NAT gateway.",
                },
            ])),
            presence: Presence::Default(|| Value::List(vec![])),
            update: Update::InPlace,
            doc: "Routes besides the VPC's local route.",
        },
        Field {
            name: "subnets",
            ty: Type::Set(&Type::Ref(&[Kind::Subnet])),
            presence: Presence::Default(|| Value::List(vec![])),
            update: Update::InPlace,
            doc: "Subnets associated with this table.",
        },
        Field {
            name: "main",
            ty: Type::Bool,
            presence: Presence::Default(|| Value::Bool(false)),
            update: Update::InPlace,
            doc: "Make this the VPC's main route table (used by subnets with no association).",
        },
        super::TAGS,
    ],
    attributes: &["id"],
    after: &[],
    check,
    aws: AwsFacts {
        // Its delete call answers once it is gone.
        gone_when_delete_answers: true,
        create_token: CreateToken::ClientToken,
        // CreateRoute, AssociateRouteTable, ReplaceRouteTableAssociation.
        set_after_create: &[
            ("routes", || Some(Value::List(vec![]))),
            ("subnets", || Some(Value::List(vec![]))),
            ("main", || Some(Value::Bool(false))),
        ],
        ..AwsFacts::simple("rtb", &["InvalidRouteTableID.NotFound"])
    },
};

fn check(table: &DesiredResource, _: &Others<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, route) in table
        .attrs
        .get("routes")
        .map(Value::as_list)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let Some(route) = route.as_map() else {
            continue;
        };
        let index = i.to_string();
        let targets = ROUTE_TARGETS
            .iter()
            .filter(|t| route.contains_key(**t))
            .count();
        if targets != 1 {
            problems.push(
                Problem::at(
                    &["routes", &index],
                    format!("route {i} of `{}` needs exactly one target", table.address),
                    if targets == 0 {
                        "no target"
                    } else {
                        "more than one target"
                    },
                )
                .help("give one of `internet_gateway: ...` or `nat_gateway: ...`"),
            );
        }
        if let Some(dest) = route.get("destination").and_then(Value::as_str)
            && !seen.insert(dest.to_owned())
        {
            problems.push(Problem::at(
                &["routes", &index, "destination"],
                format!("`{}` has two routes to {dest}", table.address),
                "duplicate destination",
            ));
        }
    }
    problems
}
