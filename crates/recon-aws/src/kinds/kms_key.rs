//! `kms_key`: CreateKey (tagged, no idempotency token: KMS has none), then EnableKeyRotation,
//! CreateAlias and CreateGrant converge the rest; deleting is ScheduleKeyDeletion.
//!
//! # Discovery
//! KMS has no tag filter. Discovery is ListKeys (paginated), then for each key, at most
//! [`CONCURRENCY`] at a time: ListResourceTags; only keys tagged with the environment are
//! described (DescribeKey, skipping AWS-managed keys and keys pending deletion, which count as
//! gone) and read fully (rotation status, aliases, grants). That is 1 call per key in the
//! account and region plus 4 per owned key; ListAliases cannot help since aliases are not tags. Keys the
//! caller may not describe (`AccessDeniedException`) are skipped with a warning.
//!
//! # Fields KMS does not store
//! `deletion_window_days` is only a parameter of ScheduleKeyDeletion: recon keeps it in the tag
//! `recon:deletion_window_days` (set at creation, updated in place) and reports it as the field,
//! not as a tag. Only named grants are recon's: unnamed ones (made by AWS services such as EFS)
//! are neither reported nor revoked. The alias is the key's first `alias/…` that is not
//! `alias/aws/…`, without the prefix. A key pending deletion is reported as gone; the
//! scheduled deletion date is logged when the deletion is scheduled.

use aws_sdk_kms::Client;
use aws_sdk_kms::types::{
    GrantListEntry, GrantOperation, KeyManagerType, KeyMetadata, KeySpec, KeyState, KeyUsageType,
    Tag,
};
use futures::{StreamExt, TryStreamExt, stream};
use recon_model::schema::canonical;
use recon_model::tags::{ENV, is_aws_managed};
use recon_model::{Kind, LiveState, Value};
use recon_provider::{CreateRequest, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, known, not_in_place, optional_text};
use crate::errors::{self, invalid, missing, unless_not_found};
use crate::tags;

/// Keys described at once during discovery.
pub(crate) const CONCURRENCY: usize = 8;
/// The tag holding `deletion_window_days`, which KMS does not store.
pub(crate) const WINDOW_TAG: &str = "recon:deletion_window_days";

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    debug!(op = "ListKeys", environment, "aws call");
    let keys: Result<Vec<_>, _> = client
        .list_keys()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let ids: Vec<String> = keys
        .map_err(|e| errors::sdk("ListKeys", e))?
        .into_iter()
        .filter_map(|k| k.key_id)
        .collect();
    let found: Vec<Option<Found>> = stream::iter(ids)
        .map(|id| async move {
            let result = async {
                // Tags first: only the environment's keys are described at all.
                let Some(tags) = list_tags(client, &id).await? else {
                    return Ok(None);
                };
                if tag_value(&tags, ENV) != Some(environment) {
                    return Ok(None);
                }
                let Some(meta) = describe(client, &id).await? else {
                    return Ok(None);
                };
                if meta.key_manager() == Some(&KeyManagerType::Aws) {
                    return Ok(None);
                }
                complete(client, &meta, &tags).await
            }
            .await;
            match result {
                // A key whose policy does not let this caller look at it is not recon's (recon
                // would have made it readable to the account): skip it rather than fail.
                Err(e) if errors::has_code(&e, "AccessDeniedException") => {
                    tracing::warn!(id, "skipping a KMS key this caller may not describe: {e}");
                    Ok(None)
                }
                other => other,
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, id: &str) -> Result<Option<Found>, ProviderError> {
    let Some(meta) = describe(client, id).await? else {
        return Ok(None);
    };
    let Some(tags) = list_tags(client, id).await? else {
        return Ok(None);
    };
    complete(client, &meta, &tags).await
}

/// DescribeKey; `None` when the key does not exist or is pending deletion.
async fn describe(client: &Client, id: &str) -> Result<Option<KeyMetadata>, ProviderError> {
    debug!(op = "DescribeKey", id, "aws call");
    let out = client.describe_key().key_id(id).send().await;
    let Some(out) = unless_not_found(out.map_err(|e| errors::sdk("DescribeKey", e)))? else {
        return Ok(None);
    };
    Ok(out.key_metadata.filter(|m| !pending_deletion(m)))
}

fn pending_deletion(meta: &KeyMetadata) -> bool {
    matches!(
        meta.key_state(),
        Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)
    )
}

async fn list_tags(client: &Client, id: &str) -> Result<Option<Vec<Tag>>, ProviderError> {
    debug!(op = "ListResourceTags", id, "aws call");
    let out: Result<Vec<_>, _> = client
        .list_resource_tags()
        .key_id(id)
        .into_paginator()
        .send()
        .try_collect()
        .await;
    let Some(pages) = unless_not_found(out.map_err(|e| errors::sdk("ListResourceTags", e)))? else {
        return Ok(None);
    };
    Ok(Some(
        pages
            .into_iter()
            .flat_map(|p| p.tags.unwrap_or_default())
            .collect(),
    ))
}

/// The rest of a key (rotation, alias, grants) around what DescribeKey and the tags say.
async fn complete(
    client: &Client,
    meta: &KeyMetadata,
    tags: &[Tag],
) -> Result<Option<Found>, ProviderError> {
    let id = meta.key_id();
    let symmetric = meta
        .key_spec()
        .is_none_or(|s| *s == KeySpec::SymmetricDefault);
    let rotation = if symmetric {
        debug!(op = "GetKeyRotationStatus", id, "aws call");
        let out = client.get_key_rotation_status().key_id(id).send().await;
        match unless_not_found(out.map_err(|e| errors::sdk("GetKeyRotationStatus", e)))? {
            Some(o) => o.key_rotation_enabled,
            None => return Ok(None),
        }
    } else {
        false
    };
    let alias = aliases_of(client, id).await?.into_iter().find_map(|a| {
        let name = a.strip_prefix("alias/")?;
        (!name.starts_with("aws/")).then(|| name.to_owned())
    });
    debug!(op = "ListGrants", id, "aws call");
    let grants: Vec<_> = client
        .list_grants()
        .key_id(id)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("ListGrants", e))?;
    Ok(Some(to_found(
        meta,
        tags,
        rotation,
        alias.as_deref(),
        &grants,
    )))
}

