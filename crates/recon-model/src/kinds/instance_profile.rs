//! `instance_profile`: an IAM instance profile, the container that hands a role to EC2
//! instances (Session Manager, access to a bucket without keys on disk).
//!
//! The name is fixed at creation (recon derives `<environment>-<name>`); the role changes in
//! place (RemoveRoleFromInstanceProfile, AddRoleToInstanceProfile). Kept under the path
//! `/recon/<environment>/`, like recon's roles. A new profile may not be usable by RunInstances
//! for some seconds (IAM is eventually consistent): the instance's create waits it out.

use crate::address::Kind;
use crate::facts::AwsFacts;
use crate::resource::DesiredResource;
use crate::schema::{Field, KindDef, Others, Presence, Problem, Type, Update};
use crate::value::Value;

pub static DEF: KindDef = KindDef {
    kind: Kind::InstanceProfile,
    doc: "An IAM instance profile: a role for EC2 instances.",
    fields: &[
        Field {
            name: "name",
            ty: Type::String,
            presence: Presence::Computed,
            update: Update::Replace,
            doc: "At most 64 of `a-z A-Z 0-9 +=,.@_-`; absent: `<environment>-<name>`.",
        },
        Field {
            name: "role",
            ty: Type::Ref(&[Kind::IamRole]),
            presence: Presence::Required,
            update: Update::InPlace,
            doc: "The role its instances act as.",
        },
        super::TAGS,
    ],
    attributes: &["id", "arn", "name"],
    after: &[],
    check,
    aws: AwsFacts {
        // AddRoleToInstanceProfile: CreateInstanceProfile takes no role.
        set_after_create: &[("role", || None)],
        prefixed_ids: false,
        ..AwsFacts::simple("profile", &["NoSuchEntity"])
    },
};

fn check(profile: &DesiredResource, _: &Others<'_>) -> Vec<Problem> {
    let Some(name) = profile.attrs.get("name").and_then(Value::as_str) else {
        return vec![];
    };
    match super::iam_role::name_problem(name) {
        Some(why) => vec![
            Problem::at(
                &["name"],
                format!("the name of instance profile `{}`: {why}", profile.address),
                "AWS refuses this name",
            )
            .help("use at most 64 of a-z, A-Z, 0-9 and `+=,.@_-`"),
        ],
        None => vec![],
    }
}
