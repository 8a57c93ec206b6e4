//! `efs_mount_target`: an EFS file system's network endpoint in one subnet.
//!
//! One per availability zone per file system. The file system and subnet are fixed (replace);
//! the security groups change in place. Mount targets take no tags: recon records a mount
//! target's address on its file system (tag `recon:mt:<subnet id>`).

use crate::facts::AwsFacts;
use crate::address::Kind;
use crate::schema::{Field, KindDef, Presence, Type, Update, no_checks};

pub static DEF: KindDef = KindDef {
    kind: Kind::EfsMountTarget,
    doc: "An EFS mount target in a subnet.",
    fields: &[
        Field {
            name: "file_system",
            ty: Type::Ref(&[Kind::EfsFileSystem]),
            presence: Presence::Required,
            update: Update::Replace,
            doc: "The file system.",
        },
        Field {
            name: "subnet",
            ty: Type::Ref(&[Kind::Subnet]),
            presence: Presence::Required,
            update: Update::Replace,
            doc: "The subnet it lives in (one mount target per availability zone).",
        },
        Field {
            name: "security_groups",
            ty: Type::Set(&Type::Ref(&[Kind::SecurityGroup])),
            presence: Presence::Computed,
            update: Update::InPlace,
            doc: "Its security groups (at most 5); absent means the VPC's default group.",
        },
        Field {
            name: "tags",
            ty: Type::Tags,
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "Mount targets take no tags: recon reports the file system's tags (and `Name`) and ignores changes.",
        },
    ],
    attributes: &["id"],
    after: &[],
    check: no_checks,
    aws: AwsFacts::simple("fsmt", &["MountTargetNotFound"]),
};
