//! `key_pair`: ImportKeyPair (with `public_key`) or CreateKeyPair (the private key written once
//! to `private_key_file`), DeleteKeyPair. Only tags change in place.
//!
//! The key name is `<environment>-<name>` (unique per region; neither call takes a client
//! token: a duplicate name is `InvalidKeyPair.Duplicate`). The private key never leaves
//! [`write_private_key`]: it is not logged, returned, nor kept in any value. If the file cannot
//! be written (it exists already, or its directory does not), the new key pair is deleted and
//! the create fails. The path of the file is kept in the `recon:private-key-file` tag, so that
//! the field reads back; that tag is not part of `tags`.
//!
//! `public_key` reads back as AWS reports it, cut to `<type> <base64>` (no comment).

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

use aws_sdk_ec2::Client;
use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{KeyFormat, KeyPairInfo, KeyType, ResourceType, Tag};
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ErrorKind, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, known, not_in_place, optional_text};
use crate::errors::{self, gone_is_ok, missing, unless_not_found};
use crate::tags;

/// The tag that records where a created key's private key was written.
pub(crate) const FILE_TAG: &str = "recon:private-key-file";

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    debug!(op = "DescribeKeyPairs", environment, "aws call");
    let out = client
        .describe_key_pairs()
        .filters(tags::env_filter(environment))
        .include_public_key(true)
        .send()
        .await
        .map_err(|e| errors::sdk("DescribeKeyPairs", e))?;
    Ok(out.key_pairs().iter().filter_map(to_found).collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, id: &str) -> Result<Option<Found>, ProviderError> {
    debug!(op = "DescribeKeyPairs", id, "aws call");
    let described = client
        .describe_key_pairs()
        .key_pair_ids(id)
        .include_public_key(true)
        .send()
        .await;
    let Some(out) = unless_not_found(described.map_err(|e| errors::sdk("DescribeKeyPairs", e)))?
    else {
        return Ok(None);
    };
    Ok(out
        .key_pairs()
        .iter()
        .find(|k| k.key_pair_id() == Some(id))
        .and_then(to_found))
}

/// Many by id in one DescribeKeyPairs per [`super::IDS_PER_FILTER`] ids, through a `key-pair-id` filter: an id
/// that no longer exists is absent from the answer, not an error for the whole call.
pub(crate) async fn read_many(
    client: &Client,
    ids: &[String],
) -> Result<Vec<Found>, ProviderError> {
    let mut found = Vec::new();
    for chunk in ids.chunks(super::IDS_PER_FILTER) {
        debug!(op = "DescribeKeyPairs", ids = chunk.len(), "aws call");
        let out = client
            .describe_key_pairs()
            .filters(tags::id_filter("key-pair-id", chunk))
            .include_public_key(true)
            .send()
            .await
            .map_err(|e| errors::sdk("DescribeKeyPairs", e))?;
        found.extend(out.key_pairs().iter().filter_map(to_found));
    }
    Ok(found)
}

// ---- create ------------------------------------------------------------------------------------

pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let name = key_name(request.environment, &request.address.name);
    let key_type = optional_text(request.attrs, "key_type")?.unwrap_or("ed25519");
    let mut tags = tags::wanted(request.attrs)?;
    if let Some(public) = optional_text(request.attrs, "public_key")? {
        debug!(op = "ImportKeyPair", address = %request.address, name, "aws call");
        let out = client
            .import_key_pair()
            .key_name(&name)
            .public_key_material(Blob::new(public.trim().as_bytes()))
            .tag_specifications(tags::spec(ResourceType::KeyPair, &tags))
            .customize()
            .config_override(crate::sent_once!(aws_sdk_ec2))
            .send()
            .await
            .map_err(|e| errors::sdk_create("ImportKeyPair", e))?;
        let id = out
            .key_pair_id()
            .ok_or_else(|| missing("ImportKeyPair", "a key pair id"))?;
        let mut attrs = Attrs::new();
        attrs.insert("public_key".into(), Value::str(short_key(public)));
        attrs.insert("key_type".into(), Value::str(key_type));
        return Ok(found(id, &name, attrs));
    }
    let Some(file) = optional_text(request.attrs, "private_key_file")? else {
        return Err(errors::invalid(
            "a created key pair needs `private_key_file` (or give `public_key`)",
        ));
    };
    tags.insert(FILE_TAG.to_owned(), file.to_owned());
    debug!(op = "CreateKeyPair", address = %request.address, name, key_type, "aws call");
    let out = client
        .create_key_pair()
        .key_name(&name)
        .key_type(KeyType::from(key_type))
        .key_format(KeyFormat::Pem)
        .tag_specifications(tags::spec(ResourceType::KeyPair, &tags))
        .customize()
        .config_override(crate::sent_once!(aws_sdk_ec2))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateKeyPair", e))?;
    let id = out
        .key_pair_id()
        .ok_or_else(|| missing("CreateKeyPair", "a key pair id"))?
        .to_owned();
    let written = match out.key_material() {
        Some(material) => write_private_key(file, material),
        None => Err(missing("CreateKeyPair", "the private key")),
    };
    if let Err(e) = written {
        debug!(
            op = "DeleteKeyPair",
            id, name, "aws call (the private key could not be kept)"
        );
        let deleted = client.delete_key_pair().key_name(&name).send().await;
        gone_is_ok(deleted.map_err(|e| errors::sdk("DeleteKeyPair", e)))?;
        return Err(e);
    }
    let mut attrs = Attrs::new();
    attrs.insert("key_type".into(), Value::str(key_type));
    attrs.insert("private_key_file".into(), Value::str(file));
    Ok(found(&id, &name, attrs))
}

