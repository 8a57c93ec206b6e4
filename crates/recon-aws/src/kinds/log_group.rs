//! `log_group`: CreateLogGroup (tagged, with its KMS key; CloudWatch Logs has no idempotency
//! token), then PutRetentionPolicy, AssociateKmsKey and TagResource converge the rest;
//! DeleteLogGroup. The id is the group's name; the `arn` output is its ARN without AWS's
//! trailing `:*`.
//!
//! # Discovery
//! DescribeLogGroups has no tag filter, and names are the spec's to choose (not always under
//! `/recon/<environment>/`): discovery lists every group of the account and region, then reads
//! each group's tags (ListTagsForResource, [`super::DISCOVERY_READS_IN_FLIGHT`] at a time) and
//! keeps the environment's.
//!
//! # Keys
//! The spec's `kms_key` is a key id; CloudWatch Logs takes and reports the key's ARN, so
//! create and update ask KMS for it (DescribeKey) and read reports the id.
//!
//! moto: it implements neither AssociateKmsKey nor DisassociateKmsKey (a key is only testable
//! at creation there), and answers ListTagsForResource for an unknown ARN with no tags where
//! AWS answers `ResourceNotFoundException`.

use std::collections::HashMap;

use aws_sdk_cloudwatchlogs::types::LogGroup;
use futures::{StreamExt, TryStreamExt, stream};
use recon_model::tags::{ENV, ID, is_aws_managed};
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ErrorKind, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, known, not_in_place, optional_text, text};
use crate::clients::Clients;
use crate::errors::{self, invalid, unless_not_found};
use crate::tags;

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(c: &Clients, environment: &str) -> Result<Vec<Found>, ProviderError> {
    debug!(op = "DescribeLogGroups", environment, "aws call");
    let groups: Vec<LogGroup> = c
        .logs
        .describe_log_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeLogGroups", e))?;
    let found: Vec<Option<Found>> = stream::iter(groups)
        .map(|group| async move {
            let Some(tags) = list_tags(c, &group).await? else {
                return Ok(None);
            };
            Ok::<_, ProviderError>(
                tags.get(ENV)
                    .is_some_and(|env| env == environment)
                    .then(|| to_found(&group, &tags)),
            )
        })
        .buffer_unordered(super::DISCOVERY_READS_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

// ---- read --------------------------------------------------------------------------------------

/// DescribeLogGroups by prefix (the API has no exact-name form moto knows), the group whose
/// name is exactly `name`, and its tags.
pub(crate) async fn read(c: &Clients, name: &str) -> Result<Option<Found>, ProviderError> {
    let Some(group) = describe(c, name).await? else {
        return Ok(None);
    };
    let Some(tags) = list_tags(c, &group).await? else {
        return Ok(None);
    };
    Ok(Some(to_found(&group, &tags)))
}

async fn describe(c: &Clients, name: &str) -> Result<Option<LogGroup>, ProviderError> {
    debug!(op = "DescribeLogGroups", name, "aws call");
    let groups: Vec<LogGroup> = c
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeLogGroups", e))?;
    Ok(groups
        .into_iter()
        .find(|g| g.log_group_name() == Some(name)))
}

/// ListTagsForResource; `None` when the group is gone.
async fn list_tags(
    c: &Clients,
    group: &LogGroup,
) -> Result<Option<HashMap<String, String>>, ProviderError> {
    let Some(arn) = arn(group) else {
        return Ok(None);
    };
    debug!(op = "ListTagsForResource", arn, "aws call");
    let out = c
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await;
    Ok(
        unless_not_found(out.map_err(|e| errors::sdk("ListTagsForResource", e)))?
            .map(|o| o.tags.unwrap_or_default()),
    )
}

// ---- create ------------------------------------------------------------------------------------

/// CreateLogGroup with the tags and the key, sent once. The retention is set afterwards
/// (PutRetentionPolicy, by [`update`]): CreateLogGroup takes none.
pub(crate) async fn create(
    c: &Clients,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let attrs = request.attrs;
    for (field, value) in attrs {
        known(field, Some(value))?;
    }
    let name = text(attrs, "name")?;
    let key = match optional_text(attrs, "kms_key")? {
        Some(id) => Some(key_arn(c, id).await?),
        None => None,
    };
    let wanted = tags::wanted(attrs)?;
    debug!(op = "CreateLogGroup", address = %request.address, name, key, "aws call");
    let created = c
        .logs
        .create_log_group()
        .log_group_name(name)
        .set_kms_key_id(key)
        .set_tags(Some(wanted.clone().into_iter().collect()))
        .customize()
        .config_override(crate::sent_once!(aws_sdk_cloudwatchlogs))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateLogGroup", e));
    if let Err(e) = created {
        if e.kind != ErrorKind::AlreadyExists {
            return Err(e);
        }
        // Names are unique per account and region. A group with this resource's ownership
        // tags is the one an earlier, unanswered create made; any other is someone else's.
        if let Some(found) = read(c, name).await?
            && found.tag(ENV) == wanted.get(ENV).map(String::as_str)
            && found.tag(ID) == wanted.get(ID).map(String::as_str)
        {
            return Ok(found);
        }
        return Err(ProviderError::new(
            ErrorKind::AlreadyExists,
            format!(
                "a log group named `{name}` already exists and is not {}: log group names are unique in an account and region; give `{}` another `name`",
                request.address, request.address
            ),
        )
        .with_code("ResourceAlreadyExistsException"));
    }
    // CreateLogGroup answers nothing: the ARN comes from a describe. A group AWS does not show
    // yet is reported as asked for, without its ARN (the tag update reads it when it needs it).
    if let Some(found) = read(c, name).await? {
        return Ok(found);
    }
    let mut reported = Attrs::new();
    reported.insert("name".into(), Value::str(name));
    if let Some(key) = attrs.get("kms_key") {
        reported.insert("kms_key".into(), key.clone());
    }
    reported.insert("tags".into(), recon_model::tags::to_value(&wanted));
    Ok(Found::new(name, LiveState::Available, reported))
}

// ---- update ------------------------------------------------------------------------------------

pub(crate) async fn update(
    c: &Clients,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    let name = current.id.as_str();
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        match diff.field.as_str() {
            "retention_days" => match after {
                Some(Value::Int(days)) => {
                    let days = i32::try_from(*days)
                        .map_err(|_| invalid(format!("`retention_days` {days} is too large")))?;
                    debug!(op = "PutRetentionPolicy", name, days, "aws call");
                    c.logs
                        .put_retention_policy()
                        .log_group_name(name)
                        .retention_in_days(days)
                        .send()
                        .await
                        .map_err(|e| errors::sdk("PutRetentionPolicy", e))?;
                }
                None => {
                    debug!(op = "DeleteRetentionPolicy", name, "aws call");
                    c.logs
                        .delete_retention_policy()
                        .log_group_name(name)
                        .send()
                        .await
                        .map_err(|e| errors::sdk("DeleteRetentionPolicy", e))?;
                }
                Some(other) => {
                    return Err(invalid(format!(
                        "`retention_days` must be a number of days, got {other}"
                    )));
                }
            },
            "kms_key" => match after {
                Some(key) => {
                    let arn = key_arn(c, super::as_text("kms_key", key)?).await?;
                    debug!(op = "AssociateKmsKey", name, arn, "aws call");
                    c.logs
                        .associate_kms_key()
                        .log_group_name(name)
                        .kms_key_id(arn)
                        .send()
                        .await
                        .map_err(|e| errors::sdk("AssociateKmsKey", e))?;
                }
                None => {
                    debug!(op = "DisassociateKmsKey", name, "aws call");
                    c.logs
                        .disassociate_kms_key()
                        .log_group_name(name)
                        .send()
                        .await
                        .map_err(|e| errors::sdk("DisassociateKmsKey", e))?;
                }
            },
            "tags" => update_tags(c, current, after).await?,
            other => return Err(not_in_place(Kind::LogGroup, other)),
        }
    }
    Ok(())
}

/// TagResource for added and changed keys, UntagResource for removed ones (never the
/// ownership tags or `aws:*` tags).
async fn update_tags(
    c: &Clients,
    current: &Found,
    after: Option<&Value>,
) -> Result<(), ProviderError> {
    let changes = tags::changes(current.attrs.get("tags"), after, |_| false)?;
    if changes.set.is_empty() && changes.removed.is_empty() {
        return Ok(());
    }
    // A group this run just created may lack the output if AWS did not show it yet.
    let arn = match current.outputs.get("arn").and_then(Value::as_str) {
        Some(arn) => arn.to_owned(),
        None => read(c, &current.id)
            .await?
            .and_then(|f| f.outputs.get("arn")?.as_str().map(str::to_owned))
            .ok_or_else(|| super::gone(Kind::LogGroup, &current.id))?,
    };
    if !changes.set.is_empty() {
        debug!(op = "TagResource", arn, "aws call");
        c.logs
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(changes.set.into_iter().collect()))
            .send()
            .await
            .map_err(|e| errors::sdk("TagResource", e))?;
    }
    if !changes.removed.is_empty() {
        debug!(op = "UntagResource", arn, keys = ?changes.removed, "aws call");
        c.logs
            .untag_resource()
            .resource_arn(&arn)
            .set_tag_keys(Some(changes.removed))
            .send()
            .await
            .map_err(|e| errors::sdk("UntagResource", e))?;
    }
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

/// DeleteLogGroup (its events go with it).
pub(crate) async fn delete(c: &Clients, current: &Found) -> Result<(), ProviderError> {
    debug!(op = "DeleteLogGroup", name = current.id, "aws call");
    let out = c
        .logs
        .delete_log_group()
        .log_group_name(&current.id)
        .send()
        .await;
    errors::gone_is_ok(out.map_err(|e| errors::sdk("DeleteLogGroup", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

/// A KMS key's ARN, which CloudWatch Logs needs, from its id (DescribeKey).
async fn key_arn(c: &Clients, id: &str) -> Result<String, ProviderError> {
    if id.starts_with("arn:") {
        return Ok(id.to_owned());
    }
    debug!(op = "DescribeKey", id, "aws call");
    let out = c
        .kms
        .describe_key()
        .key_id(id)
        .send()
        .await
        .map_err(|e| errors::sdk("DescribeKey", e))?;
    out.key_metadata()
        .and_then(|m| m.arn())
        .map(str::to_owned)
        .ok_or_else(|| errors::missing("DescribeKey", "the key's ARN"))
}

/// The group's ARN without AWS's trailing `:*` (the form the tagging calls take).
fn arn(group: &LogGroup) -> Option<&str> {
    group
        .log_group_arn()
        .or_else(|| group.arn().map(|a| a.strip_suffix(":*").unwrap_or(a)))
}

fn to_found(group: &LogGroup, tags: &HashMap<String, String>) -> Found {
    let name = group.log_group_name().unwrap_or_default();
    let mut attrs = Attrs::new();
    attrs.insert("name".into(), Value::str(name));
    if let Some(days) = group.retention_in_days() {
        attrs.insert("retention_days".into(), Value::Int(i64::from(days)));
    }
    super::put(
        &mut attrs,
        "kms_key",
        group.kms_key_id().map(super::kms_key_id),
    );
    attrs.insert(
        "tags".into(),
        Value::Map(
            tags.iter()
                .filter(|(k, _)| !is_aws_managed(k))
                .map(|(k, v)| (k.clone(), Value::str(v)))
                .collect(),
        ),
    );
    let mut found = Found::new(name, LiveState::Available, attrs);
    super::put(&mut found.outputs, "arn", arn(group));
    found
}

// ---- the kind ----------------------------------------------------------------------------------

// `log_group`'s [`AwsKind`](super::AwsKind): the functions above, on every client (the key's
// ARN comes from KMS).
super::aws_kind_calls!(LogGroup, clients);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub_rest::{RestStub, Step};
    use recon_model::{Address, AttrDiff};

    /// Changes `kms_key` of `/recon/dev/app` from `before` to `after` against a scripted
    /// endpoint (moto has neither AssociateKmsKey nor DisassociateKmsKey).
    async fn change_key(before: Option<&str>, after: Option<&str>, script: Vec<Step>) -> RestStub {
        let stub = RestStub::start(script);
        let mut attrs = Attrs::new();
        attrs.insert("name".into(), Value::str("/recon/dev/app"));
        if let Some(k) = before {
            attrs.insert("kms_key".into(), Value::str(k));
        }
        attrs.insert(
            "tags".into(),
            Value::Map([(ENV.to_owned(), Value::str("dev"))].into()),
        );
        let current = Found::new("/recon/dev/app", LiveState::Available, attrs);
        let live = current
            .clone()
            .with_address(Address::new(Kind::LogGroup, "app"));
        let diffs = [AttrDiff {
            field: "kms_key".into(),
            before: before.map(Value::str),
            after: after.map(Value::str),
            forces_replacement: false,
        }];
        let request = UpdateRequest {
            live: &live,
            attrs: &live.attrs,
            diffs: &diffs,
        };
        update(&stub.clients(), &current, &request)
            .await
            .expect("the key changes in place");
        assert_eq!(stub.unused(), 0, "{:?}", stub.requests());
        stub
    }

    #[tokio::test]
    async fn a_key_is_associated_by_its_arn_and_disassociated_in_place() {
        let arn = "arn:aws:kms:us-east-1:123456789012:key/k-2";
        let stub = change_key(
            Some("k-1"),
            Some("k-2"),
            vec![
                Step::ok(
                    "target=TrentService.DescribeKey",
                    format!(r#"{{"KeyMetadata":{{"KeyId":"k-2","Arn":"{arn}"}}}}"#),
                ),
                Step::ok("target=Logs_20140328.AssociateKmsKey", "{}"),
            ],
        )
        .await;
        let requests = stub.requests();
        let associate: String = requests[1].split_whitespace().collect();
        assert!(
            associate.contains(&format!(r#""kmsKeyId":"{arn}""#)),
            "{associate}"
        );
        assert!(
            associate.contains(r#""logGroupName":"/recon/dev/app""#),
            "{associate}"
        );

        let stub = change_key(
            Some("k-1"),
            None,
            vec![Step::ok("target=Logs_20140328.DisassociateKmsKey", "{}")],
        )
        .await;
        assert_eq!(stub.requests().len(), 1);
    }

    #[test]
    fn groups_map_with_key_ids_and_arns_without_the_star() {
        let group = LogGroup::builder()
            .log_group_name("/recon/dev/app")
            .arn("arn:aws:logs:us-east-1:123456789012:log-group:/recon/dev/app:*")
            .retention_in_days(30)
            .kms_key_id("arn:aws:kms:us-east-1:123456789012:key/1234abcd")
            .build();
        let tags = HashMap::from([
            (ENV.to_owned(), "dev".to_owned()),
            ("aws:cloudformation:stack-name".to_owned(), "s".to_owned()),
        ]);
        let found = to_found(&group, &tags);
        assert_eq!(found.id, "/recon/dev/app");
        assert_eq!(found.attrs["name"], Value::str("/recon/dev/app"));
        assert_eq!(found.attrs["retention_days"], Value::Int(30));
        assert_eq!(found.attrs["kms_key"], Value::str("1234abcd"));
        assert_eq!(
            found.attrs["tags"],
            Value::Map([(ENV.to_owned(), Value::str("dev"))].into())
        );
        assert_eq!(
            found.outputs["arn"],
            Value::str("arn:aws:logs:us-east-1:123456789012:log-group:/recon/dev/app")
        );
        // Never expiring: no retention.
        let forever = LogGroup::builder().log_group_name("g").build();
        assert!(
            !to_found(&forever, &HashMap::new())
                .attrs
                .contains_key("retention_days")
        );
    }
}
