//! `s3_bucket`: an S3 bucket: default encryption, public access blocked, versioning, lifecycle
//! rules and a bucket policy.
//!
//! Bucket names are global across every AWS account: recon derives `<environment>-<name>` when
//! the spec gives none, and a name another account (or another of this account's environments)
//! holds is an error before anything is made. Everything but the name changes in place.
//! Deleting a bucket deletes what is in it: recon refuses to delete a bucket that still holds
//! objects unless its spec said `force_destroy: true` (kept on the bucket as the tag
//! `recon:force-destroy`, so `destroy --env` knows it too), and the plan says how many objects
//! are lost.

use crate::address::Kind;
use crate::facts::AwsFacts;
use crate::resource::DesiredResource;
use crate::schema::{Field, KindDef, Others, Presence, Problem, Type, Update};
use crate::value::Value;

/// The tag that records `force_destroy: true` on the bucket.
pub const FORCE_DESTROY_TAG: &str = "recon:force-destroy";

static LIFECYCLE_RULE: [Field; 5] = [
    Field {
        name: "id",
        ty: Type::String,
        presence: Presence::Required,
        update: Update::InPlace,
        doc: "The rule's name.",
    },
    Field {
        name: "prefix",
        ty: Type::String,
        presence: Presence::Default(|| Value::str("")),
        update: Update::InPlace,
        doc: "The keys it applies to (a key prefix; empty: every object).",
    },
    Field {
        name: "expiration_days",
        ty: Type::Int { min: 1, max: 36500 },
        presence: Presence::Optional,
        update: Update::InPlace,
        doc: "Days after which current objects expire.",
    },
    Field {
        name: "noncurrent_expiration_days",
        ty: Type::Int { min: 1, max: 36500 },
        presence: Presence::Optional,
        update: Update::InPlace,
        doc: "Days after which previous versions are deleted.",
    },
    Field {
        name: "abort_incomplete_upload_days",
        ty: Type::Int { min: 1, max: 36500 },
        presence: Presence::Optional,
        update: Update::InPlace,
        doc: "Days after which unfinished multipart uploads are removed.",
    },
];

pub static DEF: KindDef = KindDef {
    kind: Kind::S3Bucket,
    doc: "An S3 bucket, encrypted and private by default.",
    fields: &[
        Field {
            name: "name",
            ty: Type::String,
            presence: Presence::Computed,
            update: Update::Replace,
            doc: "The bucket's global name: 3 to 63 of `a-z 0-9 . -`; absent: `<environment>-<name>`.",
        },
        Field {
            name: "kms_key",
            ty: Type::Ref(&[Kind::KmsKey]),
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "The KMS key new objects are encrypted with by default (SSE-KMS, with a bucket key); absent: S3-managed keys (SSE-S3).",
        },
        Field {
            name: "block_public_access",
            ty: Type::Bool,
            presence: Presence::Default(|| Value::Bool(true)),
            update: Update::InPlace,
            doc: "Block every form of public access (all four settings).",
        },
        Field {
            name: "versioning",
            ty: Type::Bool,
            presence: Presence::Default(|| Value::Bool(false)),
            update: Update::InPlace,
            doc: "Keep previous versions of objects (turning it off suspends it).",
        },
        Field {
            name: "lifecycle_rules",
            ty: Type::List(&Type::Object(&LIFECYCLE_RULE)),
            presence: Presence::Default(|| Value::List(vec![])),
            update: Update::InPlace,
            doc: "Expiration rules.",
        },
        Field {
            name: "policy",
            ty: Type::Document,
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "The bucket policy, as YAML.",
        },
        Field {
            name: "force_destroy",
            ty: Type::Bool,
            presence: Presence::Default(|| Value::Bool(false)),
            update: Update::InPlace,
            doc: "Whether deleting the bucket may delete the objects in it; without it, a bucket that holds objects is not deleted.",
        },
        super::TAGS,
    ],
    attributes: &["id", "arn", "name"],
    after: &[],
    check,
    aws: AwsFacts {
        // CreateBucket sets none of these; a new bucket blocks public access and has no
        // default KMS key, versioning, rules or policy.
        set_after_create: &[
            ("kms_key", || None),
            ("block_public_access", || Some(Value::Bool(true))),
            ("versioning", || Some(Value::Bool(false))),
            ("lifecycle_rules", || Some(Value::List(vec![]))),
            ("policy", || None),
        ],
        prefixed_ids: false,
        ..AwsFacts::simple("bucket", &["NoSuchBucket"])
    },
};

/// `<environment>-<name>`, lower-case, with what S3 refuses turned into `-`.
pub fn derived_name(environment: &str, name: &str) -> String {
    let full: String = format!("{environment}-{name}")
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' })
        .collect();
    full.chars().take(63).collect::<String>().trim_end_matches(['-', '.']).to_owned()
}

/// Why S3 refuses `name` as a bucket name, if it does.
pub fn name_problem(name: &str) -> Option<String> {
    if !(3..=63).contains(&name.len()) {
        return Some(format!("{} characters; S3 takes 3 to 63", name.len()));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return Some(format!("`{}` is not one of a-z, 0-9, `.` and `-`", c.escape_debug()));
    }
    let ends = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !name.starts_with(ends) || !name.ends_with(ends) {
        return Some("it must begin and end with a letter or a digit".into());
    }
    if name.contains("..") {
        return Some("two dots in a row".into());
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Some("it looks like an IP address".into());
    }
    if name.starts_with("xn--") || name.starts_with("sthree-") || name.ends_with("-s3alias") {
        return Some("S3 reserves this prefix or suffix".into());
    }
    None
}

fn check(bucket: &DesiredResource, _: &Others<'_>) -> Vec<Problem> {
    let a = &bucket.address;
    let mut problems = Vec::new();
    if let Some(name) = bucket.attrs.get("name").and_then(Value::as_str)
        && let Some(why) = name_problem(name)
    {
        problems.push(
            Problem::at(&["name"], format!("the name of S3 bucket `{a}`: {why}"), "S3 refuses this name")
                .help("use 3 to 63 of a-z, 0-9, `.` and `-`, beginning and ending with a letter or digit"),
        );
    }
    let rules = match bucket.attrs.get("lifecycle_rules") {
        Some(Value::List(l)) => l.as_slice(),
        _ => &[],
    };
    let mut ids = std::collections::BTreeSet::new();
    for (i, rule) in rules.iter().enumerate() {
        let Some(m) = rule.as_map() else { continue };
        let index = i.to_string();
        if let Some(id) = m.get("id").and_then(Value::as_str)
            && !ids.insert(id)
        {
            problems.push(
                Problem::at(
                    &["lifecycle_rules", &index, "id"],
                    format!("S3 bucket `{a}` has two lifecycle rules `{id}`"),
                    "given again here",
                )
                .help("give each rule its own `id`"),
            );
        }
        let acts = ["expiration_days", "noncurrent_expiration_days", "abort_incomplete_upload_days"]
            .iter()
            .any(|f| m.contains_key(*f));
        if !acts {
            problems.push(
                Problem::at(
                    &["lifecycle_rules", &index],
                    format!("lifecycle rule {i} of S3 bucket `{a}` does nothing"),
                    "no expiration",
                )
                .help("add `expiration_days`, `noncurrent_expiration_days` or `abort_incomplete_upload_days`"),
            );
        }
    }
    problems
}