// ---- create ------------------------------------------------------------------------------------

/// CreateKey with the tags (and the deletion window tag). Rotation, alias and grants are set by
/// [`update`] afterwards: a new key has none of them.
pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let attrs = request.attrs;
    let description = optional_text(attrs, "description")?.unwrap_or("");
    let spec = optional_text(attrs, "key_spec")?.unwrap_or("SYMMETRIC_DEFAULT");
    let usage = optional_text(attrs, "key_usage")?.unwrap_or("ENCRYPT_DECRYPT");
    let multi_region = super::flag("multi_region", attrs.get("multi_region"))?;
    let mut wanted = tags::wanted(attrs)?;
    wanted.insert(
        WINDOW_TAG.into(),
        window(attrs.get("deletion_window_days"))?.to_string(),
    );
    debug!(op = "CreateKey", address = %request.address, spec, usage, multi_region, "aws call");
    let out = client
        .create_key()
        .description(description)
        .key_spec(KeySpec::from(spec))
        .key_usage(KeyUsageType::from(usage))
        .multi_region(multi_region)
        .set_tags(Some(kms_tags(&wanted)?))
        .customize()
        .config_override(crate::sent_once!(aws_sdk_kms))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateKey", e))?;
    let meta = out
        .key_metadata()
        .ok_or_else(|| missing("CreateKey", "key metadata"))?;
    Ok(to_found(meta, &kms_tags(&wanted)?, false, None, &[]))
}

// ---- update ------------------------------------------------------------------------------------

pub(crate) async fn update(
    client: &Client,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    let id = current.id.as_str();
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        match diff.field.as_str() {
            "description" => {
                let text = after.and_then(Value::as_str).unwrap_or("");
                debug!(op = "UpdateKeyDescription", id, "aws call");
                client
                    .update_key_description()
                    .key_id(id)
                    .description(text)
                    .send()
                    .await
                    .map_err(|e| errors::sdk("UpdateKeyDescription", e))?;
            }
            "enable_key_rotation" => {
                if super::flag("enable_key_rotation", after)? {
                    debug!(op = "EnableKeyRotation", id, "aws call");
                    client
                        .enable_key_rotation()
                        .key_id(id)
                        .send()
                        .await
                        .map_err(|e| errors::sdk("EnableKeyRotation", e))?;
                } else {
                    debug!(op = "DisableKeyRotation", id, "aws call");
                    client
                        .disable_key_rotation()
                        .key_id(id)
                        .send()
                        .await
                        .map_err(|e| errors::sdk("DisableKeyRotation", e))?;
                }
            }
            "deletion_window_days" => {
                let days = window(after)?;
                debug!(op = "TagResource", id, days, "aws call");
                client
                    .tag_resource()
                    .key_id(id)
                    .tags(kms_tag(WINDOW_TAG, &days.to_string())?)
                    .send()
                    .await
                    .map_err(|e| errors::sdk("TagResource", e))?;
            }
            "alias" => {
                let before = current.attrs.get("alias").and_then(Value::as_str);
                let after = after.and_then(Value::as_str);
                update_alias(client, id, before, after).await?;
            }
            "grants" => update_grants(client, id, current, after).await?,
            "tags" => update_tags(client, id, current.attrs.get("tags"), after).await?,
            other => return Err(not_in_place(Kind::KmsKey, other)),
        }
    }
    Ok(())
}

