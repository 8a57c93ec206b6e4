//! `iam_role`: an IAM role, kept under the path `/recon/<environment>/`; its id is its name.
//! CreateRole (tagged, with the trust policy; sent once, since IAM takes no idempotency token),
//! then AttachRolePolicy and PutRolePolicy converge the managed and inline policies, which
//! CreateRole cannot set. Deleting detaches and deletes those and takes the role out of every
//! instance profile first, as DeleteRole requires.
//!
//! # Discovery
//! IAM lists by path, not by tag: ListRoles (paginated) with PathPrefix `/recon/<environment>/`,
//! then, at most [`DISCOVERY_READS_IN_FLIGHT`](super::DISCOVERY_READS_IN_FLIGHT) roles at a
//! time, GetRole (listings leave out tags) and, for the environment's roles only,
//! ListAttachedRolePolicies, ListRolePolicies and a GetRolePolicy per inline policy. A role
//! tagged with the environment outside that path (made by hand) is not found.
//!
//! # Policy documents
//! IAM answers them as URL-encoded JSON holding the text as sent; [`crate::policy`] reads them
//! into values, so key order and layout never show as a change, and writes values as JSON.
//!
//! # Errors
//! The shared classification does not know IAM's codes: [`iam`] makes `NoSuchEntity` "not
//! found", `DeleteConflict` a dependency still in place and a malformed policy invalid.

use std::collections::BTreeMap;

use aws_sdk_iam::Client;
use aws_sdk_iam::types::{AttachedPolicy, Role, Tag};
use futures::{StreamExt, TryStreamExt, stream};
use recon_model::tags::{ENV, ID, is_aws_managed};
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ErrorKind, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, as_text, known, not_in_place, optional_text};
use crate::errors::{self, gone_is_ok, invalid, missing, unless_not_found};
use crate::tags;

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    let prefix = path(environment);
    debug!(op = "ListRoles", environment, prefix, "aws call");
    let roles: Vec<Role> = client
        .list_roles()
        .path_prefix(&prefix)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("ListRoles", e))?;
    let found: Vec<Option<Found>> = stream::iter(roles)
        .map(|listed| async move {
            // ListRoles leaves out tags: GetRole has them. A role gone meanwhile is skipped.
            let Some(role) = get_role(client, listed.role_name()).await? else {
                return Ok(None);
            };
            if tag_value(role.tags(), ENV) != Some(environment) {
                return Ok(None);
            }
            complete(client, &role).await
        })
        .buffer_unordered(super::DISCOVERY_READS_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, id: &str) -> Result<Option<Found>, ProviderError> {
    match get_role(client, id).await? {
        Some(role) => complete(client, &role).await,
        None => Ok(None),
    }
}

/// GetRole; `None` when there is no role of that name.
async fn get_role(client: &Client, name: &str) -> Result<Option<Role>, ProviderError> {
    debug!(op = "GetRole", name, "aws call");
    let out = client.get_role().role_name(name).send().await;
    let out = unless_not_found(out.map_err(|e| errors::sdk("GetRole", e)))?;
    Ok(out.and_then(|o| o.role))
}

/// The role's policies around what GetRole says; `None` if the role is gone meanwhile.
async fn complete(client: &Client, role: &Role) -> Result<Option<Found>, ProviderError> {
    let name = role.role_name();
    let Some(managed) = attached(client, name).await? else {
        return Ok(None);
    };
    let Some(names) = policy_names(client, name).await? else {
        return Ok(None);
    };
    let mut inline = Vec::with_capacity(names.len());
    for policy in names {
        debug!(op = "GetRolePolicy", name, policy, "aws call");
        let out = client
            .get_role_policy()
            .role_name(name)
            .policy_name(&policy)
            .send()
            .await;
        // A policy deleted between the listing and this read is not there.
        if let Some(out) = unless_not_found(out.map_err(|e| errors::sdk("GetRolePolicy", e)))? {
            let what = format!("inline policy `{policy}` of role `{name}`");
            inline.push((policy, document(&what, out.policy_document())?));
        }
    }
    to_found(role, managed, inline).map(Some)
}

