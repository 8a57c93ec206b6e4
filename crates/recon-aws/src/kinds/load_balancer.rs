//! `load_balancer`: CreateLoadBalancer (classic ELB, tagged at creation), ConfigureHealthCheck,
//! listener, subnet and security group changes, AddTags/RemoveTags, DeleteLoadBalancer.
//!
//! A classic ELB is named, not numbered: its id is its name. DescribeLoadBalancers has no tag
//! filter, so discovery is one paginated DescribeLoadBalancers and one DescribeTags per 20
//! load balancers (the API's limit), kept when `recon:env` matches: the cost grows with the
//! account's load balancers, not with recon's calls per resource.
//!
//! CreateLoadBalancer has no client token, but the name is unique and the call is idempotent
//! for the same configuration; a name already taken by a load balancer of this environment and
//! address is adopted (a crash after the create), anything else is refused.
//!
//! On AWS, a deleted classic ELB's network interfaces linger for a while and block deleting
//! its security groups and subnets: the provider's delete releases them and is not done until
//! they are gone (`elb_interfaces`).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_elasticloadbalancing::Client;
use aws_sdk_elasticloadbalancing::types::{
    HealthCheck, Listener, LoadBalancerDescription, Tag, TagKeyOnly,
};
use recon_model::tags::{ENV, ID};
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ErrorKind, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, added_and_removed, items, known, not_in_place, text, texts};
use crate::errors::{self, gone_is_ok, invalid, unless_not_found};
use crate::tags;

/// DescribeTags takes at most this many names.
const TAGS_PER_CALL: usize = 20;

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    debug!(op = "DescribeLoadBalancers", environment, "aws call");
    let all: Vec<LoadBalancerDescription> = client
        .describe_load_balancers()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeLoadBalancers", e))?;
    let names: Vec<String> = all
        .iter()
        .filter_map(|lb| lb.load_balancer_name().map(str::to_owned))
        .collect();
    let mut tags_of = BTreeMap::new();
    for chunk in names.chunks(TAGS_PER_CALL) {
        tags_of.extend(describe_tags(client, chunk).await?);
    }
    Ok(all
        .iter()
        .filter_map(|lb| {
            let tags = tags_of.get(lb.load_balancer_name()?)?;
            (tags.get(ENV).map(String::as_str) == Some(environment)).then(|| to_found(lb, tags))
        })
        .collect())
}

