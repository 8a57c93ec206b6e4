//! `elastic_ip`: a VPC Elastic IP address allocation.
//!
//! `instance` and tags change in place: the address is associated with (or moved to) the
//! instance, so replacing the instance keeps the address. Releasing an address that is in use
//! fails on AWS, so whatever uses it (a NAT gateway) refers to it and is deleted first.

use crate::facts::AwsFacts;
use crate::address::Kind;
use crate::schema::{Field, KindDef, Presence, Type, Update, no_checks};

pub static DEF: KindDef = KindDef {
    kind: Kind::ElasticIp,
    doc: "An Elastic IP address (VPC domain).",
    fields: &[
        Field {
            name: "instance",
            ty: Type::Ref(&[Kind::Instance]),
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "The instance the address is associated with.",
        },
        super::TAGS,
    ],
    attributes: &["id", "public_ip"],
    after: &[],
    check: no_checks,
    aws: AwsFacts {
        // Its delete call answers once it is gone.
        gone_when_delete_answers: true,
        // AssociateAddress.
        set_after_create: &[("instance", || None)],
        ..AwsFacts::simple("eipalloc", &["InvalidAllocationID.NotFound"])
    },
};
