//! `log_group`: a CloudWatch Logs group, with its retention and the KMS key its events are
//! encrypted with.
//!
//! The name is fixed at creation (recon derives `/recon/<environment>/<name>` when the spec
//! gives none); retention and the key change in place. Associating a KMS key needs a key
//! policy that lets `logs.<region>.amazonaws.com` use the key.

use crate::address::Kind;
use crate::facts::AwsFacts;
use crate::resource::DesiredResource;
use crate::schema::{Field, KindDef, Others, Presence, Problem, Type, Update};
use crate::value::Value;

/// The retention periods CloudWatch Logs accepts, in days.
pub const RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

pub static DEF: KindDef = KindDef {
    kind: Kind::LogGroup,
    doc: "A CloudWatch Logs group.",
    fields: &[
        Field {
            name: "name",
            ty: Type::String,
            presence: Presence::Computed,
            update: Update::Replace,
            doc: "The group's name; recon derives `/recon/<environment>/<name>` when it is not given.",
        },
        Field {
            name: "retention_days",
            ty: Type::Int { min: 1, max: 3653 },
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "Days its events are kept (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653); absent means forever.",
        },
        Field {
            name: "kms_key",
            ty: Type::Ref(&[Kind::KmsKey]),
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "The KMS key its events are encrypted with; its key policy must let CloudWatch Logs use it.",
        },
        super::TAGS,
    ],
    attributes: &["id", "arn"],
    after: &[],
    check,
    aws: AwsFacts {
        // PutRetentionPolicy: CreateLogGroup takes no retention.
        set_after_create: &[("retention_days", || None)],
        prefixed_ids: false,
        ..AwsFacts::simple("log-group", &["ResourceNotFoundException"])
    },
};

/// `/recon/<environment>/<name>`.
pub fn derived_name(environment: &str, name: &str) -> String {
    format!("/recon/{environment}/{name}")
}

fn check(group: &DesiredResource, _: &Others<'_>) -> Vec<Problem> {
    let a = &group.address;
    let mut problems = Vec::new();
    if let Some(Value::Int(days)) = group.attrs.get("retention_days")
        && !RETENTION_DAYS.contains(days)
    {
        let next = RETENTION_DAYS.iter().find(|d| *d > days).unwrap_or(&3653);
        problems.push(
            Problem::at(
                &["retention_days"],
                format!("log group `{a}` keeps events {days} days"),
                "CloudWatch Logs does not offer this period",
            )
            .help(format!("use one of the periods it offers, such as {next}")),
        );
    }
    if let Some(name) = group.attrs.get("name").and_then(Value::as_str) {
        let bad = name.is_empty()
            || name.len() > 512
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-/.#".contains(c));
        if bad {
            problems.push(
                Problem::at(
                    &["name"],
                    format!("log group name `{name}` of `{a}` is not one AWS accepts"),
                    "1 to 512 of a-z, A-Z, 0-9, `_`, `-`, `/`, `.` and `#`",
                )
                .help("use letters, digits and `_-/.#` only"),
            );
        }
    }
    problems
}
