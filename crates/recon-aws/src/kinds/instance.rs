//! `instance`: RunInstances (one instance, with the client token, tagged at creation with its
//! root volume), TerminateInstances. Tags, security groups (ModifyInstanceAttribute) and
//! `http_tokens` (ModifyInstanceMetadataOptions) change in place, and the instance type by
//! stop, ModifyInstanceAttribute, start (see `change_type`).
//!
//! States: `pending` is pending, `running`, `stopping` and `stopped` are available,
//! `shutting-down` is deleting, `terminated` is gone. From a launch template, the template's
//! subnet, security groups and public IP setting are also passed on the call itself as network
//! interface 0 (moto ignores a template's network settings; the same values are valid on AWS).
//! `launch_template` and `launch_template_version` read back from the `aws:ec2launchtemplate:id`
//! and `aws:ec2launchtemplate:version` tags AWS gives an instance launched from a template (moto
//! too). The root volume
//! reads back from DescribeVolumes; `associate_public_ip` is true when the instance has a public
//! IP owned by `amazon` (an Elastic IP does not count). `http_tokens` goes in the call's
//! `MetadataOptions` and reads back from the instance's. Instances an Auto Scaling group
//! launched (tag `aws:autoscaling:groupName`) are the group's: discovery skips them.

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, HttpTokensState, IamInstanceProfileAssociationState,
    IamInstanceProfileSpecification, Instance, InstanceMetadataOptionsRequest,
    InstanceNetworkInterfaceSpecification, InstanceStateName, InstanceType,
    LaunchTemplateSpecification, Reservation, ResourceType, VolumeType,
};
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, as_text, items, known, not_in_place, optional_text};
use crate::errors::{self, gone_is_ok, invalid, missing, unless_not_found};
use crate::kinds::launch_template;
use crate::tags;

/// AWS's tag naming the template an instance was launched from (not part of `tags`, as every
/// `aws:*` tag).
const AWS_TEMPLATE_TAG: &str = "aws:ec2launchtemplate:id";
/// AWS's tag naming the template version it was launched from.
const AWS_TEMPLATE_VERSION_TAG: &str = "aws:ec2launchtemplate:version";
/// The tag AWS puts on an instance an Auto Scaling group launched: the group owns it.
const AWS_GROUP_TAG: &str = "aws:autoscaling:groupName";
/// Every state but `terminated`.
const LIVE_STATES: &[&str] = &["pending", "running", "shutting-down", "stopping", "stopped"];

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    debug!(op = "DescribeInstances", environment, "aws call");
    let reservations: Vec<Reservation> = client
        .describe_instances()
        .filters(tags::env_filter(environment))
        .filters(tags::filter("instance-state-name", LIVE_STATES))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeInstances", e))?;
    // A group's instances carry the environment's tags (propagated) but belong to the group:
    // they are never planned as instances, nor deleted behind the group's back.
    let owned: Vec<&Instance> = reservations
        .iter()
        .flat_map(|r| r.instances())
        .filter(|i| {
            tags::owned_by(i.tags(), environment) && tags::get(i.tags(), AWS_GROUP_TAG).is_none()
        })
        .collect();
    found_all(client, &owned).await
}

/// Each instance as recon compares it, with what its describe lacks (its root volume, whether
/// its public IP is an Elastic IP) read for all of them at once: one DescribeVolumes and one
/// DescribeAddresses per [`super::IDS_PER_FILTER`] instances, not one of each per instance.
async fn found_all(client: &Client, instances: &[&Instance]) -> Result<Vec<Found>, ProviderError> {
    let volume_ids: Vec<String> = instances
        .iter()
        .filter_map(|i| root_volume_id(i))
        .map(str::to_owned)
        .collect();
    let ips: Vec<String> = instances
        .iter()
        .flat_map(|i| i.network_interfaces())
        .filter_map(|n| n.association())
        .filter(|a| a.ip_owner_id().is_some_and(|o| o != "amazon"))
        .filter_map(|a| a.public_ip())
        .map(str::to_owned)
        .collect();
    let (volumes, elastic) =
        futures::try_join!(root_volumes(client, &volume_ids), elastic_ips(client, &ips))?;
    Ok(instances
        .iter()
        .filter_map(|i| to_found(i, &volumes, &elastic))
        .collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, id: &str) -> Result<Option<Found>, ProviderError> {
    debug!(op = "DescribeInstances", id, "aws call");
    let described = client.describe_instances().instance_ids(id).send().await;
    let Some(out) = unless_not_found(described.map_err(|e| errors::sdk("DescribeInstances", e)))?
    else {
        return Ok(None);
    };
    let Some(instance) = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| i.instance_id() == Some(id))
    else {
        return Ok(None);
    };
    Ok(found_all(client, &[instance]).await?.pop())
}

