//! Reading an environment back from AWS (there is no state file) on moto: `outputs:` after
//! apply, `recon output`, `recon show`; and a stale private key file seen by plan before any
//! change.

mod support;

use support::{Workspace, moto_endpoint, unique_env};

#[test]
fn irb_outputs_and_show_read_the_live_environment() {
    moto_endpoint();
    let env = unique_env("irbout");
    let ws = Workspace::new("irb.yaml", &env);
    let text = Workspace::spec_text("irb.yaml", &env)
        .replace("alias: irb-data", &format!("alias: {env}-data"));
    ws.write_spec("spec.yaml", &text);

    let apply = ws.recon(&["apply", "spec.yaml", "--auto-approve"]);
    apply.success();
    let out = apply.stdout();
    assert!(out.contains("\nOutputs:\n\n"), "{out}");
    let efs_line = out
        .lines()
        .find(|l| l.starts_with("efs_id = \"fs-"))
        .unwrap_or_else(|| panic!("efs_id printed after apply:\n{out}"));
    let efs_id = efs_line.trim_start_matches("efs_id = ").trim_matches('"');
    assert!(out.contains("bastion_ip = \""), "{out}");

    // `recon output NAME`: the bare value, read again from AWS.
    let one = ws.recon(&["output", "spec.yaml", "efs_id"]);
    one.success();
    assert_eq!(one.stdout().trim(), efs_id);
    let all = ws.recon(&["output", "spec.yaml", "--json"]);
    all.success();
    let doc: serde_json::Value = serde_json::from_str(&all.stdout()).unwrap();
    assert_eq!(doc["efs_id"], efs_id);
    assert!(
        doc["bastion_ip"]
            .as_str()
            .is_some_and(|ip| ip.contains('.')),
        "{doc}"
    );
    assert!(
        doc["compute_ip"]
            .as_str()
            .is_some_and(|ip| ip.starts_with("10.0.2.")),
        "{doc}"
    );

    // `recon show`: what the environment owns, with ids and the attributes people look up.
    let show = ws.recon(&["show", "spec.yaml", "--json"]);
    show.success();
    let doc: serde_json::Value = serde_json::from_str(&show.stdout()).unwrap();
    let resources = doc["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 19, "{doc:#}");
    let efs = resources
        .iter()
        .find(|r| r["address"] == "efs_file_system.data")
        .unwrap();
    assert_eq!(efs["id"], efs_id);
    assert_eq!(efs["kind"], "efs_file_system");
    let bastion = resources
        .iter()
        .find(|r| r["address"] == "instance.bastion")
        .unwrap();
    assert!(
        bastion["attributes"]["public_ip_address"]
            .as_str()
            .is_some(),
        "{bastion:#}"
    );
    assert!(
        !show.stdout().contains("user_data"),
        "user data is never shown"
    );
    // A mount target has no tags in AWS: none is invented for it.
    let mount_target = resources
        .iter()
        .find(|r| r["address"] == "efs_mount_target.data")
        .unwrap();
    assert!(
        mount_target["attributes"].get("Name").is_none(),
        "{mount_target:#}"
    );
    assert!(efs["attributes"]["Name"].is_string(), "{efs:#}");
    let text = ws.recon(&["show", "--env", &env, "--region", "us-east-1"]);
    text.success();
    assert!(
        text.stdout()
            .contains(&format!("efs_file_system.data  {efs_id}  available")),
        "{}",
        text.stdout()
    );

    ws.recon(&["destroy", "spec.yaml", "--auto-approve"])
        .success();
    let gone = ws.recon(&["output", "spec.yaml", "efs_id"]);
    gone.code_is(1);
    assert!(
        gone.stderr_says("Output `efs_id` has no value"),
        "{}",
        gone.stderr()
    );
}

#[test]
fn a_private_key_file_left_from_an_earlier_key_stops_plan_before_any_change() {
    moto_endpoint();
    let env = unique_env("keyfile");
    let ws = Workspace::new("network.yaml", &env);
    ws.write_spec(
        "spec.yaml",
        &format!(
            "environment: {env}\nregion: us-east-1\nresources:\n  key_pair.admin: {{ private_key_file: admin.pem }}\n"
        ),
    );
    std::fs::write(ws.path().join("admin.pem"), "an earlier key").unwrap();
    let plan = ws.recon(&["plan", "spec.yaml"]);
    plan.code_is(1);
    assert!(
        plan.stderr_says("Key pair `key_pair.admin` would be created, but its private key file `admin.pem` already exists"),
        "{}",
        plan.stderr()
    );
    assert!(plan.stderr_says("nothing was changed"), "{}", plan.stderr());
    let apply = ws.recon(&["apply", "spec.yaml", "--auto-approve"]);
    apply.code_is(1);
    assert_eq!(
        std::fs::read_to_string(ws.path().join("admin.pem")).unwrap(),
        "an earlier key"
    );
    let show = ws.recon(&["show", "spec.yaml", "--json"]);
    show.success();
    let doc: serde_json::Value = serde_json::from_str(&show.stdout()).unwrap();
    assert_eq!(
        doc["resources"],
        serde_json::json!([]),
        "nothing was created"
    );
}
