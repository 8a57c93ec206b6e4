//! `nat_gateway`: CreateNatGateway (with the client token), DeleteNatGateway. Only tags change
//! in place.
//!
//! States: `pending`, `available`, `deleting`, `failed` (with AWS's failure message in the
//! `failure_message` output); a `deleted` gateway is reported as gone. moto ignores tag filters
//! on DescribeNatGateways, so discovery filters by tag on the client side too, and an unknown
//! id gives an empty answer there instead of `NatGatewayNotFound`: both mean "gone".

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{ConnectivityType, NatGateway, NatGatewayState, ResourceType};
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, known, not_in_place, optional_text, text};
use crate::errors::{self, gone_is_ok, missing, unless_not_found};
use crate::tags;

/// Every state but `deleted`, as a server-side filter.
const LIVE_STATES: &[&str] = &["pending", "available", "deleting", "failed"];

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    debug!(op = "DescribeNatGateways", environment, "aws call");
    let gateways: Vec<NatGateway> = client
        .describe_nat_gateways()
        .filter(tags::env_filter(environment))
        .filter(tags::filter("state", LIVE_STATES))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeNatGateways", e))?;
    Ok(gateways
        .iter()
        .filter(|g| tags::owned_by(g.tags(), environment))
        .filter_map(to_found)
        .collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, id: &str) -> Result<Option<Found>, ProviderError> {
    debug!(op = "DescribeNatGateways", id, "aws call");
    let described = client
        .describe_nat_gateways()
        .nat_gateway_ids(id)
        .send()
        .await;
    let Some(out) = unless_not_found(described.map_err(|e| errors::sdk("DescribeNatGateways", e)))?
    else {
        return Ok(None);
    };
    Ok(out
        .nat_gateways()
        .iter()
        .find(|g| g.nat_gateway_id() == Some(id))
        .and_then(to_found))
}

/// Many by id in one DescribeNatGateways per [`super::IDS_PER_FILTER`] ids, through a `nat-gateway-id` filter: an id
/// that no longer exists is absent from the answer, not an error for the whole call.
pub(crate) async fn read_many(
    client: &Client,
    ids: &[String],
) -> Result<Vec<Found>, ProviderError> {
    let mut found = Vec::new();
    for chunk in ids.chunks(super::IDS_PER_FILTER) {
        debug!(op = "DescribeNatGateways", ids = chunk.len(), "aws call");
        let items: Vec<NatGateway> = client
            .describe_nat_gateways()
            .filter(tags::id_filter("nat-gateway-id", chunk))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| errors::sdk("DescribeNatGateways", e))?;
        found.extend(items.iter().filter_map(to_found));
    }
    Ok(found)
}

// ---- create ------------------------------------------------------------------------------------

/// CreateNatGateway with `ClientToken` = the request's token: a retried or re-run create
/// returns the gateway the first one made (on AWS; moto ignores the token). The gateway is
/// usually `pending` for minutes; the executor waits.
pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let subnet = text(request.attrs, "subnet")?;
    let allocation = optional_text(request.attrs, "elastic_ip")?;
    let connectivity = optional_text(request.attrs, "connectivity_type")?.unwrap_or("public");
    let tags = tags::wanted(request.attrs)?;
    debug!(
        op = "CreateNatGateway",
        address = %request.address,
        subnet,
        allocation,
        connectivity,
        "aws call"
    );
    let out = client
        .create_nat_gateway()
        .subnet_id(subnet)
        .set_allocation_id(allocation.map(str::to_owned))
        .connectivity_type(ConnectivityType::from(connectivity))
        .client_token(request.token)
        .tag_specifications(tags::spec(ResourceType::Natgateway, &tags))
        .customize()
        .config_override(crate::sent_once!(aws_sdk_ec2))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateNatGateway", e))?;
    let gateway = out
        .nat_gateway()
        .ok_or_else(|| missing("CreateNatGateway", "a NAT gateway"))?;
    to_found(gateway)
        .ok_or_else(|| missing("CreateNatGateway", "a NAT gateway that is not deleted"))
}

// ---- update ------------------------------------------------------------------------------------