/// Many instances by id: one DescribeInstances per [`super::IDS_PER_FILTER`] ids through an
/// `instance-id` filter (an id that no longer exists is absent, not an error), then their
/// volumes and addresses at once.
pub(crate) async fn read_many(
    client: &Client,
    ids: &[String],
) -> Result<Vec<Found>, ProviderError> {
    let mut reservations: Vec<Reservation> = Vec::new();
    for chunk in ids.chunks(super::IDS_PER_FILTER) {
        debug!(op = "DescribeInstances", ids = chunk.len(), "aws call");
        let page: Vec<Reservation> = client
            .describe_instances()
            .filters(tags::id_filter("instance-id", chunk))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| errors::sdk("DescribeInstances", e))?;
        reservations.extend(page);
    }
    let instances: Vec<&Instance> = reservations.iter().flat_map(|r| r.instances()).collect();
    found_all(client, &instances).await
}

// ---- create ------------------------------------------------------------------------------------

/// RunInstances with `ClientToken` = the request's token, MinCount = MaxCount = 1, tags on the
/// instance and its volumes.
pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let attrs = request.attrs;
    for (field, value) in attrs {
        known(field, Some(value))?;
    }
    let template = optional_text(attrs, "launch_template")?;
    // The version launched; its data fills in the network settings moto would ignore.
    let version = optional_text(attrs, "launch_template_version")?.unwrap_or("$Default");
    let template_data = match template {
        Some(t) => launch_template::version_data(client, t, version).await?,
        None => None,
    };
    let mut image = optional_text(attrs, "image")?.map(str::to_owned);
    let mut subnet = optional_text(attrs, "subnet")?.map(str::to_owned);
    let mut groups: Vec<String> = items("security_groups", attrs.get("security_groups"))?
        .iter()
        .map(|v| as_text("security_groups", v).map(str::to_owned))
        .collect::<Result<_, _>>()?;
    let mut public = attrs.get("associate_public_ip").and_then(Value::as_bool);
    if let Some(data) = &template_data {
        image = image.or_else(|| data.image_id().map(str::to_owned));
        let ni = data
            .network_interfaces()
            .iter()
            .find(|n| n.device_index().unwrap_or(0) == 0);
        if subnet.is_none() {
            subnet = ni.and_then(|n| n.subnet_id()).map(str::to_owned);
        }
        if !attrs.contains_key("security_groups") {
            groups = data.security_group_ids().to_vec();
            groups.extend(ni.map(|n| n.groups().to_vec()).unwrap_or_default());
        }
        public = public.or_else(|| ni.and_then(|n| n.associate_public_ip_address()));
    }
    let tags = tags::wanted(attrs)?;
    let mut run = client
        .run_instances()
        .min_count(1)
        .max_count(1)
        .client_token(request.token)
        .set_image_id(image.clone())
        .set_instance_type(optional_text(attrs, "instance_type")?.map(InstanceType::from))
        .set_key_name(optional_text(attrs, "key_name")?.map(str::to_owned))
        .set_iam_instance_profile(optional_text(attrs, "instance_profile")?.map(|name| {
            IamInstanceProfileSpecification::builder()
                .name(name)
                .build()
        }))
        .tag_specifications(tags::spec(ResourceType::Instance, &tags))
        .tag_specifications(tags::spec(ResourceType::Volume, &tags));
    if let Some(t) = template {
        run = run.launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_id(t)
                .version(version)
                .build(),
        );
    }
    let private_ip = optional_text(attrs, "private_ip")?;
    if subnet.is_some() || public.is_some() || private_ip.is_some() {
        run = run.network_interfaces(
            InstanceNetworkInterfaceSpecification::builder()
                .device_index(0)
                .set_subnet_id(subnet.clone())
                .set_groups((!groups.is_empty()).then_some(groups))
                .set_associate_public_ip_address(public)
                .set_private_ip_address(private_ip.map(str::to_owned))
                .delete_on_termination(true)
                .build(),
        );
    } else if !groups.is_empty() {
        run = run.set_security_group_ids(Some(groups));
    }
    if let Some(tokens) = optional_text(attrs, "http_tokens")? {
        run = run.metadata_options(
            InstanceMetadataOptionsRequest::builder()
                .http_tokens(HttpTokensState::from(tokens))
                .build(),
        );
    }
    if let Some(root) = attrs.get("root_volume") {
        let device = root_device(client, image.as_deref()).await?;
        run = run.block_device_mappings(root_mapping(&device, root)?);
    }
    debug!(op = "RunInstances", address = %request.address, image, subnet, "aws call");
    let out = run
        .customize()
        .config_override(crate::sent_once!(aws_sdk_ec2))
        .send()
        .await
        .map_err(|e| profile_not_visible_yet(errors::sdk_create("RunInstances", e)))?;
    let instance = out
        .instances()
        .first()
        .ok_or_else(|| missing("RunInstances", "an instance"))?;
    let id = instance
        .instance_id()
        .ok_or_else(|| missing("RunInstances", "an instance id"))?;
    // The reply is partial (no volumes yet): report what the call asked for, pending.
    let mut attrs = attrs.clone();
    attrs.remove("tags");
    Ok(Found::new(id, LiveState::Pending, attrs))
}