/// Writes the private key to a new file, mode 0600 from the start (`O_CREAT|O_EXCL`): an
/// existing file is never overwritten. The error names the path, never the key.
fn write_private_key(path: &str, material: &str) -> Result<(), ProviderError> {
    let fail = |e: std::io::Error| {
        ProviderError::new(
            ErrorKind::Invalid,
            format!("cannot write the private key to `{path}`: {e}; the key pair was deleted"),
        )
    };
    // Its directory too, private to the user (`.recon/keys/`), if it does not exist yet.
    if let Some(dir) = std::path::Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(fail)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(fail)?;
    f.write_all(material.as_bytes()).map_err(fail)?;
    if !material.ends_with('\n') {
        f.write_all(b"\n").map_err(fail)?;
    }
    f.sync_all().map_err(fail)
}

pub(crate) fn key_name(environment: &str, name: &str) -> String {
    format!("{environment}-{name}")
}

// ---- update ------------------------------------------------------------------------------------

pub(crate) async fn update(
    client: &Client,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        match diff.field.as_str() {
            "tags" => tags::update(client, &current.id, current.attrs.get("tags"), after).await?,
            other => return Err(not_in_place(Kind::KeyPair, other)),
        }
    }
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

/// DeleteKeyPair by name (moto ignores `KeyPairId`; AWS takes either); "not found" is
/// success. The private key file is left alone.
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    let name = current.outputs.get("key_name").and_then(Value::as_str);
    debug!(op = "DeleteKeyPair", id = current.id, name, "aws call");
    let mut call = client.delete_key_pair();
    call = match name {
        Some(name) => call.key_name(name),
        None => call.key_pair_id(&current.id),
    };
    let result = call.send().await;
    gone_is_ok(result.map_err(|e| errors::sdk("DeleteKeyPair", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

/// `<type> <base64>` of an OpenSSH public key, without the comment.
pub(crate) fn short_key(key: &str) -> String {
    key.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

fn found(id: &str, name: &str, attrs: Attrs) -> Found {
    let mut found = Found::new(id, LiveState::Available, attrs);
    found.outputs = BTreeMap::from([("key_name".to_owned(), Value::str(name))]);
    found
}

fn to_found(key: &KeyPairInfo) -> Option<Found> {
    let id = key.key_pair_id()?;
    let file = tags::get(key.tags(), FILE_TAG);
    let others: Vec<Tag> = key
        .tags()
        .iter()
        .filter(|t| t.key() != Some(FILE_TAG))
        .cloned()
        .collect();
    let mut attrs = Attrs::new();
    attrs.insert("tags".into(), tags::to_value(&others));
    if let Some(t) = key.key_type() {
        attrs.insert("key_type".into(), Value::str(t.as_str()));
    }
    match file {
        Some(file) => {
            attrs.insert("private_key_file".into(), Value::str(file));
        }
        None => super::put(
            &mut attrs,
            "public_key",
            key.public_key().map(short_key).as_deref(),
        ),
    }
    Some(found(id, key.key_name().unwrap_or_default(), attrs))
}

// ---- the kind ----------------------------------------------------------------------------------

// `key_pair`'s [`AwsKind`](super::AwsKind): the functions above, on the EC2 client.
super::aws_kind_calls!(KeyPair, ec2, reads_many);
