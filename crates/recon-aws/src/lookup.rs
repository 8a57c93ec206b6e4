//! Lookups: existing resources found by filters, read-only (`lookups:` in a spec).
//!
//! One describe per lookup with the filters as the API's own filters (`default-for-az`,
//! `tag:Name`, `owner-alias`…), then, for VPCs, subnets and security groups, the kind's own
//! read so that a looked-up resource has the same attributes as a managed one. Nothing here
//! writes.
//!
//! An image lookup takes the newest match by creation date, as `most_recent = true` does in
//! Terraform. The others must match exactly one resource: none is "not found", several is an
//! error that says how many, so a spec never silently picks one of two VPCs.

use std::collections::BTreeMap;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, Image};
use recon_model::{Address, Attrs, Kind, LiveResource, Value};
use recon_provider::{ErrorKind, ProviderError};
use tracing::debug;

use crate::errors;
use crate::kinds::{Found, security_group, subnet, vpc};

pub(crate) async fn lookup(
    client: &Client,
    address: &Address,
    filters: &Attrs,
) -> Result<LiveResource, ProviderError> {
    let found = match address.kind {
        Kind::Image => image(client, filters).await?,
        Kind::Vpc => {
            let ids = vpc_ids(client, filters).await?;
            let id = exactly_one(address, ids)?;
            vpc::read(client, &id)
                .await?
                .ok_or_else(|| vanished(address))?
        }
        Kind::Subnet => {
            let ids = subnet_ids(client, filters).await?;
            let id = exactly_one(address, ids)?;
            subnet::read(client, &id)
                .await?
                .ok_or_else(|| vanished(address))?
        }
        Kind::SecurityGroup => {
            let ids = group_ids(client, filters).await?;
            let id = exactly_one(address, ids)?;
            security_group::read(client, &id)
                .await?
                .ok_or_else(|| vanished(address))?
        }
        other => {
            return Err(ProviderError::new(
                ErrorKind::Invalid,
                format!("a {other} cannot be looked up"),
            ));
        }
    };
    Ok(found.with_address(address.clone()))
}

/// The newest image matching every filter.
async fn image(client: &Client, filters: &Attrs) -> Result<Found, ProviderError> {
    let owners = strings(filters.get("owners"));
    let mut call = client
        .describe_images()
        .set_owners((!owners.is_empty()).then_some(owners.clone()));
    let mut shown = vec![format!("owners {}", owners.join(", "))];
    for (field, filter) in [
        ("id", "image-id"),
        ("name", "name"),
        ("architecture", "architecture"),
        ("virtualization_type", "virtualization-type"),
        ("root_device_type", "root-device-type"),
    ] {
        if let Some(v) = filters.get(field).and_then(Value::as_str) {
            call = call.filters(Filter::builder().name(filter).values(v).build());
            shown.push(format!("{field} {v}"));
        }
    }
    call = call.filters(Filter::builder().name("state").values("available").build());
    debug!(op = "DescribeImages", filters = ?shown, "aws call");
    let out = call
        .send()
        .await
        .map_err(|e| errors::sdk("DescribeImages", e))?;
    let newest = newest(out.images()).ok_or_else(|| {
        ProviderError::new(
            ErrorKind::NotFound,
            format!("no available image matches {}", shown.join("; ")),
        )
    })?;
    let mut found = Found::new(
        newest.image_id().unwrap_or_default(),
        recon_model::LiveState::Available,
        Attrs::new(),
    );
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            found.outputs.insert(k.to_owned(), Value::str(v));
        }
    };
    put("name", newest.name());
    put("creation_date", newest.creation_date());
    put("architecture", newest.architecture().map(|a| a.as_str()));
    Ok(found)
}

/// The image with the latest creation date (ISO 8601 text sorts by time); ties by id, so the
/// choice is stable.
fn newest(images: &[Image]) -> Option<&Image> {
    images
        .iter()
        .max_by_key(|i| (i.creation_date().unwrap_or_default(), i.image_id()))
}