/// IAM is eventually consistent: RunInstances may not see an instance profile made seconds
/// before and refuses it as invalid (nothing is launched). That refusal is "not found yet",
/// which the executor retries, as it does for any resource not yet visible.
fn profile_not_visible_yet(e: ProviderError) -> ProviderError {
    let unknown_profile = e.code.as_deref() == Some("InvalidParameterValue")
        && e.message
            .to_ascii_lowercase()
            .contains("iam instance profile");
    if unknown_profile {
        ProviderError {
            kind: recon_provider::ErrorKind::NotFound,
            ..e
        }
    } else {
        e
    }
}

/// Gives the instance `profile` (or none): replaces an existing association, else associates.
async fn set_profile(
    client: &Client,
    id: &str,
    profile: Option<&str>,
) -> Result<(), ProviderError> {
    debug!(
        op = "DescribeIamInstanceProfileAssociations",
        id, "aws call"
    );
    let out = client
        .describe_iam_instance_profile_associations()
        .filters(tags::filter("instance-id", &[id]))
        .send()
        .await
        .map_err(|e| errors::sdk("DescribeIamInstanceProfileAssociations", e))?;
    let current = out
        .iam_instance_profile_associations()
        .iter()
        .find(|a| {
            matches!(
                a.state(),
                Some(IamInstanceProfileAssociationState::Associated)
                    | Some(IamInstanceProfileAssociationState::Associating)
            )
        })
        .and_then(|a| a.association_id());
    let spec = |name: &str| {
        IamInstanceProfileSpecification::builder()
            .name(name)
            .build()
    };
    match (current, profile) {
        (Some(association), Some(name)) => {
            debug!(
                op = "ReplaceIamInstanceProfileAssociation",
                id, name, "aws call"
            );
            client
                .replace_iam_instance_profile_association()
                .association_id(association)
                .iam_instance_profile(spec(name))
                .send()
                .await
                .map_err(|e| {
                    profile_not_visible_yet(errors::sdk("ReplaceIamInstanceProfileAssociation", e))
                })?;
        }
        (None, Some(name)) => {
            debug!(op = "AssociateIamInstanceProfile", id, name, "aws call");
            client
                .associate_iam_instance_profile()
                .instance_id(id)
                .iam_instance_profile(spec(name))
                .send()
                .await
                .map_err(|e| {
                    profile_not_visible_yet(errors::sdk("AssociateIamInstanceProfile", e))
                })?;
        }
        (Some(association), None) => {
            debug!(op = "DisassociateIamInstanceProfile", id, "aws call");
            client
                .disassociate_iam_instance_profile()
                .association_id(association)
                .send()
                .await
                .map_err(|e| errors::sdk("DisassociateIamInstanceProfile", e))?;
        }
        (None, None) => {}
    }
    Ok(())
}

