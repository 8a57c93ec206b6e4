//! `launch_template`: an EC2 launch template named `<environment>-<name>`.
//!
//! Every data field changes in place: AWS keeps a template's versions immutable, so a change
//! creates a new version from the wanted data and makes it the default (`latest_version`
//! output). `user_data` is plain text here (base64 only on the wire) and may refer to other
//! resources (`${efs_file_system.data.id}`). With `subnet` or `associate_public_ip` the
//! network settings go on the template's first network interface. `http_tokens` defaults to
//! `required` (IMDSv2 only), unlike AWS, whose default allows IMDSv1.

use crate::facts::{AwsFacts, CreateToken};
use crate::address::Kind;
use crate::schema::{Field, KindDef, Presence, Type, Update, no_checks};
use crate::value::Value;

/// IMDS token settings: `required` is IMDSv2 only.
pub const HTTP_TOKENS: &[&str] = &["required", "optional"];

static BLOCK_DEVICE: [Field; 5] = [
    Field {
        name: "device_name",
        ty: Type::String,
        presence: Presence::Required,
        update: Update::InPlace,
        doc: "e.g. `/dev/xvda` (the image's root device resizes the root volume).",
    },
    Field {
        name: "size_gb",
        ty: Type::Int { min: 1, max: 65536 },
        presence: Presence::Optional,
        update: Update::InPlace,
        doc: "Volume size in GiB.",
    },
    Field {
        name: "volume_type",
        ty: Type::Enum(&["gp3", "gp2", "io1"]),
        presence: Presence::Optional,
        update: Update::InPlace,
        doc: "`gp3`, `gp2` or `io1`.",
    },
    Field {
        name: "encrypted",
        ty: Type::Bool,
        presence: Presence::Default(|| Value::Bool(false)),
        update: Update::InPlace,
        doc: "Whether the volume is encrypted.",
    },
    Field {
        name: "kms_key",
        ty: Type::Ref(&[Kind::KmsKey]),
        presence: Presence::Computed,
        update: Update::InPlace,
        doc: "The KMS key it is encrypted with; absent: the account's default EBS key.",
    },
];

pub static DEF: KindDef = KindDef {
    kind: Kind::LaunchTemplate,
    doc: "An EC2 launch template; a change makes a new default version.",
    fields: &[
        Field {
            name: "image",
            ty: Type::String,
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "AMI id, e.g. `ami-0abcdef1234567890`.",
        },
        Field {
            name: "instance_type",
            ty: Type::String,
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "e.g. `t3.micro`.",
        },
        Field {
            name: "key_name",
            ty: Type::String,
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "Key pair name, e.g. `${key_pair.admin.key_name}`.",
        },
        Field {
            name: "instance_profile",
            ty: Type::Ref(&[Kind::InstanceProfile]),
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "The IAM instance profile its instances run with.",
        },
        Field {
            name: "subnet",
            ty: Type::Ref(&[Kind::Subnet]),
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "The subnet instances launch in.",
        },
        Field {
            name: "security_groups",
            ty: Type::Set(&Type::Ref(&[Kind::SecurityGroup])),
            presence: Presence::Default(|| Value::List(vec![])),
            update: Update::InPlace,
            doc: "Security groups of the instances.",
        },
        Field {
            name: "associate_public_ip",
            ty: Type::Bool,
            presence: Presence::Default(|| Value::Bool(false)),
            update: Update::InPlace,
            doc: "Whether instances get a public IPv4 address.",
        },
        Field {
            name: "block_devices",
            ty: Type::List(&Type::Object(&BLOCK_DEVICE)),
            presence: Presence::Default(|| Value::List(vec![])),
            update: Update::InPlace,
            doc: "EBS volumes: `device_name`, `size_gb`, `volume_type`, `encrypted`, `kms_key`.",
        },
        Field {
            name: "user_data",
            ty: Type::String,
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "User data as plain text (sent base64-encoded); may use `${kind.name.attr}`.",
        },
        Field {
            name: "http_tokens",
            ty: Type::Enum(HTTP_TOKENS),
            presence: Presence::Default(|| Value::str("required")),
            update: Update::InPlace,
            doc: "Instance metadata: `required` (IMDSv2 session tokens only) or `optional` (IMDSv1 too).",
        },
        Field {
            name: "instance_tags",
            ty: Type::Tags,
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "Tags given to the instances launched from it.",
        },
        super::TAGS,
    ],
    attributes: &["id", "latest_version"],
    after: &[],
    check: no_checks,
    aws: AwsFacts {
        // Its delete call answers once it is gone.
        gone_when_delete_answers: true,
        create_token: CreateToken::ClientToken,
        ..AwsFacts::simple("lt", &["InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateName.NotFoundException"])
    },
};
/// The name AWS knows the template by: `<environment>-<name>`, with an instance key's brackets
/// as parentheses (`platform-dev-web(us-east-1a)`), since AWS allows only letters, digits and
/// `( ) . - / _` in launch template names; any other character becomes `-`.
pub fn derived_name(environment: &str, name: &str) -> String {
    format!("{environment}-{name}")
        .chars()
        .map(|c| match c {
            '[' => '(',
            ']' => ')',
            c if c.is_ascii_alphanumeric() || "().-/_".contains(c) => c,
            _ => '-',
        })
        .collect()
}


#[cfg(test)]
mod derived_name_tests {
    use super::*;

    #[test]
    fn derived_names_are_what_aws_accepts() {
        assert_eq!(derived_name("irb", "compute"), "irb-compute");
        assert_eq!(
            derived_name("platform-dev", "web[us-east-1a]"),
            "platform-dev-web(us-east-1a)"
        );
        assert_eq!(derived_name("p", "w[a:b@c]"), "p-w(a-b-c)");
    }
}
