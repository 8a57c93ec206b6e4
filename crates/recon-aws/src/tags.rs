//! Tags: the set a create call carries, the `recon:env` filter every describe uses, and the
//! translation of AWS tag lists into recon's `tags` value (without AWS's own `aws:*` tags).

use std::collections::BTreeMap;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use recon_model::tags::{ENV, ID, is_aws_managed};
use recon_model::{Attrs, Value};
use recon_provider::ProviderError;

use crate::errors::{self, invalid};

/// A describe filter: `name` equal to any of `values`.
pub(crate) fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| (*v).to_owned()).collect()))
        .build()
}

/// A filter on `name` (`subnet-id`) matching any of `ids`.
pub(crate) fn id_filter(name: &str, ids: &[String]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(ids.to_vec()))
        .build()
}

/// The filter every discovery uses: `tag:recon:env` = `environment`.
pub(crate) fn env_filter(environment: &str) -> Filter {
    filter(&format!("tag:{ENV}"), &[environment])
}

/// The tags for a create call's `TagSpecifications`.
pub(crate) fn spec(
    resource_type: ResourceType,
    tags: &BTreeMap<String, String>,
) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(to_sdk(tags)))
        .build()
}

fn to_sdk(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// AWS's tags as recon's `tags` value: every tag but `aws:*` ones.
pub(crate) fn to_value(tags: &[Tag]) -> Value {
    Value::Map(
        tags.iter()
            .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
            .filter(|(k, _)| !is_aws_managed(k))
            .map(|(k, v)| (k.to_owned(), Value::str(v)))
            .collect(),
    )
}

/// One tag's value in an AWS tag list.
pub(crate) fn get<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

/// Whether an AWS tag list says `recon:env` = `environment` (the client-side re-check of the
/// server's tag filter).
pub(crate) fn owned_by(tags: &[Tag], environment: &str) -> bool {
    get(tags, ENV) == Some(environment)
}

/// A `tags` value as a map of strings. Anything that is not a string map is a caller bug.
pub(crate) fn from_value(value: Option<&Value>) -> Result<BTreeMap<String, String>, ProviderError> {
    let Some(value) = value else {
        return Ok(BTreeMap::new());
    };
    let map = value
        .as_map()
        .ok_or_else(|| invalid(format!("`tags` must be a map, got {value}")))?;
    map.iter()
        .map(|(k, v)| match v.as_str() {
            Some(s) => Ok((k.clone(), s.to_owned())),
            None => Err(invalid(format!("tag `{k}` has no known text value: {v}"))),
        })
        .collect()
}

/// The tags a create request asks for. They must include the ownership tags: a resource is
/// created with them or not at all.
pub(crate) fn wanted(attrs: &Attrs) -> Result<BTreeMap<String, String>, ProviderError> {
    let tags = from_value(attrs.get("tags"))?;
    for key in [ENV, ID] {
        if !tags.contains_key(key) {
            return Err(invalid(format!(
                "the create request carries no `{key}` tag: recon never creates an untagged resource"
            )));
        }
    }
    Ok(tags)
}

/// What a tag update must do, the same for every service: keys to set (added or changed) and
/// keys to remove. `aws:*` tags, the ownership tags and the keys `keep` names are never removed.
pub(crate) struct TagChanges {
    pub set: BTreeMap<String, String>,
    pub removed: Vec<String>,
}

pub(crate) fn changes(
    before: Option<&Value>,
    after: Option<&Value>,
    keep: impl Fn(&str) -> bool,
) -> Result<TagChanges, ProviderError> {
    let before = from_value(before)?;
    let after = from_value(after)?;
    let set = after
        .iter()
        .filter(|(k, v)| !is_aws_managed(k) && before.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let removed = before
        .into_keys()
        .filter(|k| !after.contains_key(k) && !is_aws_managed(k) && k != ENV && k != ID && !keep(k))
        .collect();
    Ok(TagChanges { set, removed })
}

/// Brings the tags of `id` from `before` to `after`: CreateTags for added and changed keys,
/// DeleteTags for removed ones. `aws:*` tags and the ownership tags are never deleted.
pub(crate) async fn update(
    client: &Client,
    id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<(), ProviderError> {
    let TagChanges { set, removed } = changes(before, after, |_| false)?;
    if !set.is_empty() {
        tracing::debug!(op = "CreateTags", id, keys = ?set.keys().collect::<Vec<_>>(), "aws call");
        client
            .create_tags()
            .resources(id)
            .set_tags(Some(to_sdk(&set)))
            .send()
            .await
            .map_err(|e| errors::sdk("CreateTags", e))?;
    }
    if !removed.is_empty() {
        tracing::debug!(op = "DeleteTags", id, keys = ?removed, "aws call");
        client
            .delete_tags()
            .resources(id)
            .set_tags(Some(
                removed
                    .iter()
                    .map(|k| Tag::builder().key(k.as_str()).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|e| errors::sdk("DeleteTags", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_tags_are_dropped() {
        let tags = [
            Tag::builder().key("Name").value("x").build(),
            Tag::builder()
                .key("aws:cloudformation:stack-name")
                .value("s")
                .build(),
            Tag::builder().key(ENV).value("dev").build(),
        ];
        assert_eq!(
            to_value(&tags),
            Value::Map(
                [
                    ("Name".to_owned(), Value::str("x")),
                    (ENV.to_owned(), Value::str("dev")),
                ]
                .into()
            )
        );
        assert!(owned_by(&tags, "dev"));
        assert!(!owned_by(&tags, "prod"));
    }
}
