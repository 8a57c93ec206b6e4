//! `autoscaling_group`: CreateAutoScalingGroup (tags at creation, all propagated at launch),
//! UpdateAutoScalingGroup, Attach/DetachLoadBalancers, CreateOrUpdateTags/DeleteTags, and a
//! delete that scales to zero first.
//!
//! Discovery is one paginated DescribeAutoScalingGroups filtered on `tag:recon:env`, re-checked
//! on the client side. A group's id is its name.
//!
//! # States
//! `Delete in progress` is deleting. Otherwise a group with fewer `InService` instances than
//! its desired capacity is pending, so the executor waits after a create until the group has
//! launched its instances (Terraform's `wait_for_capacity_timeout`), on states, not sleeps.
//!
//! # Delete
//! AWS refuses to delete a group that still has instances (`ResourceInUse`,
//! `ScalingActivityInProgress`). The delete sets min, max and desired to zero, and while
//! instances remain answers a dependency violation, which the executor retries with backoff;
//! once none remain it deletes the group. moto would delete a group with instances at once,
//! so the check is made here rather than left to AWS.
//!
//! CreateAutoScalingGroup has no client token; the name is unique, and a name already taken
//! by a group of this environment and address is adopted (a crash after the create).

use std::collections::BTreeMap;

use aws_sdk_autoscaling::Client;
use aws_sdk_autoscaling::types::{
    AutoScalingGroup, Filter, LaunchTemplateSpecification, LifecycleState, Tag,
};
use recon_model::kinds::autoscaling_group::INSTANCES_OUTPUT;
use recon_model::tags::{ENV, ID};
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ErrorKind, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, added_and_removed, known, not_in_place, optional_text, text, texts};
use crate::errors::{self, gone_is_ok, invalid, unless_not_found};
use crate::tags;

const DELETING: &str = "Delete in progress";

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    debug!(op = "DescribeAutoScalingGroups", environment, "aws call");
    let groups: Vec<AutoScalingGroup> = client
        .describe_auto_scaling_groups()
        .filters(
            Filter::builder()
                .name(format!("tag:{ENV}"))
                .values(environment)
                .build(),
        )
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeAutoScalingGroups", e))?;
    Ok(groups.iter().map(to_found).collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn describe(
    client: &Client,
    name: &str,
) -> Result<Option<AutoScalingGroup>, ProviderError> {
    debug!(op = "DescribeAutoScalingGroups", name, "aws call");
    let out = client
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await;
    let Some(out) = unless_not_found(out.map_err(|e| errors::sdk("DescribeAutoScalingGroups", e)))?
    else {
        return Ok(None);
    };
    Ok(out
        .auto_scaling_groups()
        .iter()
        .find(|g| g.auto_scaling_group_name() == Some(name))
        .cloned())
}

pub(crate) async fn read(client: &Client, name: &str) -> Result<Option<Found>, ProviderError> {
    Ok(describe(client, name).await?.as_ref().map(to_found))
}

// ---- create ------------------------------------------------------------------------------------

pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let attrs = request.attrs;
    for (field, value) in attrs {
        known(field, Some(value))?;
    }
    let name = text(attrs, "name")?;
    let wanted = tags::wanted(attrs)?;
    debug!(op = "CreateAutoScalingGroup", address = %request.address, name, "aws call");
    let out = client
        .create_auto_scaling_group()
        .auto_scaling_group_name(name)
        .launch_template(template(attrs)?)
        .min_size(int(attrs, "min_size")?)
        .max_size(int(attrs, "max_size")?)
        .set_desired_capacity(optional_int(attrs, "desired_capacity")?)
        .set_default_cooldown(optional_int(attrs, "default_cooldown")?)
        .set_health_check_type(health_check_type(attrs)?)
        .set_health_check_grace_period(optional_int(attrs, "health_check_grace_period")?)
        .vpc_zone_identifier(texts("subnets", attrs.get("subnets"))?.join(","))
        .set_load_balancer_names(Some(texts("load_balancers", attrs.get("load_balancers"))?))
        .set_tags(Some(asg_tags(name, &wanted)))
        .customize()
        .config_override(crate::sent_once!(aws_sdk_autoscaling))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateAutoScalingGroup", e));
    match out {
        Ok(_) => read(client, name)
            .await?
            .ok_or_else(|| super::gone(Kind::AutoscalingGroup, name)),
        Err(e) if e.kind == ErrorKind::AlreadyExists => {
            let existing = read(client, name).await?.ok_or(e)?;
            let ours = existing.tag(ENV) == Some(request.environment)
                && existing.tag(ID) == Some(request.address.to_string().as_str());
            if ours {
                Ok(existing)
            } else {
                Err(ProviderError::new(
                    ErrorKind::AlreadyExists,
                    format!(
                        "an Auto Scaling group named `{name}` already exists and is not {}'s \
                         `{}`: choose another `name`",
                        request.environment, request.address
                    ),
                ))
            }
        }
        Err(e) => Err(e),
    }
}

