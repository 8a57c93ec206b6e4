//! `vpc_endpoint`: a VPC endpoint, the way a VPC without a route to the internet reaches an AWS
//! service or a PrivateLink service.
//!
//! A gateway endpoint (S3, DynamoDB) is a route in the route tables it is attached to; an
//! interface endpoint is a network interface in each of its subnets, behind security groups,
//! with private DNS so the service's usual host name resolves to it. The VPC, the service and
//! the type are fixed at creation; subnets, security groups, route tables, private DNS and the
//! policy change in place (ModifyVpcEndpoint). Interface endpoints are `pending` for a minute or
//! two.

use std::time::Duration;

use crate::address::Kind;
use crate::facts::{AwsFacts, CreateToken, Lifecycle};
use crate::resource::DesiredResource;
use crate::schema::{Field, KindDef, Others, Presence, Problem, Type, Update};
use crate::value::Value;

/// The services AWS offers gateway endpoints for.
pub const GATEWAY_SERVICES: &[&str] = &["s3", "dynamodb"];

pub static DEF: KindDef = KindDef {
    kind: Kind::VpcEndpoint,
    doc: "A VPC endpoint: a gateway endpoint (S3, DynamoDB) in route tables, or an interface endpoint in subnets.",
    fields: &[
        Field {
            name: "vpc",
            ty: Type::Ref(&[Kind::Vpc]),
            presence: Presence::Required,
            update: Update::Replace,
            doc: "The VPC it serves.",
        },
        Field {
            name: "service",
            ty: Type::String,
            presence: Presence::Required,
            update: Update::Replace,
            doc: "The service: an AWS service's short name (`s3`, `ssm`, `ecr.api`), meaning `com.amazonaws.<region>.<name>` in the spec's region, or a PrivateLink service's full name (`com.amazonaws.vpce.<region>.vpce-svc-…`).",
        },
        Field {
            name: "endpoint_type",
            ty: Type::Enum(&["Gateway", "Interface"]),
            presence: Presence::Default(|| Value::str("Gateway")),
            update: Update::Replace,
            doc: "`Gateway` (routes, for `s3` and `dynamodb`) or `Interface` (network interfaces in subnets).",
        },
        Field {
            name: "route_tables",
            ty: Type::Set(&Type::Ref(&[Kind::RouteTable])),
            presence: Presence::Default(|| Value::List(vec![])),
            update: Update::InPlace,
            doc: "A gateway endpoint's route tables: each gets a route to the service.",
        },
        Field {
            name: "subnets",
            ty: Type::Set(&Type::Ref(&[Kind::Subnet])),
            presence: Presence::Default(|| Value::List(vec![])),
            update: Update::InPlace,
            doc: "An interface endpoint's subnets, at most one per availability zone.",
        },
        Field {
            name: "security_groups",
            ty: Type::Set(&Type::Ref(&[Kind::SecurityGroup])),
            presence: Presence::Computed,
            update: Update::InPlace,
            doc: "An interface endpoint's security groups; absent means the VPC's default group.",
        },
        Field {
            name: "private_dns",
            ty: Type::Bool,
            presence: Presence::Computed,
            update: Update::InPlace,
            doc: "Whether the service's usual host name resolves to an interface endpoint in the VPC (AWS turns it on for AWS services); needs the VPC's DNS support and host names.",
        },
        Field {
            name: "policy",
            ty: Type::Document,
            presence: Presence::Computed,
            update: Update::InPlace,
            doc: "The endpoint policy, as YAML; absent means AWS's default (full access).",
        },
        super::TAGS,
    ],
    attributes: &["id"],
    after: &[],
    check,
    aws: AwsFacts {
        create_token: CreateToken::ClientToken,
        chosen_by_aws: &[
            ("security_groups", || Value::List(vec![])),
            ("private_dns", || Value::Bool(false)),
            ("policy", default_policy),
        ],
        lifecycle: Lifecycle {
            pending: Duration::from_secs(60),
            deleting: Duration::from_secs(30),
            ready_within: Duration::from_secs(10 * 60),
            deleted_within: Duration::from_secs(10 * 60),
        },
        ..AwsFacts::simple("vpce", &["InvalidVpcEndpointId.NotFound"])
    },
};

