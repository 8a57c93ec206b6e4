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
        "invalid resource name `{0}`: use letters, digits, `_` and `-`, starting with a letter"
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

    /// Whether `name` is acceptable as the name part of an address.
    pub fn valid_name(name: &str) -> bool {
        let mut chars = name.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && name.len() <= 64
    }
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
}