// ---- update ------------------------------------------------------------------------------------

/// One UpdateAutoScalingGroup for every changed setting, then load balancers and tags.
pub(crate) async fn update(
    client: &Client,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    let name = current.id.as_str();
    let attrs = request.attrs;
    let mut call = client
        .update_auto_scaling_group()
        .auto_scaling_group_name(name);
    let mut settings = Vec::new();
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        let before = current.attrs.get(&diff.field);
        match diff.field.as_str() {
            "launch_template" | "launch_template_version" => {
                call = call.launch_template(template(attrs)?);
            }
            "min_size" => call = call.min_size(int(attrs, "min_size")?),
            "max_size" => call = call.max_size(int(attrs, "max_size")?),
            "desired_capacity" => {
                call = call.set_desired_capacity(optional_int(attrs, "desired_capacity")?);
            }
            "default_cooldown" => {
                call = call.set_default_cooldown(optional_int(attrs, "default_cooldown")?);
            }
            "health_check_type" => call = call.set_health_check_type(health_check_type(attrs)?),
            "health_check_grace_period" => {
                call = call.set_health_check_grace_period(optional_int(
                    attrs,
                    "health_check_grace_period",
                )?);
            }
            "subnets" => {
                call = call.vpc_zone_identifier(texts("subnets", after)?.join(","));
            }
            "load_balancers" => {
                update_load_balancers(client, name, before, after).await?;
                continue;
            }
            "tags" => {
                update_tags(client, name, before, after).await?;
                continue;
            }
            other => return Err(not_in_place(Kind::AutoscalingGroup, other)),
        }
        settings.push(diff.field.as_str());
    }
    if !settings.is_empty() {
        debug!(op = "UpdateAutoScalingGroup", name, fields = ?settings, "aws call");
        call.send()
            .await
            .map_err(|e| errors::sdk("UpdateAutoScalingGroup", e))?;
    }
    Ok(())
}

