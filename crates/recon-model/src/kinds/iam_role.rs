//! `iam_role`: an IAM role: who may assume it (the trust policy), the managed policies attached
//! to it and its inline policies.
//!
//! Policies are written as YAML mappings, sent as JSON and compared as values, so key order and
//! layout never show as a change. The name is fixed at creation (recon derives
//! `<environment>-<name>`); everything else changes in place. recon keeps its roles under the
//! path `/recon/<environment>/`. IAM is global and eventually consistent: a new role may not be
//! usable for some seconds, which the kinds that use one wait out.

use crate::address::Kind;
use crate::facts::AwsFacts;
use crate::resource::DesiredResource;
use crate::schema::{Field, KindDef, Others, Presence, Problem, Type, Update};
use crate::value::Value;

/// The longest IAM role (and instance profile) name.
pub const MAX_NAME: usize = 64;

static INLINE_POLICY: [Field; 2] = [
    Field {
        name: "name",
        ty: Type::String,
        presence: Presence::Required,
        update: Update::InPlace,
        doc: "The policy's name within the role.",
    },
    Field {
        name: "policy",
        ty: Type::Document,
        presence: Presence::Required,
        update: Update::InPlace,
        doc: "The policy document, as YAML.",
    },
];

pub static DEF: KindDef = KindDef {
    kind: Kind::IamRole,
    doc: "An IAM role, with its trust policy, managed policies and inline policies.",
    fields: &[
        Field {
            name: "name",
            ty: Type::String,
            presence: Presence::Computed,
            update: Update::Replace,
            doc: "At most 64 of `a-z A-Z 0-9 +=,.@_-`; absent: `<environment>-<name>`.",
        },
        Field {
            name: "description",
            ty: Type::String,
            presence: Presence::Default(|| Value::str("")),
            update: Update::InPlace,
            doc: "What the role is for.",
        },
        Field {
            name: "trust_policy",
            ty: Type::Document,
            presence: Presence::Required,
            update: Update::InPlace,
            doc: "Who may assume the role (the assume-role policy), as YAML.",
        },
        Field {
            name: "managed_policy_arns",
            ty: Type::Set(&Type::String),
            presence: Presence::Default(|| Value::List(vec![])),
            update: Update::InPlace,
            doc: "ARNs of managed policies attached to the role; others attached are detached.",
        },
        Field {
            name: "inline_policies",
            ty: Type::Set(&Type::Object(&INLINE_POLICY)),
            presence: Presence::Default(|| Value::List(vec![])),
            update: Update::InPlace,
            doc: "Policies embedded in the role, by name; others embedded are deleted.",
        },
        Field {
            name: "max_session_duration",
            ty: Type::Int { min: 3600, max: 43200 },
            presence: Presence::Default(|| Value::Int(3600)),
            update: Update::InPlace,
            doc: "The longest session, in seconds (3600 to 43200).",
        },
        super::TAGS,
    ],
    attributes: &["id", "arn", "name"],
    after: &[],
    check,
    aws: AwsFacts {
        // AttachRolePolicy, PutRolePolicy: CreateRole attaches nothing.
        set_after_create: &[
            ("managed_policy_arns", || Some(Value::List(vec![]))),
            ("inline_policies", || Some(Value::List(vec![]))),
        ],
        prefixed_ids: false,
        ..AwsFacts::simple("role", &["NoSuchEntity"])
    },
};

/// `<environment>-<name>`, with what IAM refuses turned into `-`, cut to 64 characters.
pub fn derived_name(environment: &str, name: &str) -> String {
    let full: String = format!("{environment}-{name}")
        .chars()
        .map(|c| if valid_char(c) { c } else { '-' })
        .collect();
    full.chars().take(MAX_NAME).collect()
}

fn valid_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

/// Whether IAM takes `name` for a role or an instance profile.
pub fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Some(format!("{} characters; IAM takes 1 to 64", name.chars().count()));
    }
    name.chars()
        .find(|c| !valid_char(*c))
        .map(|c| format!("`{}` is not one of a-z, A-Z, 0-9 and `+=,.@_-`", c.escape_debug()))
}

/// The statements of a policy document, as a list.
pub fn statements(policy: &Value) -> Vec<&Value> {
    match policy.as_map().and_then(|m| m.get("Statement")) {
        Some(Value::List(l)) => l.iter().collect(),
        Some(one) => vec![one],
        None => vec![],
    }
}

fn check(role: &DesiredResource, _: &Others<'_>) -> Vec<Problem> {
    let a = &role.address;
    let mut problems = Vec::new();
    if let Some(name) = role.attrs.get("name").and_then(Value::as_str)
        && let Some(why) = name_problem(name)
    {
        problems.push(
            Problem::at(&["name"], format!("the name of IAM role `{a}`: {why}"), "AWS refuses this name")
                .help("use at most 64 of a-z, A-Z, 0-9 and `+=,.@_-`"),
        );
    }
    if let Some(trust) = role.attrs.get("trust_policy") {
        let assumable = statements(trust).iter().any(|s| {
            s.as_map().is_some_and(|m| {
                m.contains_key("Principal") && m.get("Effect") == Some(&Value::str("Allow"))
            })
        });
        if !assumable {
            problems.push(
                Problem::at(
                    &["trust_policy"],
                    format!("nobody may assume IAM role `{a}`"),
                    "no statement allows a principal",
                )
                .help("add a statement with `Effect: Allow`, a `Principal` (such as `Service: ec2.amazonaws.com`) and `Action: sts:AssumeRole`"),
            );
        }
    }
    let inline = match role.attrs.get("inline_policies") {
        Some(Value::List(l)) => l.as_slice(),
        _ => &[],
    };
    let mut documents = vec![(vec!["trust_policy".to_owned()], role.attrs.get("trust_policy"))];
    for (i, p) in inline.iter().enumerate() {
        let path = vec!["inline_policies".to_owned(), i.to_string(), "policy".to_owned()];
        documents.push((path, p.as_map().and_then(|m| m.get("policy"))));
    }
    for (path, doc) in documents {
        if let Some(doc) = doc
            && !doc.as_map().is_some_and(|m| m.contains_key("Statement"))
        {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            problems.push(
                Problem::at(
                    &path,
                    format!("a policy of IAM role `{a}` has no `Statement`"),
                    "IAM refuses a policy without statements",
                )
                .help("write `Version: \"2012-10-17\"` and a `Statement:` list"),
            );
        }
    }
    problems
}
