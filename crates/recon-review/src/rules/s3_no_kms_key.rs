//! `s3/no-kms-key`: an S3 bucket encrypted only with keys S3 manages.
//!
//! From the "research" environment's notebook bucket: S3 encrypts every object (SSE-S3), but
//! anyone whose policy allows `s3:GetObject` reads it, and no key use is logged. With a KMS key
//! (`kms_key:`), reading needs `kms:Decrypt` on that key as well, every use is in CloudTrail,
//! and disabling the key locks the data at once: what an IRB's data-security plan asks for.
//!
//! Severity warning: SSE-S3 is encryption at rest, and `kms_key` changes in place.

use recon_model::{Kind, Spec};

use crate::facts::of_kind;
use crate::{Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "s3/no-kms-key",
    severity: Severity::Warning,
    summary: "An S3 bucket is encrypted only with S3-managed keys, not a KMS key.",
    help: "add `kms_key:` naming a `kms_key` of the environment",
    check,
};

fn check(spec: &Spec) -> Vec<Finding> {
    of_kind(spec, Kind::S3Bucket)
        .filter(|b| !b.attrs.contains_key("kms_key"))
        .map(|b| {
            RULE.finding(
                &b.address,
                &[],
                format!("S3 bucket `{}` has no KMS key", b.address),
                "encrypted with S3-managed keys only",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::test_support::check;

    #[test]
    fn buckets_without_a_key_are_found() {
        let spec = "
  kms_key.data: {}
  s3_bucket.plain: {}
  s3_bucket.keyed: { kms_key: kms_key.data }
";
        assert_eq!(check(&RULE, spec), ["s3/no-kms-key s3_bucket.plain "]);
    }
}
