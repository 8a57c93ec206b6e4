//! `kms_key`: a customer-managed KMS key, its alias and its grants.
//!
//! Spec, usage and multi-region are fixed at creation (replace); the description, rotation,
//! alias, grants and tags change in place. KMS never deletes a key at once: deleting schedules
//! the deletion `deletion_window_days` (7 to 30) days ahead, and a key pending deletion counts
//! as gone. recon owns every grant of a key it owns that has a name: named grants found live
//! but not in the spec are revoked.

use crate::facts::AwsFacts;
use crate::address::Kind;
use crate::resource::DesiredResource;
use crate::schema::{Others, Field, KindDef, Presence, Problem, Type, Update};
use crate::value::Value;

/// The key specs KMS accepts.
pub const KEY_SPECS: &[&str] = &[
    "SYMMETRIC_DEFAULT",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
];

/// The grant operations KMS accepts.
pub const GRANT_OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "GetPublicKey",
    "CreateGrant",
    "RetireGrant",
    "DescribeKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
    "DeriveSharedSecret",
];

static GRANT: [Field; 3] = [
    Field {
        name: "name",
        ty: Type::String,
        presence: Presence::Required,
        update: Update::InPlace,
        doc: "The grant's name: recon finds the grant again by it.",
    },
    Field {
        name: "grantee_principal",
        ty: Type::String,
        presence: Presence::Required,
        update: Update::InPlace,
        doc: "The ARN of the principal the grant is for.",
    },
    Field {
        name: "operations",
        ty: Type::Set(&Type::Enum(GRANT_OPERATIONS)),
        presence: Presence::Required,
        update: Update::InPlace,
        doc: "What the principal may do with the key (`Encrypt`, `Decrypt`, `GenerateDataKey`…).",
    },
];

pub static DEF: KindDef = KindDef {
    kind: Kind::KmsKey,
    doc: "A customer-managed KMS key, with its alias and grants.",
    fields: &[
        Field {
            name: "description",
            ty: Type::String,
            presence: Presence::Default(|| Value::str("")),
            update: Update::InPlace,
            doc: "The key's description.",
        },
        Field {
            name: "key_spec",
            ty: Type::Enum(KEY_SPECS),
            presence: Presence::Default(|| Value::str("SYMMETRIC_DEFAULT")),
            update: Update::Replace,
            doc: "The kind of key material (`SYMMETRIC_DEFAULT`, `RSA_2048`…).",
        },
        Field {
            name: "key_usage",
            ty: Type::Enum(&[
                "ENCRYPT_DECRYPT",
                "SIGN_VERIFY",
                "GENERATE_VERIFY_MAC",
                "KEY_AGREEMENT",
            ]),
            presence: Presence::Default(|| Value::str("ENCRYPT_DECRYPT")),
            update: Update::Replace,
            doc: "What the key is for.",
        },
        Field {
            name: "multi_region",
            ty: Type::Bool,
            presence: Presence::Default(|| Value::Bool(false)),
            update: Update::Replace,
            doc: "Whether it is a multi-region primary key (`mrk-…`).",
        },
        Field {
            name: "enable_key_rotation",
            ty: Type::Bool,
            presence: Presence::Default(|| Value::Bool(true)),
            update: Update::InPlace,
            doc: "Yearly automatic rotation of the key material (symmetric keys only).",
        },
        Field {
            name: "deletion_window_days",
            ty: Type::Int { min: 7, max: 30 },
            presence: Presence::Default(|| Value::Int(30)),
            update: Update::InPlace,
            doc: "Days between deleting the key and KMS destroying it (7 to 30).",
        },
        Field {
            name: "alias",
            ty: Type::String,
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "An alias, without the `alias/` prefix.",
        },
        Field {
            name: "grants",
            ty: Type::Set(&Type::Object(&GRANT)),
            presence: Presence::Default(|| Value::List(vec![])),
            update: Update::InPlace,
            doc: "Named grants; named grants not listed are revoked.",
        },
        super::TAGS,
    ],
    attributes: &["id", "arn"],
    after: &[],
    check,
    aws: AwsFacts {
        // EnableKeyRotation, CreateAlias, CreateGrant: a new key has none of them. CreateKey
        // takes no token. Key ids are UUIDs on AWS; the fake's are `key-00000001`.
        set_after_create: &[
            ("enable_key_rotation", || Some(Value::Bool(false))),
            ("alias", || None),
            ("grants", || Some(Value::List(vec![]))),
        ],
        prefixed_ids: false,
        ..AwsFacts::simple("key", &["NotFoundException"])
    },
};

fn check(key: &DesiredResource, _: &Others<'_>) -> Vec<Problem> {
    let symmetric = key
        .attrs
        .get("key_spec")
        .is_none_or(|s| s == &Value::str("SYMMETRIC_DEFAULT"));
    let rotation = key.attrs.get("enable_key_rotation") != Some(&Value::Bool(false));
    let mut problems = Vec::new();
    if let Some(alias) = key.attrs.get("alias").and_then(Value::as_str)
        && let Some((what, help)) = crate::limits::kms_alias_problem(alias)
    {
        problems.push(
            Problem::at(
                &["alias"],
                format!("the alias of KMS key `{}` is {what}", key.address),
                "AWS refuses this alias",
            )
            .help(help),
        );
    }
    if let Some(why) = key
        .attrs
        .get("description")
        .and_then(Value::as_str)
        .and_then(crate::limits::control_problem)
    {
        problems.push(
            Problem::at(
                &["description"],
                format!("the description of KMS key `{}`: {why}", key.address),
                "not allowed in a description",
            )
            .help("write it on one line, without control characters"),
        );
    }
    if !symmetric && rotation {
        problems.push(
            Problem::at(
                &["enable_key_rotation"],
                format!(
                    "KMS key `{}` rotates, but only symmetric keys can",
                    key.address
                ),
                "automatic rotation needs `key_spec: SYMMETRIC_DEFAULT`",
            )
            .help("add `enable_key_rotation: false`"),
        );
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;

    fn key(spec: &str, rotation: Option<bool>) -> DesiredResource {
        let mut attrs = crate::resource::Attrs::new();
        attrs.insert("key_spec".into(), Value::str(spec));
        if let Some(r) = rotation {
            attrs.insert("enable_key_rotation".into(), Value::Bool(r));
        }
        DesiredResource {
            address: Address::new(Kind::KmsKey, "k"),
            attrs,
            depends_on: vec![],
        }
    }

    #[test]
    fn only_symmetric_keys_rotate() {
        assert_eq!(check(&key("RSA_2048", Some(true)), &Others::new(&[])).len(), 1);
        assert_eq!(check(&key("RSA_2048", None), &Others::new(&[])).len(), 1);
        assert!(check(&key("RSA_2048", Some(false)), &Others::new(&[])).is_empty());
        assert!(check(&key("SYMMETRIC_DEFAULT", Some(true)), &Others::new(&[])).is_empty());
    }
}