async fn update_load_balancers(
    client: &Client,
    name: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<(), ProviderError> {
    let (added, removed) = added_and_removed("load_balancers", before, after)?;
    if !added.is_empty() {
        debug!(op = "AttachLoadBalancers", name, ?added, "aws call");
        client
            .attach_load_balancers()
            .auto_scaling_group_name(name)
            .set_load_balancer_names(Some(added))
            .send()
            .await
            .map_err(|e| errors::sdk("AttachLoadBalancers", e))?;
    }
    if !removed.is_empty() {
        debug!(op = "DetachLoadBalancers", name, ?removed, "aws call");
        client
            .detach_load_balancers()
            .auto_scaling_group_name(name)
            .set_load_balancer_names(Some(removed))
            .send()
            .await
            .map_err(|e| errors::sdk("DetachLoadBalancers", e))?;
    }
    Ok(())
}

async fn update_tags(
    client: &Client,
    name: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<(), ProviderError> {
    let changes = tags::changes(before, after, |_| false)?;
    if !changes.set.is_empty() {
        debug!(op = "CreateOrUpdateTags", name, "aws call");
        client
            .create_or_update_tags()
            .set_tags(Some(asg_tags(name, &changes.set)))
            .send()
            .await
            .map_err(|e| errors::sdk("CreateOrUpdateTags", e))?;
    }
    if !changes.removed.is_empty() {
        debug!(op = "DeleteTags", name, keys = ?changes.removed, "aws call");
        let removed = changes
            .removed
            .iter()
            .map(|k| group_tag(name).key(k).build())
            .collect();
        client
            .delete_tags()
            .set_tags(Some(removed))
            .send()
            .await
            .map_err(|e| errors::sdk("DeleteTags", e))?;
    }
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

/// Scales the group to zero; while it still has instances, answers a dependency violation (the
/// executor retries); then DeleteAutoScalingGroup.
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    let name = current.id.as_str();
    let Some(group) = describe(client, name).await? else {
        return Ok(());
    };
    if group.status() == Some(DELETING) {
        return Ok(());
    }
    let sizes = (group.min_size(), group.max_size(), group.desired_capacity());
    if sizes != (Some(0), Some(0), Some(0)) {
        debug!(
            op = "UpdateAutoScalingGroup",
            name, "aws call (scale to zero)"
        );
        client
            .update_auto_scaling_group()
            .auto_scaling_group_name(name)
            .min_size(0)
            .max_size(0)
            .desired_capacity(0)
            .send()
            .await
            .map_err(|e| errors::sdk("UpdateAutoScalingGroup", e))?;
    }
    let remaining = match describe(client, name).await? {
        Some(g) => g.instances().len(),
        None => return Ok(()),
    };
    if remaining > 0 {
        return Err(ProviderError::new(
            ErrorKind::DependencyViolation,
            format!("scaled to zero; waiting for {remaining} instance(s) to terminate"),
        ));
    }
    debug!(op = "DeleteAutoScalingGroup", name, "aws call");
    let out = client
        .delete_auto_scaling_group()
        .auto_scaling_group_name(name)
        .send()
        .await;
    gone_is_ok(out.map_err(|e| errors::sdk("DeleteAutoScalingGroup", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

fn template(attrs: &Attrs) -> Result<LaunchTemplateSpecification, ProviderError> {
    Ok(LaunchTemplateSpecification::builder()
        .launch_template_id(text(attrs, "launch_template")?)
        .version(optional_text(attrs, "launch_template_version")?.unwrap_or("$Default"))
        .build())
}

fn int(attrs: &Attrs, field: &str) -> Result<i32, ProviderError> {
    optional_int(attrs, field)?.ok_or_else(|| invalid(format!("`{field}` is required")))
}

fn optional_int(attrs: &Attrs, field: &str) -> Result<Option<i32>, ProviderError> {
    match attrs.get(field) {
        None => Ok(None),
        Some(Value::Int(i)) => i32::try_from(*i)
            .map(Some)
            .map_err(|_| invalid(format!("`{field}` {i} is out of range"))),
        Some(other) => Err(invalid(format!("`{field}` must be a number, got {other}"))),
    }
}

fn health_check_type(attrs: &Attrs) -> Result<Option<String>, ProviderError> {
    Ok(optional_text(attrs, "health_check_type")?.map(str::to_uppercase))
}

fn group_tag(name: &str) -> aws_sdk_autoscaling::types::builders::TagBuilder {
    Tag::builder()
        .resource_id(name)
        .resource_type("auto-scaling-group")
}

/// Every tag propagated at launch: the group's instances carry the environment's tags.
fn asg_tags(name: &str, tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| {
            group_tag(name)
                .key(k)
                .value(v)
                .propagate_at_launch(true)
                .build()
        })
        .collect()
}

fn state(group: &AutoScalingGroup) -> LiveState {
    if group.status() == Some(DELETING) {
        return LiveState::Deleting;
    }
    let in_service = group
        .instances()
        .iter()
        .filter(|i| i.lifecycle_state() == Some(&LifecycleState::InService))
        .count();
    let desired = usize::try_from(group.desired_capacity().unwrap_or(0)).unwrap_or(0);
    if in_service < desired {
        LiveState::Pending
    } else {
        LiveState::Available
    }
}

fn to_found(group: &AutoScalingGroup) -> Found {
    let mut attrs = Attrs::new();
    let name = group.auto_scaling_group_name().unwrap_or_default();
    attrs.insert("name".into(), Value::str(name));
    if let Some(t) = group.launch_template() {
        super::put(&mut attrs, "launch_template", t.launch_template_id());
        super::put(&mut attrs, "launch_template_version", t.version());
    }
    let mut int = |field: &str, v: Option<i32>| {
        if let Some(v) = v {
            attrs.insert(field.to_owned(), Value::Int(v.into()));
        }
    };
    int("min_size", group.min_size());
    int("max_size", group.max_size());
    int("desired_capacity", group.desired_capacity());
    int("default_cooldown", group.default_cooldown());
    int(
        "health_check_grace_period",
        group.health_check_grace_period(),
    );
    if let Some(t) = group.health_check_type() {
        attrs.insert("health_check_type".into(), Value::str(t.to_lowercase()));
    }
    let subnets = group
        .vpc_zone_identifier()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Value::str)
        .collect();
    attrs.insert("subnets".into(), Value::List(subnets));
    attrs.insert(
        "load_balancers".into(),
        Value::List(group.load_balancer_names().iter().map(Value::str).collect()),
    );
    attrs.insert(
        "tags".into(),
        Value::Map(
            group
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
                .filter(|(k, _)| !recon_model::tags::is_aws_managed(k))
                .map(|(k, v)| (k.to_owned(), Value::str(v)))
                .collect(),
        ),
    );
    let mut found = Found::new(name, state(group), attrs);
    if let Some(arn) = group.auto_scaling_group_arn() {
        found.outputs.insert("arn".into(), Value::str(arn));
    }
    found.outputs.insert(
        INSTANCES_OUTPUT.into(),
        Value::List(
            group
                .instances()
                .iter()
                .filter_map(|i| i.instance_id())
                .map(Value::str)
                .collect(),
        ),
    );
    found
}

// ---- the kind ----------------------------------------------------------------------------------

// `autoscaling_group`'s [`AwsKind`](super::AwsKind): the functions above, on the Auto Scaling client.
super::aws_kind_calls!(AutoscalingGroup, autoscaling);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub_server::{Reply, StubServer};

    const NS: &str = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

    /// A group as DescribeAutoScalingGroups answers, sized `min/max/desired`, with instances
    /// in the given lifecycle states.
    fn group_xml(sizes: (i32, i32, i32), instances: &[&str], status: Option<&str>) -> String {
        let members: String = instances
            .iter()
            .enumerate()
            .map(|(n, state)| {
                format!(
                    "<member><InstanceId>i-{n}</InstanceId><AvailabilityZone>us-east-1a\
                     </AvailabilityZone><LifecycleState>{state}</LifecycleState>\
                     <HealthStatus>Healthy</HealthStatus>\
                     <ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>"
                )
            })
            .collect();
        let status = status.map_or(String::new(), |s| format!("<Status>{s}</Status>"));
        format!(
            "<member><AutoScalingGroupName>web-app</AutoScalingGroupName>\
             <MinSize>{}</MinSize><MaxSize>{}</MaxSize><DesiredCapacity>{}</DesiredCapacity>\
             <DefaultCooldown>30</DefaultCooldown><HealthCheckType>EC2</HealthCheckType>\
             <Instances>{members}</Instances>{status}</member>",
            sizes.0, sizes.1, sizes.2
        )
    }

    fn described(groups: &[String]) -> Reply {
        Reply {
            status: 200,
            action: "DescribeAutoScalingGroups",
            xml: format!(
                "<DescribeAutoScalingGroupsResponse xmlns=\"{NS}\"><DescribeAutoScalingGroupsResult>\
                 <AutoScalingGroups>{}</AutoScalingGroups></DescribeAutoScalingGroupsResult>\
                 <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\
                 </DescribeAutoScalingGroupsResponse>",
                groups.concat()
            ),
        }
    }

    fn done(action: &'static str) -> Reply {
        Reply {
            status: 200,
            action,
            xml: format!(
                "<{action}Response xmlns=\"{NS}\"><ResponseMetadata><RequestId>r</RequestId>\
                 </ResponseMetadata></{action}Response>"
            ),
        }
    }

    /// The state of a group as the SDK reads each described version of it.
    #[tokio::test]
    async fn a_group_is_pending_until_its_desired_capacity_is_in_service() {
        let versions = [
            (&["Pending", "InService"][..], None, LiveState::Pending),
            (&["InService"][..], None, LiveState::Pending),
            (&["InService", "InService"][..], None, LiveState::Available),
            (
                &["InService", "InService"][..],
                Some(DELETING),
                LiveState::Deleting,
            ),
        ];
        let server = StubServer::start(
            versions
                .iter()
                .map(|(instances, status, _)| {
                    described(&[group_xml((2, 2, 2), instances, *status)])
                })
                .collect(),
        );
        let client = server.autoscaling();
        for (instances, status, expected) in versions {
            let group = describe(&client, "web-app").await.unwrap().unwrap();
            assert_eq!(state(&group), expected, "{instances:?} {status:?}");
        }
    }

    /// AWS refuses to delete a group with instances, and terminating them takes time: the
    /// delete scales to zero once, answers a dependency violation while any remain, and deletes
    /// the group only when none do.
    #[tokio::test]
    async fn delete_scales_to_zero_waits_for_the_instances_then_deletes() {
        let server = StubServer::start(vec![
            described(&[group_xml((2, 2, 2), &["InService", "InService"], None)]),
            done("UpdateAutoScalingGroup"),
            described(&[group_xml((0, 0, 0), &["Terminating", "Terminating"], None)]),
            // Second attempt: already at zero, one instance still terminating.
            described(&[group_xml((0, 0, 0), &["Terminating:Wait"], None)]),
            described(&[group_xml((0, 0, 0), &["Terminating:Wait"], None)]),
            // Third: none left.
            described(&[group_xml((0, 0, 0), &[], None)]),
            described(&[group_xml((0, 0, 0), &[], None)]),
            done("DeleteAutoScalingGroup"),
        ]);
        let client = server.autoscaling();
        let current = Found::new("web-app", LiveState::Available, Attrs::new());

        let first = delete(&client, &current).await.unwrap_err();
        assert_eq!(first.kind, ErrorKind::DependencyViolation, "{first}");
        assert!(first.message.contains("2 instance(s)"), "{first}");
        let second = delete(&client, &current).await.unwrap_err();
        assert!(second.message.contains("1 instance(s)"), "{second}");
        delete(&client, &current).await.unwrap();

        assert_eq!(server.unused(), 0);
        let asked = server.requests();
        let has = |i: usize, part: &str| server.asked(i, part);
        assert!(
            has(1, "MinSize=0") && has(1, "MaxSize=0") && has(1, "DesiredCapacity=0"),
            "{asked:?}"
        );
        let updates = asked
            .iter()
            .filter(|r| r.contains("Action=UpdateAutoScalingGroup"))
            .count();
        assert_eq!(updates, 1, "scaled to zero once: {asked:?}");
    }
}