/// The policy AWS gives an endpoint created without one: anyone in the VPC, any action.
fn default_policy() -> Value {
    let statement = Value::Map(
        [
            ("Effect", Value::str("Allow")),
            ("Principal", Value::str("*")),
            ("Action", Value::str("*")),
            ("Resource", Value::str("*")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    );
    Value::Map(
        [
            ("Version".to_owned(), Value::str("2008-10-17")),
            ("Statement".to_owned(), Value::List(vec![statement])),
        ]
        .into_iter()
        .collect(),
    )
}

/// Whether `service` is an AWS service written in full for a region
/// (`com.amazonaws.us-east-1.s3`), which the spec must write short.
fn full_aws_service(service: &str) -> Option<&str> {
    let rest = service.strip_prefix("com.amazonaws.")?;
    if rest.starts_with("vpce.") {
        return None;
    }
    let (region, short) = rest.split_once('.')?;
    crate::regions::is_known(region).then_some(short)
}

fn listed(endpoint: &DesiredResource, field: &str) -> bool {
    matches!(endpoint.attrs.get(field), Some(Value::List(l)) if !l.is_empty())
}

fn check(endpoint: &DesiredResource, _: &Others<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let a = &endpoint.address;
    let service = endpoint.attrs.get("service").and_then(Value::as_str);
    if let Some(short) = service.and_then(full_aws_service) {
        problems.push(
            Problem::at(
                &["service"],
                format!("VPC endpoint `{a}` names an AWS service with its region"),
                "the region is the spec's",
            )
            .help(format!(
                "write `service: {short}`: recon adds `com.amazonaws.<region>.` for the spec's region"
            )),
        );
    }
    let gateway = endpoint.attrs.get("endpoint_type").and_then(Value::as_str) != Some("Interface");
    if gateway {
        if let Some(s) = service
            && !s.contains('.')
            && !GATEWAY_SERVICES.contains(&s)
        {
            problems.push(
                Problem::at(
                    &["service"],
                    format!("VPC endpoint `{a}` is a gateway endpoint for `{s}`"),
                    "AWS has gateway endpoints only for `s3` and `dynamodb`",
                )
                .help("add `endpoint_type: Interface`"),
            );
        }
        for field in ["subnets", "security_groups"] {
            if listed(endpoint, field) {
                problems.push(
                    Problem::at(
                        &[field],
                        format!("gateway endpoint `{a}` lists `{field}`"),
                        "only interface endpoints have them",
                    )
                    .help("use `route_tables`, or add `endpoint_type: Interface`"),
                );
            }
        }
        if endpoint.attrs.get("private_dns") == Some(&Value::Bool(true)) {
            problems.push(
                Problem::at(
                    &["private_dns"],
                    format!("gateway endpoint `{a}` asks for private DNS"),
                    "only interface endpoints have it",
                )
                .help("remove `private_dns`"),
            );
        }
    } else {
        if listed(endpoint, "route_tables") {
            problems.push(
                Problem::at(
                    &["route_tables"],
                    format!("interface endpoint `{a}` lists route tables"),
                    "only gateway endpoints are routes",
                )
                .help("use `subnets`, or `endpoint_type: Gateway` for `s3` or `dynamodb`"),
            );
        }
        if !listed(endpoint, "subnets") {
            problems.push(
                Problem::at(
                    &["endpoint_type"],
                    format!("interface endpoint `{a}` has no subnets"),
                    "an interface endpoint lives in subnets",
                )
                .help("add `subnets:` with one subnet per availability zone that uses it"),
            );
        }
    }
    problems
}
