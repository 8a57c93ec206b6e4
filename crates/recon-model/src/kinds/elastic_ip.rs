//! `elastic_ip`: a VPC Elastic IP address allocation.
//!
//! Nothing but tags can change. Releasing an address that is in use fails on AWS, so whatever
//! uses it (a NAT gateway) refers to it and is deleted first.

use crate::address::Kind;
use crate::schema::{KindDef, no_checks};

pub static DEF: KindDef = KindDef {
    kind: Kind::ElasticIp,
    doc: "An Elastic IP address (VPC domain).",
    fields: &[super::TAGS],
    attributes: &["id", "public_ip"],
    after: &[],
    check: no_checks,
};
