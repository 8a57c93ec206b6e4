//! `nat_gateway`: a NAT gateway in a (public) subnet.
//!
//! Every field but tags is fixed (replace). A public NAT gateway needs an Elastic IP and the
//! VPC's internet gateway; it is `pending` for minutes after creation and routes may only point
//! at it once `available`; deletion takes minutes too, and until it is `deleted` its subnet
//! cannot be deleted nor its address released. The executor waits for both.

use crate::facts::{AwsFacts, CreateToken, Lifecycle};
use crate::address::Kind;
use crate::resource::DesiredResource;
use crate::schema::{Others, Field, KindDef, Presence, Problem, Type, Update};
use crate::value::Value;

pub static DEF: KindDef = KindDef {
    kind: Kind::NatGateway,
    doc: "A NAT gateway giving private subnets outbound access.",
    fields: &[
        Field {
            name: "subnet",
            ty: Type::Ref(&[Kind::Subnet]),
            presence: Presence::Required,
            update: Update::Replace,
            doc: "The subnet it lives in: a public one, with a route to an internet gateway.",
        },
        Field {
            name: "elastic_ip",
            ty: Type::Ref(&[Kind::ElasticIp]),
            presence: Presence::Optional,
            update: Update::Replace,
            doc: "The Elastic IP it uses; required when `connectivity_type` is `public`.",
        },
        Field {
            name: "connectivity_type",
            ty: Type::Enum(&["public", "private"]),
            presence: Presence::Default(|| Value::str("public")),
            update: Update::Replace,
            doc: "`public` (via the internet gateway) or `private`.",
        },
        super::TAGS,
    ],
    attributes: &["id"],
    after: &[Kind::InternetGateway],
    check,
    aws: AwsFacts {
        create_token: CreateToken::ClientToken,
        lifecycle: Lifecycle::NAT_GATEWAY,
        ..AwsFacts::simple("nat", &["NatGatewayNotFound", "InvalidNatGatewayID.NotFound"])
    },
};

fn check(nat: &DesiredResource, _: &Others<'_>) -> Vec<Problem> {
    let public = nat.attrs.get("connectivity_type") != Some(&Value::str("private"));
    match (public, nat.attrs.contains_key("elastic_ip")) {
        (true, false) => vec![
            Problem::at(
                &["connectivity_type"],
                format!("public NAT gateway `{}` has no `elastic_ip`", nat.address),
                "public needs an Elastic IP",
            )
            .help("add `elastic_ip: elastic_ip.<name>`, or set `connectivity_type: private`"),
        ],
        (false, true) => vec![Problem::at(
            &["elastic_ip"],
            format!(
                "private NAT gateway `{}` cannot have an Elastic IP",
                nat.address
            ),
            "not allowed for a private NAT gateway",
        )],
        _ => vec![],
    }
}
