//! `flow_log`: CreateFlowLogs (with the client token) for one VPC or subnet, to a CloudWatch
//! Logs group through an IAM role or to an S3 bucket; DeleteFlowLogs. Only tags change in
//! place.
//!
//! The spec names the role and the bucket; AWS takes ARNs: the role's comes from IAM (GetRole),
//! the bucket's is written from its name and the region's partition. Read turns them back into
//! names (the role's is the last segment of its ARN, whatever its path).
//!
//! CreateFlowLogs and DeleteFlowLogs answer per resource: a failure is an `Unsuccessful` entry
//! in a successful answer, which recon turns into an error (on delete, "not found" there means
//! gone). A flow log whose delivery fails (a role that cannot write to the group) stays
//! `ACTIVE`: recon reports it available and logs AWS's delivery error.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    FlowLog, FlowLogsResourceType, LogDestinationType, ResourceType, TrafficType, UnsuccessfulItem,
};
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ErrorKind, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, known, not_in_place, optional_text};
use crate::clients::Clients;
use crate::errors::{self, invalid, missing};
use crate::tags;

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(c: &Clients, environment: &str) -> Result<Vec<Found>, ProviderError> {
    debug!(op = "DescribeFlowLogs", environment, "aws call");
    let flows: Vec<FlowLog> = c
        .ec2
        .describe_flow_logs()
        .filter(tags::env_filter(environment))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeFlowLogs", e))?;
    Ok(flows
        .iter()
        .filter(|f| tags::owned_by(f.tags(), environment))
        .map(to_found)
        .collect())
}

// ---- read --------------------------------------------------------------------------------------

/// DescribeFlowLogs through a `flow-log-id` filter: a gone id is an empty answer.
pub(crate) async fn read(c: &Clients, id: &str) -> Result<Option<Found>, ProviderError> {
    debug!(op = "DescribeFlowLogs", id, "aws call");
    let out = c
        .ec2
        .describe_flow_logs()
        .filter(tags::filter("flow-log-id", &[id]))
        .send()
        .await
        .map_err(|e| errors::sdk("DescribeFlowLogs", e))?;
    Ok(out
        .flow_logs()
        .iter()
        .find(|f| f.flow_log_id() == Some(id))
        .map(to_found))
}

// ---- create ------------------------------------------------------------------------------------

/// CreateFlowLogs for the one VPC or subnet, with `ClientToken` = the request's token (a
/// retried or re-run create returns the flow log the first one made) and the tags. Its answer
/// is ids only; the flow log is what was asked for, reported from the request.
pub(crate) async fn create(
    c: &Clients,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let attrs = request.attrs;
    for (field, value) in attrs {
        known(field, Some(value))?;
    }
    let (resource_type, resource) = match (
        optional_text(attrs, "vpc")?,
        optional_text(attrs, "subnet")?,
    ) {
        (Some(vpc), None) => (FlowLogsResourceType::Vpc, vpc),
        (None, Some(subnet)) => (FlowLogsResourceType::Subnet, subnet),
        _ => {
            return Err(invalid(
                "a flow log records exactly one of `vpc` and `subnet`",
            ));
        }
    };
    let traffic = optional_text(attrs, "traffic_type")?.unwrap_or("ALL");
    let interval = match attrs.get("max_aggregation_interval") {
        None => 600,
        Some(Value::Int(i)) => i32::try_from(*i)
            .map_err(|_| invalid(format!("`max_aggregation_interval` {i} is out of range")))?,
        Some(other) => {
            return Err(invalid(format!(
                "`max_aggregation_interval` must be seconds, got {other}"
            )));
        }
    };
    let tags = tags::wanted(attrs)?;
    let mut call = c
        .ec2
        .create_flow_logs()
        .resource_type(resource_type)
        .resource_ids(resource)
        .traffic_type(TrafficType::from(traffic))
        .max_aggregation_interval(interval)
        .client_token(request.token)
        .tag_specifications(tags::spec(ResourceType::VpcFlowLog, &tags));
    match (
        optional_text(attrs, "log_group")?,
        optional_text(attrs, "role")?,
        optional_text(attrs, "s3_bucket")?,
    ) {
        (Some(group), Some(role), None) => {
            call = call
                .log_destination_type(LogDestinationType::CloudWatchLogs)
                .log_group_name(group)
                .deliver_logs_permission_arn(role_arn(c, role).await?);
        }
        (None, None, Some(bucket)) => {
            call = call
                .log_destination_type(LogDestinationType::S3)
                .log_destination(super::s3_bucket::bucket_arn(region(&c.ec2), bucket));
        }
        _ => {
            return Err(invalid(
                "a flow log delivers to `log_group` (with `role`) or to `s3_bucket`",
            ));
        }
    }
    debug!(op = "CreateFlowLogs", address = %request.address, resource, "aws call");
    let out = call
        .customize()
        .config_override(crate::sent_once!(aws_sdk_ec2))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateFlowLogs", e))?;
    if let Some(failure) = out.unsuccessful().first() {
        return Err(unsuccessful(
            "CreateFlowLogs",
            "create a flow log for",
            failure,
        ));
    }
    let id = out
        .flow_log_ids()
        .first()
        .ok_or_else(|| missing("CreateFlowLogs", "a flow log id"))?;
    let mut found = attrs.clone();
    found.retain(|field, _| field != "tags");
    found.insert("traffic_type".into(), Value::str(traffic));
    found.insert(
        "max_aggregation_interval".into(),
        Value::Int(interval.into()),
    );
    found.insert("tags".into(), recon_model::tags::to_value(&tags));
    Ok(Found::new(id.as_str(), LiveState::Available, found))
}

