//! `security_group`: a VPC security group and all of its rules.
//!
//! recon owns every rule of a group it owns: rules found live but not in the spec are revoked.
//! VPC and description are fixed (replace); rules and tags change in place. When `egress` is
//! absent the group keeps AWS's default rule (all traffic to 0.0.0.0/0); `egress: []` means no
//! egress at all. A rule's `from`/`to` is a CIDR block or another security group's address.
//! Ports are `22`, `1000-2000` or `all`; protocol `all` implies `all` ports, and `icmp` takes
//! `all` only.

use crate::facts::AwsFacts;
use crate::address::Kind;
use crate::resource::DesiredResource;
use crate::schema::{Others, Field, KindDef, Presence, Problem, Type, Update};
use crate::value::Value;

const PROTOCOLS: &[&str] = &["tcp", "udp", "icmp", "all"];

const fn rule_fields(peer: &'static str, doc: &'static str) -> [Field; 4] {
    [
        Field {
            name: "protocol",
            ty: Type::Enum(PROTOCOLS),
            presence: Presence::Required,
            update: Update::InPlace,
            doc: "`tcp`, `udp`, `icmp` or `all`.",
        },
        Field {
            name: "ports",
            ty: Type::Ports,
            presence: Presence::Default(|| Value::str("all")),
            update: Update::InPlace,
            doc: "A port (`22`), a range (`1000-2000`) or `all`.",
        },
        Field {
            name: peer,
            ty: Type::CidrOrRef(&[Kind::SecurityGroup]),
            presence: Presence::Required,
            update: Update::InPlace,
            doc,
        },
        Field {
            name: "description",
            ty: Type::String,
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "Shown in the console next to the rule.",
        },
    ]
}

static INGRESS_RULE: [Field; 4] = rule_fields(
    "from",
    "Source: a CIDR block or a security group's address.",
);
static EGRESS_RULE: [Field; 4] = rule_fields(
    "to",
    "Destination: a CIDR block or a security group's address.",
);

/// AWS's default egress rule, which a new group has.
pub fn default_egress() -> Value {
    Value::List(vec![Value::Map(
        [
            ("protocol".to_owned(), Value::str("all")),
            ("ports".to_owned(), Value::str("all")),
            ("to".to_owned(), Value::str("0.0.0.0/0")),
        ]
        .into(),
    )])
}

pub static DEF: KindDef = KindDef {
    kind: Kind::SecurityGroup,
    doc: "A security group and all of its rules.",
    fields: &[
        Field {
            name: "vpc",
            ty: Type::Ref(&[Kind::Vpc]),
            presence: Presence::Required,
            update: Update::Replace,
            doc: "The VPC.",
        },
        Field {
            name: "description",
            ty: Type::String,
            presence: Presence::Default(|| Value::str("Managed by recon")),
            update: Update::Replace,
            doc: "The group's description (AWS cannot change it later).",
        },
        Field {
            name: "ingress",
            ty: Type::Set(&Type::Object(&INGRESS_RULE)),
            presence: Presence::Default(|| Value::List(vec![])),
            update: Update::InPlace,
            doc: "Inbound rules.",
        },
        Field {
            name: "egress",
            ty: Type::Set(&Type::Object(&EGRESS_RULE)),
            presence: Presence::Default(default_egress),
            update: Update::InPlace,
            doc: "Outbound rules; absent keeps AWS's default allow-all rule.",
        },
        super::TAGS,
    ],
    attributes: &["id"],
    after: &[],
    check,
    aws: AwsFacts {
        // Its delete call answers once it is gone.
        gone_when_delete_answers: true,
        // A new group has AWS's default egress rule and no ingress; Authorize/Revoke*.
        set_after_create: &[
            ("ingress", || Some(Value::List(vec![]))),
            ("egress", || Some(default_egress())),
        ],
        ..AwsFacts::simple("sg", &["InvalidGroup.NotFound", "InvalidGroupId.NotFound"])
    },
};

fn check(group: &DesiredResource, _: &Others<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let description = |path: &[&str], what: &str, text: &str| {
        crate::limits::ec2_description_problem(text).map(|why| {
            Problem::at(
                path,
                format!("the description of {what}: {why}"),
                "AWS refuses this description",
            )
            .help("use up to 255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*")
        })
    };
    if let Some(text) = group.attrs.get("description").and_then(Value::as_str) {
        problems.extend(description(
            &["description"],
            &format!("`{}`", group.address),
            text,
        ));
    }
    for (field, peer) in [("ingress", "from"), ("egress", "to")] {
        let rules = group
            .attrs
            .get(field)
            .map(Value::as_list)
            .unwrap_or_default();
        for (i, rule) in rules.iter().enumerate() {
            let Some(rule) = rule.as_map() else { continue };
            let index = i.to_string();
            let protocol = rule.get("protocol").and_then(Value::as_str).unwrap_or("");
            let ports = rule.get("ports").and_then(Value::as_str).unwrap_or("all");
            if let Some(text) = rule.get("description").and_then(Value::as_str) {
                let what = format!("{field} rule {i} of `{}`", group.address);
                problems.extend(description(&[field, &index, "description"], &what, text));
            }
            match (protocol, ports) {
                ("tcp" | "udp", "all") => problems.push(
                    Problem::at(
                        &[field, &index, "protocol"],
                        format!("{field} rule {i} of `{}` gives no ports", group.address),
                        "tcp and udp need `ports`",
                    )
                    .help("add `ports: 22`, a range like `ports: 1000-2000`, or `ports: 0-65535`"),
                ),
                ("all" | "icmp", p) if p != "all" => problems.push(
                    Problem::at(
                        &[field, &index, "ports"],
                        format!(
                            "{field} rule {i} of `{}`: protocol `{protocol}` takes no ports",
                            group.address
                        ),
                        "ports do not apply",
                    )
                    .help("remove `ports`"),
                ),
                _ => {}
            }
            if let Some(Value::Ref(r)) = rule.get(peer)
                && r.address == group.address
            {
                problems.push(
                    Problem::at(
                        &[field, &index, peer],
                        format!("`{}` refers to itself", group.address),
                        "a group cannot reference itself here",
                    )
                    .help("use the VPC's CIDR block instead"),
                );
            }
        }
    }
    problems
}
