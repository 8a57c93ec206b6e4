//! `launch_template`: CreateLaunchTemplate (with the client token), DeleteLaunchTemplate, and
//! for a change CreateLaunchTemplateVersion and ModifyLaunchTemplate (the wanted data as a new
//! version, made the default).
//!
//! The name is `<environment>-<name>`. A read is two calls: DescribeLaunchTemplates (tags,
//! version numbers) and DescribeLaunchTemplateVersions of the `$Default` version (the data).
//! `user_data` is compared decoded. With `subnet` or `associate_public_ip` the network settings
//! are the template's network interface 0; without them the security groups are the
//! template's `SecurityGroupIds`. `http_tokens` is the data's `MetadataOptions.HttpTokens`;
//! data without it reads as `optional` (AWS's default).

use std::collections::BTreeMap;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    InstanceType, LaunchTemplate, LaunchTemplateBlockDeviceMappingRequest,
    LaunchTemplateEbsBlockDeviceRequest, LaunchTemplateHttpTokensState,
    LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateInstanceNetworkInterfaceSpecificationRequest,
    LaunchTemplateTagSpecificationRequest, RequestLaunchTemplateData, ResourceType,
    ResponseLaunchTemplateData, VolumeType,
};
use aws_smithy_types::base64;
use futures::{StreamExt, TryStreamExt};
use recon_model::{Attrs, LiveState, Value};
use recon_provider::{CreateRequest, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, as_text, flag, items, known, optional_text};
use crate::errors::{self, gone_is_ok, invalid, missing, unless_not_found};
use crate::tags;

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    debug!(op = "DescribeLaunchTemplates", environment, "aws call");
    let templates: Vec<LaunchTemplate> = client
        .describe_launch_templates()
        .filters(tags::env_filter(environment))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeLaunchTemplates", e))?;
    // Each template's version data, concurrently (DescribeLaunchTemplateVersions takes one
    // template per call when it names versions).
    let reads: Vec<_> = templates
        .iter()
        .filter(|t| tags::owned_by(t.tags(), environment))
        .map(|t| with_data(client, t))
        .collect();
    let found: Vec<Option<Found>> = futures::stream::iter(reads)
        .buffered(super::DISCOVERY_READS_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, id: &str) -> Result<Option<Found>, ProviderError> {
    debug!(op = "DescribeLaunchTemplates", id, "aws call");
    let described = client
        .describe_launch_templates()
        .launch_template_ids(id)
        .send()
        .await;
    let Some(out) =
        unless_not_found(described.map_err(|e| errors::sdk("DescribeLaunchTemplates", e)))?
    else {
        return Ok(None);
    };
    match out
        .launch_templates()
        .iter()
        .find(|t| t.launch_template_id() == Some(id))
    {
        Some(t) => with_data(client, t).await,
        None => Ok(None),
    }
}

/// The data of one version of the template (a number, `$Default` or `$Latest`), or `None` if the
/// template is gone meanwhile.
pub(crate) async fn version_data(
    client: &Client,
    id: &str,
    version: &str,
) -> Result<Option<ResponseLaunchTemplateData>, ProviderError> {
    debug!(
        op = "DescribeLaunchTemplateVersions",
        id, version, "aws call"
    );
    let described = client
        .describe_launch_template_versions()
        .launch_template_id(id)
        .versions(version)
        .send()
        .await;
    let Some(out) =
        unless_not_found(described.map_err(|e| errors::sdk("DescribeLaunchTemplateVersions", e)))?
    else {
        return Ok(None);
    };
    Ok(out
        .launch_template_versions()
        .first()
        .and_then(|v| v.launch_template_data())
        .cloned())
}

async fn with_data(
    client: &Client,
    template: &LaunchTemplate,
) -> Result<Option<Found>, ProviderError> {
    let id = template.launch_template_id().unwrap_or_default();
    let Some(data) = version_data(client, id, "$Default").await? else {
        return Ok(None);
    };
    Ok(Some(to_found(template, &data)))
}

// ---- create ------------------------------------------------------------------------------------

/// CreateLaunchTemplate named `<environment>-<name>` (made valid for AWS) with `ClientToken` = the request's token.
pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let name = recon_model::kinds::launch_template::derived_name(
        request.environment,
        &request.address.name,
    );
    let data = request_data(request.attrs)?;
    let tags = tags::wanted(request.attrs)?;
    debug!(op = "CreateLaunchTemplate", address = %request.address, name, "aws call");
    let out = client
        .create_launch_template()
        .launch_template_name(&name)
        .client_token(request.token)
        .launch_template_data(data)
        .tag_specifications(tags::spec(ResourceType::LaunchTemplate, &tags))
        .customize()
        .config_override(crate::sent_once!(aws_sdk_ec2))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateLaunchTemplate", e))?;
    let template = out
        .launch_template()
        .ok_or_else(|| missing("CreateLaunchTemplate", "a launch template"))?;
    let id = template
        .launch_template_id()
        .ok_or_else(|| missing("CreateLaunchTemplate", "a launch template id"))?;
    let mut found = read(client, id).await?.unwrap_or_else(|| {
        // Not visible yet: report what the call set.
        let mut attrs = request.attrs.clone();
        attrs.remove("tags");
        Found::new(id, LiveState::Available, attrs)
    });
    found.state = LiveState::Available;
    Ok(found)
}