/// The ARNs of the managed policies attached to the role; `None` if the role is gone.
async fn attached(client: &Client, name: &str) -> Result<Option<Vec<String>>, ProviderError> {
    debug!(op = "ListAttachedRolePolicies", name, "aws call");
    let out: Result<Vec<AttachedPolicy>, _> = client
        .list_attached_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let out = unless_not_found(out.map_err(|e| errors::sdk("ListAttachedRolePolicies", e)))?;
    Ok(out.map(|policies| policies.into_iter().filter_map(|p| p.policy_arn).collect()))
}

/// The names of the role's inline policies; `None` if the role is gone.
async fn policy_names(client: &Client, name: &str) -> Result<Option<Vec<String>>, ProviderError> {
    debug!(op = "ListRolePolicies", name, "aws call");
    let out: Result<Vec<String>, _> = client
        .list_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    unless_not_found(out.map_err(|e| errors::sdk("ListRolePolicies", e)))
}

// ---- create ------------------------------------------------------------------------------------

/// CreateRole under the environment's path, with the trust policy, description, session length
/// and tags. Its policies are set by [`update`] afterwards: a new role has none.
pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let attrs = request.attrs;
    let name = name(request)?;
    let trust = attrs
        .get("trust_policy")
        .ok_or_else(|| invalid("`trust_policy` is required"))?;
    let description = optional_text(attrs, "description")?.unwrap_or("");
    let max_session = max_session(attrs.get("max_session_duration"))?;
    let wanted = tags::wanted(attrs)?;
    debug!(op = "CreateRole", address = %request.address, name, "aws call");
    let out = client
        .create_role()
        .role_name(&name)
        .path(path(request.environment))
        .assume_role_policy_document(crate::policy::to_json("trust_policy", trust)?)
        // No description is the default (""): an empty one is not sent.
        .set_description((!description.is_empty()).then(|| description.to_owned()))
        .max_session_duration(max_session)
        .set_tags(Some(iam_tags(&wanted)?))
        .customize()
        .config_override(crate::sent_once!(aws_sdk_iam))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateRole", e));
    match out {
        Ok(out) => {
            let role = out.role().ok_or_else(|| missing("CreateRole", "a role"))?;
            let mut found = to_found(role, vec![], vec![])?;
            // What the answer leaves out, the call set.
            if role.assume_role_policy_document().is_none() {
                found.attrs.insert("trust_policy".into(), trust.clone());
            }
            if role.description().is_none() {
                found
                    .attrs
                    .insert("description".into(), Value::str(description));
            }
            if role.max_session_duration().is_none() {
                found.attrs.insert(
                    "max_session_duration".into(),
                    Value::Int(max_session.into()),
                );
            }
            Ok(found)
        }
        Err(e) if e.kind == ErrorKind::AlreadyExists => {
            let existing = read(client, &name).await?;
            taken(e, existing, request, "an IAM role", &name)
        }
        Err(e) => Err(e),
    }
}

/// A create that found the name taken: the existing resource when it carries this address's
/// ownership tags (a create whose answer was lost made it), otherwise an error saying whose
/// the name is. IAM names are unique in the account, across regions.
pub(crate) fn taken(
    err: ProviderError,
    existing: Option<Found>,
    request: &CreateRequest<'_>,
    what: &str,
    name: &str,
) -> Result<Found, ProviderError> {
    // Gone again, or not visible yet: IAM's own answer says enough.
    let Some(existing) = existing else {
        return Err(err);
    };
    let address = request.address.to_string();
    let owner = match (existing.tag(ENV), existing.tag(ID)) {
        (Some(env), Some(id)) if env == request.environment && id == address => {
            return Ok(existing);
        }
        (Some(env), Some(id)) if env == request.environment => {
            format!("is this environment's `{id}`")
        }
        (Some(env), _) => format!(
            "belongs to the environment `{env}`, not `{}`",
            request.environment
        ),
        (None, _) => format!("has no `{ENV}` tag: recon did not make it"),
    };
    Err(ProviderError::new(
        ErrorKind::AlreadyExists,
        format!(
            "{what} named `{name}` already exists and {owner}; IAM names are unique in the \
             account: give `{address}` another `name`"
        ),
    )
    .with_code("EntityAlreadyExists"))
}

// ---- update ------------------------------------------------------------------------------------

