//! Ownership tags and the full tag set a resource should carry.

use std::collections::BTreeMap;

use crate::resource::{DesiredResource, Spec};
use crate::value::Value;

/// The environment that owns a resource. Nothing without it (equal to the environment being
/// planned) is ever modified or deleted.
pub const ENV: &str = "recon:env";
/// The resource's address within its environment.
pub const ID: &str = "recon:id";
pub const NAME: &str = "Name";
/// `true` on a resource no plan may delete or replace (the spec's `protect: true`). It lives on
/// the resource, so it holds even for a spec that no longer names the resource, and for
/// `destroy --env`.
pub const PROTECT: &str = "recon:protect";

/// Whether a tag key is one AWS manages (`aws:*`), which recon neither sets nor compares.
pub fn is_aws_managed(key: &str) -> bool {
    key.starts_with("aws:")
}

/// The tags a resource must carry: the spec's tags, then the resource's own, a `Name` of
/// `<environment>-<name>` unless one is given, and the two ownership tags (which always win).
pub fn desired_tags(spec: &Spec, resource: &DesiredResource) -> BTreeMap<String, String> {
    desired_tags_for(&spec.environment, &spec.tags, resource)
}

pub fn desired_tags_for(
    environment: &str,
    spec_tags: &BTreeMap<String, String>,
    resource: &DesiredResource,
) -> BTreeMap<String, String> {
    let mut tags = spec_tags.clone();
    if let Some(Value::Map(own)) = resource.attrs.get("tags") {
        for (k, v) in own {
            if let Some(s) = v.as_str() {
                tags.insert(k.clone(), s.to_owned());
            }
        }
    }
    // A `Name` only where AWS can keep one (not on a mount target).
    if crate::kinds::def(resource.address.kind).aws.has_tags {
        tags.entry(NAME.into())
            .or_insert_with(|| format!("{environment}-{}", resource.address.name));
    }
    tags.insert(ENV.into(), environment.to_owned());
    tags.insert(ID.into(), resource.address.to_string());
    tags
}

pub fn to_value(tags: &BTreeMap<String, String>) -> Value {
    Value::Map(
        tags.iter()
            .map(|(k, v)| (k.clone(), Value::str(v)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Address, Attrs, Kind};

    fn tags_of(kind: Kind) -> BTreeMap<String, String> {
        let resource = DesiredResource {
            address: Address::new(kind, "data"),
            attrs: Attrs::new(),
            depends_on: Vec::new(),
        };
        desired_tags_for("irb", &BTreeMap::new(), &resource)
    }

    #[test]
    fn name_defaults_where_aws_keeps_tags_and_never_on_a_mount_target() {
        assert_eq!(
            tags_of(Kind::EfsFileSystem).get(NAME).map(String::as_str),
            Some("irb-data")
        );
        let mount_target = tags_of(Kind::EfsMountTarget);
        assert_eq!(mount_target.get(NAME), None);
        assert_eq!(
            mount_target.get(ID).map(String::as_str),
            Some("efs_mount_target.data")
        );
    }
}
