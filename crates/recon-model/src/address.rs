//! Resource addresses (`kind.name`) and the closed set of kinds.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Every kind of resource recon manages, and the kinds it can only look up. Adding a kind: one
/// variant here, one module in `kinds/`, one line in `kinds::def`, and one module in the AWS
/// crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Vpc,
    Subnet,
    InternetGateway,
    RouteTable,
    ElasticIp,
    NatGateway,
    SecurityGroup,
    KeyPair,
    LaunchTemplate,
    Instance,
    KmsKey,
    EfsFileSystem,
    EfsMountTarget,
    LoadBalancer,
    AutoscalingGroup,
    /// An AMI: only ever looked up (`lookups:`), never managed.
    Image,
}

impl Kind {
    /// The kinds recon manages (creates, discovers by tag, deletes), in a stable order.
    pub const ALL: &'static [Kind] = &[
        Kind::Vpc,
        Kind::Subnet,
        Kind::InternetGateway,
        Kind::RouteTable,
        Kind::ElasticIp,
        Kind::NatGateway,
        Kind::SecurityGroup,
        Kind::KeyPair,
        Kind::LaunchTemplate,
        Kind::Instance,
        Kind::KmsKey,
        Kind::EfsFileSystem,
        Kind::EfsMountTarget,
        Kind::LoadBalancer,
        Kind::AutoscalingGroup,
    ];

    /// Every kind: the managed ones, then the lookup-only ones.
    pub const EVERY: &'static [Kind] = &[
        Kind::Vpc,
        Kind::Subnet,
        Kind::InternetGateway,
        Kind::RouteTable,
        Kind::ElasticIp,
        Kind::NatGateway,
        Kind::SecurityGroup,
        Kind::KeyPair,
        Kind::LaunchTemplate,
        Kind::Instance,
        Kind::KmsKey,
        Kind::EfsFileSystem,
        Kind::EfsMountTarget,
        Kind::LoadBalancer,
        Kind::AutoscalingGroup,
        Kind::Image,
    ];

    /// Kinds that exist in AWS but that recon only looks up, never manages.
    pub const LOOKUP_ONLY: &'static [Kind] = &[Kind::Image];

    /// Whether recon creates and deletes resources of this kind.
    pub fn is_managed(self) -> bool {
        !Kind::LOOKUP_ONLY.contains(&self)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Vpc => "vpc",
            Kind::Subnet => "subnet",
            Kind::InternetGateway => "internet_gateway",
            Kind::RouteTable => "route_table",
            Kind::ElasticIp => "elastic_ip",
            Kind::NatGateway => "nat_gateway",
            Kind::SecurityGroup => "security_group",
            Kind::KeyPair => "key_pair",
            Kind::LaunchTemplate => "launch_template",
            Kind::Instance => "instance",
            Kind::KmsKey => "kms_key",
            Kind::EfsFileSystem => "efs_file_system",
            Kind::EfsMountTarget => "efs_mount_target",
            Kind::LoadBalancer => "load_balancer",
            Kind::AutoscalingGroup => "autoscaling_group",
            Kind::Image => "image",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::EVERY.iter().copied().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `kind.name`: the identity of a resource within an environment. It is also the value of the
/// `recon:id` tag, which is how a live resource is matched to the spec.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub kind: Kind,
    pub name: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AddressError {
    #[error("`{0}` is not an address: expected `kind.name`")]
    Shape(String),
    #[error("unknown resource kind `{0}`")]
    UnknownKind(String),
    #[error(
        "invalid resource name `{0}`: use letters, digits, `_` and `-`, starting with a letter (and an instance key in brackets, `name[key]`)"
    )]
    BadName(String),
}

