//! Who is calling (STS GetCallerIdentity) and where a KMS key is in its deletion (DescribeKey).

use aws_sdk_kms::types::KeyState;
use recon_provider::ProviderError;
use tracing::debug;

use super::rfc3339;
use crate::AwsProvider;
use crate::errors::{self, unless_not_found};

/// The account and principal whose credentials the provider uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    /// The caller's ARN (an assumed role's session ARN, an IAM user's ARN).
    pub arn: String,
}

/// A KMS key's state as DescribeKey reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyDeletion {
    /// `PendingDeletion`: KMS destroys the key material on this date (RFC 3339).
    Scheduled { on: String },
    /// DescribeKey answered "not found": the key no longer exists.
    Gone,
    /// Any other state (`Enabled`, `Disabled`…): not scheduled for deletion.
    NotScheduled { state: String },
}

impl AwsProvider {
    /// STS GetCallerIdentity: one call, made once per run by the caller.
    pub async fn caller_identity(&self) -> Result<CallerIdentity, ProviderError> {
        debug!(op = "GetCallerIdentity", "aws call");
        let out = self
            .audit
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| errors::sdk("GetCallerIdentity", e))?;
        Ok(CallerIdentity {
            account: out
                .account()
                .ok_or_else(|| errors::missing("GetCallerIdentity", "an account"))?
                .to_owned(),
            arn: out
                .arn()
                .ok_or_else(|| errors::missing("GetCallerIdentity", "an ARN"))?
                .to_owned(),
        })
    }

    /// DescribeKey of `key_id`, to say what a deleted key's state really is.
    ///
    /// # Guarantees
    /// - [`KeyDeletion::Scheduled`] only when KMS itself reports `PendingDeletion` (or
    ///   `PendingReplicaDeletion`) with a deletion date.
    pub async fn key_deletion(&self, key_id: &str) -> Result<KeyDeletion, ProviderError> {
        debug!(op = "DescribeKey", key_id, "aws call");
        let out = self.clients.kms.describe_key().key_id(key_id).send().await;
        let Some(out) = unless_not_found(out.map_err(|e| errors::sdk("DescribeKey", e)))? else {
            return Ok(KeyDeletion::Gone);
        };
        let Some(meta) = out.key_metadata() else {
            return Err(errors::missing("DescribeKey", "key metadata"));
        };
        Ok(match (meta.key_state(), meta.deletion_date()) {
            (Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion), Some(date)) => {
                KeyDeletion::Scheduled { on: rfc3339(date) }
            }
            (state, _) => KeyDeletion::NotScheduled {
                state: state.map_or("unknown", |s| s.as_str()).to_owned(),
            },
        })
    }
}
