//! `efs_file_system`: an EFS file system.
//!
//! The throughput mode, `backups` (PutBackupPolicy) and tags change in place; the rest is fixed
//! for the file system's life (replace). The creation token is recon's
//! deterministic request token, so a retried create returns the file system the first one made.
//! A file system with mount targets cannot be deleted: the executor deletes them first.

use crate::facts::{AwsFacts, CreateToken};
use crate::address::Kind;
use crate::resource::DesiredResource;
use crate::schema::{Others, Field, KindDef, Presence, Problem, Type, Update};
use crate::value::Value;

pub static DEF: KindDef = KindDef {
    kind: Kind::EfsFileSystem,
    doc: "An EFS file system.",
    fields: &[
        Field {
            name: "performance_mode",
            ty: Type::Enum(&["generalPurpose", "maxIO"]),
            presence: Presence::Default(|| Value::str("generalPurpose")),
            update: Update::Replace,
            doc: "`generalPurpose` or `maxIO`.",
        },
        Field {
            name: "throughput_mode",
            ty: Type::Enum(&["bursting", "elastic"]),
            presence: Presence::Default(|| Value::str("bursting")),
            update: Update::InPlace,
            doc: "`bursting` or `elastic`.",
        },
        Field {
            name: "encrypted",
            ty: Type::Bool,
            presence: Presence::Default(|| Value::Bool(true)),
            update: Update::Replace,
            doc: "Encryption at rest.",
        },
        Field {
            name: "kms_key",
            ty: Type::Ref(&[Kind::KmsKey]),
            presence: Presence::Computed,
            update: Update::Replace,
            doc: "The KMS key it is encrypted with; absent means the AWS-managed EFS key.",
        },
        Field {
            name: "availability_zone",
            ty: Type::String,
            presence: Presence::Optional,
            update: Update::Replace,
            doc: "One-zone storage in this availability zone; absent means regional.",
        },
        Field {
            name: "backups",
            ty: Type::Bool,
            presence: Presence::Default(|| Value::Bool(true)),
            update: Update::InPlace,
            doc: "Automatic backups (AWS Backup's daily plan); changes in place.",
        },
        super::TAGS,
    ],
    attributes: &["id"],
    after: &[],
    check,
    aws: AwsFacts {
        create_token: CreateToken::CreationToken,
        ..AwsFacts::simple("fs", &["FileSystemNotFound"])
    },
};

fn check(fs: &DesiredResource, _: &Others<'_>) -> Vec<Problem> {
    let encrypted = fs.attrs.get("encrypted") != Some(&Value::Bool(false));
    if !encrypted && fs.attrs.contains_key("kms_key") {
        return vec![
            Problem::at(
                &["kms_key"],
                format!(
                    "unencrypted file system `{}` cannot have a `kms_key`",
                    fs.address
                ),
                "needs `encrypted: true`",
            )
            .help("remove `encrypted: false`, or remove `kms_key`"),
        ];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::value::Reference;

    fn fs(encrypted: bool, key: bool) -> DesiredResource {
        let mut attrs = crate::resource::Attrs::new();
        attrs.insert("encrypted".into(), Value::Bool(encrypted));
        if key {
            attrs.insert(
                "kms_key".into(),
                Value::Ref(Reference::id(Address::new(Kind::KmsKey, "data"))),
            );
        }
        DesiredResource {
            address: Address::new(Kind::EfsFileSystem, "data"),
            attrs,
            depends_on: vec![],
        }
    }

    #[test]
    fn a_key_needs_encryption() {
        let problems = check(&fs(false, true), &Others::new(&[]));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, vec!["kms_key".to_owned()]);
        assert!(check(&fs(true, true), &Others::new(&[])).is_empty());
        assert!(check(&fs(false, false), &Others::new(&[])).is_empty());
        assert!(check(&fs(true, false), &Others::new(&[])).is_empty());
    }
}