pub(crate) async fn update(
    client: &Client,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    let name = current.id.as_str();
    let mut settings = false;
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        let before = current.attrs.get(&diff.field);
        match diff.field.as_str() {
            "description" | "max_session_duration" => settings = true,
            "trust_policy" => {
                let policy = after.ok_or_else(|| invalid("`trust_policy` is required"))?;
                debug!(op = "UpdateAssumeRolePolicy", name, "aws call");
                client
                    .update_assume_role_policy()
                    .role_name(name)
                    .policy_document(crate::policy::to_json("trust_policy", policy)?)
                    .send()
                    .await
                    .map_err(|e| errors::sdk("UpdateAssumeRolePolicy", e))?;
            }
            "managed_policy_arns" => update_managed(client, name, before, after).await?,
            "inline_policies" => update_inline(client, name, before, after).await?,
            "tags" => update_tags(client, name, before, after).await?,
            other => return Err(not_in_place(Kind::IamRole, other)),
        }
    }
    if settings {
        // Both settings in one UpdateRole: AWS keeps an omitted one, but moto resets it.
        let wanted = |field: &str| {
            request
                .diffs
                .iter()
                .find(|d| d.field == field)
                .and_then(|d| d.after.as_ref())
                .or_else(|| current.attrs.get(field))
        };
        let description = match wanted("description") {
            Some(v) => as_text("description", v)?,
            None => "",
        };
        let max_session = max_session(wanted("max_session_duration"))?;
        debug!(op = "UpdateRole", name, max_session, "aws call");
        client
            .update_role()
            .role_name(name)
            .description(description)
            .max_session_duration(max_session)
            .send()
            .await
            .map_err(|e| errors::sdk("UpdateRole", e))?;
    }
    Ok(())
}

/// DetachRolePolicy for the ARNs no longer wanted, then AttachRolePolicy for the new ones
/// (removals first: IAM limits how many managed policies a role has, 10 by default). Attaching
/// what is attached is success in IAM, so the SDK's resend is harmless.
async fn update_managed(
    client: &Client,
    name: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<(), ProviderError> {
    let (added, removed) = super::added_and_removed("managed_policy_arns", before, after)?;
    for arn in &removed {
        detach(client, name, arn).await?;
    }
    for arn in &added {
        debug!(op = "AttachRolePolicy", name, arn, "aws call");
        client
            .attach_role_policy()
            .role_name(name)
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| errors::sdk("AttachRolePolicy", e))?;
    }
    Ok(())
}

async fn detach(client: &Client, name: &str, arn: &str) -> Result<(), ProviderError> {
    debug!(op = "DetachRolePolicy", name, arn, "aws call");
    let out = client
        .detach_role_policy()
        .role_name(name)
        .policy_arn(arn)
        .send()
        .await;
    gone_is_ok(out.map_err(|e| errors::sdk("DetachRolePolicy", e)))
}

