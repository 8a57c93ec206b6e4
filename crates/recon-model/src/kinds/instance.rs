//! `instance`: one EC2 instance, from a launch template or an image.
//!
//! Tags, security groups, `http_tokens` and the instance type change in place (the type by
//! stopping the instance, modifying it and starting it again); the rest is fixed for an
//! instance's life (replace). The root volume could grow in place (ModifyVolume); recon does
//! not do that yet, so a change to it replaces the instance. Fields a launch template
//! supplies may be left out (they take what the instance has); given, they override the
//! template. Without `launch_template_version` an instance launches from its template's default
//! version and a later template change leaves it alone; with
//! `launch_template_version: ${launch_template.<name>.latest_version}` it is replaced whenever
//! the template gets a new version (the version is read back from the `aws:ec2launchtemplate:version`
//! tag AWS puts on the instance). An Elastic IP is associated from the `elastic_ip` side
//! (`instance: instance.<name>`), so that replacing the instance keeps the address.

use crate::facts::{AwsFacts, CreateToken};
use crate::address::Kind;
use crate::resource::DesiredResource;
use crate::schema::{Field, KindDef, Others, Presence, Problem, Type, Update};
use crate::value::Value;

static ROOT_VOLUME: [Field; 4] = [
    Field {
        name: "size_gb",
        ty: Type::Int { min: 1, max: 65536 },
        presence: Presence::Required,
        update: Update::Grows,
        doc: "Size in GiB. A larger size grows the volume in place (ModifyVolume; then grow the file system inside the instance); a smaller one replaces the instance.",
    },
    Field {
        name: "volume_type",
        ty: Type::Enum(&["gp3", "gp2", "io1"]),
        presence: Presence::Default(|| Value::str("gp3")),
        update: Update::InPlace,
        doc: "`gp3`, `gp2` or `io1`.",
    },
    Field {
        name: "encrypted",
        ty: Type::Bool,
        presence: Presence::Default(|| Value::Bool(false)),
        update: Update::Replace,
        doc: "Whether the volume is encrypted.",
    },
    Field {
        name: "kms_key",
        ty: Type::Ref(&[Kind::KmsKey]),
        presence: Presence::Computed,
        update: Update::Replace,
        doc: "The KMS key it is encrypted with; absent: the account's default EBS key.",
    },
];

pub static DEF: KindDef = KindDef {
    kind: Kind::Instance,
    doc: "An EC2 instance.",
    fields: &[
        Field {
            name: "launch_template",
            ty: Type::Ref(&[Kind::LaunchTemplate]),
            presence: Presence::Optional,
            update: Update::Replace,
            doc: "The launch template.",
        },
        Field {
            name: "launch_template_version",
            ty: Type::String,
            presence: Presence::Computed,
            update: Update::Replace,
            doc: "The template version to launch, e.g. `2`, or `${launch_template.<name>.latest_version}` to replace the instance when the template changes; absent: the default version at launch.",
        },
        Field {
            name: "image",
            ty: Type::String,
            presence: Presence::Computed,
            update: Update::Replace,
            doc: "AMI id; required without `launch_template`.",
        },
        Field {
            name: "instance_type",
            ty: Type::String,
            presence: Presence::Computed,
            update: Update::InPlace,
            doc: "e.g. `t3.micro`; required without `launch_template`.",
        },
        Field {
            name: "subnet",
            ty: Type::Ref(&[Kind::Subnet]),
            presence: Presence::Computed,
            update: Update::Replace,
            doc: "The subnet.",
        },
        Field {
            name: "security_groups",
            ty: Type::Set(&Type::Ref(&[Kind::SecurityGroup])),
            presence: Presence::Computed,
            update: Update::InPlace,
            doc: "Security groups.",
        },
        Field {
            name: "key_name",
            ty: Type::String,
            presence: Presence::Computed,
            update: Update::Replace,
            doc: "Key pair name, e.g. `${key_pair.admin.key_name}`.",
        },
        Field {
            name: "instance_profile",
            ty: Type::Ref(&[Kind::InstanceProfile]),
            presence: Presence::Computed,
            update: Update::InPlace,
            doc: "The IAM instance profile it runs with (Session Manager, access to buckets without keys on disk); absent: the launch template's, else none.",
        },
        Field {
            name: "private_ip",
            ty: Type::String,
            presence: Presence::Computed,
            update: Update::Replace,
            doc: "Fixed private IPv4 address inside the subnet.",
        },
        Field {
            name: "associate_public_ip",
            ty: Type::Bool,
            presence: Presence::Computed,
            update: Update::Replace,
            doc: "Whether it gets an (AWS-owned) public IPv4 address.",
        },
        Field {
            name: "http_tokens",
            ty: Type::Enum(super::launch_template::HTTP_TOKENS),
            presence: Presence::Computed,
            update: Update::InPlace,
            doc: "Instance metadata: `required` (IMDSv2 only) or `optional` (IMDSv1 too); absent: the launch template's, else the AMI's default.",
        },
        Field {
            name: "root_volume",
            ty: Type::Object(&ROOT_VOLUME),
            presence: Presence::Computed,
            update: Update::InPlace,
            doc: "Root EBS volume: `size_gb`, `volume_type`, `encrypted`, `kms_key`. Its size (larger only) and type change in place; encryption and key replace the instance.",
        },
        super::TAGS,
    ],
    attributes: &["id", "private_ip_address", "public_ip_address"],
    after: &[Kind::InternetGateway],
    check,
    aws: AwsFacts {
        create_token: CreateToken::ClientToken,
        ..AwsFacts::simple("i", &["InvalidInstanceID.NotFound"])
    },
};

