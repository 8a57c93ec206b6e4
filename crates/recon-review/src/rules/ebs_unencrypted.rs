//! `enc/ebs-unencrypted`: an EBS volume the spec declares without encryption.
//!
//! From the "irb" environment: the compute instance's 500 GB root volume holds the study's data
//! and had to be encrypted with the study's KMS key; a volume declared without `encrypted: true`
//! is the mistake waiting to happen. Checked: every launch template `block_devices` item and an
//! instance's `root_volume` with `encrypted` false (the default for both).
//!
//! An instance or template that declares no volume takes its AMI's, encrypted or not as the
//! snapshot and the account's "EBS encryption by default" setting decide: recon cannot see
//! either offline, so those are not reported.
//!
//! Severity warning: the account's EBS encryption-by-default setting may encrypt the volume
//! anyway, which recon cannot see from the spec.

use recon_model::{Kind, Spec, Value};

use crate::facts::of_kind;
use crate::{Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "enc/ebs-unencrypted",
    severity: Severity::Warning,
    summary: "An EBS volume declared in the spec is not encrypted.",
    help: "add `encrypted: true` (and `kms_key: kms_key.<name>` for your own key)",
    check,
};

fn unencrypted(volume: &Value) -> bool {
    volume
        .as_map()
        .is_some_and(|v| v.get("encrypted") != Some(&Value::Bool(true)))
}

fn check(spec: &Spec) -> Vec<Finding> {
    let mut out = Vec::new();
    for template in of_kind(spec, Kind::LaunchTemplate) {
        let devices = template
            .attrs
            .get("block_devices")
            .map(Value::as_list)
            .unwrap_or_default();
        for (i, device) in devices.iter().enumerate() {
            if !unencrypted(device) {
                continue;
            }
            let name = device
                .as_map()
                .and_then(|d| d.get("device_name"))
                .and_then(Value::as_str)
                .unwrap_or("?");
            let index = i.to_string();
            out.push(RULE.finding(
                &template.address,
                &["block_devices", &index, "encrypted"],
                format!("volume `{name}` of `{}` is not encrypted", template.address),
                "unencrypted",
            ));
        }
    }
    for instance in of_kind(spec, Kind::Instance) {
        if let Some(root) = instance.attrs.get("root_volume")
            && unencrypted(root)
        {
            out.push(RULE.finding(
                &instance.address,
                &["root_volume", "encrypted"],
                format!("the root volume of `{}` is not encrypted", instance.address),
                "unencrypted",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::test_support::check;

    #[test]
    fn unencrypted_volumes_are_found() {
        let spec = "
  launch_template.compute: { block_devices: [ { device_name: /dev/xvda, size_gb: 500 } ] }
  instance.compute: { image: ami-1, instance_type: t3.micro, root_volume: { size_gb: 500 } }
";
        assert_eq!(
            check(&RULE, spec),
            [
                "enc/ebs-unencrypted launch_template.compute block_devices.0.encrypted",
                "enc/ebs-unencrypted instance.compute root_volume.encrypted",
            ]
        );
    }

    #[test]
    fn encrypted_or_undeclared_volumes_are_fine() {
        let spec = "
  launch_template.compute: { block_devices: [ { device_name: /dev/xvda, size_gb: 500, encrypted: true } ] }
  instance.compute: { image: ami-1, instance_type: t3.micro, root_volume: { size_gb: 500, encrypted: true } }
  instance.other: { image: ami-1, instance_type: t3.micro }
";
        assert!(check(&RULE, spec).is_empty());
    }

    #[test]
    fn the_fix_the_help_gives_is_a_spec_the_parser_takes() {
        let (_, fix) = RULE
            .help
            .split_once("`kms_key: ")
            .expect("the help shows the field");
        let value = fix.split('`').next().unwrap().replace("<name>", "data");
        let spec = format!(
            "
  kms_key.data: {{ description: d }}
  launch_template.compute: {{ block_devices: [ {{ device_name: /dev/xvda, size_gb: 500, encrypted: true, kms_key: {value} }} ] }}
"
        );
        assert!(check(&RULE, &spec).is_empty());
    }
}
