//! `instance_profile`: an IAM instance profile, kept under the path `/recon/<environment>/`
//! like recon's roles; its id is its name. CreateInstanceProfile (tagged; sent once, since IAM
//! takes no idempotency token), then AddRoleToInstanceProfile sets its role, which
//! CreateInstanceProfile cannot; another role is RemoveRoleFromInstanceProfile, then
//! AddRoleToInstanceProfile. Deleting takes the role out first, as DeleteInstanceProfile
//! requires.
//!
//! # Discovery
//! ListInstanceProfiles (paginated) with PathPrefix `/recon/<environment>/`, then, at most
//! [`DISCOVERY_READS_IN_FLIGHT`](super::DISCOVERY_READS_IN_FLIGHT) profiles at a time,
//! GetInstanceProfile (listings leave out tags). The path is checked again here: moto ignores
//! PathPrefix on this call.
//!
//! `role` is the name of the profile's role (what a reference to an `iam_role` resolves to).
//! A profile holds at most one role (an IAM quota AWS does not raise).

use aws_sdk_iam::Client;
use aws_sdk_iam::types::InstanceProfile;
use futures::{StreamExt, TryStreamExt, stream};
use recon_model::tags::ENV;
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ErrorKind, ProviderError, UpdateRequest};
use tracing::debug;

use super::iam_role::{self, iam_tags, tags_value};
use super::{Found, known, not_in_place, optional_text};
use crate::errors::{self, gone_is_ok, missing, unless_not_found};
use crate::tags;

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    let prefix = iam_role::path(environment);
    debug!(op = "ListInstanceProfiles", environment, prefix, "aws call");
    let profiles: Vec<InstanceProfile> = client
        .list_instance_profiles()
        .path_prefix(&prefix)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("ListInstanceProfiles", e))?;
    let names: Vec<String> = profiles
        .into_iter()
        .filter(|p| p.path().starts_with(&prefix))
        .map(|p| p.instance_profile_name)
        .collect();
    let found: Vec<Option<Found>> = stream::iter(names)
        .map(|name| async move {
            // Listings leave out tags: GetInstanceProfile has them. Gone meanwhile: skipped.
            let found = read(client, &name).await?;
            Ok::<_, ProviderError>(found.filter(|f| f.tag(ENV) == Some(environment)))
        })
        .buffer_unordered(super::DISCOVERY_READS_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, id: &str) -> Result<Option<Found>, ProviderError> {
    Ok(get_profile(client, id).await?.as_ref().map(to_found))
}

/// GetInstanceProfile; `None` when there is no profile of that name.
async fn get_profile(
    client: &Client,
    name: &str,
) -> Result<Option<InstanceProfile>, ProviderError> {
    debug!(op = "GetInstanceProfile", name, "aws call");
    let out = client
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await;
    let out = unless_not_found(out.map_err(|e| errors::sdk("GetInstanceProfile", e)))?;
    Ok(out.and_then(|o| o.instance_profile))
}

// ---- create ------------------------------------------------------------------------------------

/// CreateInstanceProfile under the environment's path, with the tags. The role is added by
/// [`update`] afterwards.
pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let name = iam_role::name(request)?;
    let wanted = tags::wanted(request.attrs)?;
    debug!(op = "CreateInstanceProfile", address = %request.address, name, "aws call");
    let out = client
        .create_instance_profile()
        .instance_profile_name(&name)
        .path(iam_role::path(request.environment))
        .set_tags(Some(iam_tags(&wanted)?))
        .customize()
        .config_override(crate::sent_once!(aws_sdk_iam))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateInstanceProfile", e));
    match out {
        Ok(out) => out
            .instance_profile()
            .map(to_found)
            .ok_or_else(|| missing("CreateInstanceProfile", "an instance profile")),
        Err(e) if e.kind == ErrorKind::AlreadyExists => {
            let existing = read(client, &name).await?;
            iam_role::taken(e, existing, request, "an instance profile", &name)
        }
        Err(e) => Err(e),
    }
}

// ---- update ------------------------------------------------------------------------------------