// ---- update ------------------------------------------------------------------------------------

pub(crate) async fn update(
    c: &Clients,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        match diff.field.as_str() {
            "tags" => {
                tags::update(&c.ec2, &current.id, current.attrs.get("tags"), after).await?;
            }
            other => return Err(not_in_place(Kind::FlowLog, other)),
        }
    }
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

/// DeleteFlowLogs. AWS reports an unknown id in `Unsuccessful`, moto as an error: both mean
/// gone.
pub(crate) async fn delete(c: &Clients, current: &Found) -> Result<(), ProviderError> {
    let id = current.id.as_str();
    debug!(op = "DeleteFlowLogs", id, "aws call");
    let out = c.ec2.delete_flow_logs().flow_log_ids(id).send().await;
    let Some(out) = errors::unless_not_found(out.map_err(|e| errors::sdk("DeleteFlowLogs", e)))?
    else {
        return Ok(());
    };
    match out.unsuccessful().first() {
        Some(failure) => {
            let e = unsuccessful("DeleteFlowLogs", "delete", failure);
            if e.kind == ErrorKind::NotFound {
                Ok(())
            } else {
                Err(e)
            }
        }
        None => Ok(()),
    }
}

// ---- mapping -----------------------------------------------------------------------------------

/// A per-resource failure in a successful answer, as the error it would have been.
fn unsuccessful(op: &str, what: &str, item: &UnsuccessfulItem) -> ProviderError {
    let resource = item.resource_id().unwrap_or("the resource");
    let code = item.error().and_then(|e| e.code()).unwrap_or("Unknown");
    let message = item.error().and_then(|e| e.message()).unwrap_or(code);
    ProviderError::new(
        errors::classify(code),
        format!("{op} did not {what} {resource}: {message}"),
    )
    .with_code(code)
}

/// The role's ARN (GetRole): its path is part of it, so it cannot be written from the name.
async fn role_arn(c: &Clients, name: &str) -> Result<String, ProviderError> {
    debug!(op = "GetRole", name, "aws call");
    // IAM's `NoSuchEntity` is "not found": a role just created may not be visible yet.
    let out = c
        .iam
        .get_role()
        .role_name(name)
        .send()
        .await
        .map_err(|e| errors::sdk("GetRole", e))?;
    out.role()
        .map(|r| r.arn().to_owned())
        .ok_or_else(|| missing("GetRole", "a role"))
}

fn region(client: &Client) -> &str {
    client.config().region().map_or("", |r| r.as_ref())
}

/// A bucket's name from an S3 ARN (`arn:aws:s3:::bucket` or `…:::bucket/prefix`).
fn bucket_of(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":::")?;
    rest.split('/').next().filter(|b| !b.is_empty())
}

/// A role's name from its ARN: the last segment (recon's roles have a path,
/// `role/recon/<environment>/<name>`).
fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// A log group's name from its ARN (`arn:aws:logs:…:log-group:<name>`, perhaps with `:*`).
fn group_of(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":log-group:")?;
    Some(rest.strip_suffix(":*").unwrap_or(rest))
}

