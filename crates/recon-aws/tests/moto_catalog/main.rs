//! The catalog's kinds (`iam_role`, `instance_profile`, `s3_bucket`, `log_group`,
//! `vpc_endpoint`, `flow_log`) against a real moto server (started by `scripts/test.sh`, or by
//! hand with `AWS_ENDPOINT_URL` set). One test binary for all of them: each links the SDK.
//!
//! Every test owns a unique environment. What the provider did is checked with the SDK
//! directly. Without `AWS_ENDPOINT_URL` the tests fail (they never silently pass).

#[path = "../support/mod.rs"]
mod support;

mod iam;
mod network;
mod s3;
