//! One module per kind, each with the same sections in the same order: discover, read, create,
//! update, delete, then the mapping between AWS's shapes and recon's attributes, and at its end
//! the kind's [`AwsKind`] implementation. This module holds what they share: [`Found`] (a
//! described resource before it is matched to an address) and the helpers that read request
//! values.

pub(crate) mod autoscaling_group;
mod aws_kind;
pub(crate) mod efs_file_system;
pub(crate) mod efs_mount_target;
pub(crate) mod elastic_ip;
pub(crate) mod elb_interfaces;
pub(crate) mod flow_log;
pub(crate) mod iam_role;
pub(crate) mod instance;
pub(crate) mod instance_profile;
pub(crate) mod internet_gateway;
pub(crate) mod key_pair;
pub(crate) mod kms_key;
pub(crate) mod launch_template;
pub(crate) mod load_balancer;
pub(crate) mod log_group;
pub(crate) mod nat_gateway;
pub(crate) mod route_table;
pub(crate) mod s3_bucket;
mod s3_bucket_settings;
pub(crate) mod security_group;
pub(crate) mod subnet;
pub(crate) mod vpc;
pub(crate) mod vpc_endpoint;

pub(crate) use aws_kind::{AwsKind, aws_kind_calls};

/// How many per-resource reads one kind's discovery keeps in flight (an instance's volume, a
/// template's versions): well inside EC2's Describe bucket (100 tokens, 20 a second).
pub(crate) const DISCOVERY_READS_IN_FLIGHT: usize = 8;

/// Ids per describe in a kind's `read_many`: EC2 takes at most 200 values in one filter.
pub(crate) const IDS_PER_FILTER: usize = 200;

use std::collections::BTreeMap;

use recon_model::tags::{ENV, ID};
use recon_model::{Address, Attrs, Kind, LiveResource, LiveState, Value};
use recon_provider::{ErrorKind, ProviderError};

use crate::errors::invalid;

/// A resource as a describe (or a create) reports it, in recon's vocabulary, before its
/// `recon:id` tag is turned into an address.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Found {
    pub id: String,
    pub state: LiveState,
    pub attrs: Attrs,
    pub outputs: BTreeMap<String, Value>,
    /// The ids of parts that the kind's delete removes first (a route table's associations),
    /// as the same read found them: a delete given this read needs no describe of its own.
    /// Not an attribute: never compared, shown or kept past the read.
    pub parts: Vec<String>,
}

impl Found {
    pub fn new(id: impl Into<String>, state: LiveState, attrs: Attrs) -> Self {
        Found {
            id: id.into(),
            state,
            attrs,
            outputs: BTreeMap::new(),
            parts: Vec::new(),
        }
    }

    pub fn tag(&self, key: &str) -> Option<&str> {
        self.attrs.get("tags")?.as_map()?.get(key)?.as_str()
    }

    /// The address in the `recon:id` tag, if it names a resource of `kind`.
    fn address(&self, kind: Kind) -> Result<Address, String> {
        let raw = self
            .tag(ID)
            .ok_or_else(|| format!("{} has no `{ID}` tag", self.id))?;
        let address: Address = raw
            .parse()
            .map_err(|e| format!("{} has an unusable `{ID}` tag `{raw}`: {e}", self.id))?;
        if address.kind != kind {
            return Err(format!(
                "{} is a {kind} but its `{ID}` tag says `{raw}`",
                self.id
            ));
        }
        Ok(address)
    }

    pub fn into_live(self, kind: Kind) -> Result<LiveResource, ProviderError> {
        let address = self
            .address(kind)
            .map_err(|m| ProviderError::new(ErrorKind::NotOwned, m))?;
        Ok(self.with_address(address))
    }

    pub fn with_address(self, address: Address) -> LiveResource {
        LiveResource {
            address,
            id: self.id,
            state: self.state,
            attrs: self.attrs,
            outputs: self.outputs,
        }
    }
}

/// Discovery's client-side re-check: only resources tagged `recon:env` = `environment` whose
/// `recon:id` names a resource of `kind`. The others are skipped with a warning (a tag edited
/// by hand, or a resource of another tool that copied recon's tags).
pub(crate) fn owned(kind: Kind, environment: &str, found: Vec<Found>) -> Vec<LiveResource> {
    owned_and_unaddressable(kind, environment, found).0
}