// ---- update ------------------------------------------------------------------------------------

/// Tags in place; any other field: one new version holding the whole wanted data, made the
/// default.
pub(crate) async fn update(
    client: &Client,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    let mut new_version = false;
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        match diff.field.as_str() {
            "tags" => tags::update(client, &current.id, current.attrs.get("tags"), after).await?,
            _ => new_version = true,
        }
    }
    if !new_version {
        return Ok(());
    }
    let data = request_data(request.attrs)?;
    debug!(
        op = "CreateLaunchTemplateVersion",
        id = current.id,
        "aws call"
    );
    let out = client
        .create_launch_template_version()
        .launch_template_id(&current.id)
        .launch_template_data(data)
        .send()
        .await
        .map_err(|e| errors::sdk("CreateLaunchTemplateVersion", e))?;
    let version = out
        .launch_template_version()
        .and_then(|v| v.version_number())
        .ok_or_else(|| missing("CreateLaunchTemplateVersion", "a version number"))?;
    debug!(
        op = "ModifyLaunchTemplate",
        id = current.id,
        version,
        "aws call"
    );
    client
        .modify_launch_template()
        .launch_template_id(&current.id)
        .default_version(version.to_string())
        .send()
        .await
        .map_err(|e| errors::sdk("ModifyLaunchTemplate", e))?;
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

