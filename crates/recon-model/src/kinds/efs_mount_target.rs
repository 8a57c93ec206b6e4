//! `efs_mount_target`: an EFS file system's network endpoint in one subnet.
//!
//! One per availability zone per file system. The file system and subnet are fixed (replace);
//! the security groups change in place. Mount targets take no tags: recon records a mount
//! target's address on its file system (tag `recon:mt:<subnet id>`).

use crate::address::{Address, Kind};
use crate::facts::AwsFacts;
use crate::resource::DesiredResource;
use crate::schema::{Field, KindDef, Others, Presence, Problem, Type, Update};
use crate::value::Value;

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
            doc: "Mount targets take no tags: recon reports the file system's tags and ignores changes (no `Name` is given).",
        },
    ],
    attributes: &["id"],
    after: &[],
    check,
    aws: AwsFacts {
        has_tags: false,
        ..AwsFacts::simple("fsmt", &["MountTargetNotFound"])
    },
};

/// A file system has at most one mount target per availability zone: a second one in the same
/// subnet, or in another subnet of the same zone, is refused by AWS (`MountTargetConflict`), and
/// on some endpoints silently becomes the first one. Reported once, on the later of the two.
fn check(mount_target: &DesiredResource, others: &Others<'_>) -> Vec<Problem> {
    let (Some(Value::Ref(fs)), Some(Value::Ref(subnet)), Some(own_position)) = (
        mount_target.attrs.get("file_system"),
        mount_target.attrs.get("subnet"),
        others.position(&mount_target.address),
    ) else {
        return Vec::new();
    };
    let zone_of = |address: &Address| {
        others
            .get(address)
            .and_then(|s| s.attrs.get("availability_zone"))
            .and_then(Value::as_str)
    };
    let zone = zone_of(&subnet.address);
    let mut problems = Vec::new();
    for (_, other) in others
        .referring(Kind::EfsMountTarget, "file_system", &fs.address)
        .into_iter()
        .take_while(|(i, _)| *i < own_position)
    {
        let Some(Value::Ref(theirs)) = other.attrs.get("subnet") else {
            continue;
        };
        let same_subnet = theirs.address == subnet.address;
        let same_zone = zone.is_some() && zone_of(&theirs.address) == zone;
        if !(same_subnet || same_zone) {
            continue;
        }
        let where_ = if same_subnet {
            format!("subnet `{}`", subnet.address)
        } else {
            format!("availability zone `{}`", zone.unwrap_or_default())
        };
        problems.push(
            Problem::at(
                &["subnet"],
                format!(
                    "mount target `{}` is a second one of its file system in {where_}, after `{}`",
                    mount_target.address, other.address
                ),
                format!("same {} as {}", if same_subnet { "subnet" } else { "zone" }, other.address),
            )
            .help("a file system has one mount target per availability zone: remove one, or put it in a subnet of another zone"),
        );
    }
    problems
}