/// Tags by load balancer name.
async fn describe_tags(
    client: &Client,
    names: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, ProviderError> {
    debug!(op = "DescribeTags", count = names.len(), "aws call");
    let out = client
        .describe_tags()
        .set_load_balancer_names(Some(names.to_vec()))
        .send()
        .await
        .map_err(|e| errors::sdk("DescribeTags", e))?;
    Ok(out
        .tag_descriptions()
        .iter()
        .filter_map(|d| {
            let tags = d
                .tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
                .collect();
            Some((d.load_balancer_name()?.to_owned(), tags))
        })
        .collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, name: &str) -> Result<Option<Found>, ProviderError> {
    debug!(op = "DescribeLoadBalancers", name, "aws call");
    let out = client
        .describe_load_balancers()
        .load_balancer_names(name)
        .send()
        .await;
    let Some(out) = unless_not_found(out.map_err(|e| errors::sdk("DescribeLoadBalancers", e)))?
    else {
        return Ok(None);
    };
    let Some(lb) = out
        .load_balancer_descriptions()
        .iter()
        .find(|lb| lb.load_balancer_name() == Some(name))
    else {
        return Ok(None);
    };
    let tags = describe_tags(client, &[name.to_owned()]).await?;
    Ok(Some(to_found(
        lb,
        tags.get(name).unwrap_or(&BTreeMap::new()),
    )))
}

// ---- create ------------------------------------------------------------------------------------

/// CreateLoadBalancer with listeners, subnets, security groups and tags; the health check is
/// converged afterwards (ConfigureHealthCheck), as the executor does for every later field.
pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let attrs = request.attrs;
    for (field, value) in attrs {
        known(field, Some(value))?;
    }
    let name = text(attrs, "name")?;
    let listeners = items("listeners", attrs.get("listeners"))?
        .iter()
        .map(listener)
        .collect::<Result<Vec<_>, _>>()?;
    let wanted = tags::wanted(attrs)?;
    debug!(op = "CreateLoadBalancer", address = %request.address, name, "aws call");
    let out = client
        .create_load_balancer()
        .load_balancer_name(name)
        .set_listeners(Some(listeners))
        .set_subnets(Some(texts("subnets", attrs.get("subnets"))?))
        .set_security_groups(
            attrs
                .get("security_groups")
                .map(|v| texts("security_groups", Some(v)))
                .transpose()?,
        )
        .set_scheme(
            attrs
                .get("scheme")
                .and_then(Value::as_str)
                .filter(|s| *s == "internal")
                .map(str::to_owned),
        )
        .set_tags(Some(elb_tags(&wanted)?))
        .customize()
        .config_override(crate::sent_once!(aws_sdk_elasticloadbalancing))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateLoadBalancer", e));
    match out {
        Ok(_) => read(client, name)
            .await?
            .ok_or_else(|| super::gone(Kind::LoadBalancer, name)),
        Err(e) if e.kind == ErrorKind::AlreadyExists => {
            // Ours from a crashed run (same environment and address): adopt it.
            let existing = read(client, name).await?.ok_or(e)?;
            let ours = existing.tag(ENV) == Some(request.environment)
                && existing.tag(ID) == Some(request.address.to_string().as_str());
            if ours {
                Ok(existing)
            } else {
                Err(ProviderError::new(
                    ErrorKind::AlreadyExists,
                    format!(
                        "a load balancer named `{name}` already exists and is not {}'s `{}`: \
                         choose another `name`",
                        request.environment, request.address
                    ),
                ))
            }
        }
        Err(e) => Err(e),
    }
}

// ---- update ------------------------------------------------------------------------------------

pub(crate) async fn update(
    client: &Client,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    let name = current.id.as_str();
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        let before = current.attrs.get(&diff.field);
        match diff.field.as_str() {
            "listeners" => update_listeners(client, name, before, after).await?,
            "subnets" => update_subnets(client, name, before, after).await?,
            "security_groups" => {
                debug!(op = "ApplySecurityGroupsToLoadBalancer", name, "aws call");
                client
                    .apply_security_groups_to_load_balancer()
                    .load_balancer_name(name)
                    .set_security_groups(Some(texts("security_groups", after)?))
                    .send()
                    .await
                    .map_err(|e| errors::sdk("ApplySecurityGroupsToLoadBalancer", e))?;
            }
            "health_check" => {
                let Some(check) = after else { continue };
                debug!(op = "ConfigureHealthCheck", name, "aws call");
                client
                    .configure_health_check()
                    .load_balancer_name(name)
                    .health_check(health_check(check)?)
                    .send()
                    .await
                    .map_err(|e| errors::sdk("ConfigureHealthCheck", e))?;
            }
            "tags" => update_tags(client, name, before, after).await?,
            other => return Err(not_in_place(Kind::LoadBalancer, other)),
        }
    }
    Ok(())
}

