//! `subnet`: CreateSubnet, ModifySubnetAttribute, DeleteSubnet.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, Subnet, SubnetState};
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, flag, known, not_in_place, optional_text, text};
use crate::errors::{self, gone_is_ok, missing, unless_not_found};
use crate::tags;

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    debug!(op = "DescribeSubnets", environment, "aws call");
    let subnets: Vec<Subnet> = client
        .describe_subnets()
        .filters(tags::env_filter(environment))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeSubnets", e))?;
    Ok(subnets.iter().map(to_found).collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, id: &str) -> Result<Option<Found>, ProviderError> {
    debug!(op = "DescribeSubnets", id, "aws call");
    let described = client.describe_subnets().subnet_ids(id).send().await;
    let Some(out) = unless_not_found(described.map_err(|e| errors::sdk("DescribeSubnets", e)))?
    else {
        return Ok(None);
    };
    Ok(out
        .subnets()
        .iter()
        .find(|s| s.subnet_id() == Some(id))
        .map(to_found))
}

/// Many by id in one DescribeSubnets per [`super::IDS_PER_FILTER`] ids, through a `subnet-id` filter: an id
/// that no longer exists is absent from the answer, not an error for the whole call.
pub(crate) async fn read_many(
    client: &Client,
    ids: &[String],
) -> Result<Vec<Found>, ProviderError> {
    let mut found = Vec::new();
    for chunk in ids.chunks(super::IDS_PER_FILTER) {
        debug!(op = "DescribeSubnets", ids = chunk.len(), "aws call");
        let items: Vec<Subnet> = client
            .describe_subnets()
            .filters(tags::id_filter("subnet-id", chunk))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| errors::sdk("DescribeSubnets", e))?;
        found.extend(items.iter().map(to_found));
    }
    Ok(found)
}

// ---- create ------------------------------------------------------------------------------------

/// CreateSubnet (no client token exists for it). `map_public_ip_on_launch` is not part of the
/// call: a new subnet has it off, and the executor turns it on with [`update`].
pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let vpc = text(request.attrs, "vpc")?;
    let cidr = text(request.attrs, "cidr_block")?;
    let zone = optional_text(request.attrs, "availability_zone")?;
    let tags = tags::wanted(request.attrs)?;
    debug!(op = "CreateSubnet", address = %request.address, vpc, cidr, zone, "aws call");
    let out = client
        .create_subnet()
        .vpc_id(vpc)
        .cidr_block(cidr)
        .set_availability_zone(zone.map(str::to_owned))
        .tag_specifications(tags::spec(ResourceType::Subnet, &tags))
        .customize()
        .config_override(crate::sent_once!(aws_sdk_ec2))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateSubnet", e))?;
    let subnet = out
        .subnet()
        .ok_or_else(|| missing("CreateSubnet", "a subnet"))?;
    Ok(to_found(subnet))
}

// ---- update ------------------------------------------------------------------------------------

/// ModifySubnetAttribute for `map_public_ip_on_launch`; tags.
pub(crate) async fn update(
    client: &Client,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    let id = current.id.as_str();
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        match diff.field.as_str() {
            "map_public_ip_on_launch" => {
                let value = flag(&diff.field, after)?;
                debug!(
                    op = "ModifySubnetAttribute",
                    id,
                    map_public_ip_on_launch = value,
                    "aws call"
                );
                client
                    .modify_subnet_attribute()
                    .subnet_id(id)
                    .map_public_ip_on_launch(AttributeBooleanValue::builder().value(value).build())
                    .send()
                    .await
                    .map_err(|e| errors::sdk("ModifySubnetAttribute", e))?;
            }
            "tags" => tags::update(client, id, current.attrs.get("tags"), after).await?,
            other => return Err(not_in_place(Kind::Subnet, other)),
        }
    }
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

/// DeleteSubnet. AWS refuses (`DependencyViolation`) while network interfaces (a NAT gateway
/// being deleted, an instance) remain in it; the executor retries.
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    debug!(op = "DeleteSubnet", id = current.id, "aws call");
    let result = client.delete_subnet().subnet_id(&current.id).send().await;
    gone_is_ok(result.map_err(|e| errors::sdk("DeleteSubnet", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

fn state(subnet: &Subnet) -> LiveState {
    match subnet.state() {
        Some(SubnetState::Pending) => LiveState::Pending,
        Some(SubnetState::Failed | SubnetState::FailedInsufficientCapacity) => LiveState::Failed,
        _ => LiveState::Available,
    }
}

fn to_found(subnet: &Subnet) -> Found {
    let mut attrs = Attrs::new();
    super::put(&mut attrs, "vpc", subnet.vpc_id());
    super::put(&mut attrs, "cidr_block", subnet.cidr_block());
    super::put(&mut attrs, "availability_zone", subnet.availability_zone());
    attrs.insert(
        "map_public_ip_on_launch".into(),
        Value::Bool(subnet.map_public_ip_on_launch().unwrap_or(false)),
    );
    attrs.insert("tags".into(), tags::to_value(subnet.tags()));
    Found::new(subnet.subnet_id().unwrap_or_default(), state(subnet), attrs)
}

// ---- the kind ----------------------------------------------------------------------------------

// `subnet`'s [`AwsKind`](super::AwsKind): the functions above, on the EC2 client.
// The create answer is a read: CreateSubnet answers with the whole subnet (a new one has `map_public_ip_on_launch` off).
super::aws_kind_calls!(
    Subnet,
    ec2,
    reads_many,
    const CREATE_REPLY_IS_A_READ: bool = true;
);