pub(crate) async fn update(
    client: &Client,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        match diff.field.as_str() {
            "tags" => tags::update(client, &current.id, current.attrs.get("tags"), after).await?,
            other => return Err(not_in_place(Kind::NatGateway, other)),
        }
    }
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

/// DeleteNatGateway, unless it is already being deleted. Does not wait for `deleted`.
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    if current.state == LiveState::Deleting {
        return Ok(());
    }
    debug!(op = "DeleteNatGateway", id = current.id, "aws call");
    let result = client
        .delete_nat_gateway()
        .nat_gateway_id(&current.id)
        .send()
        .await;
    gone_is_ok(result.map_err(|e| errors::sdk("DeleteNatGateway", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

/// `None` once deleted.
fn state(gateway: &NatGateway) -> Option<LiveState> {
    Some(match gateway.state() {
        Some(NatGatewayState::Deleted) => return None,
        Some(NatGatewayState::Pending) => LiveState::Pending,
        Some(NatGatewayState::Deleting) => LiveState::Deleting,
        Some(NatGatewayState::Failed) => LiveState::Failed,
        _ => LiveState::Available,
    })
}

/// `None` for a deleted gateway.
fn to_found(gateway: &NatGateway) -> Option<Found> {
    let state = state(gateway)?;
    let allocation = gateway
        .nat_gateway_addresses()
        .iter()
        .find_map(|a| a.allocation_id());
    // AWS always reports the connectivity type; moto leaves it out when the create call did.
    // A gateway with an Elastic IP is then public.
    let connectivity = match gateway.connectivity_type() {
        Some(c) => c.as_str(),
        None if allocation.is_some() => "public",
        None => "private",
    };
    let mut attrs = Attrs::new();
    super::put(&mut attrs, "subnet", gateway.subnet_id());
    super::put(&mut attrs, "elastic_ip", allocation);
    attrs.insert("connectivity_type".into(), Value::str(connectivity));
    attrs.insert("tags".into(), tags::to_value(gateway.tags()));
    let mut found = Found::new(gateway.nat_gateway_id().unwrap_or_default(), state, attrs);
    if state == LiveState::Failed {
        let message = gateway
            .failure_message()
            .or(gateway.failure_code())
            .unwrap_or("failed");
        found
            .outputs
            .insert("failure_message".into(), Value::str(message));
    }
    Some(found)
}

// ---- the kind ----------------------------------------------------------------------------------

// `nat_gateway`'s [`AwsKind`](super::AwsKind): the functions above, on the EC2 client.
super::aws_kind_calls!(NatGateway, ec2, reads_many);

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::NatGatewayAddress;

    fn gateway(state: NatGatewayState) -> aws_sdk_ec2::types::builders::NatGatewayBuilder {
        NatGateway::builder()
            .nat_gateway_id("nat-1")
            .subnet_id("subnet-1")
            .state(state)
            .nat_gateway_addresses(
                NatGatewayAddress::builder()
                    .allocation_id("eipalloc-1")
                    .public_ip("203.0.113.1")
                    .build(),
            )
    }

    #[test]
    fn states_map_and_deleted_is_gone() {
        let failed = to_found(
            &gateway(NatGatewayState::Failed)
                .connectivity_type(ConnectivityType::Public)
                .failure_message("Network vpc-1 has no Internet gateway attached")
                .build(),
        )
        .unwrap();
        assert_eq!(failed.state, LiveState::Failed);
        assert_eq!(
            failed.outputs["failure_message"],
            Value::str("Network vpc-1 has no Internet gateway attached")
        );
        assert_eq!(failed.attrs["elastic_ip"], Value::str("eipalloc-1"));
        assert_eq!(failed.attrs["subnet"], Value::str("subnet-1"));
        for (state, live) in [
            (NatGatewayState::Pending, LiveState::Pending),
            (NatGatewayState::Available, LiveState::Available),
            (NatGatewayState::Deleting, LiveState::Deleting),
        ] {
            let found = to_found(&gateway(state).build()).unwrap();
            assert_eq!(found.state, live);
            assert!(found.outputs.is_empty());
            // moto leaves the connectivity type out: with an Elastic IP it is public.
            assert_eq!(found.attrs["connectivity_type"], Value::str("public"));
        }
        assert!(to_found(&gateway(NatGatewayState::Deleted).build()).is_none());
    }
}