/// [`owned`], and the resources tagged `recon:env` = `environment` it skipped.
pub(crate) fn owned_and_unaddressable(
    kind: Kind,
    environment: &str,
    found: Vec<Found>,
) -> (Vec<LiveResource>, Vec<recon_provider::Tagged>) {
    let mut out = Vec::new();
    let mut unaddressable = Vec::new();
    for f in found
        .into_iter()
        .filter(|f| f.tag(ENV) == Some(environment))
    {
        match f.address(kind) {
            Ok(address) => out.push(f.with_address(address)),
            Err(why) => {
                tracing::warn!(%kind, environment, "skipping a tagged resource: {why}");
                unaddressable.push(recon_provider::Tagged {
                    kind,
                    recon_id: f.tag(ID).map(str::to_owned),
                    id: f.id,
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.address, &a.id).cmp(&(&b.address, &b.id)));
    (out, unaddressable)
}

/// Refuses to touch `current` unless its `recon:env` tag (as AWS has it now) equals the one on
/// the resource the caller believes it is changing.
pub(crate) fn ensure_owned(current: &Found, live: &LiveResource) -> Result<(), ProviderError> {
    match (live.tag(ENV), current.tag(ENV)) {
        (Some(expected), Some(actual)) if expected == actual => Ok(()),
        (expected, actual) => Err(ProviderError::new(
            ErrorKind::NotOwned,
            format!(
                "{} ({}) is tagged {ENV}={} in AWS, not {}: recon will not change it",
                live.id,
                live.address,
                actual.unwrap_or("(none)"),
                expected.unwrap_or("(none)"),
            ),
        )),
    }
}

/// The `NotFound` error for a resource that is gone.
pub(crate) fn gone(kind: Kind, id: &str) -> ProviderError {
    ProviderError::new(ErrorKind::NotFound, format!("{kind} {id} does not exist"))
}

/// An update of a field AWS cannot change in place: the planner should have replaced it.
pub(crate) fn not_in_place(kind: Kind, field: &str) -> ProviderError {
    invalid(format!(
        "`{field}` of a {kind} cannot be changed in place (the resource must be replaced)"
    ))
}

/// A required text attribute of a request.
pub(crate) fn text<'a>(attrs: &'a Attrs, field: &str) -> Result<&'a str, ProviderError> {
    optional_text(attrs, field)?.ok_or_else(|| invalid(format!("`{field}` is required")))
}

/// An optional text attribute of a request; a value that is not (yet) text is an error.
pub(crate) fn optional_text<'a>(
    attrs: &'a Attrs,
    field: &str,
) -> Result<Option<&'a str>, ProviderError> {
    attrs.get(field).map(|v| as_text(field, v)).transpose()
}

pub(crate) fn as_text<'a>(field: &str, value: &'a Value) -> Result<&'a str, ProviderError> {
    value
        .as_str()
        .ok_or_else(|| invalid(format!("`{field}` must be known text, got {value}")))
}

/// A boolean attribute's wanted value; absent means `false`.
pub(crate) fn flag(field: &str, value: Option<&Value>) -> Result<bool, ProviderError> {
    match value {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(invalid(format!(
            "`{field}` must be true or false, got {other}"
        ))),
    }
}

/// A list attribute's wanted items; absent means empty.
pub(crate) fn items<'a>(
    field: &str,
    value: Option<&'a Value>,
) -> Result<&'a [Value], ProviderError> {
    match value {
        None => Ok(&[]),
        Some(Value::List(l)) => Ok(l),
        Some(other) => Err(invalid(format!("`{field}` must be a list, got {other}"))),
    }
}

/// A list attribute's items as text; absent means empty.
pub(crate) fn texts(field: &str, value: Option<&Value>) -> Result<Vec<String>, ProviderError> {
    items(field, value)?
        .iter()
        .map(|v| as_text(field, v).map(str::to_owned))
        .collect()
}

/// A set attribute's change: the items only `after` has, then the items only `before` has.
pub(crate) fn added_and_removed(
    field: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<(Vec<String>, Vec<String>), ProviderError> {
    let before: std::collections::BTreeSet<String> = texts(field, before)?.into_iter().collect();
    let after: std::collections::BTreeSet<String> = texts(field, after)?.into_iter().collect();
    Ok((
        after.difference(&before).cloned().collect(),
        before.difference(&after).cloned().collect(),
    ))
}

/// Checks that every value the update is about to send is concrete.
pub(crate) fn known(field: &str, value: Option<&Value>) -> Result<(), ProviderError> {
    match value {
        Some(v) if !v.is_known() => Err(invalid(format!(
            "`{field}` is not resolved yet ({v}): its dependencies must be applied first"
        ))),
        _ => Ok(()),
    }
}

/// `Some(text)` as a value, for fields AWS may leave out.
pub(crate) fn put(attrs: &mut Attrs, field: &str, value: Option<&str>) {
    if let Some(v) = value {
        attrs.insert(field.to_owned(), Value::str(v));
    }
}

/// A KMS key's id from what EC2 and EFS report (an ARN, `arn:aws:kms:…:key/<id>`), so that it
/// compares with the `kms_key` reference the spec resolves to the key's id.
pub(crate) fn kms_key_id(kms: &str) -> &str {
    kms.rsplit_once(":key/").map_or(kms, |(_, id)| id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn key_arns_become_ids() {
        assert_eq!(
            super::kms_key_id("arn:aws:kms:us-east-1:123456789012:key/mrk-1234"),
            "mrk-1234"
        );
        assert_eq!(super::kms_key_id("1234abcd"), "1234abcd");
    }
}
