//! Reads (and, for retained data, deletes) that serve the evidence recon writes for audits:
//! who ran a command (STS), what a KMS key's deletion state is, which backups and snapshots of
//! the environment's data remain in AWS Backup and EC2, and what a report needs beyond
//! discovery.
//!
//! These are AWS facts with no counterpart in the fake provider, so they are methods of
//! [`AwsProvider`](crate::AwsProvider) rather than of the `Provider` trait.
//!
//! # Architecture invariants
//! - No AWS type crosses the public API: results are the plain types below.
//! - Nothing here waits or retries beyond the SDK: the command polls when it must confirm.
//! - Only recovery points and snapshots of the environment's own resources are ever deleted;
//!   backup plans and vaults are never touched.

mod identity;
mod retained;

pub use identity::{CallerIdentity, KeyDeletion};
pub use retained::{Retained, RetainedKind};

/// The SDK clients only these reads need (the provider's own clients serve the rest), with
/// recon's retry rule like every other.
#[derive(Clone, Debug)]
pub(crate) struct Clients {
    pub sts: aws_sdk_sts::Client,
    pub backup: aws_sdk_backup::Client,
}

impl Clients {
    pub(crate) fn new(config: &aws_config::SdkConfig) -> Self {
        Clients {
            sts: crate::sdk_config::sts(config),
            backup: crate::sdk_config::backup(config),
        }
    }
}

/// An AWS timestamp as RFC 3339, UTC, whole seconds (the form of recon's records).
pub(crate) fn rfc3339(t: &aws_smithy_types::DateTime) -> String {
    aws_smithy_types::DateTime::from_secs(t.secs())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
#[cfg(test)]
mod tests;