pub(crate) async fn update(
    client: &Client,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    let name = current.id.as_str();
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        match diff.field.as_str() {
            "role" => {
                let before = optional_text(&current.attrs, "role")?;
                let after = after.map(|v| super::as_text("role", v)).transpose()?;
                if before == after {
                    continue;
                }
                if let Some(old) = before {
                    iam_role::remove_from_profile(client, name, old).await?;
                }
                if let Some(new) = after {
                    add_role(client, name, new).await?;
                }
            }
            "tags" => update_tags(client, name, current.attrs.get("tags"), after).await?,
            other => return Err(not_in_place(Kind::InstanceProfile, other)),
        }
    }
    Ok(())
}

/// AddRoleToInstanceProfile. A profile that already holds this role (the SDK's resend of a call
/// whose answer was lost) is success: IAM answers it `LimitExceeded`, the profile being full.
async fn add_role(client: &Client, profile: &str, role: &str) -> Result<(), ProviderError> {
    debug!(op = "AddRoleToInstanceProfile", profile, role, "aws call");
    let out = client
        .add_role_to_instance_profile()
        .instance_profile_name(profile)
        .role_name(role)
        .send()
        .await
        .map_err(|e| errors::sdk("AddRoleToInstanceProfile", e));
    match out {
        Ok(_) => Ok(()),
        Err(e) if errors::has_code(&e, "LimitExceeded") => {
            let now = get_profile(client, profile).await?;
            if now.is_some_and(|p| p.roles().iter().any(|r| r.role_name() == role)) {
                Ok(())
            } else {
                Err(e)
            }
        }
        Err(e) => Err(e),
    }
}

/// TagInstanceProfile for added and changed keys, UntagInstanceProfile for removed ones (never
/// the ownership tags or `aws:*` tags).
async fn update_tags(
    client: &Client,
    name: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<(), ProviderError> {
    let changes = tags::changes(before, after, |_| false)?;
    if !changes.set.is_empty() {
        debug!(op = "TagInstanceProfile", name, keys = ?changes.set.keys().collect::<Vec<_>>(), "aws call");
        client
            .tag_instance_profile()
            .instance_profile_name(name)
            .set_tags(Some(iam_tags(&changes.set)?))
            .send()
            .await
            .map_err(|e| errors::sdk("TagInstanceProfile", e))?;
    }
    if !changes.removed.is_empty() {
        debug!(op = "UntagInstanceProfile", name, keys = ?changes.removed, "aws call");
        client
            .untag_instance_profile()
            .instance_profile_name(name)
            .set_tag_keys(Some(changes.removed))
            .send()
            .await
            .map_err(|e| errors::sdk("UntagInstanceProfile", e))?;
    }
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

/// RemoveRoleFromInstanceProfile for its role (IAM deletes no profile that holds one), then
/// DeleteInstanceProfile. A role added since `current` was read makes the delete answer
/// `DeleteConflict`: a dependency violation, which the executor retries with a fresh read.
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    let name = current.id.as_str();
    if let Some(role) = optional_text(&current.attrs, "role")? {
        iam_role::remove_from_profile(client, name, role).await?;
    }
    debug!(op = "DeleteInstanceProfile", name, "aws call");
    let out = client
        .delete_instance_profile()
        .instance_profile_name(name)
        .send()
        .await;
    gone_is_ok(out.map_err(|e| errors::sdk("DeleteInstanceProfile", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

/// A profile as recon's attributes: `role` is its role's name, absent when it has none.
fn to_found(profile: &InstanceProfile) -> Found {
    let name = profile.instance_profile_name();
    let mut attrs = Attrs::new();
    attrs.insert("name".into(), Value::str(name));
    super::put(
        &mut attrs,
        "role",
        profile.roles().first().map(|r| r.role_name()),
    );
    attrs.insert("tags".into(), tags_value(profile.tags()));
    let mut found = Found::new(name, LiveState::Available, attrs);
    found
        .outputs
        .insert("arn".into(), Value::str(profile.arn()));
    found.outputs.insert("name".into(), Value::str(name));
    found
}

// ---- the kind ----------------------------------------------------------------------------------

// `instance_profile`'s [`AwsKind`](super::AwsKind): the functions above, on the IAM client.
super::aws_kind_calls!(InstanceProfile, iam);
