//! `elastic_ip`: AllocateAddress, ReleaseAddress. The id is the allocation id (`eipalloc-…`);
//! the address itself is the `public_ip` output. `instance` (AssociateAddress with
//! re-association allowed, DisassociateAddress) and tags change in place; a delete
//! disassociates first.
//!
//! DescribeAddresses has no pagination: one call returns every matching address.

use std::collections::BTreeMap;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Address as AwsAddress, DomainType, ResourceType};
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, known, not_in_place};
use crate::errors::{self, gone_is_ok, missing, unless_not_found};
use crate::tags;

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    debug!(op = "DescribeAddresses", environment, "aws call");
    let out = client
        .describe_addresses()
        .filters(tags::env_filter(environment))
        .filters(tags::filter("domain", &["vpc"]))
        .send()
        .await
        .map_err(|e| errors::sdk("DescribeAddresses", e))?;
    Ok(out.addresses().iter().filter_map(to_found).collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, id: &str) -> Result<Option<Found>, ProviderError> {
    debug!(op = "DescribeAddresses", id, "aws call");
    let described = client.describe_addresses().allocation_ids(id).send().await;
    let Some(out) = unless_not_found(described.map_err(|e| errors::sdk("DescribeAddresses", e)))?
    else {
        return Ok(None);
    };
    Ok(out
        .addresses()
        .iter()
        .find(|a| a.allocation_id() == Some(id))
        .and_then(to_found))
}

/// Many by id in one DescribeAddresses per [`super::IDS_PER_FILTER`] ids, through a `allocation-id` filter: an id
/// that no longer exists is absent from the answer, not an error for the whole call.
pub(crate) async fn read_many(
    client: &Client,
    ids: &[String],
) -> Result<Vec<Found>, ProviderError> {
    let mut found = Vec::new();
    for chunk in ids.chunks(super::IDS_PER_FILTER) {
        debug!(op = "DescribeAddresses", ids = chunk.len(), "aws call");
        let out = client
            .describe_addresses()
            .filters(tags::id_filter("allocation-id", chunk))
            .send()
            .await
            .map_err(|e| errors::sdk("DescribeAddresses", e))?;
        found.extend(out.addresses().iter().filter_map(to_found));
    }
    Ok(found)
}

// ---- create ------------------------------------------------------------------------------------

/// AllocateAddress in the VPC domain (no client token exists for it). Its reply has no tags: the
/// caller fills in the ones the call set.
pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let tags = tags::wanted(request.attrs)?;
    debug!(op = "AllocateAddress", address = %request.address, "aws call");
    let out = client
        .allocate_address()
        .domain(DomainType::Vpc)
        .tag_specifications(tags::spec(ResourceType::ElasticIp, &tags))
        .customize()
        .config_override(crate::sent_once!(aws_sdk_ec2))
        .send()
        .await
        .map_err(|e| errors::sdk_create("AllocateAddress", e))?;
    let id = out
        .allocation_id()
        .ok_or_else(|| missing("AllocateAddress", "an allocation id"))?;
    let mut found = Found::new(id, LiveState::Available, Attrs::new());
    found.outputs = outputs(out.public_ip());
    Ok(found)
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
            "instance" => match after.and_then(Value::as_str) {
                Some(instance) => {
                    debug!(
                        op = "AssociateAddress",
                        id = current.id,
                        instance,
                        "aws call"
                    );
                    client
                        .associate_address()
                        .allocation_id(&current.id)
                        .instance_id(instance)
                        .allow_reassociation(true)
                        .send()
                        .await
                        .map_err(|e| errors::sdk("AssociateAddress", e))?;
                }
                None => disassociate(client, &current.id).await?,
            },
            other => return Err(not_in_place(Kind::ElasticIp, other)),
        }
    }
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

/// ReleaseAddress; "not found" is success. AWS refuses while a NAT gateway uses the address
/// (it is deleted first: it refers to the address).
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    disassociate(client, &current.id).await?;
    debug!(op = "ReleaseAddress", id = current.id, "aws call");
    let result = client
        .release_address()
        .allocation_id(&current.id)
        .send()
        .await;
    gone_is_ok(result.map_err(|e| errors::sdk("ReleaseAddress", e)))
}

/// DisassociateAddress of the address's current association, if any; "not found" is success.
async fn disassociate(client: &Client, id: &str) -> Result<(), ProviderError> {
    debug!(op = "DescribeAddresses", id, "aws call");
    let described = client.describe_addresses().allocation_ids(id).send().await;
    let Some(out) = unless_not_found(described.map_err(|e| errors::sdk("DescribeAddresses", e)))?
    else {
        return Ok(());
    };
    let Some(association) = out
        .addresses()
        .iter()
        .find(|a| a.allocation_id() == Some(id))
        .and_then(|a| a.association_id())
        .filter(|a| !a.is_empty())
    else {
        return Ok(());
    };
    debug!(op = "DisassociateAddress", id, association, "aws call");
    let result = client
        .disassociate_address()
        .association_id(association)
        .send()
        .await;
    gone_is_ok(result.map_err(|e| errors::sdk("DisassociateAddress", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

fn outputs(public_ip: Option<&str>) -> BTreeMap<String, Value> {
    public_ip
        .map(|ip| ("public_ip".to_owned(), Value::str(ip)))
        .into_iter()
        .collect()
}

/// `None` for an address without an allocation id (EC2-Classic).
fn to_found(address: &AwsAddress) -> Option<Found> {
    let id = address.allocation_id()?;
    let mut attrs = Attrs::new();
    attrs.insert("tags".into(), tags::to_value(address.tags()));
    // moto answers an empty instance id for an address that is not associated.
    super::put(
        &mut attrs,
        "instance",
        address.instance_id().filter(|i| !i.is_empty()),
    );
    let mut found = Found::new(id, LiveState::Available, attrs);
    found.outputs = outputs(address.public_ip());
    Some(found)
}

// ---- the kind ----------------------------------------------------------------------------------

// `elastic_ip`'s [`AwsKind`](super::AwsKind): the functions above, on the EC2 client.
super::aws_kind_calls!(ElasticIp, ec2, reads_many);
