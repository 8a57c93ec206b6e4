//! `key_pair`: an EC2 key pair named `<environment>-<name>`.
//!
//! With `public_key` (OpenSSH public key material) the key is imported; without it AWS creates
//! the key and its private key is written once to `private_key_file` (mode 0600, never
//! overwritten; a relative path is relative to the directory recon runs in). Every field but
//! tags is fixed (replace): AWS cannot change a key, and a new private key file needs a new key.
//! Other resources use the key by name: `key_name: ${key_pair.<name>.key_name}`.

use crate::facts::AwsFacts;
use crate::address::Kind;
use crate::resource::DesiredResource;
use crate::schema::{Others, Field, KindDef, Presence, Problem, Type, Update};
use crate::value::Value;

pub static DEF: KindDef = KindDef {
    kind: Kind::KeyPair,
    doc: "An EC2 key pair, imported or created (private key written to a file).",
    fields: &[
        Field {
            name: "public_key",
            ty: Type::String,
            presence: Presence::Optional,
            update: Update::Replace,
            doc: "OpenSSH public key material to import (`ssh-ed25519 AAAA…`). Absent: AWS creates the key.",
        },
        Field {
            name: "public_key_file",
            ty: Type::String,
            presence: Presence::Optional,
            update: Update::Replace,
            doc: "Path of an OpenSSH public key file to import, relative to the spec's directory and inside it (links included): a regular file of at most 16 KiB holding an OpenSSH public key. recon reads it into `public_key` before planning.",
        },
        Field {
            name: "key_type",
            ty: Type::Enum(&["ed25519", "rsa"]),
            presence: Presence::Default(|| Value::str("ed25519")),
            update: Update::Replace,
            doc: "`ed25519` or `rsa`; for an imported key, the type of `public_key`.",
        },
        Field {
            name: "private_key_file",
            ty: Type::String,
            presence: Presence::Optional,
            update: Update::Replace,
            doc: "Where a created key's private key is written once (mode 0600, never overwritten; relative to the working directory). Required without `public_key`.",
        },
        super::TAGS,
    ],
    attributes: &["id", "key_name"],
    after: &[],
    check,
    aws: AwsFacts {
        // Its delete call answers once it is gone.
        gone_when_delete_answers: true,
        ..AwsFacts::simple("key", &["InvalidKeyPair.NotFound"])
    },
};

