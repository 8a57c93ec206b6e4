//! `internet_gateway`: an internet gateway, attached to at most one VPC.
//!
//! Attachment changes in place (detach, attach). AWS refuses to detach while public addresses
//! are mapped in the VPC, so NAT gateways (and their addresses) are deleted before it (see
//! `after` on `nat_gateway`).

use crate::facts::AwsFacts;
use crate::address::Kind;
use crate::schema::{Field, KindDef, Presence, Type, Update, no_checks};

pub static DEF: KindDef = KindDef {
    kind: Kind::InternetGateway,
    doc: "An internet gateway attached to a VPC.",
    fields: &[
        Field {
            name: "vpc",
            ty: Type::Ref(&[Kind::Vpc]),
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "The VPC it is attached to; absent means detached.",
        },
        super::TAGS,
    ],
    attributes: &["id"],
    after: &[],
    check: no_checks,
    aws: AwsFacts {
        // Its delete call answers once it is gone.
        gone_when_delete_answers: true,
        // AttachInternetGateway.
        set_after_create: &[("vpc", || None)],
        ..AwsFacts::simple("igw", &["InvalidInternetGatewayID.NotFound"])
    },
};