async fn vpc_ids(client: &Client, filters: &Attrs) -> Result<Vec<String>, ProviderError> {
    let mut call = client.describe_vpcs();
    if let Some(id) = filters.get("id").and_then(Value::as_str) {
        call = call.vpc_ids(id);
    }
    if let Some(default) = filters.get("default").and_then(Value::as_bool) {
        call = call.filters(filter("is-default", &default.to_string()));
    }
    for f in tag_filters(filters) {
        call = call.filters(f);
    }
    debug!(op = "DescribeVpcs", "aws call (lookup)");
    let out = call
        .send()
        .await
        .map_err(|e| errors::sdk("DescribeVpcs", e))?;
    Ok(out
        .vpcs()
        .iter()
        .filter_map(|v| v.vpc_id().map(str::to_owned))
        .collect())
}

async fn subnet_ids(client: &Client, filters: &Attrs) -> Result<Vec<String>, ProviderError> {
    let mut call = client.describe_subnets();
    if let Some(id) = filters.get("id").and_then(Value::as_str) {
        call = call.subnet_ids(id);
    }
    for (field, name) in [
        ("vpc", "vpc-id"),
        ("availability_zone", "availability-zone"),
    ] {
        if let Some(v) = filters.get(field).and_then(Value::as_str) {
            call = call.filters(filter(name, v));
        }
    }
    if let Some(default) = filters.get("default_for_az").and_then(Value::as_bool) {
        call = call.filters(filter("default-for-az", &default.to_string()));
    }
    for f in tag_filters(filters) {
        call = call.filters(f);
    }
    debug!(op = "DescribeSubnets", "aws call (lookup)");
    let out = call
        .send()
        .await
        .map_err(|e| errors::sdk("DescribeSubnets", e))?;
    Ok(out
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_id().map(str::to_owned))
        .collect())
}

async fn group_ids(client: &Client, filters: &Attrs) -> Result<Vec<String>, ProviderError> {
    let mut call = client.describe_security_groups();
    if let Some(id) = filters.get("id").and_then(Value::as_str) {
        call = call.group_ids(id);
    }
    for (field, name) in [("vpc", "vpc-id"), ("name", "group-name")] {
        if let Some(v) = filters.get(field).and_then(Value::as_str) {
            call = call.filters(filter(name, v));
        }
    }
    for f in tag_filters(filters) {
        call = call.filters(f);
    }
    debug!(op = "DescribeSecurityGroups", "aws call (lookup)");
    let out = call
        .send()
        .await
        .map_err(|e| errors::sdk("DescribeSecurityGroups", e))?;
    Ok(out
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_owned))
        .collect())
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// `tag:<key>` = value for each of the lookup's `tags`.
fn tag_filters(filters: &Attrs) -> Vec<Filter> {
    let tags: BTreeMap<String, Value> = filters
        .get("tags")
        .and_then(Value::as_map)
        .cloned()
        .unwrap_or_default();
    tags.iter()
        .filter_map(|(k, v)| Some(filter(&format!("tag:{k}"), v.as_str()?)))
        .collect()
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn exactly_one(address: &Address, mut ids: Vec<String>) -> Result<String, ProviderError> {
    ids.sort();
    ids.dedup();
    match ids.len() {
        1 => Ok(ids.remove(0)),
        0 => Err(ProviderError::new(
            ErrorKind::NotFound,
            format!("no {} matches the lookup", address.kind),
        )),
        n => Err(ProviderError::new(
            ErrorKind::Invalid,
            format!(
                "{n} {}s match the lookup ({}): it must name exactly one",
                address.kind,
                ids.join(", ")
            ),
        )),
    }
}

fn vanished(address: &Address) -> ProviderError {
    ProviderError::new(
        ErrorKind::NotFound,
        format!(
            "the {} found for `{address}` vanished while being read",
            address.kind
        ),
    )
}
