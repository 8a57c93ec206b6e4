//! `internet_gateway`: CreateInternetGateway, Attach/DetachInternetGateway,
//! DeleteInternetGateway.
//!
//! `vpc` is present only while the gateway is attached (attachment state `attached`, or
//! `available`, which is what AWS reports for internet gateways).

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{InternetGateway, ResourceType};
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, as_text, known, not_in_place};
use crate::errors::{self, gone_is_ok, has_code, missing, unless_not_found};
use crate::tags;

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    debug!(op = "DescribeInternetGateways", environment, "aws call");
    let gateways: Vec<InternetGateway> = client
        .describe_internet_gateways()
        .filters(tags::env_filter(environment))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeInternetGateways", e))?;
    Ok(gateways.iter().map(to_found).collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, id: &str) -> Result<Option<Found>, ProviderError> {
    Ok(describe(client, id).await?.as_ref().map(to_found))
}

async fn describe(client: &Client, id: &str) -> Result<Option<InternetGateway>, ProviderError> {
    debug!(op = "DescribeInternetGateways", id, "aws call");
    let described = client
        .describe_internet_gateways()
        .internet_gateway_ids(id)
        .send()
        .await;
    let Some(out) =
        unless_not_found(described.map_err(|e| errors::sdk("DescribeInternetGateways", e)))?
    else {
        return Ok(None);
    };
    Ok(out
        .internet_gateways()
        .iter()
        .find(|g| g.internet_gateway_id() == Some(id))
        .cloned())
}

/// Many by id in one DescribeInternetGateways per [`super::IDS_PER_FILTER`] ids, through a `internet-gateway-id` filter: an id
/// that no longer exists is absent from the answer, not an error for the whole call.
pub(crate) async fn read_many(
    client: &Client,
    ids: &[String],
) -> Result<Vec<Found>, ProviderError> {
    let mut found = Vec::new();
    for chunk in ids.chunks(super::IDS_PER_FILTER) {
        debug!(
            op = "DescribeInternetGateways",
            ids = chunk.len(),
            "aws call"
        );
        let items: Vec<InternetGateway> = client
            .describe_internet_gateways()
            .filters(tags::id_filter("internet-gateway-id", chunk))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| errors::sdk("DescribeInternetGateways", e))?;
        found.extend(items.iter().map(to_found));
    }
    Ok(found)
}

// ---- create ------------------------------------------------------------------------------------

/// CreateInternetGateway (no client token exists for it). A new gateway is detached; the
/// executor attaches it with [`update`].
pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let tags = tags::wanted(request.attrs)?;
    debug!(op = "CreateInternetGateway", address = %request.address, "aws call");
    let out = client
        .create_internet_gateway()
        .tag_specifications(tags::spec(ResourceType::InternetGateway, &tags))
        .customize()
        .config_override(crate::sent_once!(aws_sdk_ec2))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateInternetGateway", e))?;
    let gateway = out
        .internet_gateway()
        .ok_or_else(|| missing("CreateInternetGateway", "an internet gateway"))?;
    Ok(to_found(gateway))
}

// ---- update ------------------------------------------------------------------------------------

/// `vpc`: detach from the VPC it is attached to now (if another), then attach to the wanted
/// one (if any). Tags.
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
            "vpc" => {
                let wanted = after.map(|v| as_text("vpc", v)).transpose()?;
                let attached = current.attrs.get("vpc").and_then(Value::as_str);
                if attached == wanted {
                    continue;
                }
                if let Some(old) = attached {
                    detach(client, id, old).await?;
                }
                if let Some(new) = wanted {
                    attach(client, id, new).await?;
                }
            }
            "tags" => tags::update(client, id, current.attrs.get("tags"), after).await?,
            other => return Err(not_in_place(Kind::InternetGateway, other)),
        }
    }
    Ok(())
}

/// AttachInternetGateway. Already attached to that VPC is success: the SDK resends an attach
/// whose answer was lost, and the resend meets the first one's effect.
async fn attach(client: &Client, id: &str, vpc: &str) -> Result<(), ProviderError> {
    debug!(op = "AttachInternetGateway", id, vpc, "aws call");
    let out = client
        .attach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc)
        .send()
        .await
        .map_err(|e| errors::sdk("AttachInternetGateway", e));
    match out {
        Err(e) if errors::has_code(&e, "Resource.AlreadyAssociated") => {
            let attached = read(client, id).await?;
            if attached
                .as_ref()
                .and_then(|f| f.attrs.get("vpc"))
                .and_then(Value::as_str)
                == Some(vpc)
            {
                Ok(())
            } else {
                Err(e)
            }
        }
        other => other.map(|_| ()),
    }
}

/// DetachInternetGateway; "not attached" (`Gateway.NotAttached`) and "not found" are success.
async fn detach(client: &Client, id: &str, vpc: &str) -> Result<(), ProviderError> {
    debug!(op = "DetachInternetGateway", id, vpc, "aws call");
    match client
        .detach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc)
        .send()
        .await
        .map_err(|e| errors::sdk("DetachInternetGateway", e))
    {
        Err(e) if has_code(&e, "Gateway.NotAttached") => Ok(()),
        result => gone_is_ok(result),
    }
}

// ---- delete ------------------------------------------------------------------------------------

/// Detaches from the VPC `current` says it is attached to (AWS refuses to delete an attached
/// gateway), then DeleteInternetGateway. A detach AWS refuses with `DependencyViolation`
/// (public addresses still mapped in the VPC), or a delete refused because the gateway is
/// attached elsewhere since it was read, is retried by the executor, with a fresh read.
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    let id = current.id.as_str();
    if let Some(vpc) = current.attrs.get("vpc").and_then(Value::as_str) {
        detach(client, id, vpc).await?;
    }
    debug!(op = "DeleteInternetGateway", id, "aws call");
    let result = client
        .delete_internet_gateway()
        .internet_gateway_id(id)
        .send()
        .await;
    gone_is_ok(result.map_err(|e| errors::sdk("DeleteInternetGateway", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

fn to_found(gateway: &InternetGateway) -> Found {
    let mut attrs = Attrs::new();
    let attached = gateway.attachments().iter().find(|a| {
        matches!(
            a.state().map(|s| s.as_str()),
            Some("attached" | "available")
        )
    });
    super::put(&mut attrs, "vpc", attached.and_then(|a| a.vpc_id()));
    attrs.insert("tags".into(), tags::to_value(gateway.tags()));
    Found::new(
        gateway.internet_gateway_id().unwrap_or_default(),
        LiveState::Available,
        attrs,
    )
}

// ---- the kind ----------------------------------------------------------------------------------

// `internet_gateway`'s [`AwsKind`](super::AwsKind): the functions above, on the EC2 client.
// The create answer is a read: CreateInternetGateway answers with the whole gateway (not attached yet).
super::aws_kind_calls!(
    InternetGateway,
    ec2,
    reads_many,
    const CREATE_REPLY_IS_A_READ: bool = true;
);
