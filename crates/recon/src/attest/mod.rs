//! `recon report`: an attestation of what is live now for an environment, for audits and
//! annual IRB reviews. Built from one discovery (the same reads `recon plan` makes) and the
//! spec's review; rendered as JSON (sealed like the teardown record) and Markdown.
//!
//! What it states, and from where:
//! - every owned resource with its AWS id (discovery by the `recon:env` tag);
//! - encryption at rest of every store recon manages: EFS file systems and instances' root
//!   EBS volumes, with the KMS key (recon manages no S3 buckets: the report says so);
//! - what the internet can reach: instances with public IPs and the world-open security group
//!   rules that admit traffic to them, internet-facing load balancers, Elastic IPs, and every
//!   security group rule open to `0.0.0.0/0` or `::/0`;
//! - who can decrypt: each KMS key's grants (the key policy is not read);
//! - whether each file system's automatic backups are on;
//! - the review findings of the spec, silenced ones with their reason.

pub mod build;
mod markdown;

pub use build::build;
pub use markdown::markdown;

use serde::{Deserialize, Serialize};

use crate::evidence::RunBy;
use crate::evidence::provenance::SpecProvenance;

pub const REPORT_FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub format_version: u32,
    pub environment: String,
    pub region: String,
    pub run_by: RunBy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<SpecProvenance>,
    /// When the reads were made.
    pub at: String,
    pub resources: Vec<Owned>,
    pub encryption: Vec<Store>,
    pub internet: Internet,
    pub decrypt: Vec<KeyAccess>,
    pub backups: Vec<BackupState>,
    /// Absent when the report was made without a spec (`--env`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Vec<ReviewFinding>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_sha256: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owned {
    pub kind: String,
    pub address: String,
    pub id: String,
}

/// A store of data and its encryption at rest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    /// `EFS file system`, `EBS root volume`.
    pub store: String,
    pub address: String,
    pub id: String,
    pub encrypted: bool,
    /// The KMS key id AWS reports (absent: AWS-managed key, or unencrypted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,
    /// The environment's key of that id, when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_address: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Internet {
    /// Resources with an address on the internet.
    pub reachable: Vec<Exposure>,
    /// Every security group rule that admits `0.0.0.0/0` or `::/0`.
    pub open_rules: Vec<OpenRule>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exposure {
    pub address: String,
    pub id: String,
    /// A public IP, or a load balancer's DNS name.
    pub public_address: String,
    /// What the internet may open: `tcp 22 (security_group.bastion)`, a listener
    /// `tcp 80`. Empty: no rule admits the internet.
    pub open: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenRule {
    pub address: String,
    pub id: String,
    pub protocol: String,
    pub ports: String,
    pub from: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAccess {
    pub address: String,
    pub id: String,
    pub grants: Vec<Grant>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub name: String,
    pub grantee_principal: String,
    pub operations: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupState {
    pub address: String,
    pub id: String,
    /// Absent when AWS did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automatic_backups: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewFinding {
    pub rule: String,
    pub severity: String,
    pub address: String,
    pub message: String,
    /// The annotation's reason, when the finding is silenced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silenced_because: Option<String>,
}

#[cfg(test)]
mod tests;