/// DeleteLaunchTemplate (every version); "not found" is success.
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    debug!(op = "DeleteLaunchTemplate", id = current.id, "aws call");
    let result = client
        .delete_launch_template()
        .launch_template_id(&current.id)
        .send()
        .await;
    gone_is_ok(result.map_err(|e| errors::sdk("DeleteLaunchTemplate", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

/// The wanted attributes as launch template data.
fn request_data(attrs: &Attrs) -> Result<RequestLaunchTemplateData, ProviderError> {
    for (field, value) in attrs {
        known(field, Some(value))?;
    }
    let groups: Vec<String> = items("security_groups", attrs.get("security_groups"))?
        .iter()
        .map(|v| as_text("security_groups", v).map(str::to_owned))
        .collect::<Result<_, _>>()?;
    let subnet = optional_text(attrs, "subnet")?;
    let public = flag("associate_public_ip", attrs.get("associate_public_ip"))?;
    let mut data = RequestLaunchTemplateData::builder()
        .set_image_id(optional_text(attrs, "image")?.map(str::to_owned))
        .set_instance_type(optional_text(attrs, "instance_type")?.map(InstanceType::from))
        .set_key_name(optional_text(attrs, "key_name")?.map(str::to_owned))
        .set_iam_instance_profile(optional_text(attrs, "instance_profile")?.map(|name| {
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                .name(name)
                .build()
        }))
        .set_user_data(optional_text(attrs, "user_data")?.map(base64::encode));
    if let Some(tokens) = optional_text(attrs, "http_tokens")? {
        data = data.metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_tokens(LaunchTemplateHttpTokensState::from(tokens))
                .build(),
        );
    }
    if subnet.is_some() || public {
        data = data.network_interfaces(
            LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder()
                .device_index(0)
                .set_subnet_id(subnet.map(str::to_owned))
                .set_groups(Some(groups))
                .associate_public_ip_address(public)
                .build(),
        );
    } else if !groups.is_empty() {
        data = data.set_security_group_ids(Some(groups));
    }
    for device in items("block_devices", attrs.get("block_devices"))? {
        let d = device
            .as_map()
            .ok_or_else(|| invalid(format!("a block device must be a map, got {device}")))?;
        let size = match d.get("size_gb") {
            Some(Value::Int(i)) => Some(
                i32::try_from(*i).map_err(|_| invalid(format!("`size_gb` {i} is too large")))?,
            ),
            _ => None,
        };
        let text = |f: &str| d.get(f).and_then(Value::as_str).map(str::to_owned);
        data = data.block_device_mappings(
            LaunchTemplateBlockDeviceMappingRequest::builder()
                .set_device_name(text("device_name"))
                .ebs(
                    LaunchTemplateEbsBlockDeviceRequest::builder()
                        .set_volume_size(size)
                        .set_volume_type(text("volume_type").as_deref().map(VolumeType::from))
                        .encrypted(flag("encrypted", d.get("encrypted"))?)
                        .set_kms_key_id(text("kms_key"))
                        .delete_on_termination(true)
                        .build(),
                )
                .build(),
        );
    }
    let instance_tags = tags::from_value(attrs.get("instance_tags"))?;
    if !instance_tags.is_empty() {
        data = data.tag_specifications(
            LaunchTemplateTagSpecificationRequest::builder()
                .resource_type(ResourceType::Instance)
                .set_tags(Some(
                    instance_tags
                        .iter()
                        .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build())
                        .collect(),
                ))
                .build(),
        );
    }
    Ok(data.build())
}

fn to_found(template: &LaunchTemplate, data: &ResponseLaunchTemplateData) -> Found {
    let mut attrs = Attrs::new();
    super::put(&mut attrs, "image", data.image_id());
    super::put(
        &mut attrs,
        "instance_type",
        data.instance_type().map(InstanceType::as_str),
    );
    super::put(&mut attrs, "key_name", data.key_name());
    super::put(
        &mut attrs,
        "instance_profile",
        data.iam_instance_profile()
            .and_then(|p| p.name().or(p.arn()))
            .map(profile_name),
    );
    let mut groups: Vec<Value> = data.security_group_ids().iter().map(Value::str).collect();
    let mut public = false;
    if let Some(ni) = data
        .network_interfaces()
        .iter()
        .find(|n| n.device_index().unwrap_or(0) == 0)
    {
        super::put(&mut attrs, "subnet", ni.subnet_id());
        groups.extend(ni.groups().iter().map(Value::str));
        public = ni.associate_public_ip_address().unwrap_or(false);
    }
    groups.sort();
    groups.dedup();
    attrs.insert("security_groups".into(), Value::List(groups));
    attrs.insert("associate_public_ip".into(), Value::Bool(public));
    let devices: Vec<Value> = data
        .block_device_mappings()
        .iter()
        .map(|m| {
            let mut d = BTreeMap::new();
            if let Some(n) = m.device_name() {
                d.insert("device_name".to_owned(), Value::str(n));
            }
            let ebs = m.ebs();
            if let Some(s) = ebs.and_then(|e| e.volume_size()) {
                d.insert("size_gb".to_owned(), Value::Int(i64::from(s)));
            }
            if let Some(t) = ebs.and_then(|e| e.volume_type()) {
                d.insert("volume_type".to_owned(), Value::str(t.as_str()));
            }
            d.insert(
                "encrypted".to_owned(),
                Value::Bool(ebs.and_then(|e| e.encrypted()).unwrap_or(false)),
            );
            if let Some(k) = ebs.and_then(|e| e.kms_key_id()) {
                d.insert("kms_key".to_owned(), Value::str(super::kms_key_id(k)));
            }
            Value::Map(d)
        })
        .collect();
    attrs.insert("block_devices".into(), Value::List(devices));
    // A template without metadata options leaves AWS's default, which allows IMDSv1.
    let tokens = data
        .metadata_options()
        .and_then(|m| m.http_tokens())
        .map_or("optional", LaunchTemplateHttpTokensState::as_str);
    attrs.insert("http_tokens".into(), Value::str(tokens));
    if let Some(encoded) = data.user_data() {
        let decoded = base64::decode(encoded)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_else(|| encoded.to_owned());
        attrs.insert("user_data".into(), Value::str(decoded));
    }
    let instance_tags: Vec<aws_sdk_ec2::types::Tag> = data
        .tag_specifications()
        .iter()
        .filter(|s| s.resource_type() == Some(&ResourceType::Instance))
        .flat_map(|s| s.tags().iter().cloned())
        .collect();
    if !instance_tags.is_empty() {
        attrs.insert("instance_tags".into(), tags::to_value(&instance_tags));
    }
    attrs.insert("tags".into(), tags::to_value(template.tags()));
    let mut found = Found::new(
        template.launch_template_id().unwrap_or_default(),
        LiveState::Available,
        attrs,
    );
    if let Some(v) = template.latest_version_number() {
        found.outputs.insert("latest_version".into(), Value::Int(v));
    }
    if let Some(v) = template.default_version_number() {
        found
            .outputs
            .insert("default_version".into(), Value::Int(v));
    }
    found
}

// ---- the kind ----------------------------------------------------------------------------------

// `launch_template`'s [`AwsKind`](super::AwsKind): the functions above, on the EC2 client.
super::aws_kind_calls!(LaunchTemplate, ec2);

/// An instance profile's name from a name or an ARN (`…:instance-profile/recon/env/name`).
pub(crate) fn profile_name(name_or_arn: &str) -> &str {
    name_or_arn.rsplit('/').next().unwrap_or(name_or_arn)
}