fn to_found(flow: &FlowLog) -> Found {
    let mut attrs = Attrs::new();
    if let Some(resource) = flow.resource_id() {
        if resource.starts_with("vpc-") {
            attrs.insert("vpc".into(), Value::str(resource));
        } else if resource.starts_with("subnet-") {
            attrs.insert("subnet".into(), Value::str(resource));
        }
    }
    super::put(
        &mut attrs,
        "traffic_type",
        flow.traffic_type().map(TrafficType::as_str),
    );
    let destination = flow.log_destination();
    match flow.log_destination_type() {
        Some(LogDestinationType::S3) => {
            super::put(&mut attrs, "s3_bucket", destination.and_then(bucket_of));
        }
        // CloudWatch Logs is the default type, which an old flow log may not report.
        Some(LogDestinationType::CloudWatchLogs) | None => {
            let group = flow
                .log_group_name()
                .or_else(|| destination.and_then(group_of));
            super::put(&mut attrs, "log_group", group);
            super::put(
                &mut attrs,
                "role",
                flow.deliver_logs_permission_arn().map(role_name),
            );
        }
        // Another destination (Firehose) is not one recon makes: it shows as a difference.
        Some(_) => {}
    }
    if let Some(interval) = flow.max_aggregation_interval() {
        attrs.insert(
            "max_aggregation_interval".into(),
            Value::Int(interval.into()),
        );
    }
    attrs.insert("tags".into(), tags::to_value(flow.tags()));
    let id = flow.flow_log_id().unwrap_or_default();
    if flow.deliver_logs_status() == Some("FAILED") {
        tracing::warn!(
            id,
            error = flow.deliver_logs_error_message().unwrap_or("unknown"),
            "flow log cannot deliver its records"
        );
    }
    Found::new(id, LiveState::Available, attrs)
}

// ---- the kind ----------------------------------------------------------------------------------

// `flow_log`'s [`AwsKind`](super::AwsKind): the functions above, on every client (the role's
// ARN comes from IAM).
super::aws_kind_calls!(FlowLog, clients);

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{Tag, UnsuccessfulItemError};

    #[test]
    fn arns_become_names() {
        assert_eq!(
            role_name("arn:aws:iam::123456789012:role/recon/dev/flow-logs"),
            "flow-logs"
        );
        assert_eq!(role_name("arn:aws:iam::123456789012:role/plain"), "plain");
        assert_eq!(bucket_of("arn:aws:s3:::logs-bucket"), Some("logs-bucket"));
        assert_eq!(
            bucket_of("arn:aws:s3:::logs-bucket/vpc/"),
            Some("logs-bucket")
        );
        assert_eq!(bucket_of("arn:aws:s3:::"), None);
        assert_eq!(
            group_of("arn:aws:logs:us-east-1:123456789012:log-group:/recon/dev/flow:*"),
            Some("/recon/dev/flow")
        );
    }

    #[test]
    fn flow_logs_map_back_to_the_spec() {
        let to_group = FlowLog::builder()
            .flow_log_id("fl-1")
            .resource_id("vpc-1")
            .traffic_type(TrafficType::Reject)
            .log_destination_type(LogDestinationType::CloudWatchLogs)
            .log_destination("arn:aws:logs:us-east-1:123456789012:log-group:/recon/dev/flow")
            .deliver_logs_permission_arn("arn:aws:iam::123456789012:role/recon/dev/flow")
            .max_aggregation_interval(60)
            .tags(Tag::builder().key("recon:env").value("dev").build())
            .build();
        let found = to_found(&to_group);
        assert_eq!(found.id, "fl-1");
        assert_eq!(found.attrs["vpc"], Value::str("vpc-1"));
        assert_eq!(found.attrs["traffic_type"], Value::str("REJECT"));
        // No LogGroupName in the answer: the group comes from the destination ARN.
        assert_eq!(found.attrs["log_group"], Value::str("/recon/dev/flow"));
        assert_eq!(found.attrs["role"], Value::str("flow"));
        assert_eq!(found.attrs["max_aggregation_interval"], Value::Int(60));
        assert!(!found.attrs.contains_key("s3_bucket"));

        let to_bucket = FlowLog::builder()
            .flow_log_id("fl-2")
            .resource_id("subnet-1")
            .traffic_type(TrafficType::All)
            .log_destination_type(LogDestinationType::S3)
            .log_destination("arn:aws:s3:::flow-bucket")
            .build();
        let found = to_found(&to_bucket);
        assert_eq!(found.attrs["subnet"], Value::str("subnet-1"));
        assert_eq!(found.attrs["s3_bucket"], Value::str("flow-bucket"));
        assert!(!found.attrs.contains_key("role"));
        assert!(!found.attrs.contains_key("log_group"));
    }

    #[test]
    fn unsuccessful_items_are_errors_of_their_kind() {
        let item = |code: &str| {
            UnsuccessfulItem::builder()
                .resource_id("fl-1")
                .error(
                    UnsuccessfulItemError::builder()
                        .code(code)
                        .message("no such flow log")
                        .build(),
                )
                .build()
        };
        let e = unsuccessful(
            "DeleteFlowLogs",
            "delete",
            &item("InvalidFlowLogId.NotFound"),
        );
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(
            e.message,
            "DeleteFlowLogs did not delete fl-1: no such flow log"
        );
        let e = unsuccessful("CreateFlowLogs", "create a flow log for", &item("400"));
        assert_eq!(e.kind, ErrorKind::Other);
        assert_eq!(e.code.as_deref(), Some("400"));
    }
}
