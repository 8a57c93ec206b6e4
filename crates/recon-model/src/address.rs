//! Resource addresses (`kind.name`). The kinds themselves are declared once, in `kinds`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use crate::kinds::Kind;

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
