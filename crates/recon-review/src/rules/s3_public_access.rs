//! `s3/public-access-allowed`: an S3 bucket whose spec turns off S3's Block Public Access.
//!
//! From the "research" environment, whose notebook bucket was made public "for a minute" to
//! share a figure and stayed so: with the four Block Public Access settings off, one bucket
//! policy or object ACL granting `*` publishes clinical data to the internet. recon blocks
//! public access by default; this rule finds `block_public_access: false`.
//!
//! Severity error: a bucket meant to be public (a static site) says why with a silence.

use recon_model::{Kind, Spec};

use crate::facts::{flag, of_kind};
use crate::{Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "s3/public-access-allowed",
    severity: Severity::Error,
    summary: "An S3 bucket allows public access (Block Public Access off).",
    help: "remove `block_public_access: false`; share data with a presigned URL or a role instead",
    check,
};

fn check(spec: &Spec) -> Vec<Finding> {
    of_kind(spec, Kind::S3Bucket)
        .filter(|b| flag(b, "block_public_access") == Some(false))
        .map(|b| {
            RULE.finding(
                &b.address,
                &["block_public_access"],
                format!("S3 bucket `{}` may be made public", b.address),
                "public access not blocked",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::test_support::check;

    #[test]
    fn only_buckets_that_turn_the_block_off_are_found() {
        let spec = "
  s3_bucket.open: { block_public_access: false }
  s3_bucket.closed: {}
";
        assert_eq!(
            check(&RULE, spec),
            ["s3/public-access-allowed s3_bucket.open block_public_access"]
        );
    }
}