fn check(instance: &DesiredResource, others: &Others<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !instance.attrs.contains_key("launch_template") {
        for field in ["image", "instance_type"] {
            if !instance.attrs.contains_key(field) {
                problems.push(
                    Problem::at(
                        &[field],
                        format!(
                            "instance `{}` has neither `launch_template` nor `{field}`",
                            instance.address
                        ),
                        "needed without a launch template",
                    )
                    .help(format!(
                        "add `{field}`, or `launch_template: launch_template.<name>`"
                    )),
                );
            }
        }
    }
    match instance.attrs.get("launch_template_version") {
        Some(_) if !instance.attrs.contains_key("launch_template") => problems.push(
            Problem::at(
                &["launch_template_version"],
                format!(
                    "instance `{}` has a template version but no `launch_template`",
                    instance.address
                ),
                "no template to take it from",
            )
            .help("add `launch_template: launch_template.<name>`, or remove the version"),
        ),
        Some(Value::String(v)) if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) => {
            problems.push(
                Problem::at(
                    &["launch_template_version"],
                    format!("`{v}` is not a launch template version number"),
                    "not a version number",
                )
                .help(
                    "give a number such as `2`, or `${launch_template.<name>.latest_version}` \
                     (`$Default`/`$Latest` would change under a running instance: leave the \
                     field out to launch from the default version)",
                ),
            )
        }
        _ => {}
    }
    if instance.attrs.get("associate_public_ip") == Some(&Value::Bool(true)) {
        let with_eip = !others
            .referring(Kind::ElasticIp, "instance", &instance.address)
            .is_empty();
        if with_eip {
            problems.push(
                Problem::at(
                    &["associate_public_ip"],
                    format!(
                        "instance `{}` has an Elastic IP and asks for a public IP too",
                        instance.address
                    ),
                    "the Elastic IP replaces it",
                )
                .help("remove `associate_public_ip`"),
            );
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::value::Reference;

    fn resource(address: &str, pairs: &[(&str, Value)]) -> DesiredResource {
        DesiredResource {
            address: address.parse().unwrap(),
            attrs: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            depends_on: vec![],
        }
    }

    fn paths(problems: &[Problem]) -> Vec<String> {
        problems.iter().map(|p| p.path.join(".")).collect()
    }

    #[test]
    fn needs_a_launch_template_or_image_and_type() {
        let bare = resource("instance.vpn", &[]);
        assert_eq!(paths(&check(&bare, &Others::new(&[]))), ["image", "instance_type"]);
        let direct = resource(
            "instance.vpn",
            &[
                ("image", Value::str("ami-1")),
                ("instance_type", Value::str("t3.micro")),
            ],
        );
        assert_eq!(check(&direct, &Others::new(&[])), vec![]);
        let template = Reference::id(Address::new(Kind::LaunchTemplate, "bastion"));
        let from_template = resource("instance.vpn", &[("launch_template", Value::Ref(template))]);
        assert_eq!(check(&from_template, &Others::new(&[])), vec![]);
    }

    #[test]
    fn a_template_version_is_a_number_and_needs_a_template() {
        let template = Value::Ref(Reference::id(Address::new(Kind::LaunchTemplate, "c")));
        let with = |version: &str| {
            resource(
                "instance.c",
                &[
                    ("launch_template", template.clone()),
                    ("launch_template_version", Value::str(version)),
                ],
            )
        };
        assert_eq!(check(&with("12"), &Others::new(&[])), vec![]);
        assert_eq!(
            paths(&check(&with("$Latest"), &Others::new(&[]))),
            ["launch_template_version"]
        );
        let orphan = resource(
            "instance.c",
            &[
                ("image", Value::str("ami-1")),
                ("instance_type", Value::str("t3.micro")),
                ("launch_template_version", Value::str("1")),
            ],
        );
        assert_eq!(paths(&check(&orphan, &Others::new(&[]))), ["launch_template_version"]);
    }

    #[test]
    fn a_public_ip_and_an_elastic_ip_conflict() {
        let instance = resource(
            "instance.vpn",
            &[
                ("image", Value::str("ami-1")),
                ("instance_type", Value::str("t3.micro")),
                ("associate_public_ip", Value::Bool(true)),
            ],
        );
        let eip = resource(
            "elastic_ip.vpn",
            &[(
                "instance",
                Value::Ref(Reference::id(Address::new(Kind::Instance, "vpn"))),
            )],
        );
        assert_eq!(check(&instance, &Others::new(&[])), vec![]);
        assert_eq!(
            paths(&check(&instance, &Others::new(&[instance.clone(), eip]))),
            ["associate_public_ip"]
        );
    }
}