fn check(key: &DesiredResource, _: &Others<'_>) -> Vec<Problem> {
    let public = key.attrs.get("public_key").and_then(Value::as_str);
    let public_file = key.attrs.contains_key("public_key_file");
    let file = key.attrs.contains_key("private_key_file");
    let key_type = key
        .attrs
        .get("key_type")
        .and_then(Value::as_str)
        .unwrap_or("ed25519");
    let mut problems = Vec::new();
    for field in ["public_key_file", "private_key_file"] {
        if let Some(path) = key.attrs.get(field).and_then(Value::as_str)
            && let Some((what, help)) = crate::limits::path_problem(path)
        {
            problems.push(
                Problem::at(
                    &[field],
                    format!("`{field}` of `{}` {what}", key.address),
                    "must be a relative path inside its folder",
                )
                .help(help),
            );
        }
    }
    if public.is_some() && public_file {
        problems.push(
            Problem::at(
                &["public_key_file"],
                format!(
                    "key pair `{}` gives both `public_key` and `public_key_file`",
                    key.address
                ),
                "give one of the two",
            )
            .help("keep `public_key_file` to read the key from a file"),
        );
    }
    let imported = public.or(public_file.then_some(""));
    match (imported, file) {
        (None, false) => problems.push(
            Problem::at(
                &["private_key_file"],
                format!(
                    "key pair `{}` is created by AWS but its private key is kept nowhere",
                    key.address
                ),
                "a created key needs `private_key_file`",
            )
            .help("add `private_key_file: <path>`, or import a key with `public_key`"),
        ),
        (Some(_), true) => problems.push(
            Problem::at(
                &["private_key_file"],
                format!(
                    "key pair `{}` is imported: AWS has no private key to write",
                    key.address
                ),
                "not allowed with `public_key`",
            )
            .help("remove `private_key_file`"),
        ),
        _ => {}
    }
    if let Some(material) = public {
        if material.split_whitespace().count() > 2 {
            problems.push(
                Problem::at(
                    &["public_key"],
                    format!(
                        "`public_key` of `{}` has a comment after the key",
                        key.address
                    ),
                    "AWS does not keep the comment",
                )
                .help("keep only `<type> <base64>`, so that the key reads back the same"),
            );
        }
        let actual = if material.trim_start().starts_with("ssh-rsa") {
            Some("rsa")
        } else if material.trim_start().starts_with("ssh-ed25519") {
            Some("ed25519")
        } else {
            None
        };
        match actual {
            None => problems.push(
                Problem::at(
                    &["public_key"],
                    format!(
                        "`public_key` of `{}` is not an OpenSSH public key",
                        key.address
                    ),
                    "expected `ssh-ed25519 …` or `ssh-rsa …`",
                )
                .help("paste the contents of the `.pub` file"),
            ),
            // The key itself: base64 of the type it says it is (a comment is reported above).
            Some(_)
                if material.split_whitespace().count() <= 2
                    && let Some(why) = crate::limits::openssh_problem(material) =>
            {
                problems.push(
                    Problem::at(
                        &["public_key"],
                        format!(
                            "`public_key` of `{}` is not an OpenSSH public key: {why}",
                            key.address
                        ),
                        "not a usable key",
                    )
                    .help("paste the contents of the `.pub` file"),
                );
            }
            Some(t) if t != key_type => problems.push(
                Problem::at(
                    &["key_type"],
                    format!(
                        "`public_key` of `{}` is an {t} key but `key_type` is {key_type}",
                        key.address
                    ),
                    "does not match the public key",
                )
                .help(format!("set `key_type: {t}`")),
            ),
            _ => {}
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pairs: &[(&str, &str)]) -> DesiredResource {
        let mut attrs: crate::resource::Attrs = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::str(*v)))
            .collect();
        attrs
            .entry("key_type".into())
            .or_insert(Value::str("ed25519"));
        DesiredResource {
            address: "key_pair.admin".parse().unwrap(),
            attrs,
            depends_on: vec![],
        }
    }

    fn paths(k: &DesiredResource) -> Vec<String> {
        check(k, &Others::new(&[])).iter().map(|p| p.path.join(".")).collect()
    }

    #[test]
    fn created_keys_need_a_file_and_imported_keys_none() {
        assert_eq!(paths(&key(&[])), ["private_key_file"]);
        assert!(paths(&key(&[("private_key_file", "admin.pem")])).is_empty());
        let ed = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm5";
        assert!(paths(&key(&[("public_key", ed)])).is_empty());
        assert_eq!(
            paths(&key(&[("public_key", ed), ("private_key_file", "a.pem")])),
            ["private_key_file"]
        );
    }

    #[test]
    fn the_public_key_must_match_its_type_and_carry_no_comment() {
        let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB";
        assert_eq!(paths(&key(&[("public_key", rsa)])), ["key_type"]);
        assert!(paths(&key(&[("public_key", rsa), ("key_type", "rsa")])).is_empty());
        assert_eq!(
            paths(&key(&[("public_key", "ssh-ed25519 AAAA me@laptop")])),
            ["public_key"]
        );
        assert_eq!(
            paths(&key(&[("public_key", "not a key")])),
            ["public_key", "public_key"]
        );
        // The data must be a key of the type named: here an RSA key labelled ed25519.
        assert_eq!(
            paths(&key(&[("public_key", "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQAB")])),
            ["public_key"]
        );
    }
}