/// Listeners are keyed by their port: changed and removed ones are deleted first, then the
/// new ones created.
async fn update_listeners(
    client: &Client,
    name: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<(), ProviderError> {
    let before: BTreeSet<&Value> = items("listeners", before)?.iter().collect();
    let after: BTreeSet<&Value> = items("listeners", after)?.iter().collect();
    let port = |v: &Value| match v.as_map().and_then(|m| m.get("port")) {
        Some(Value::Int(p)) => i32::try_from(*p).map_err(|_| invalid("port out of range")),
        _ => Err(invalid(format!("a listener without a port: {v}"))),
    };
    let gone: Vec<i32> = before
        .difference(&after)
        .map(|v| port(v))
        .collect::<Result<_, _>>()?;
    if !gone.is_empty() {
        debug!(op = "DeleteLoadBalancerListeners", name, ports = ?gone, "aws call");
        client
            .delete_load_balancer_listeners()
            .load_balancer_name(name)
            .set_load_balancer_ports(Some(gone))
            .send()
            .await
            .map_err(|e| errors::sdk("DeleteLoadBalancerListeners", e))?;
    }
    let new: Vec<Listener> = after
        .difference(&before)
        .map(|v| listener(v))
        .collect::<Result<_, _>>()?;
    if !new.is_empty() {
        debug!(op = "CreateLoadBalancerListeners", name, "aws call");
        client
            .create_load_balancer_listeners()
            .load_balancer_name(name)
            .set_listeners(Some(new))
            .send()
            .await
            .map_err(|e| errors::sdk("CreateLoadBalancerListeners", e))?;
    }
    Ok(())
}

/// Attaches new subnets before detaching old ones, so the load balancer always has one.
async fn update_subnets(
    client: &Client,
    name: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<(), ProviderError> {
    let (added, removed) = added_and_removed("subnets", before, after)?;
    if !added.is_empty() {
        debug!(op = "AttachLoadBalancerToSubnets", name, subnets = ?added, "aws call");
        client
            .attach_load_balancer_to_subnets()
            .load_balancer_name(name)
            .set_subnets(Some(added))
            .send()
            .await
            .map_err(|e| errors::sdk("AttachLoadBalancerToSubnets", e))?;
    }
    if !removed.is_empty() {
        debug!(op = "DetachLoadBalancerFromSubnets", name, subnets = ?removed, "aws call");
        client
            .detach_load_balancer_from_subnets()
            .load_balancer_name(name)
            .set_subnets(Some(removed))
            .send()
            .await
            .map_err(|e| errors::sdk("DetachLoadBalancerFromSubnets", e))?;
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
        debug!(op = "AddTags", name, "aws call");
        client
            .add_tags()
            .load_balancer_names(name)
            .set_tags(Some(elb_tags(&changes.set)?))
            .send()
            .await
            .map_err(|e| errors::sdk("AddTags", e))?;
    }
    if !changes.removed.is_empty() {
        debug!(op = "RemoveTags", name, keys = ?changes.removed, "aws call");
        client
            .remove_tags()
            .load_balancer_names(name)
            .set_tags(Some(
                changes
                    .removed
                    .iter()
                    .map(|k| TagKeyOnly::builder().key(k).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|e| errors::sdk("RemoveTags", e))?;
    }
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

/// DeleteLoadBalancer (AWS answers success for a name that does not exist).
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    debug!(op = "DeleteLoadBalancer", name = current.id, "aws call");
    let out = client
        .delete_load_balancer()
        .load_balancer_name(&current.id)
        .send()
        .await;
    gone_is_ok(out.map_err(|e| errors::sdk("DeleteLoadBalancer", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

fn int(map: &BTreeMap<String, Value>, field: &str) -> Result<i32, ProviderError> {
    match map.get(field) {
        Some(Value::Int(i)) => {
            i32::try_from(*i).map_err(|_| invalid(format!("`{field}` {i} is out of range")))
        }
        other => Err(invalid(format!(
            "`{field}` must be a number, got {other:?}"
        ))),
    }
}

fn listener(value: &Value) -> Result<Listener, ProviderError> {
    let m = value
        .as_map()
        .ok_or_else(|| invalid(format!("a listener must be a map, got {value}")))?;
    let word = |f: &str| -> Result<String, ProviderError> { Ok(super::text(m, f)?.to_uppercase()) };
    Listener::builder()
        .protocol(word("protocol")?)
        .load_balancer_port(int(m, "port")?)
        .instance_protocol(word("instance_protocol")?)
        .instance_port(int(m, "instance_port")?)
        .set_ssl_certificate_id(
            m.get("certificate")
                .and_then(Value::as_str)
                .map(str::to_owned),
        )
        .build()
        .map_err(|e| invalid(format!("listener: {e}")))
}

fn health_check(value: &Value) -> Result<HealthCheck, ProviderError> {
    let m = value
        .as_map()
        .ok_or_else(|| invalid(format!("`health_check` must be a map, got {value}")))?;
    HealthCheck::builder()
        .target(super::text(m, "target")?)
        .interval(int(m, "interval")?)
        .timeout(int(m, "timeout")?)
        .healthy_threshold(int(m, "healthy_threshold")?)
        .unhealthy_threshold(int(m, "unhealthy_threshold")?)
        .build()
        .map_err(|e| invalid(format!("health_check: {e}")))
}

fn elb_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| invalid(format!("tag `{k}`: {e}")))
        })
        .collect()
}

fn to_found(lb: &LoadBalancerDescription, tags: &BTreeMap<String, String>) -> Found {
    let mut attrs = Attrs::new();
    let name = lb.load_balancer_name().unwrap_or_default();
    attrs.insert("name".into(), Value::str(name));
    attrs.insert(
        "scheme".into(),
        Value::str(lb.scheme().unwrap_or("internet-facing")),
    );
    let list = |v: &[String]| Value::List(v.iter().map(Value::str).collect());
    attrs.insert("subnets".into(), list(lb.subnets()));
    attrs.insert("security_groups".into(), list(lb.security_groups()));
    let listeners = lb
        .listener_descriptions()
        .iter()
        .filter_map(|d| d.listener())
        .map(|l| {
            let mut m = BTreeMap::new();
            m.insert(
                "protocol".to_owned(),
                Value::str(l.protocol().to_lowercase()),
            );
            m.insert("port".to_owned(), Value::Int(l.load_balancer_port().into()));
            m.insert(
                "instance_protocol".to_owned(),
                Value::str(l.instance_protocol().unwrap_or(l.protocol()).to_lowercase()),
            );
            m.insert(
                "instance_port".to_owned(),
                Value::Int(l.instance_port().into()),
            );
            if let Some(cert) = l.ssl_certificate_id() {
                m.insert("certificate".to_owned(), Value::str(cert));
            }
            Value::Map(m)
        })
        .collect();
    attrs.insert("listeners".into(), Value::List(listeners));
    if let Some(h) = lb.health_check() {
        attrs.insert(
            "health_check".into(),
            Value::Map(BTreeMap::from([
                ("target".to_owned(), Value::str(h.target())),
                ("interval".to_owned(), Value::Int(h.interval().into())),
                ("timeout".to_owned(), Value::Int(h.timeout().into())),
                (
                    "healthy_threshold".to_owned(),
                    Value::Int(h.healthy_threshold().into()),
                ),
                (
                    "unhealthy_threshold".to_owned(),
                    Value::Int(h.unhealthy_threshold().into()),
                ),
            ])),
        );
    }
    attrs.insert(
        "tags".into(),
        Value::Map(
            tags.iter()
                .filter(|(k, _)| !recon_model::tags::is_aws_managed(k))
                .map(|(k, v)| (k.clone(), Value::str(v)))
                .collect(),
        ),
    );
    let mut found = Found::new(name, LiveState::Available, attrs);
    if let Some(dns) = lb.dns_name() {
        found.outputs.insert("dns_name".into(), Value::str(dns));
    }
    found
}

// ---- the kind ----------------------------------------------------------------------------------

// `load_balancer`'s [`AwsKind`](super::AwsKind): the functions above, on the classic ELB client.
// Its delete is done only once the ELB's network interfaces are released (on EC2).
super::aws_kind_calls!(
    LoadBalancer,
    elb,
    async fn after_gone(c: &crate::clients::Clients, id: &str) -> Result<(), ProviderError> {
        super::elb_interfaces::release(&c.ec2, id).await
    }
);