/// The root device name of `image` (`/dev/xvda`, `/dev/sda1`), so that the root volume's
/// mapping resizes it instead of adding a volume.
async fn root_device(client: &Client, image: Option<&str>) -> Result<String, ProviderError> {
    let image =
        image.ok_or_else(|| invalid("`root_volume` needs an image (or a template with one)"))?;
    debug!(op = "DescribeImages", image, "aws call");
    let out = client
        .describe_images()
        .image_ids(image)
        .send()
        .await
        .map_err(|e| errors::sdk("DescribeImages", e))?;
    out.images()
        .first()
        .and_then(|i| i.root_device_name())
        .map(str::to_owned)
        .ok_or_else(|| invalid(format!("image {image} has no root device name")))
}

fn root_mapping(device: &str, root: &Value) -> Result<BlockDeviceMapping, ProviderError> {
    let r = root
        .as_map()
        .ok_or_else(|| invalid(format!("`root_volume` must be a map, got {root}")))?;
    let size = match r.get("size_gb") {
        Some(Value::Int(i)) => {
            Some(i32::try_from(*i).map_err(|_| invalid(format!("`size_gb` {i} is too large")))?)
        }
        _ => None,
    };
    let text = |f: &str| r.get(f).and_then(Value::as_str).map(str::to_owned);
    Ok(BlockDeviceMapping::builder()
        .device_name(device)
        .ebs(
            EbsBlockDevice::builder()
                .set_volume_size(size)
                .set_volume_type(text("volume_type").as_deref().map(VolumeType::from))
                .set_encrypted(r.get("encrypted").and_then(Value::as_bool))
                .set_kms_key_id(text("kms_key"))
                .delete_on_termination(true)
                .build(),
        )
        .build())
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
            "instance_type" => {
                let wanted = after
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid("`instance_type` is required"))?;
                change_type(client, &current.id, wanted).await?;
            }
            "security_groups" => {
                let groups = super::texts("security_groups", after)?;
                if groups.is_empty() {
                    return Err(invalid("an instance needs at least one security group"));
                }
                debug!(
                    op = "ModifyInstanceAttribute",
                    id = current.id,
                    ?groups,
                    "aws call"
                );
                client
                    .modify_instance_attribute()
                    .instance_id(&current.id)
                    .set_groups(Some(groups))
                    .send()
                    .await
                    .map_err(|e| errors::sdk("ModifyInstanceAttribute", e))?;
            }
            "http_tokens" => {
                let tokens = after
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid("`http_tokens` is required"))?;
                debug!(
                    op = "ModifyInstanceMetadataOptions",
                    id = current.id,
                    tokens,
                    "aws call"
                );
                client
                    .modify_instance_metadata_options()
                    .instance_id(&current.id)
                    .http_tokens(HttpTokensState::from(tokens))
                    .send()
                    .await
                    .map_err(|e| errors::sdk("ModifyInstanceMetadataOptions", e))?;
            }
            "root_volume" => grow_root_volume(client, &current.id, after).await?,
            "instance_profile" => {
                set_profile(client, &current.id, after.and_then(Value::as_str)).await?;
            }
            other => return Err(not_in_place(Kind::Instance, other)),
        }
    }
    Ok(())
}

/// ModifyVolume on the instance's root volume: a larger size and the type, in place, while the
/// instance runs (EBS elastic volumes). The planner replaces the instance for anything else
/// (a smaller size, encryption, the key), so those never reach here.
async fn grow_root_volume(
    client: &Client,
    id: &str,
    after: Option<&Value>,
) -> Result<(), ProviderError> {
    let wanted = after
        .and_then(Value::as_map)
        .ok_or_else(|| invalid("`root_volume` is required"))?;
    let instance = describe_one(client, id).await?;
    let volume = root_volume_id(&instance)
        .ok_or_else(|| super::gone(Kind::Instance, id))?
        .to_owned();
    let size = match wanted.get("size_gb") {
        Some(Value::Int(n)) => Some(
            i32::try_from(*n).map_err(|_| invalid(format!("root volume size {n} is too large")))?,
        ),
        _ => None,
    };
    let volume_type = wanted
        .get("volume_type")
        .and_then(Value::as_str)
        .map(VolumeType::from);
    debug!(op = "ModifyVolume", id, volume, ?size, "aws call");
    client
        .modify_volume()
        .volume_id(&volume)
        .set_size(size)
        .set_volume_type(volume_type)
        .send()
        .await
        .map_err(|e| errors::sdk("ModifyVolume", e))?;
    Ok(())
}

