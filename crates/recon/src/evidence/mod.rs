//! What every record recon writes for an audit carries: who ran it, where, with which recon,
//! from which spec (path, sha256, Git commit), and a sha256 of the record's own content.

pub mod provenance;
pub mod seal;

use serde::{Deserialize, Serialize};

/// The account and identity a command ran as, and with which recon.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunBy {
    /// The AWS account id (STS GetCallerIdentity).
    pub account: String,
    /// The caller's ARN: an assumed role's session, an IAM user.
    pub caller_arn: String,
    /// The version of recon that wrote the record.
    pub recon_version: String,
}

impl RunBy {
    pub fn new(identity: recon_aws::audit::CallerIdentity) -> Self {
        RunBy {
            account: identity.account,
            caller_arn: identity.arn,
            recon_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}
