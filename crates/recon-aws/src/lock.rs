//! The environment lock: one apply or destroy of an environment at a time, with no state store.
//!
//! The lock is an EC2 key pair named `recon-lock-<environment>`, made by CreateKeyPair with the
//! holder in its tags. AWS makes the name unique per account and region, so of two runs that
//! create it at once exactly one succeeds; the other gets `InvalidKeyPair.Duplicate` and reads
//! the holder from the tags. A key pair costs nothing, needs no VPC, and carries tags in its
//! create call. It has no `recon:env` tag, so discovery never sees it as a resource. The
//! private key AWS returns is dropped unread.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{KeyType, ResourceType};
use recon_provider::{ErrorKind, ProviderError};
use tracing::debug;

use crate::{AwsProvider, errors};

/// The tag naming the locked environment.
pub const LOCK_TAG: &str = "recon:lock";
const WHO: &str = "recon:lock:who";
const HOST: &str = "recon:lock:host";
const SINCE: &str = "recon:lock:since";
const OPERATION: &str = "recon:lock:operation";
const RUN: &str = "recon:lock:run";

/// Who holds (or wants) an environment's lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockHolder {
    pub who: String,
    pub host: String,
    /// UTC, RFC 3339.
    pub since: String,
    /// `apply` or `destroy`.
    pub operation: String,
    /// This run, uniquely (process id and start time): a lost answer to the lock's own create
    /// must not make a run wait for itself.
    pub run: String,
}

impl LockHolder {
    /// The process id this holder's run was, if its run id says.
    pub fn pid(&self) -> Option<u32> {
        self.run.split_once('-')?.0.parse().ok()
    }
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} on {} ({}, since {})",
            self.who, self.host, self.operation, self.since
        )
    }
}

/// The key pair name of an environment's lock.
pub fn lock_name(environment: &str) -> String {
    format!("recon-lock-{environment}")
}

impl AwsProvider {
    /// Takes the lock of `environment` for `holder`: `Ok(None)` when taken, `Ok(Some(h))` when
    /// `h` holds it.
    ///
    /// # Guarantees
    /// Atomic: one CreateKeyPair; AWS refuses a second key pair of the same name.
    pub async fn try_lock(
        &self,
        environment: &str,
        holder: &LockHolder,
    ) -> Result<Option<LockHolder>, ProviderError> {
        let name = lock_name(environment);
        let tags = BTreeMap::from([
            (LOCK_TAG.to_owned(), environment.to_owned()),
            (WHO.to_owned(), holder.who.clone()),
            (HOST.to_owned(), holder.host.clone()),
            (SINCE.to_owned(), holder.since.clone()),
            (OPERATION.to_owned(), holder.operation.clone()),
            (RUN.to_owned(), holder.run.clone()),
        ]);
        debug!(op = "CreateKeyPair", name, "aws call (lock)");
        let out = self
            .clients
            .ec2
            .create_key_pair()
            .key_name(&name)
            .key_type(KeyType::Ed25519)
            .tag_specifications(crate::tags::spec(ResourceType::KeyPair, &tags))
            .send()
            .await;
        match out.map_err(|e| errors::sdk("CreateKeyPair", e)) {
            Ok(_) => Ok(None),
            Err(e) if errors::has_code(&e, "InvalidKeyPair.Duplicate") => {
                match self.lock_holder(environment).await? {
                    // Our own create, resent after its answer was lost: we hold it.
                    Some(h) if h.run == holder.run => Ok(None),
                    Some(h) => Ok(Some(h)),
                    // Released in between: "unknown holder", the caller tries again.
                    None => Ok(Some(LockHolder {
                        who: "(released just now)".into(),
                        host: "-".into(),
                        since: "-".into(),
                        operation: "-".into(),
                        run: "-".into(),
                    })),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Who holds the lock of `environment`, if anyone.
    pub async fn lock_holder(
        &self,
        environment: &str,
    ) -> Result<Option<LockHolder>, ProviderError> {
        let name = lock_name(environment);
        debug!(op = "DescribeKeyPairs", name, "aws call (lock)");
        let out = self
            .clients
            .ec2
            .describe_key_pairs()
            .key_names(&name)
            // Asked as every key pair read of recon's asks: moto keeps this setting in state
            // shared by concurrent requests, so a describe without it could strip the public
            // key from another run's read in flight (seen as a key pair to replace).
            .include_public_key(true)
            .send()
            .await;
        let out = match out.map_err(|e| errors::sdk("DescribeKeyPairs", e)) {
            Ok(o) => o,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(pair) = out
            .key_pairs()
            .iter()
            .find(|k| k.key_name() == Some(name.as_str()))
        else {
            return Ok(None);
        };
        let tag = |key: &str| {
            crate::tags::get(pair.tags(), key)
                .unwrap_or("(unknown)")
                .to_owned()
        };
        Ok(Some(LockHolder {
            who: tag(WHO),
            host: tag(HOST),
            since: tag(SINCE),
            operation: tag(OPERATION),
            run: tag(RUN),
        }))
    }

    /// Releases the lock of `environment` (whoever holds it). Already released is success.
    pub async fn unlock(&self, environment: &str) -> Result<(), ProviderError> {
        let name = lock_name(environment);
        debug!(op = "DeleteKeyPair", name, "aws call (lock)");
        let out = self
            .clients
            .ec2
            .delete_key_pair()
            .key_name(&name)
            .send()
            .await;
        errors::gone_is_ok(out.map_err(|e| errors::sdk("DeleteKeyPair", e)))
    }
}
