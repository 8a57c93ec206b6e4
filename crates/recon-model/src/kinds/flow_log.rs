//! `flow_log`: a VPC flow log, for a VPC or one subnet, to a CloudWatch Logs group (through an
//! IAM role the flow logs service assumes) or to an S3 bucket.
//!
//! AWS cannot change a flow log: every field but the tags replaces it.

use crate::address::Kind;
use crate::facts::{AwsFacts, CreateToken};
use crate::resource::DesiredResource;
use crate::schema::{Field, KindDef, Others, Presence, Problem, Type, Update};
use crate::value::Value;

pub static DEF: KindDef = KindDef {
    kind: Kind::FlowLog,
    doc: "A VPC flow log: the traffic of a VPC or subnet, to a log group or an S3 bucket.",
    fields: &[
        Field {
            name: "vpc",
            ty: Type::Ref(&[Kind::Vpc]),
            presence: Presence::Optional,
            update: Update::Replace,
            doc: "The VPC whose traffic it records (or `subnet`).",
        },
        Field {
            name: "subnet",
            ty: Type::Ref(&[Kind::Subnet]),
            presence: Presence::Optional,
            update: Update::Replace,
            doc: "The subnet whose traffic it records (or `vpc`).",
        },
        Field {
            name: "traffic_type",
            ty: Type::Enum(&["ALL", "ACCEPT", "REJECT"]),
            presence: Presence::Default(|| Value::str("ALL")),
            update: Update::Replace,
            doc: "Which traffic: `ALL`, only `ACCEPT`ed or only `REJECT`ed.",
        },
        Field {
            name: "log_group",
            ty: Type::Ref(&[Kind::LogGroup]),
            presence: Presence::Optional,
            update: Update::Replace,
            doc: "The CloudWatch Logs group it delivers to (with `role`), or `s3_bucket`.",
        },
        Field {
            name: "role",
            ty: Type::Ref(&[Kind::IamRole]),
            presence: Presence::Optional,
            update: Update::Replace,
            doc: "The IAM role the flow logs service assumes to write to `log_group`.",
        },
        Field {
            name: "s3_bucket",
            ty: Type::Ref(&[Kind::S3Bucket]),
            presence: Presence::Optional,
            update: Update::Replace,
            doc: "The S3 bucket it delivers to, or `log_group`.",
        },
        Field {
            name: "max_aggregation_interval",
            ty: Type::Int { min: 60, max: 600 },
            presence: Presence::Default(|| Value::Int(600)),
            update: Update::Replace,
            doc: "Seconds over which a flow is aggregated into one record: 60 or 600.",
        },
        super::TAGS,
    ],
    attributes: &["id"],
    after: &[],
    check,
    aws: AwsFacts {
        create_token: CreateToken::ClientToken,
        ..AwsFacts::simple("fl", &["InvalidFlowLogId.NotFound"])
    },
};

fn given(r: &DesiredResource, field: &str) -> bool {
    r.attrs.contains_key(field)
}

fn check(flow: &DesiredResource, _: &Others<'_>) -> Vec<Problem> {
    let a = &flow.address;
    let mut problems = Vec::new();
    match (given(flow, "vpc"), given(flow, "subnet")) {
        (true, true) => problems.push(
            Problem::at(
                &["subnet"],
                format!("flow log `{a}` names both a VPC and a subnet"),
                "one or the other",
            )
            .help("a flow log records one VPC or one subnet: keep one of them"),
        ),
        (false, false) => problems.push(
            Problem::at(
                &[],
                format!("flow log `{a}` records nothing"),
                "no `vpc` or `subnet`",
            )
            .help("add `vpc:` (or `subnet:`)"),
        ),
        _ => {}
    }
    match (given(flow, "log_group"), given(flow, "s3_bucket")) {
        (true, true) => problems.push(
            Problem::at(
                &["s3_bucket"],
                format!("flow log `{a}` delivers to both a log group and a bucket"),
                "one destination",
            )
            .help("keep `log_group` (with `role`) or `s3_bucket`"),
        ),
        (false, false) => problems.push(
            Problem::at(
                &[],
                format!("flow log `{a}` has no destination"),
                "no `log_group` or `s3_bucket`",
            )
            .help("add `log_group:` and `role:`, or `s3_bucket:`"),
        ),
        (true, false) if !given(flow, "role") => problems.push(
            Problem::at(
                &["log_group"],
                format!("flow log `{a}` delivers to a log group without a role"),
                "the flow logs service needs a role to write to CloudWatch Logs",
            )
            .help("add `role:` naming an `iam_role` that `vpc-flow-logs.amazonaws.com` may assume, with logs:CreateLogStream and logs:PutLogEvents"),
        ),
        (false, true) if given(flow, "role") => problems.push(
            Problem::at(
                &["role"],
                format!("flow log `{a}` delivers to a bucket but names a role"),
                "S3 delivery uses the bucket's policy, not a role",
            )
            .help("remove `role`"),
        ),
        _ => {}
    }
    if let Some(Value::Int(i)) = flow.attrs.get("max_aggregation_interval")
        && *i != 60
        && *i != 600
    {
        problems.push(
            Problem::at(
                &["max_aggregation_interval"],
                format!("flow log `{a}` aggregates over {i} seconds"),
                "AWS takes 60 or 600",
            )
            .help("use 60 or 600"),
        );
    }
    problems
}