/// DescribeInstances of one instance; gone is `NotFound`.
async fn describe_one(client: &Client, id: &str) -> Result<Instance, ProviderError> {
    debug!(op = "DescribeInstances", id, "aws call");
    let out = client
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .map_err(|e| errors::sdk("DescribeInstances", e))?;
    out.reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| i.instance_id() == Some(id))
        .cloned()
        .ok_or_else(|| super::gone(Kind::Instance, id))
}

/// The EBS volume on the instance's root device.
fn root_volume_id(instance: &Instance) -> Option<&str> {
    instance
        .block_device_mappings()
        .iter()
        .find(|m| m.device_name().is_some() && m.device_name() == instance.root_device_name())
        .and_then(|m| m.ebs())
        .and_then(|e| e.volume_id())
}

/// Stop, modify, start: an EBS-backed instance changes type only while stopped. One step per
/// call, so the executor's retries do the waiting: a running instance is stopped and the call
/// answers `IncorrectState` until it is; a stopped one is modified and started.
async fn change_type(client: &Client, id: &str, wanted: &str) -> Result<(), ProviderError> {
    let instance = describe_one(client, id).await?;
    let state = instance.state().and_then(|s| s.name()).cloned();
    let has_type = instance.instance_type().map(InstanceType::as_str) == Some(wanted);
    let waiting = |what: &str| {
        recon_provider::ProviderError::new(
            recon_provider::ErrorKind::IncorrectState,
            format!("instance {id} is {what} to change its type to {wanted}"),
        )
    };
    match state {
        Some(InstanceStateName::Running | InstanceStateName::Pending) if has_type => Ok(()),
        Some(InstanceStateName::Running | InstanceStateName::Pending) => {
            debug!(op = "StopInstances", id, "aws call");
            client
                .stop_instances()
                .instance_ids(id)
                .send()
                .await
                .map_err(|e| errors::sdk("StopInstances", e))?;
            Err(waiting("stopping"))
        }
        Some(InstanceStateName::Stopping) => Err(waiting("still stopping")),
        Some(InstanceStateName::Stopped) => {
            if !has_type {
                debug!(op = "ModifyInstanceAttribute", id, wanted, "aws call");
                client
                    .modify_instance_attribute()
                    .instance_id(id)
                    .instance_type(
                        aws_sdk_ec2::types::AttributeValue::builder()
                            .value(wanted)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| errors::sdk("ModifyInstanceAttribute", e))?;
            }
            debug!(op = "StartInstances", id, "aws call");
            client
                .start_instances()
                .instance_ids(id)
                .send()
                .await
                .map_err(|e| errors::sdk("StartInstances", e))?;
            Ok(())
        }
        other => Err(invalid(format!(
            "instance {id} is {}: its type can only change while it runs or is stopped",
            other.as_ref().map_or("in an unknown state", |s| s.as_str())
        ))),
    }
}

// ---- delete ------------------------------------------------------------------------------------

