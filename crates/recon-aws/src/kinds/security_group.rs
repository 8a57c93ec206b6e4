//! `security_group`: CreateSecurityGroup, Authorize/RevokeSecurityGroupIngress/Egress,
//! DeleteSecurityGroup.
//!
//! The group name is `<environment>-<name>`, unique per VPC: CreateSecurityGroup has no client
//! token, so after a crash between the create and the next discovery the retried create meets
//! `InvalidGroup.Duplicate`, and the existing group is adopted if (and only if) its ownership
//! tags say it is this resource.
//!
//! Rules are flattened to one map per (permission × peer): `{protocol, ports, from|to,
//! description?}`, where the peer is a CIDR block (IPv4 or IPv6), a security group id or a
//! prefix list id. AWS's protocol numbers become names (`-1` → `all`, `6` → `tcp`, `17` →
//! `udp`, `1` → `icmp`); ports are `all` for `all` and for ICMP's "every type", `22` for a single
//! port, `1000-2000` for a range.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroup, UserIdGroupPair,
};
use recon_model::kinds::security_group::default_egress;
use recon_model::tags::{ENV, ID};
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ErrorKind, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, as_text, items, known, not_in_place, optional_text, text};
use crate::errors::{self, gone_is_ok, has_code, invalid, unless_not_found};
use crate::tags;

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    debug!(op = "DescribeSecurityGroups", environment, "aws call");
    let groups: Vec<SecurityGroup> = client
        .describe_security_groups()
        .filters(tags::env_filter(environment))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeSecurityGroups", e))?;
    Ok(groups.iter().map(to_found).collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, id: &str) -> Result<Option<Found>, ProviderError> {
    debug!(op = "DescribeSecurityGroups", id, "aws call");
    let described = client.describe_security_groups().group_ids(id).send().await;
    let Some(out) =
        unless_not_found(described.map_err(|e| errors::sdk("DescribeSecurityGroups", e)))?
    else {
        return Ok(None);
    };
    Ok(out
        .security_groups()
        .iter()
        .find(|g| g.group_id() == Some(id))
        .map(to_found))
}

/// Many by id in one DescribeSecurityGroups per [`super::IDS_PER_FILTER`] ids, through a `group-id` filter: an id
/// that no longer exists is absent from the answer, not an error for the whole call.
pub(crate) async fn read_many(
    client: &Client,
    ids: &[String],
) -> Result<Vec<Found>, ProviderError> {
    let mut found = Vec::new();
    for chunk in ids.chunks(super::IDS_PER_FILTER) {
        debug!(op = "DescribeSecurityGroups", ids = chunk.len(), "aws call");
        let items: Vec<SecurityGroup> = client
            .describe_security_groups()
            .filters(tags::id_filter("group-id", chunk))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| errors::sdk("DescribeSecurityGroups", e))?;
        found.extend(items.iter().map(to_found));
    }
    Ok(found)
}

// ---- create ------------------------------------------------------------------------------------

/// CreateSecurityGroup named `<environment>-<name>`. A new group has no ingress rules and AWS's
/// default egress rule; the executor sets the rules with [`update`].
pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let vpc = text(request.attrs, "vpc")?;
    let description = optional_text(request.attrs, "description")?.unwrap_or("Managed by recon");
    let name = group_name(request.environment, &request.address.name);
    let tags = tags::wanted(request.attrs)?;
    debug!(op = "CreateSecurityGroup", address = %request.address, name, vpc, "aws call");
    let created = client
        .create_security_group()
        .group_name(&name)
        .description(description)
        .vpc_id(vpc)
        .tag_specifications(tags::spec(ResourceType::SecurityGroup, &tags))
        .customize()
        .config_override(crate::sent_once!(aws_sdk_ec2))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateSecurityGroup", e));
    let out = match created {
        Ok(out) => out,
        Err(e) if has_code(&e, "InvalidGroup.Duplicate") => {
            return adopt(client, request, &name, vpc, e).await;
        }
        Err(e) => return Err(e),
    };
    let id = out
        .group_id()
        .ok_or_else(|| errors::missing("CreateSecurityGroup", "a group id"))?;
    let mut attrs = Attrs::new();
    attrs.insert("vpc".into(), Value::str(vpc));
    attrs.insert("description".into(), Value::str(description));
    attrs.insert("ingress".into(), Value::List(vec![]));
    attrs.insert("egress".into(), default_egress());
    if !out.tags().is_empty() {
        attrs.insert("tags".into(), tags::to_value(out.tags()));
    }
    Ok(Found::new(id, LiveState::Available, attrs))
}