/// DeleteRolePolicy for the names no longer wanted, then PutRolePolicy for each new or changed
/// policy (removals first: IAM limits the size of a role's inline policies together).
async fn update_inline(
    client: &Client,
    name: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<(), ProviderError> {
    let before = inline_by_name(before)?;
    let after = inline_by_name(after)?;
    for policy in before.keys().filter(|p| !after.contains_key(*p)) {
        delete_inline(client, name, policy).await?;
    }
    for (policy, document) in &after {
        if before.get(policy) == Some(document) {
            continue;
        }
        debug!(op = "PutRolePolicy", name, policy, "aws call");
        client
            .put_role_policy()
            .role_name(name)
            .policy_name(policy)
            .policy_document(crate::policy::to_json("inline_policies", document)?)
            .send()
            .await
            .map_err(|e| errors::sdk("PutRolePolicy", e))?;
    }
    Ok(())
}

async fn delete_inline(client: &Client, name: &str, policy: &str) -> Result<(), ProviderError> {
    debug!(op = "DeleteRolePolicy", name, policy, "aws call");
    let out = client
        .delete_role_policy()
        .role_name(name)
        .policy_name(policy)
        .send()
        .await;
    gone_is_ok(out.map_err(|e| errors::sdk("DeleteRolePolicy", e)))
}

/// TagRole for added and changed keys, UntagRole for removed ones (never the ownership tags or
/// `aws:*` tags).
async fn update_tags(
    client: &Client,
    name: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<(), ProviderError> {
    let changes = tags::changes(before, after, |_| false)?;
    if !changes.set.is_empty() {
        debug!(op = "TagRole", name, keys = ?changes.set.keys().collect::<Vec<_>>(), "aws call");
        client
            .tag_role()
            .role_name(name)
            .set_tags(Some(iam_tags(&changes.set)?))
            .send()
            .await
            .map_err(|e| errors::sdk("TagRole", e))?;
    }
    if !changes.removed.is_empty() {
        debug!(op = "UntagRole", name, keys = ?changes.removed, "aws call");
        client
            .untag_role()
            .role_name(name)
            .set_tag_keys(Some(changes.removed))
            .send()
            .await
            .map_err(|e| errors::sdk("UntagRole", e))?;
    }
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

/// DetachRolePolicy and DeleteRolePolicy for every policy `current` has,
/// RemoveRoleFromInstanceProfile for every instance profile of this environment holding the
/// role (IAM refuses to delete a role that still has any of these), then DeleteRole. A policy
/// or profile added since `current` was read makes DeleteRole answer `DeleteConflict`: a
/// dependency violation, which the executor retries with a fresh read.
///
/// # Guarantees
/// A profile the environment does not own (outside `/recon/<env>/`) is never changed: while one
/// holds the role, the delete is refused before anything is detached.
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    let name = current.id.as_str();
    debug!(op = "ListInstanceProfilesForRole", name, "aws call");
    let profiles: Result<Vec<_>, _> = client
        .list_instance_profiles_for_role()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let profiles =
        unless_not_found(profiles.map_err(|e| errors::sdk("ListInstanceProfilesForRole", e)))?
            .unwrap_or_default();
    let ours = path(current.tag(ENV).unwrap_or_default());
    let foreign: Vec<String> = profiles
        .iter()
        .filter(|p| p.path() != ours)
        .map(|p| format!("`{}`", p.instance_profile_name()))
        .collect();
    if !foreign.is_empty() {
        return Err(invalid(format!(
            "IAM role {name} is in instance profile {}, which this environment does not own: recon does not change it; take the role out of it (or delete it), then run again",
            foreign.join(", ")
        )));
    }
    for arn in super::texts(
        "managed_policy_arns",
        current.attrs.get("managed_policy_arns"),
    )? {
        detach(client, name, &arn).await?;
    }
    for policy in inline_by_name(current.attrs.get("inline_policies"))?.keys() {
        delete_inline(client, name, policy).await?;
    }
    for profile in &profiles {
        remove_from_profile(client, profile.instance_profile_name(), name).await?;
    }
    debug!(op = "DeleteRole", name, "aws call");
    let out = client.delete_role().role_name(name).send().await;
    gone_is_ok(out.map_err(|e| errors::sdk("DeleteRole", e)))
}

/// RemoveRoleFromInstanceProfile; a profile or role that is gone, or a role no longer in the
/// profile, is success.
pub(crate) async fn remove_from_profile(
    client: &Client,
    profile: &str,
    role: &str,
) -> Result<(), ProviderError> {
    debug!(
        op = "RemoveRoleFromInstanceProfile",
        profile, role, "aws call"
    );
    let out = client
        .remove_role_from_instance_profile()
        .instance_profile_name(profile)
        .role_name(role)
        .send()
        .await;
    gone_is_ok(out.map_err(|e| errors::sdk("RemoveRoleFromInstanceProfile", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

/// The path recon keeps an environment's roles and instance profiles under.
pub(crate) fn path(environment: &str) -> String {
    format!("/recon/{environment}/")
}

/// The name a create request asks for (the parser fills it in when the spec leaves it out).
pub(crate) fn name(request: &CreateRequest<'_>) -> Result<String, ProviderError> {
    Ok(match optional_text(request.attrs, "name")? {
        Some(name) => name.to_owned(),
        None => {
            recon_model::kinds::iam_role::derived_name(request.environment, &request.address.name)
        }
    })
}

/// MaxSessionDuration: the wanted (or live) value, IAM's default 3600 when there is none.
fn max_session(value: Option<&Value>) -> Result<i32, ProviderError> {
    match value {
        None => Ok(3600),
        Some(Value::Int(s)) if (3600..=43200).contains(s) => Ok(*s as i32),
        Some(other) => Err(invalid(format!(
            "`max_session_duration` must be 3600 to 43200 seconds, got {other}"
        ))),
    }
}

/// `inline_policies` (a list of `{name, policy}`) by name.
fn inline_by_name(value: Option<&Value>) -> Result<BTreeMap<String, &Value>, ProviderError> {
    super::items("inline_policies", value)?
        .iter()
        .map(|p| {
            let map = p
                .as_map()
                .ok_or_else(|| invalid(format!("an inline policy must be a map, got {p}")))?;
            let name = super::text(map, "name")?;
            let policy = map
                .get("policy")
                .ok_or_else(|| invalid(format!("inline policy `{name}` has no `policy`")))?;
            Ok((name.to_owned(), policy))
        })
        .collect()
}

/// A policy document as IAM answers it (URL-encoded JSON) as a value; `what` names it in an
/// error.
fn document(what: &str, encoded: &str) -> Result<Value, ProviderError> {
    crate::policy::from_aws(encoded).map_err(|mut e| {
        e.message = format!("{what}: {}", e.message);
        e
    })
}

/// Tags for IAM calls.
pub(crate) fn iam_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| invalid(format!("tag `{k}`: {e}")))
        })
        .collect()
}

/// IAM's tags as recon's `tags` value: every tag but `aws:*` ones.
pub(crate) fn tags_value(tags: &[Tag]) -> Value {
    Value::Map(
        tags.iter()
            .filter(|t| !is_aws_managed(t.key()))
            .map(|t| (t.key().to_owned(), Value::str(t.value())))
            .collect(),
    )
}

fn tag_value<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key() == key).map(Tag::value)
}