/// TerminateInstances, unless it is already shutting down. Does not wait for `terminated`.
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    if current.state == LiveState::Deleting {
        return Ok(());
    }
    debug!(op = "TerminateInstances", id = current.id, "aws call");
    let result = client
        .terminate_instances()
        .instance_ids(&current.id)
        .send()
        .await;
    gone_is_ok(result.map_err(|e| errors::sdk("TerminateInstances", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

/// `None` once terminated.
fn state(instance: &Instance) -> Option<LiveState> {
    Some(match instance.state().and_then(|s| s.name()) {
        Some(InstanceStateName::Terminated) => return None,
        Some(InstanceStateName::Pending) => LiveState::Pending,
        Some(InstanceStateName::ShuttingDown) => LiveState::Deleting,
        _ => LiveState::Available,
    })
}

/// The instance in recon's terms, given its root volume and which public IPs are Elastic IPs.
fn to_found(
    instance: &Instance,
    volumes: &HashMap<String, Value>,
    elastic: &HashSet<String>,
) -> Option<Found> {
    let state = state(instance)?;
    let mut attrs = Attrs::new();
    super::put(
        &mut attrs,
        "launch_template",
        tags::get(instance.tags(), AWS_TEMPLATE_TAG),
    );
    super::put(
        &mut attrs,
        "launch_template_version",
        tags::get(instance.tags(), AWS_TEMPLATE_VERSION_TAG),
    );
    super::put(&mut attrs, "image", instance.image_id());
    super::put(
        &mut attrs,
        "instance_type",
        instance.instance_type().map(InstanceType::as_str),
    );
    super::put(&mut attrs, "subnet", instance.subnet_id());
    // moto leaves the instance's own group list empty when the call gave a network interface:
    // the groups of the primary interface count as well.
    let primary = instance
        .network_interfaces()
        .iter()
        .filter(|n| n.attachment().and_then(|a| a.device_index()).unwrap_or(0) == 0)
        .flat_map(|n| n.groups());
    let mut groups: Vec<Value> = instance
        .security_groups()
        .iter()
        .chain(primary)
        .filter_map(|g| g.group_id())
        .map(Value::str)
        .collect();
    groups.sort();
    groups.dedup();
    attrs.insert("security_groups".into(), Value::List(groups));
    super::put(&mut attrs, "key_name", instance.key_name());
    super::put(
        &mut attrs,
        "instance_profile",
        instance
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .map(launch_template::profile_name),
    );
    super::put(&mut attrs, "private_ip", instance.private_ip_address());
    let public = match instance.network_interfaces() {
        [] => instance.public_ip_address().is_some(),
        interfaces => {
            let mut amazon_ip = false;
            for a in interfaces.iter().filter_map(|n| n.association()) {
                let Some(ip) = a.public_ip() else { continue };
                // AWS marks an auto-assigned address as owned by `amazon` and an Elastic IP by
                // the account; moto marks both by the account, so ask when it is not `amazon`.
                if a.ip_owner_id().is_none_or(|o| o == "amazon") || !elastic.contains(ip) {
                    amazon_ip = true;
                }
            }
            amazon_ip
        }
    };
    attrs.insert("associate_public_ip".into(), Value::Bool(public));
    super::put(
        &mut attrs,
        "http_tokens",
        instance
            .metadata_options()
            .and_then(|m| m.http_tokens())
            .map(HttpTokensState::as_str),
    );
    if let Some(root) = root_volume_id(instance).and_then(|v| volumes.get(v)) {
        attrs.insert("root_volume".into(), root.clone());
    }
    attrs.insert("tags".into(), tags::to_value(instance.tags()));
    let mut found = Found::new(instance.instance_id().unwrap_or_default(), state, attrs);
    let mut outputs = BTreeMap::new();
    if let Some(ip) = instance.private_ip_address() {
        outputs.insert("private_ip_address".to_owned(), Value::str(ip));
    }
    if let Some(ip) = instance.public_ip_address() {
        outputs.insert("public_ip_address".to_owned(), Value::str(ip));
    }
    found.outputs = outputs;
    Some(found)
}

/// Which of `ips` are Elastic IPs of this account (AWS marks an auto-assigned address as owned
/// by `amazon`, but moto marks both by the account, so the owner alone cannot tell).
async fn elastic_ips(client: &Client, ips: &[String]) -> Result<HashSet<String>, ProviderError> {
    let mut elastic = HashSet::new();
    for chunk in ips.chunks(super::IDS_PER_FILTER) {
        debug!(op = "DescribeAddresses", ips = chunk.len(), "aws call");
        let out = client
            .describe_addresses()
            .filters(tags::id_filter("public-ip", chunk))
            .send()
            .await
            .map_err(|e| errors::sdk("DescribeAddresses", e))?;
        elastic.extend(
            out.addresses()
                .iter()
                .filter_map(|a| a.public_ip())
                .map(str::to_owned),
        );
    }
    Ok(elastic)
}

/// The root volumes `ids` as an instance's `root_volume` value, by volume id. A volume that is
/// gone is absent.
async fn root_volumes(
    client: &Client,
    ids: &[String],
) -> Result<HashMap<String, Value>, ProviderError> {
    let mut roots = HashMap::new();
    for chunk in ids.chunks(super::IDS_PER_FILTER) {
        debug!(op = "DescribeVolumes", ids = chunk.len(), "aws call");
        let volumes: Vec<aws_sdk_ec2::types::Volume> = client
            .describe_volumes()
            .filters(tags::id_filter("volume-id", chunk))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| errors::sdk("DescribeVolumes", e))?;
        for v in &volumes {
            let mut root = BTreeMap::new();
            if let Some(size) = v.size() {
                root.insert("size_gb".to_owned(), Value::Int(i64::from(size)));
            }
            if let Some(t) = v.volume_type() {
                root.insert("volume_type".to_owned(), Value::str(t.as_str()));
            }
            root.insert(
                "encrypted".to_owned(),
                Value::Bool(v.encrypted().unwrap_or(false)),
            );
            if let Some(k) = v.kms_key_id() {
                root.insert("kms_key".to_owned(), Value::str(super::kms_key_id(k)));
            }
            if let Some(id) = v.volume_id() {
                roots.insert(id.to_owned(), Value::Map(root));
            }
        }
    }
    Ok(roots)
}

// ---- the kind ----------------------------------------------------------------------------------

// `instance`'s [`AwsKind`](super::AwsKind): the functions above, on the EC2 client.
super::aws_kind_calls!(Instance, ec2, reads_many);

#[cfg(test)]
mod batch_tests {
    //! Calls counted on the scripted endpoint: reading many instances costs one describe of
    //! their root volumes, not one per instance.

    use crate::stub_server::{Reply, StubServer};

    fn instance(id: &str, volume: &str) -> String {
        format!(
            "<item><instanceId>{id}</instanceId><imageId>ami-1</imageId>\
             <instanceState><code>16</code><name>running</name></instanceState>\
             <instanceType>t3.micro</instanceType><subnetId>subnet-1</subnetId>\
             <rootDeviceName>/dev/xvda</rootDeviceName><blockDeviceMapping><item>\
             <deviceName>/dev/xvda</deviceName><ebs><volumeId>{volume}</volumeId></ebs></item>\
             </blockDeviceMapping><tagSet><item><key>recon:env</key><value>irb</value></item>\
             <item><key>recon:id</key><value>instance.{id}</value></item></tagSet></item>"
        )
    }

    fn volume(id: &str, size: u32) -> String {
        format!(
            "<item><volumeId>{id}</volumeId><size>{size}</size><volumeType>gp3</volumeType>\
             <encrypted>true</encrypted></item>"
        )
    }

    #[tokio::test]
    async fn discovery_reads_every_root_volume_in_one_describe() {
        let stub = StubServer::start(vec![
            Reply {
                action: "DescribeInstances",
                status: 200,
                xml: format!(
                    "<DescribeInstancesResponse><requestId>r</requestId><reservationSet><item>\
                     <reservationId>r-1</reservationId><instancesSet>{}{}{}</instancesSet>\
                     </item></reservationSet></DescribeInstancesResponse>",
                    instance("i-a", "vol-a"),
                    instance("i-b", "vol-b"),
                    instance("i-c", "vol-c")
                ),
            },
            Reply {
                action: "DescribeVolumes",
                status: 200,
                xml: format!(
                    "<DescribeVolumesResponse><requestId>r</requestId><volumeSet>{}{}{}\
                     </volumeSet></DescribeVolumesResponse>",
                    volume("vol-a", 8),
                    volume("vol-b", 16),
                    volume("vol-c", 32)
                ),
            },
        ]);
        let found = super::discover(&stub.ec2(), "irb").await.unwrap();
        assert_eq!(
            stub.requests().len(),
            2,
            "one describe of instances, one of volumes"
        );
        assert!(stub.asked(1, "Filter.1.Name=volume-id"));
        let sizes: Vec<_> = found
            .iter()
            .map(|f| {
                let root = f.attrs["root_volume"].as_map().unwrap();
                (f.id.clone(), root["size_gb"].clone())
            })
            .collect();
        assert_eq!(
            sizes,
            [
                ("i-a".to_owned(), recon_model::Value::Int(8)),
                ("i-b".to_owned(), recon_model::Value::Int(16)),
                ("i-c".to_owned(), recon_model::Value::Int(32)),
            ]
        );
    }
}

#[cfg(test)]
mod tests {
    use recon_provider::ErrorKind;

    use super::*;

    /// AWS's answer to RunInstances naming a profile IAM has not propagated yet is "not found
    /// yet", which the executor retries; other invalid parameters stay invalid.
    #[test]
    fn a_profile_iam_has_not_propagated_is_not_found_yet() {
        let refused = |message: &str| {
            ProviderError::new(ErrorKind::Invalid, message).with_code("InvalidParameterValue")
        };
        let fresh = profile_not_visible_yet(refused(
            "Value (research-notebooks) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name",
        ));
        assert_eq!(fresh.kind, ErrorKind::NotFound);
        let other = profile_not_visible_yet(refused("Invalid value 't9.huge' for InstanceType."));
        assert_eq!(other.kind, ErrorKind::Invalid);
    }
}
