//! What several rules need to know about a spec: which subnets are public, which route tables
//! serve a subnet, what a security group rule admits.

use ipnet::Ipv4Net;
use recon_model::{Address, DesiredResource, Kind, Spec, Value};

/// The resources of one kind, in file order.
pub fn of_kind(spec: &Spec, kind: Kind) -> impl Iterator<Item = &DesiredResource> {
    spec.resources
        .iter()
        .filter(move |r| r.address.kind == kind)
}

/// The address a reference field holds (`subnet: subnet.private`).
pub fn reference<'a>(resource: &'a DesiredResource, field: &str) -> Option<&'a Address> {
    match resource.attrs.get(field)? {
        Value::Ref(r) => Some(&r.address),
        _ => None,
    }
}

/// The addresses a set of references holds (`security_groups: [...]`).
pub fn references<'a>(resource: &'a DesiredResource, field: &str) -> Vec<&'a Address> {
    resource
        .attrs
        .get(field)
        .map(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| match v {
            Value::Ref(r) => Some(&r.address),
            _ => None,
        })
        .collect()
}

pub fn text<'a>(resource: &'a DesiredResource, field: &str) -> Option<&'a str> {
    resource.attrs.get(field)?.as_str()
}

pub fn flag(resource: &DesiredResource, field: &str) -> Option<bool> {
    resource.attrs.get(field)?.as_bool()
}

/// The route tables that serve a subnet: those associated with it, or else the VPC's main
/// table when the spec makes one (`main: true`). A subnet served by neither uses the VPC's
/// original main table, which has only the local route.
pub fn route_tables_of<'a>(spec: &'a Spec, subnet: &DesiredResource) -> Vec<&'a DesiredResource> {
    let associated: Vec<&DesiredResource> = of_kind(spec, Kind::RouteTable)
        .filter(|t| references(t, "subnets").contains(&&subnet.address))
        .collect();
    if !associated.is_empty() {
        return associated;
    }
    let vpc = reference(subnet, "vpc");
    of_kind(spec, Kind::RouteTable)
        .filter(|t| flag(t, "main") == Some(true) && reference(t, "vpc") == vpc)
        .collect()
}

/// The default route (`0.0.0.0/0`) of a route table when it goes to an internet gateway: its
/// index in `routes` and the gateway.
pub fn internet_route(table: &DesiredResource) -> Option<(usize, &Address)> {
    table
        .attrs
        .get("routes")
        .map(Value::as_list)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .find_map(|(i, route)| {
            let route = route.as_map()?;
            if route.get("destination")?.as_str()? != "0.0.0.0/0" {
                return None;
            }
            match route.get("internet_gateway")? {
                Value::Ref(r) => Some((i, &r.address)),
                _ => None,
            }
        })
}

/// A subnet is public when a route table serving it sends `0.0.0.0/0` to an internet gateway.
pub fn is_public(spec: &Spec, subnet: &DesiredResource) -> bool {
    route_tables_of(spec, subnet)
        .iter()
        .any(|t| internet_route(t).is_some())
}

/// A subnet is private when it says so (`tier: private`) or has no route to the internet.
pub fn is_private(spec: &Spec, subnet: &DesiredResource) -> bool {
    text(subnet, "tier") == Some("private") || !is_public(spec, subnet)
}

/// Why a subnet counts as private, for messages.
pub fn why_private(subnet: &DesiredResource) -> String {
    if text(subnet, "tier") == Some("private") {
        format!("`{}` is declared `tier: private`", subnet.address)
    } else {
        format!("`{}` has no route to an internet gateway", subnet.address)
    }
}

/// Whether a port spec (`22`, `1000-2000`, `all`) includes `port`.
pub fn ports_include(ports: &str, port: u16) -> bool {
    if ports == "all" {
        return true;
    }
    let (low, high) = ports.split_once('-').unwrap_or((ports, ports));
    match (low.trim().parse::<u16>(), high.trim().parse::<u16>()) {
        (Ok(low), Ok(high)) => (low..=high).contains(&port),
        _ => false,
    }
}

/// One ingress rule of a security group, read from the spec.
pub struct Ingress<'a> {
    pub index: usize,
    pub protocol: &'a str,
    pub ports: &'a str,
    pub from: &'a Value,
}

impl Ingress<'_> {
    /// Whether it admits TCP traffic to `port`.
    pub fn admits_tcp(&self, port: u16) -> bool {
        matches!(self.protocol, "tcp" | "all") && ports_include(self.ports, port)
    }

    /// The CIDR block it admits from, when the peer is one.
    pub fn source_cidr(&self) -> Option<Ipv4Net> {
        self.from.as_str()?.parse().ok()
    }

    /// The security group it admits from, when the peer is one.
    pub fn source_group(&self) -> Option<&Address> {
        match self.from {
            Value::Ref(r) => Some(&r.address),
            _ => None,
        }
    }
}

pub fn ingress(group: &DesiredResource) -> Vec<Ingress<'_>> {
    group
        .attrs
        .get("ingress")
        .map(Value::as_list)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(index, rule)| {
            let rule = rule.as_map()?;
            Some(Ingress {
                index,
                protocol: rule.get("protocol")?.as_str()?,
                ports: rule.get("ports").and_then(Value::as_str).unwrap_or("all"),
                from: rule.get("from")?,
            })
        })
        .collect()
}

pub fn cidr(resource: &DesiredResource) -> Option<Ipv4Net> {
    text(resource, "cidr_block")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::ports_include;

    #[test]
    fn ports_include_single_ports_ranges_and_all() {
        assert!(ports_include("22", 22));
        assert!(!ports_include("22", 23));
        assert!(ports_include("0-1024", 943));
        assert!(!ports_include("1000-2000", 22));
        assert!(ports_include("all", 3389));
    }
}