/// A role as recon's attributes: `managed` are its managed policies' ARNs, `inline` its inline
/// policies by name. An absent description is "" and an absent session length IAM's 3600.
fn to_found(
    role: &Role,
    mut managed: Vec<String>,
    inline: Vec<(String, Value)>,
) -> Result<Found, ProviderError> {
    let name = role.role_name();
    let mut attrs = Attrs::new();
    attrs.insert("name".into(), Value::str(name));
    attrs.insert(
        "description".into(),
        Value::str(role.description().unwrap_or_default()),
    );
    if let Some(trust) = role.assume_role_policy_document() {
        let what = format!("the trust policy of role `{name}`");
        attrs.insert("trust_policy".into(), document(&what, trust)?);
    }
    managed.sort();
    attrs.insert(
        "managed_policy_arns".into(),
        Value::List(managed.into_iter().map(Value::String).collect()),
    );
    let mut inline: Vec<Value> = inline
        .into_iter()
        .map(|(policy, document)| {
            Value::Map(
                [
                    ("name".to_owned(), Value::String(policy)),
                    ("policy".to_owned(), document),
                ]
                .into(),
            )
        })
        .collect();
    inline.sort();
    attrs.insert("inline_policies".into(), Value::List(inline));
    attrs.insert(
        "max_session_duration".into(),
        Value::Int(role.max_session_duration().unwrap_or(3600).into()),
    );
    attrs.insert("tags".into(), tags_value(role.tags()));
    let mut found = Found::new(name, LiveState::Available, attrs);
    found.outputs.insert("arn".into(), Value::str(role.arn()));
    found.outputs.insert("name".into(), Value::str(name));
    Ok(found)
}

// ---- the kind ----------------------------------------------------------------------------------

// `iam_role`'s [`AwsKind`](super::AwsKind): the functions above, on the IAM client.
super::aws_kind_calls!(IamRole, iam);

#[cfg(test)]
mod tests {
    use recon_model::Value;

    use super::max_session;

    #[test]
    fn session_lengths() {
        assert_eq!(max_session(None).unwrap(), 3600);
        assert_eq!(max_session(Some(&Value::Int(43200))).unwrap(), 43200);
        assert!(max_session(Some(&Value::Int(60))).is_err());
        assert!(max_session(Some(&Value::str("1h"))).is_err());
    }
}