/// The group `name` exists in `vpc`: it is this resource if its ownership tags say so (a crash
/// after an earlier create), otherwise the name is taken.
async fn adopt(
    client: &Client,
    request: &CreateRequest<'_>,
    name: &str,
    vpc: &str,
    duplicate: ProviderError,
) -> Result<Found, ProviderError> {
    debug!(op = "DescribeSecurityGroups", name, vpc, "aws call");
    let out = client
        .describe_security_groups()
        .filters(tags::filter("group-name", &[name]))
        .filters(tags::filter("vpc-id", &[vpc]))
        .send()
        .await
        .map_err(|e| errors::sdk("DescribeSecurityGroups", e))?;
    let address = request.address.to_string();
    let Some(group) = out.security_groups().first() else {
        return Err(duplicate);
    };
    let env = tags::get(group.tags(), ENV);
    let id = tags::get(group.tags(), ID);
    if env == Some(request.environment) && id == Some(address.as_str()) {
        debug!(id = group.group_id(), %address, "adopting the group an earlier create made");
        return Ok(to_found(group));
    }
    Err(ProviderError::new(
        ErrorKind::AlreadyExists,
        format!(
            "a security group named `{name}` already exists in {vpc} ({}, tagged {ENV}={}, {ID}={}) \
             and is not `{address}` of environment `{}`",
            group.group_id().unwrap_or("?"),
            env.unwrap_or("(none)"),
            id.unwrap_or("(none)"),
            request.environment,
        ),
    )
    .with_code("InvalidGroup.Duplicate"))
}

pub(crate) fn group_name(environment: &str, name: &str) -> String {
    format!("{environment}-{name}")
}

// ---- update ------------------------------------------------------------------------------------

/// "The rule already exists" (`InvalidPermission.Duplicate`) is what is wanted: most often the
/// SDK's resend of an authorization whose answer was lost.
fn already_there(e: ProviderError) -> Result<(), ProviderError> {
    if errors::has_code(&e, "InvalidPermission.Duplicate") {
        Ok(())
    } else {
        Err(e)
    }
}

/// `ingress` / `egress`: the rules live but no longer wanted are revoked, then the wanted ones
/// not live are authorized (a rule whose description changed is revoked and authorized again).
/// Tags.
pub(crate) async fn update(
    client: &Client,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    let id = current.id.as_str();
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        let direction = match diff.field.as_str() {
            "ingress" => Direction::Ingress,
            "egress" => Direction::Egress,
            "tags" => {
                tags::update(client, id, current.attrs.get("tags"), after).await?;
                continue;
            }
            other => return Err(not_in_place(Kind::SecurityGroup, other)),
        };
        let field = diff.field.as_str();
        let have: BTreeSet<&Value> = items(field, current.attrs.get(field))?.iter().collect();
        let want: BTreeSet<&Value> = items(field, after)?.iter().collect();
        let removed: Vec<Value> = have.difference(&want).map(|v| (*v).clone()).collect();
        let added: Vec<Value> = want.difference(&have).map(|v| (*v).clone()).collect();
        let peer = direction.peer();
        if !removed.is_empty() {
            let permissions = permissions(&removed, peer)?;
            revoke(client, id, direction, permissions).await?;
        }
        if !added.is_empty() {
            let permissions = permissions(&added, peer)?;
            authorize(client, id, direction, permissions).await?;
        }
    }
    Ok(())
}

#[derive(Clone, Copy, Debug)]
enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    fn peer(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }
}

async fn revoke(
    client: &Client,
    id: &str,
    direction: Direction,
    permissions: Vec<IpPermission>,
) -> Result<(), ProviderError> {
    match direction {
        Direction::Ingress => {
            debug!(
                op = "RevokeSecurityGroupIngress",
                id,
                ?permissions,
                "aws call"
            );
            client
                .revoke_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(permissions))
                .send()
                .await
                .map_err(|e| errors::sdk("RevokeSecurityGroupIngress", e))?;
        }
        Direction::Egress => {
            debug!(
                op = "RevokeSecurityGroupEgress",
                id,
                ?permissions,
                "aws call"
            );
            client
                .revoke_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(permissions))
                .send()
                .await
                .map_err(|e| errors::sdk("RevokeSecurityGroupEgress", e))?;
        }
    }
    Ok(())
}