/// CreateAlias for the new name (an alias taken by another key is an error: recon does not
/// move other keys' aliases), then DeleteAlias of the old one.
async fn update_alias(
    client: &Client,
    id: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> Result<(), ProviderError> {
    if let Some(name) = after {
        debug!(op = "CreateAlias", id, name, "aws call");
        let created = client
            .create_alias()
            .alias_name(format!("alias/{name}"))
            .target_key_id(id)
            .send()
            .await
            .map_err(|e| errors::sdk("CreateAlias", e));
        if let Err(e) = created {
            // Taken: fine only if by this key (the SDK's resend of a create whose answer was
            // lost); another key's alias is never moved.
            if !errors::has_code(&e, "AlreadyExistsException")
                || !aliases_of(client, id)
                    .await?
                    .contains(&format!("alias/{name}"))
            {
                return Err(e);
            }
        }
    }
    if let Some(name) = before.filter(|b| Some(*b) != after) {
        delete_alias(client, name).await?;
    }
    Ok(())
}

/// The names (`alias/…`) of the aliases that point at the key `id`.
async fn aliases_of(client: &Client, id: &str) -> Result<Vec<String>, ProviderError> {
    debug!(op = "ListAliases", id, "aws call");
    let aliases: Vec<_> = client
        .list_aliases()
        .key_id(id)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("ListAliases", e))?;
    Ok(aliases.into_iter().filter_map(|a| a.alias_name).collect())
}

async fn delete_alias(client: &Client, name: &str) -> Result<(), ProviderError> {
    debug!(op = "DeleteAlias", name, "aws call");
    let out = client
        .delete_alias()
        .alias_name(format!("alias/{name}"))
        .send()
        .await;
    errors::gone_is_ok(out.map_err(|e| errors::sdk("DeleteAlias", e)))
}

