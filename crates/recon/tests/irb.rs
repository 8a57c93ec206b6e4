//! The "irb" environment end to end on moto, checked attribute by attribute with the SDK:
//! the file system is encrypted with the spec's key, the compute template's user data mounts
//! the file system by its real id, and compute's root volume is encrypted with that key.

mod support;

use aws_sdk_ec2::types::Filter;
use support::{Workspace, ec2, moto_endpoint, unique_env};

async fn efs() -> aws_sdk_efs::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    aws_sdk_efs::Client::new(&config)
}

fn tagged(env: &str, id: &str) -> Vec<Filter> {
    vec![
        Filter::builder().name("tag:recon:env").values(env).build(),
        Filter::builder().name("tag:recon:id").values(id).build(),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn irb_applies_with_encrypted_storage_and_destroys_completely() {
    moto_endpoint();
    let env = unique_env("irb");
    let ws = Workspace::new("irb.yaml", &env);
    // The key alias is account-wide: give this run its own.
    let text = Workspace::spec_text("irb.yaml", &env)
        .replace("alias: irb-data", &format!("alias: {env}-data"));
    ws.write_spec("spec.yaml", &text);

    let apply = ws.recon(&["apply", "spec.yaml", "--auto-approve"]);
    apply.success();
    assert!(
        apply
            .stdout()
            .contains("Apply complete! Resources: 19 added"),
        "{}",
        apply.stdout()
    );

    // The file system, found by its ownership tag, is encrypted with the spec's key.
    let e = efs().await;
    let systems = e.describe_file_systems().send().await.unwrap();
    let fs = systems
        .file_systems()
        .iter()
        .find(|f| {
            f.tags()
                .iter()
                .any(|t| t.key() == "recon:env" && t.value() == env)
        })
        .expect("the file system exists");
    assert_eq!(fs.encrypted(), Some(true));
    let key_arn = fs
        .kms_key_id()
        .expect("encrypted with a customer key")
        .to_owned();
    assert!(
        key_arn.contains("mrk-"),
        "the spec's multi-region key: {key_arn}"
    );
    assert_eq!(fs.availability_zone_name(), Some("us-east-1b"));
    let fs_id = fs.file_system_id().to_owned();

    // The compute template's user data mounts that file system by its real id.
    let c = ec2().await;
    let templates = c
        .describe_launch_templates()
        .set_filters(Some(tagged(&env, "launch_template.compute")))
        .send()
        .await
        .unwrap();
    let lt_id = templates.launch_templates()[0]
        .launch_template_id()
        .unwrap()
        .to_owned();
    let versions = c
        .describe_launch_template_versions()
        .launch_template_id(&lt_id)
        .versions("$Default")
        .send()
        .await
        .unwrap();
    let data = versions.launch_template_versions()[0]
        .launch_template_data()
        .unwrap();
    let user_data = String::from_utf8(decode_base64(data.user_data().unwrap())).unwrap();
    assert!(
        user_data.contains(&format!("mount -t efs {fs_id}:/ /data")),
        "{user_data}"
    );

    // Compute's root volume is encrypted with the same key; compute has no public IP.
    let instances = c
        .describe_instances()
        .set_filters(Some(tagged(&env, "instance.compute")))
        .send()
        .await
        .unwrap();
    let instance = &instances.reservations()[0].instances()[0];
    assert!(instance.public_ip_address().is_none());
    let volume_id = instance.block_device_mappings()[0]
        .ebs()
        .unwrap()
        .volume_id()
        .unwrap();
    let volumes = c
        .describe_volumes()
        .volume_ids(volume_id)
        .send()
        .await
        .unwrap();
    let volume = &volumes.volumes()[0];
    assert_eq!(volume.encrypted(), Some(true));
    assert_eq!(volume.size(), Some(500));
    // EFS reports the key's id, EC2 its ARN: the same key either way.
    let key_id = key_arn.rsplit('/').next().unwrap();
    let volume_key = volume.kms_key_id().unwrap();
    assert!(
        volume_key == key_id || volume_key.ends_with(&format!("key/{key_id}")),
        "{volume_key} vs {key_id}"
    );

    ws.recon(&["plan", "spec.yaml", "--detailed-exitcode"])
        .code_is(0);

    check_report(&ws);

    // The bastion follows its template's latest version: a template change updates the
    // template in place (a new default version) and replaces the bastion, not compute.
    assert_eq!(bastion_template_version(&c, &env).await, "1");
    ws.write_spec(
        "spec.yaml",
        &text.replace(
            "instance_type: t2.xlarge\n    key_name: ${key_pair.admin.key_name}\n    subnet: subnet.public",
            "instance_type: t3.micro\n    key_name: ${key_pair.admin.key_name}\n    subnet: subnet.public",
        ),
    );
    let plan = ws.recon(&["plan", "spec.yaml"]);
    plan.success();
    let out = plan.stdout();
    assert!(out.contains("~ launch_template.bastion"), "{out}");
    assert!(out.contains("-/+ instance.bastion"), "{out}");
    assert!(!out.contains("instance.compute"), "{out}");
    assert!(
        out.contains("Plan: 1 to add, 1 to change, 1 to destroy."),
        "{out}"
    );
    ws.recon(&["apply"]).success();
    assert_eq!(bastion_template_version(&c, &env).await, "2");
    ws.recon(&["plan", "spec.yaml", "--detailed-exitcode"])
        .code_is(0);

    // The spec is committed: the record names the commit.
    let commit = commit_spec(ws.path());
    let destroy = ws.recon(&[
        "destroy",
        "spec.yaml",
        "--auto-approve",
        "--record",
        "irb.json",
    ]);
    destroy.success();
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.path().join("irb.json")).unwrap()).unwrap();
    assert_eq!(record["outcome"], "complete");
    assert_eq!(record["resources"].as_array().unwrap().len(), 19);
    // Who, where, with what: moto's account and caller, this recon, the spec's commit.
    assert_eq!(record["run_by"]["account"], "123456789012", "{record}");
    assert!(
        record["run_by"]["caller_arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:"),
        "{record}"
    );
    assert_eq!(record["run_by"]["recon_version"], env!("CARGO_PKG_VERSION"));
    let spec = &record["spec"];
    assert!(
        std::path::Path::new(spec["absolute_path"].as_str().unwrap()).is_absolute(),
        "{spec}"
    );
    assert_eq!(spec["git"]["commit"], commit.as_str(), "{spec}");
    assert_eq!(spec["git"]["spec_committed"], true, "{spec}");
    // moto keeps no recovery points, but the search ran.
    assert!(
        record["remaining_data"].get("error").is_none(),
        "{}",
        record["remaining_data"]
    );
    let key = record["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "kms_key.data")
        .unwrap();
    assert_eq!(key["status"], "scheduled_for_deletion", "{key}");
    let requested = key["requested_at"].as_str().unwrap();
    let destroyed_on = key["key_material_destroyed_on"]
        .as_str()
        .unwrap()
        .to_owned();
    // The spec's 7-day window, counted by KMS from the request (seconds apart at most).
    let requested = humantime::parse_rfc3339(requested).unwrap();
    let on = humantime::parse_rfc3339(&destroyed_on).unwrap();
    let window = on.duration_since(requested).unwrap().as_secs();
    assert!(
        (7 * 24 * 60 * 60 - 5..=7 * 24 * 60 * 60 + 5).contains(&window),
        "{key}"
    );
    let md = std::fs::read_to_string(ws.path().join("irb.md")).unwrap();
    assert!(
        md.contains(&format!("| scheduled for deletion on {destroyed_on}")),
        "{md}"
    );
    assert!(
        md.contains(record["record_sha256"].as_str().unwrap()),
        "{md}"
    );

    // The seal: verify-record passes, and fails after a one-character edit of either file.
    ws.recon(&["verify-record", "irb.json"]).success();
    let json = std::fs::read_to_string(ws.path().join("irb.json")).unwrap();
    let edited = json.replacen("\"complete\"", "\"completE\"", 1);
    assert_ne!(edited, json);
    std::fs::write(ws.path().join("irb.json"), &edited).unwrap();
    let tampered = ws.recon(&["verify-record", "irb.json"]);
    tampered.code_is(1);
    assert!(
        tampered.stderr().contains("does not match its seal"),
        "{}",
        tampered.stderr()
    );
    std::fs::write(ws.path().join("irb.json"), &json).unwrap();
    std::fs::write(
        ws.path().join("irb.md"),
        md.replacen("Complete", "Completo", 1),
    )
    .unwrap();
    let tampered = ws.recon(&["verify-record", "irb.json"]);
    tampered.code_is(1);
    assert!(
        tampered
            .stderr()
            .contains("does not agree with its JSON record"),
        "{}",
        tampered.stderr()
    );

    let left = e
        .describe_file_systems()
        .file_system_id(&fs_id)
        .send()
        .await;
    assert!(
        left.map(|o| o.file_systems().is_empty()).unwrap_or(true),
        "the file system is gone"
    );
}

/// `recon report` after apply: the bastion is reachable from the internet on 22, and every
/// store (the file system, both instances' volumes) is encrypted with the spec's key.
fn check_report(ws: &Workspace) {
    let run = ws.recon(&["report", "spec.yaml", "--out", "report.json"]);
    run.success();
    assert!(
        run.stdout().contains("## Reachable from the internet"),
        "{}",
        run.stdout()
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.path().join("report.json")).unwrap()).unwrap();
    let reachable = report["internet"]["reachable"].as_array().unwrap();
    let bastion = reachable
        .iter()
        .find(|e| e["address"] == "instance.bastion")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(
        bastion["open"],
        serde_json::json!(["tcp 22 from 0.0.0.0/0 (security_group.bastion)"]),
        "{bastion}"
    );
    assert!(
        !reachable.iter().any(|e| e["address"] == "instance.compute"),
        "{report}"
    );
    // Every store is encrypted with the spec's key: the file system and both root volumes.
    let stores = report["encryption"].as_array().unwrap();
    let mut addresses: Vec<&str> = stores
        .iter()
        .map(|s| s["address"].as_str().unwrap())
        .collect();
    addresses.sort_unstable();
    assert_eq!(
        addresses,
        [
            "efs_file_system.data",
            "instance.bastion",
            "instance.compute"
        ],
        "{report}"
    );
    for store in stores {
        assert_eq!(store["encrypted"], true, "{store}");
        assert_eq!(store["kms_key_address"], "kms_key.data", "{store}");
    }
    // The silenced SSH finding is stated with its reason.
    assert!(
        report["review"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| { f["rule"] == "net/admin-port-open" && f["silenced_because"].is_string() })
    );
    ws.recon(&["verify-record", "report.json"]).success();
}

/// Puts the workspace under Git and commits the spec; returns the commit.
fn commit_spec(dir: &std::path::Path) -> String {
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    git(&["init", "-q"]);
    git(&["add", "spec.yaml"]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.org",
        "-c",
        "commit.gpgsign=false",
        "commit",
        "-q",
        "-m",
        "spec",
    ]);
    git(&["rev-parse", "HEAD"])
}

/// The launch template version the running bastion was launched from (AWS's tag).
async fn bastion_template_version(c: &aws_sdk_ec2::Client, env: &str) -> String {
    let out = c
        .describe_instances()
        .set_filters(Some(tagged(env, "instance.bastion")))
        .filters(
            Filter::builder()
                .name("instance-state-name")
                .values("running")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let instances: Vec<_> = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .collect();
    assert_eq!(instances.len(), 1, "{instances:?}");
    instances[0]
        .tags()
        .iter()
        .find(|t| t.key() == Some("aws:ec2launchtemplate:version"))
        .and_then(|t| t.value())
        .unwrap()
        .to_owned()
}

fn decode_base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text
        .bytes()
        .filter(|c| *c != b'=' && !c.is_ascii_whitespace())
    {
        let v = ALPHABET.iter().position(|a| *a == c).expect("base64") as u32;
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}
