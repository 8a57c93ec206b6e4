//! `image`: an AMI. Only ever looked up (`lookups:`), never created or deleted; see
//! [`crate::lookup`] for its filters.

use crate::facts::AwsFacts;
use crate::address::Kind;
use crate::schema::{KindDef, no_checks};

pub static DEF: KindDef = KindDef {
    kind: Kind::Image,
    doc: "An AMI (lookup only).",
    fields: &[],
    attributes: &["id", "name", "creation_date", "architecture"],
    after: &[],
    check: no_checks,
    aws: AwsFacts::simple("ami", &["InvalidAMIID.NotFound"]),
};