/// RevokeGrant for every named grant that is not wanted as it is, then CreateGrant (with the
/// name, which makes a repeated create return the same grant) for every wanted one missing.
async fn update_grants(
    client: &Client,
    id: &str,
    current: &Found,
    after: Option<&Value>,
) -> Result<(), ProviderError> {
    let live: Vec<(Value, String)> = current
        .outputs
        .get("grant_ids")
        .and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(name, gid)| {
                    let grant = current
                        .attrs
                        .get("grants")?
                        .as_list()
                        .iter()
                        .find(|g| grant_name(g) == Some(name.as_str()))?;
                    Some((grant.clone(), gid.as_str()?.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    // Compared in canonical form: operations sorted, whatever order the spec gave.
    let ty = &recon_model::kinds::def(Kind::KmsKey)
        .field("grants")
        .ok_or_else(|| invalid("kms_key has no `grants` field"))?
        .ty;
    let canon = |v: &Value| match canonical(ty, &Value::List(vec![v.clone()])) {
        Value::List(mut l) if l.len() == 1 => l.remove(0),
        other => other,
    };
    let live: Vec<(Value, String)> = live.into_iter().map(|(g, id)| (canon(&g), id)).collect();
    let wanted: Vec<Value> = super::items("grants", after)?.iter().map(canon).collect();
    let wanted = wanted.as_slice();
    for (grant, grant_id) in &live {
        if !wanted.contains(grant) {
            debug!(op = "RevokeGrant", id, grant_id, "aws call");
            let out = client
                .revoke_grant()
                .key_id(id)
                .grant_id(grant_id)
                .send()
                .await;
            errors::gone_is_ok(out.map_err(|e| errors::sdk("RevokeGrant", e)))?;
        }
    }
    for grant in wanted {
        if live.iter().any(|(g, _)| g == grant) {
            continue;
        }
        let map = grant
            .as_map()
            .ok_or_else(|| invalid(format!("a grant must be a map, got {grant}")))?;
        let name = super::text(map, "name")?;
        let principal = super::text(map, "grantee_principal")?;
        let operations = super::items("operations", map.get("operations"))?
            .iter()
            .map(|o| super::as_text("operations", o).map(GrantOperation::from))
            .collect::<Result<Vec<_>, _>>()?;
        debug!(op = "CreateGrant", id, name, principal, "aws call");
        client
            .create_grant()
            .key_id(id)
            .name(name)
            .grantee_principal(principal)
            .set_operations(Some(operations))
            .send()
            .await
            .map_err(|e| errors::sdk("CreateGrant", e))?;
    }
    Ok(())
}

/// TagResource for added and changed keys, UntagResource for removed ones (never the
/// ownership tags, `aws:*` tags or the deletion window tag).
async fn update_tags(
    client: &Client,
    id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<(), ProviderError> {
    let changes = tags::changes(before, after, |k| k == WINDOW_TAG)?;
    let set: Vec<Tag> = changes
        .set
        .iter()
        .map(|(k, v)| kms_tag(k, v))
        .collect::<Result<_, _>>()?;
    let removed = changes.removed;
    if !set.is_empty() {
        debug!(op = "TagResource", id, "aws call");
        client
            .tag_resource()
            .key_id(id)
            .set_tags(Some(set))
            .send()
            .await
            .map_err(|e| errors::sdk("TagResource", e))?;
    }
    if !removed.is_empty() {
        debug!(op = "UntagResource", id, keys = ?removed, "aws call");
        client
            .untag_resource()
            .key_id(id)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| errors::sdk("UntagResource", e))?;
    }
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

/// DeleteAlias (freeing the name at once), then ScheduleKeyDeletion with the key's window.
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    if let Some(alias) = current.attrs.get("alias").and_then(Value::as_str) {
        delete_alias(client, alias).await?;
    }
    let days = window(current.attrs.get("deletion_window_days"))?;
    debug!(
        op = "ScheduleKeyDeletion",
        id = current.id,
        days,
        "aws call"
    );
    let out = client
        .schedule_key_deletion()
        .key_id(&current.id)
        .pending_window_in_days(days)
        .send()
        .await;
    if let Some(out) = unless_not_found(out.map_err(|e| errors::sdk("ScheduleKeyDeletion", e)))? {
        tracing::info!(
            id = current.id,
            deletion_date = ?out.deletion_date().map(|d| d.to_string()),
            days,
            "KMS key deletion scheduled"
        );
    }
    Ok(())
}

// ---- mapping -----------------------------------------------------------------------------------

/// The deletion window: the wanted (or recorded) value, 30 when there is none.
fn window(value: Option<&Value>) -> Result<i32, ProviderError> {
    match value {
        None => Ok(30),
        Some(Value::Int(d)) if (7..=30).contains(d) => Ok(*d as i32),
        Some(other) => Err(invalid(format!(
            "`deletion_window_days` must be 7 to 30, got {other}"
        ))),
    }
}

fn kms_tag(key: &str, value: &str) -> Result<Tag, ProviderError> {
    Tag::builder()
        .tag_key(key)
        .tag_value(value)
        .build()
        .map_err(|e| invalid(format!("tag `{key}`: {e}")))
}

fn kms_tags(tags: &std::collections::BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.iter().map(|(k, v)| kms_tag(k, v)).collect()
}

fn tag_value<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.tag_key() == key)
        .map(|t| t.tag_value())
}

fn grant_name(grant: &Value) -> Option<&str> {
    grant.as_map()?.get("name")?.as_str()
}

pub(crate) fn to_found(
    meta: &KeyMetadata,
    tags: &[Tag],
    rotation: bool,
    alias: Option<&str>,
    grants: &[GrantListEntry],
) -> Found {
    let state = match meta.key_state() {
        Some(KeyState::Creating | KeyState::PendingImport | KeyState::Updating) => {
            LiveState::Pending
        }
        Some(KeyState::Unavailable) => LiveState::Failed,
        _ => LiveState::Available,
    };
    let mut attrs = recon_model::Attrs::new();
    attrs.insert(
        "description".into(),
        Value::str(meta.description().unwrap_or_default()),
    );
    super::put(&mut attrs, "key_spec", meta.key_spec().map(KeySpec::as_str));
    super::put(
        &mut attrs,
        "key_usage",
        meta.key_usage().map(KeyUsageType::as_str),
    );
    attrs.insert(
        "multi_region".into(),
        Value::Bool(meta.multi_region().unwrap_or(false)),
    );
    attrs.insert("enable_key_rotation".into(), Value::Bool(rotation));
    if let Some(days) = tag_value(tags, WINDOW_TAG).and_then(|d| d.parse::<i64>().ok()) {
        attrs.insert("deletion_window_days".into(), Value::Int(days));
    }
    super::put(&mut attrs, "alias", alias);
    let named: Vec<&GrantListEntry> = grants.iter().filter(|g| g.name().is_some()).collect();
    let mut grant_values: Vec<Value> = named
        .iter()
        .map(|g| {
            let mut ops: Vec<Value> = g
                .operations()
                .iter()
                .map(|o| Value::str(o.as_str()))
                .collect();
            ops.sort();
            Value::Map(
                [
                    ("name".to_owned(), Value::str(g.name().unwrap_or_default())),
                    (
                        "grantee_principal".to_owned(),
                        Value::str(g.grantee_principal().unwrap_or_default()),
                    ),
                    ("operations".to_owned(), Value::List(ops)),
                ]
                .into(),
            )
        })
        .collect();
    grant_values.sort();
    attrs.insert("grants".into(), Value::List(grant_values));
    attrs.insert(
        "tags".into(),
        Value::Map(
            tags.iter()
                .filter(|t| !is_aws_managed(t.tag_key()) && t.tag_key() != WINDOW_TAG)
                .map(|t| (t.tag_key().to_owned(), Value::str(t.tag_value())))
                .collect(),
        ),
    );
    let mut found = Found::new(meta.key_id(), state, attrs);
    super::put(&mut found.outputs, "arn", meta.arn());
    found.outputs.insert(
        "grant_ids".into(),
        Value::Map(
            named
                .iter()
                .filter_map(|g| Some((g.name()?.to_owned(), Value::str(g.grant_id()?))))
                .collect(),
        ),
    );
    found
}

// ---- the kind ----------------------------------------------------------------------------------

// `kms_key`'s [`AwsKind`](super::AwsKind): the functions above, on the KMS client.
super::aws_kind_calls!(KmsKey, kms);

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(state: KeyState) -> KeyMetadata {
        KeyMetadata::builder()
            .key_id("mrk-1")
            .arn("arn:aws:kms:us-east-1:123456789012:key/mrk-1")
            .key_state(state)
            .key_spec(KeySpec::SymmetricDefault)
            .key_usage(KeyUsageType::EncryptDecrypt)
            .multi_region(true)
            .build()
            .unwrap()
    }

    #[test]
    fn pending_deletion_is_gone() {
        assert!(pending_deletion(&meta(KeyState::PendingDeletion)));
        assert!(pending_deletion(&meta(KeyState::PendingReplicaDeletion)));
        assert!(!pending_deletion(&meta(KeyState::Enabled)));
        assert!(!pending_deletion(&meta(KeyState::Disabled)));
    }

    #[test]
    fn window_tag_is_a_field_and_unnamed_grants_are_skipped() {
        let tags = [
            kms_tag(ENV, "irb").unwrap(),
            kms_tag(WINDOW_TAG, "7").unwrap(),
            kms_tag("aws:x", "y").unwrap(),
        ];
        let grants = [
            GrantListEntry::builder()
                .grant_id("g1")
                .name("compute")
                .grantee_principal("arn:aws:iam::1:role/r")
                .operations(GrantOperation::Encrypt)
                .operations(GrantOperation::Decrypt)
                .build(),
            GrantListEntry::builder()
                .grant_id("g2")
                .grantee_principal("elasticfilesystem.amazonaws.com")
                .operations(GrantOperation::Decrypt)
                .build(),
        ];
        let found = to_found(&meta(KeyState::Enabled), &tags, true, Some("data"), &grants);
        assert_eq!(found.state, LiveState::Available);
        assert_eq!(found.attrs["deletion_window_days"], Value::Int(7));
        assert_eq!(
            found.attrs["tags"],
            Value::Map([(ENV.to_owned(), Value::str("irb"))].into())
        );
        assert_eq!(found.attrs["alias"], Value::str("data"));
        assert_eq!(found.attrs["enable_key_rotation"], Value::Bool(true));
        let grants = found.attrs["grants"].as_list();
        assert_eq!(grants.len(), 1);
        assert_eq!(
            grants[0].as_map().unwrap()["operations"],
            Value::List(vec![Value::str("Decrypt"), Value::str("Encrypt")])
        );
        assert_eq!(
            found.outputs["grant_ids"],
            Value::Map([("compute".to_owned(), Value::str("g1"))].into())
        );
        assert_eq!(window(None).unwrap(), 30);
        assert!(window(Some(&Value::Int(3))).is_err());
    }
}