impl Address {
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        Address {
            kind,
            name: name.into(),
        }
    }

    /// Whether `name` is acceptable as the name part of an address: a base name, optionally
    /// followed by one instance key in brackets (`public[us-east-1a]`, see [`Address::key`]).
    pub fn valid_name(name: &str) -> bool {
        let (base, key) = split_key(name);
        valid_base(base) && key.is_none_or(|k| k.is_some_and(Address::valid_key))
    }

    /// Whether `key` may name one instance of a `for_each` resource: 1 to 64 characters that
    /// AWS accepts in a tag value (the address is the `recon:id` tag), without spaces or
    /// brackets, and not `*` (which means every instance).
    pub fn valid_key(key: &str) -> bool {
        (1..=64).contains(&key.len())
            && key != "*"
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.:/=+-@".contains(c))
    }

    /// One instance of a `for_each` resource: `subnet.public[us-east-1a]`.
    pub fn instance(kind: Kind, base: &str, key: &str) -> Self {
        Address::new(kind, format!("{base}[{key}]"))
    }

    /// The name without its instance key: `public` for `subnet.public[us-east-1a]`.
    pub fn base_name(&self) -> &str {
        split_key(&self.name).0
    }

    /// The instance key of a `for_each` resource's instance, if this is one.
    pub fn key(&self) -> Option<&str> {
        split_key(&self.name).1.flatten()
    }

    /// The address without its instance key: `subnet.public` for `subnet.public[a]`.
    pub fn base(&self) -> Address {
        Address::new(self.kind, self.base_name())
    }
}

/// Splits `public[key]` into `public` and `Some(Some("key"))`; a name without `[` gives
/// `None`, and one whose brackets are malformed (`a[b`, `a[b]c`) gives `Some(None)`.
fn split_key(name: &str) -> (&str, Option<Option<&str>>) {
    match name.split_once('[') {
        None => (name, None),
        Some((base, rest)) => (
            base,
            Some(rest.strip_suffix(']').filter(|k| !k.contains(['[', ']']))),
        ),
    }
}

fn valid_base(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && name.len() <= 64
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, name) = s
            .split_once('.')
            .ok_or_else(|| AddressError::Shape(s.to_owned()))?;
        let kind = Kind::parse(kind).ok_or_else(|| AddressError::UnknownKind(kind.to_owned()))?;
        if !Address::valid_name(name) {
            return Err(AddressError::BadName(name.to_owned()));
        }
        Ok(Address::new(kind, name))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind, self.name)
    }
}

impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let a: Address = "nat_gateway.main".parse().unwrap();
        assert_eq!(a, Address::new(Kind::NatGateway, "main"));
        assert_eq!(a.to_string(), "nat_gateway.main");
        assert_eq!(
            "vpx.main".parse::<Address>(),
            Err(AddressError::UnknownKind("vpx".into()))
        );
        assert_eq!(
            "vpc".parse::<Address>(),
            Err(AddressError::Shape("vpc".into()))
        );
        assert_eq!(
            "vpc.1x".parse::<Address>(),
            Err(AddressError::BadName("1x".into()))
        );
    }

    #[test]
    fn instance_keys() {
        let a: Address = "subnet.public[us-east-1a]".parse().unwrap();
        assert_eq!(a, Address::instance(Kind::Subnet, "public", "us-east-1a"));
        assert_eq!(a.base_name(), "public");
        assert_eq!(a.key(), Some("us-east-1a"));
        assert_eq!(a.base(), Address::new(Kind::Subnet, "public"));
        assert_eq!(a.to_string(), "subnet.public[us-east-1a]");
        assert!("vpc.main[10.0.0.0/8]".parse::<Address>().is_ok());
        for bad in [
            "vpc.a[",
            "vpc.a[]",
            "vpc.a[b]c",
            "vpc.a[*]",
            "vpc.a[b c]",
            "vpc.a[b]]",
            "vpc.[b]",
        ] {
            assert!(bad.parse::<Address>().is_err(), "{bad}");
        }
        assert_eq!(Address::new(Kind::Vpc, "main").key(), None);
    }
}
