//! `kms/rotation-disabled`: a symmetric KMS key without automatic rotation.
//!
//! From the "irb" environment: the study's data key protects IRB-governed data for the life of
//! the project; compliance frameworks (and AWS Security Hub's KMS.4 control) expect yearly
//! rotation of its key material. recon rotates by default (`enable_key_rotation` defaults to
//! `true`); this rule finds `enable_key_rotation: false` on a key that could rotate
//! (`key_spec: SYMMETRIC_DEFAULT`; asymmetric and HMAC keys cannot, and the kind's own check
//! says so).
//!
//! Severity warning: rotation can be turned on at any time, in place.

use recon_model::{Kind, Spec};

use crate::facts::{flag, of_kind, text};
use crate::{Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "kms/rotation-disabled",
    severity: Severity::Warning,
    summary: "A symmetric KMS key does not rotate its key material automatically.",
    help: "remove `enable_key_rotation: false` (recon rotates symmetric keys by default)",
    check,
};

fn check(spec: &Spec) -> Vec<Finding> {
    of_kind(spec, Kind::KmsKey)
        .filter(|k| text(k, "key_spec").is_none_or(|s| s == "SYMMETRIC_DEFAULT"))
        .filter(|k| flag(k, "enable_key_rotation") == Some(false))
        .map(|k| {
            RULE.finding(
                &k.address,
                &["enable_key_rotation"],
                format!("KMS key `{}` does not rotate", k.address),
                "rotation off",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::test_support::check;

    #[test]
    fn a_key_without_rotation_is_found() {
        assert_eq!(
            check(&RULE, "  kms_key.data: { enable_key_rotation: false }\n"),
            ["kms/rotation-disabled kms_key.data enable_key_rotation"]
        );
    }

    #[test]
    fn rotating_and_asymmetric_keys_are_fine() {
        assert!(check(&RULE, "  kms_key.data: {}\n").is_empty());
        assert!(
            check(
                &RULE,
                "  kms_key.sign: { key_spec: RSA_2048, key_usage: SIGN_VERIFY, enable_key_rotation: false }\n"
            )
            .is_empty()
        );
    }
}