async fn authorize(
    client: &Client,
    id: &str,
    direction: Direction,
    permissions: Vec<IpPermission>,
) -> Result<(), ProviderError> {
    match direction {
        Direction::Ingress => {
            debug!(
                op = "AuthorizeSecurityGroupIngress",
                id,
                ?permissions,
                "aws call"
            );
            client
                .authorize_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(permissions))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| errors::sdk("AuthorizeSecurityGroupIngress", e))
                .or_else(already_there)?;
        }
        Direction::Egress => {
            debug!(
                op = "AuthorizeSecurityGroupEgress",
                id,
                ?permissions,
                "aws call"
            );
            client
                .authorize_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(permissions))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| errors::sdk("AuthorizeSecurityGroupEgress", e))
                .or_else(already_there)?;
        }
    }
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

/// DeleteSecurityGroup. AWS refuses (`DependencyViolation`) while an interface uses the group
/// or another group's rule refers to it; the executor retries.
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    debug!(op = "DeleteSecurityGroup", id = current.id, "aws call");
    let result = client
        .delete_security_group()
        .group_id(&current.id)
        .send()
        .await;
    gone_is_ok(result.map_err(|e| errors::sdk("DeleteSecurityGroup", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

fn to_found(group: &SecurityGroup) -> Found {
    let mut attrs = Attrs::new();
    super::put(&mut attrs, "vpc", group.vpc_id());
    super::put(&mut attrs, "description", group.description());
    attrs.insert(
        "ingress".into(),
        Value::List(flatten(group.ip_permissions(), "from")),
    );
    attrs.insert(
        "egress".into(),
        Value::List(flatten(group.ip_permissions_egress(), "to")),
    );
    attrs.insert("tags".into(), tags::to_value(group.tags()));
    Found::new(
        group.group_id().unwrap_or_default(),
        LiveState::Available,
        attrs,
    )
}

/// AWS's permissions as recon's rules, sorted: one rule per permission and peer.
pub(crate) fn flatten(permissions: &[IpPermission], peer: &str) -> Vec<Value> {
    let mut rules = Vec::new();
    for p in permissions {
        let protocol = protocol_name(p.ip_protocol().unwrap_or("-1"));
        let ports = ports_text(&protocol, p.from_port(), p.to_port());
        let mut push = |target: Option<&str>, description: Option<&str>| {
            let Some(target) = target else { return };
            let mut rule = BTreeMap::from([
                ("protocol".to_owned(), Value::str(&protocol)),
                ("ports".to_owned(), Value::str(&ports)),
                (peer.to_owned(), Value::str(target)),
            ]);
            if let Some(d) = description.filter(|d| !d.is_empty()) {
                rule.insert("description".to_owned(), Value::str(d));
            }
            rules.push(Value::Map(rule));
        };
        for r in p.ip_ranges() {
            push(r.cidr_ip(), r.description());
        }
        for r in p.ipv6_ranges() {
            push(r.cidr_ipv6(), r.description());
        }
        for g in p.user_id_group_pairs() {
            push(g.group_id(), g.description());
        }
        for l in p.prefix_list_ids() {
            push(l.prefix_list_id(), l.description());
        }
    }
    rules.sort();
    rules.dedup();
    rules
}

fn protocol_name(protocol: &str) -> String {
    match protocol.to_ascii_lowercase().as_str() {
        "-1" | "all" => "all".to_owned(),
        "tcp" | "6" => "tcp".to_owned(),
        "udp" | "17" => "udp".to_owned(),
        "icmp" | "1" => "icmp".to_owned(),
        other => other.to_owned(),
    }
}

/// `all` for protocol `all` and for "every port/type" (absent or -1), else `22` or `1000-2000`.
/// An ICMP rule for one type keeps its `type-code` numbers, so that it shows as different from
/// any rule a spec can give and is revoked.
fn ports_text(protocol: &str, from: Option<i32>, to: Option<i32>) -> String {
    match (protocol, from, to) {
        ("all", _, _) | (_, None, _) | (_, Some(-1), _) => "all".to_owned(),
        (_, Some(from), Some(to)) if from != to => format!("{from}-{to}"),
        (_, Some(from), _) => from.to_string(),
    }
}

/// recon's rules as AWS permissions, one permission per (protocol, ports) with all its peers.
pub(crate) fn permissions(rules: &[Value], peer: &str) -> Result<Vec<IpPermission>, ProviderError> {
    let mut grouped: BTreeMap<(String, Option<i32>, Option<i32>), Peers> = BTreeMap::new();
    for rule in rules {
        let map = rule
            .as_map()
            .ok_or_else(|| invalid(format!("a rule must be a map, got {rule}")))?;
        let protocol = map
            .get("protocol")
            .map(|p| as_text("protocol", p))
            .transpose()?
            .unwrap_or("all");
        let ports = match map.get("ports") {
            None => "all".to_owned(),
            Some(Value::Int(i)) => i.to_string(),
            Some(v) => as_text("ports", v)?.to_owned(),
        };
        let target = map
            .get(peer)
            .ok_or_else(|| invalid(format!("rule {rule} has no `{peer}`")))?;
        let target = as_text(peer, target)?;
        let description = map
            .get("description")
            .map(|d| as_text("description", d))
            .transpose()?
            .map(str::to_owned);
        let key = aws_protocol_and_ports(protocol, &ports)
            .ok_or_else(|| invalid(format!("rule {rule}: unusable ports `{ports}`")))?;
        let peers = grouped.entry(key).or_default();
        if target.starts_with("sg-") {
            peers.groups.push(
                UserIdGroupPair::builder()
                    .group_id(target)
                    .set_description(description)
                    .build(),
            );
        } else if target.starts_with("pl-") {
            peers.prefix_lists.push(
                PrefixListId::builder()
                    .prefix_list_id(target)
                    .set_description(description)
                    .build(),
            );
        } else if target.contains(':') {
            peers.ipv6.push(
                Ipv6Range::builder()
                    .cidr_ipv6(target)
                    .set_description(description)
                    .build(),
            );
        } else {
            peers.ipv4.push(
                IpRange::builder()
                    .cidr_ip(target)
                    .set_description(description)
                    .build(),
            );
        }
    }
    Ok(grouped
        .into_iter()
        .map(|((protocol, from, to), peers)| {
            IpPermission::builder()
                .ip_protocol(protocol)
                .set_from_port(from)
                .set_to_port(to)
                .set_ip_ranges(non_empty(peers.ipv4))
                .set_ipv6_ranges(non_empty(peers.ipv6))
                .set_user_id_group_pairs(non_empty(peers.groups))
                .set_prefix_list_ids(non_empty(peers.prefix_lists))
                .build()
        })
        .collect())
}

fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

#[derive(Default)]
struct Peers {
    ipv4: Vec<IpRange>,
    ipv6: Vec<Ipv6Range>,
    groups: Vec<UserIdGroupPair>,
    prefix_lists: Vec<PrefixListId>,
}

/// recon's protocol and ports as AWS's `IpProtocol`, `FromPort` and `ToPort`.
fn aws_protocol_and_ports(
    protocol: &str,
    ports: &str,
) -> Option<(String, Option<i32>, Option<i32>)> {
    let range = |ports: &str| -> Option<(i32, i32)> {
        match ports.split_once('-') {
            Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
            None => {
                let p = ports.trim().parse().ok()?;
                Some((p, p))
            }
        }
    };
    Some(match (protocol, ports) {
        ("all" | "-1", _) => ("-1".to_owned(), None, None),
        ("tcp" | "udp", "all") => (protocol.to_owned(), Some(0), Some(65535)),
        ("icmp", "all") => ("icmp".to_owned(), Some(-1), Some(-1)),
        (_, "all") => (protocol.to_owned(), None, None),
        (_, ports) => {
            let (from, to) = range(ports)?;
            (protocol.to_owned(), Some(from), Some(to))
        }
    })
}

// ---- the kind ----------------------------------------------------------------------------------

// `security_group`'s [`AwsKind`](super::AwsKind): the functions above, on the EC2 client.
// The create answer is a read: a new group has no ingress rules and AWS's default egress rule, as `create` reports it.
super::aws_kind_calls!(
    SecurityGroup,
    ec2,
    reads_many,
    const CREATE_REPLY_IS_A_READ: bool = true;
);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_rule_that_exists_already_is_what_was_wanted() {
        use crate::stub_server::{Reply, StubServer};
        // The SDK's resend of an authorization whose answer was lost meets its own rule.
        let stub = StubServer::start(vec![Reply::error(
            "AuthorizeSecurityGroupIngress",
            400,
            "InvalidPermission.Duplicate",
        )]);
        let rule = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(443)
            .to_port(443)
            .build();
        authorize(&stub.ec2(), "sg-1", Direction::Ingress, vec![rule.clone()])
            .await
            .expect("already there is success");
        // Any other refusal is still an error.
        let stub = StubServer::start(vec![Reply::error(
            "AuthorizeSecurityGroupIngress",
            400,
            "InvalidGroup.NotFound",
        )]);
        assert!(
            authorize(&stub.ec2(), "sg-1", Direction::Ingress, vec![rule])
                .await
                .is_err()
        );
    }

    fn rule(pairs: &[(&str, &str)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::str(*v)))
                .collect(),
        )
    }

    #[test]
    fn one_rule_per_peer_with_names_for_protocols() {
        let permissions = [
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(
                    IpRange::builder()
                        .cidr_ip("10.0.0.0/16")
                        .description("ssh")
                        .build(),
                )
                .ip_ranges(
                    IpRange::builder()
                        .cidr_ip("10.1.0.0/16")
                        .description("")
                        .build(),
                )
                .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
                .build(),
            IpPermission::builder()
                .ip_protocol("6")
                .from_port(1000)
                .to_port(2000)
                .user_id_group_pairs(UserIdGroupPair::builder().group_id("sg-1").build())
                .build(),
            IpPermission::builder()
                .ip_protocol("-1")
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
            IpPermission::builder()
                .ip_protocol("1")
                .from_port(-1)
                .to_port(-1)
                .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
                .build(),
            IpPermission::builder()
                .ip_protocol("17")
                .from_port(53)
                .to_port(53)
                .prefix_list_ids(PrefixListId::builder().prefix_list_id("pl-1").build())
                .build(),
        ];
        let mut expected = vec![
            rule(&[
                ("protocol", "tcp"),
                ("ports", "22"),
                ("from", "10.0.0.0/16"),
                ("description", "ssh"),
            ]),
            rule(&[
                ("protocol", "tcp"),
                ("ports", "22"),
                ("from", "10.1.0.0/16"),
            ]),
            rule(&[("protocol", "tcp"), ("ports", "22"), ("from", "::/0")]),
            rule(&[
                ("protocol", "tcp"),
                ("ports", "1000-2000"),
                ("from", "sg-1"),
            ]),
            rule(&[("protocol", "all"), ("ports", "all"), ("from", "0.0.0.0/0")]),
            rule(&[
                ("protocol", "icmp"),
                ("ports", "all"),
                ("from", "10.0.0.0/8"),
            ]),
            rule(&[("protocol", "udp"), ("ports", "53"), ("from", "pl-1")]),
        ];
        expected.sort();
        assert_eq!(flatten(&permissions, "from"), expected);
    }

    #[test]
    fn rules_round_trip_through_permissions() {
        let rules = vec![
            rule(&[
                ("protocol", "tcp"),
                ("ports", "22"),
                ("to", "10.0.0.0/16"),
                ("description", "ssh"),
            ]),
            rule(&[("protocol", "tcp"), ("ports", "22"), ("to", "10.1.0.0/16")]),
            rule(&[("protocol", "tcp"), ("ports", "1000-2000"), ("to", "sg-1")]),
            rule(&[("protocol", "all"), ("ports", "all"), ("to", "0.0.0.0/0")]),
            rule(&[("protocol", "icmp"), ("ports", "all"), ("to", "::/0")]),
        ];
        let permissions = permissions(&rules, "to").unwrap();
        assert_eq!(permissions.len(), 4, "{permissions:?}");
        let mut expected = rules.clone();
        expected.sort();
        assert_eq!(flatten(&permissions, "to"), expected);
    }

    #[test]
    fn default_egress_is_what_aws_reports_for_a_new_group() {
        let aws = IpPermission::builder()
            .ip_protocol("-1")
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .build();
        assert_eq!(Value::List(flatten(&[aws], "to")), default_egress());
    }
}
