//! `enc/efs-unencrypted`: an EFS file system without encryption at rest.
//!
//! From the "irb" environment, whose data is IRB-governed: the study's file system had to be
//! encrypted with the study's KMS key, and the review before data arrives is where that is
//! checked. recon encrypts by default (`encrypted` defaults to `true`); this rule finds
//! `encrypted: false`.
//!
//! Severity error: EFS cannot encrypt an existing file system; fixing it later means a new
//! file system and copying every file, so it is worth stopping before the first apply.

use recon_model::{Kind, Spec};

use crate::facts::{flag, of_kind};
use crate::{Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "enc/efs-unencrypted",
    severity: Severity::Error,
    summary: "An EFS file system is not encrypted at rest.",
    help: "remove `encrypted: false` (recon encrypts by default), and give `kms_key: kms_key.<name>` to use your own key",
    check,
};

fn check(spec: &Spec) -> Vec<Finding> {
    of_kind(spec, Kind::EfsFileSystem)
        .filter(|fs| flag(fs, "encrypted") == Some(false))
        .map(|fs| {
            RULE.finding(
                &fs.address,
                &["encrypted"],
                format!("file system `{}` is not encrypted at rest", fs.address),
                "unencrypted",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::test_support::check;

    #[test]
    fn an_unencrypted_file_system_is_found() {
        assert_eq!(
            check(&RULE, "  efs_file_system.data: { encrypted: false }\n"),
            ["enc/efs-unencrypted efs_file_system.data encrypted"]
        );
    }

    #[test]
    fn the_default_is_encrypted() {
        assert!(check(&RULE, "  efs_file_system.data: {}\n").is_empty());
    }
}
