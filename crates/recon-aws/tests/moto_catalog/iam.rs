//! `iam_role` and `instance_profile`: created under `/recon/<environment>/`, tagged at creation,
//! their policies and role converged by the update after the create, read back as the same
//! values, discovered for their environment only, and deleted leaving nothing.
//!
//! moto loads no AWS managed policies unless told to, so the managed policies here are customer
//! managed ones the tests make with the SDK.

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;
use recon_model::{Attrs, Kind, LiveResource, Value, diff_attrs};
use recon_provider::{CreateRequest, ErrorKind, Provider, ProviderError};

use super::support::{Harness, address, expected_tags, harness, list, map, s, strs, unique_env};

// ---- helpers -----------------------------------------------------------------------------------

fn trust(services: &[&str]) -> Value {
    map(&[
        ("Version", s("2012-10-17")),
        (
            "Statement",
            list(vec![map(&[
                ("Effect", s("Allow")),
                ("Principal", map(&[("Service", strs(services))])),
                ("Action", s("sts:AssumeRole")),
            ])]),
        ),
    ])
}

/// Reading a bucket over TLS only: lists, text and a boolean.
fn read_bucket(bucket: &str) -> Value {
    map(&[
        ("Version", s("2012-10-17")),
        (
            "Statement",
            list(vec![map(&[
                ("Sid", s("ReadData")),
                ("Effect", s("Allow")),
                ("Action", strs(&["s3:GetObject", "s3:ListBucket"])),
                (
                    "Resource",
                    strs(&[
                        &format!("arn:aws:s3:::{bucket}"),
                        &format!("arn:aws:s3:::{bucket}/*"),
                    ]),
                ),
                (
                    "Condition",
                    map(&[("Bool", map(&[("aws:SecureTransport", Value::Bool(true))]))]),
                ),
            ])]),
        ),
    ])
}

/// [`read_bucket`] as someone else writes it: other key order, other layout.
fn read_bucket_json(bucket: &str) -> String {
    format!(
        r#"{{
  "Statement" : [ {{
      "Condition": {{ "Bool": {{ "aws:SecureTransport": true }} }},
      "Resource": [ "arn:aws:s3:::{bucket}", "arn:aws:s3:::{bucket}/*" ],
      "Action": [ "s3:GetObject", "s3:ListBucket" ],
      "Effect": "Allow",
      "Sid": "ReadData"
  }} ],
  "Version" : "2012-10-17"
}}"#
    )
}

fn inline(name: &str, policy: Value) -> Value {
    map(&[("name", s(name)), ("policy", policy)])
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

impl Harness {
    /// Every field of a role of this environment at `iam_role.<name>`, defaults included.
    fn role_attrs(&self, name: &str, fields: &[(&str, Value)], extra: &[(&str, &str)]) -> Attrs {
        let mut all = vec![
            ("name", s(&format!("{}-{name}", self.env))),
            ("description", s("")),
            ("trust_policy", trust(&["ec2.amazonaws.com"])),
            ("managed_policy_arns", list(vec![])),
            ("inline_policies", list(vec![])),
            ("max_session_duration", Value::Int(3600)),
        ];
        for (k, v) in fields {
            all.retain(|(n, _)| n != k);
            all.push((k, v.clone()));
        }
        self.wanted(&format!("iam_role.{name}"), &all, extra)
    }

    /// A customer managed policy, made with the SDK; its ARN.
    async fn managed_policy(&self, name: &str) -> String {
        let out = self
            .iam
            .create_policy()
            .policy_name(format!("{}-{name}", self.env))
            .policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}"#,
            )
            .send()
            .await
            .unwrap();
        out.policy().unwrap().arn().unwrap().to_owned()
    }

    async fn delete_policies(&self, arns: &[&str]) {
        for arn in arns {
            self.iam
                .delete_policy()
                .policy_arn(*arn)
                .send()
                .await
                .unwrap();
        }
    }

    async fn attached_arns(&self, role: &str) -> Vec<String> {
        let out = self
            .iam
            .list_attached_role_policies()
            .role_name(role)
            .send()
            .await
            .unwrap();
        let mut arns: Vec<String> = out
            .attached_policies()
            .iter()
            .map(|p| p.policy_arn().unwrap().to_owned())
            .collect();
        arns.sort();
        arns
    }

    async fn inline_names(&self, role: &str) -> Vec<String> {
        let out = self
            .iam
            .list_role_policies()
            .role_name(role)
            .send()
            .await
            .unwrap();
        let mut names = out.policy_names().to_vec();
        names.sort();
        names
    }

    /// The roles under this environment's path, as IAM lists them.
    async fn roles_under_path(&self) -> Vec<String> {
        let out = self
            .iam
            .list_roles()
            .path_prefix(format!("/recon/{}/", self.env))
            .send()
            .await
            .unwrap();
        out.roles()
            .iter()
            .map(|r| r.role_name().to_owned())
            .collect()
    }

    /// The provider's create, whose failure the test looks at.
    async fn try_create(&self, addr: &str, wanted: &Attrs) -> Result<LiveResource, ProviderError> {
        let address = address(addr);
        self.provider
            .create(CreateRequest {
                address: &address,
                environment: &self.env,
                attrs: wanted,
                token: "unused-by-iam",
            })
            .await
    }
}

// ---- iam_role ----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn iam_role_create_converge_read_discover_update_delete() {
    let h = harness("iam").await;
    let params = h.managed_policy("params").await;
    let other = h.managed_policy("other").await;
    let name = format!("{}-app", h.env);
    let wanted = h.role_attrs(
        "app",
        &[
            ("description", s("the app's instances")),
            ("managed_policy_arns", strs(&[&params])),
            (
                "inline_policies",
                list(vec![inline("read-data", read_bucket("data"))]),
            ),
            ("max_session_duration", Value::Int(7200)),
        ],
        &[("team", "research")],
    );

    let created = h.create("iam_role.app", &wanted).await;
    assert_eq!(created.id, name);
    assert_eq!(created.outputs["name"], s(&name));
    let arn = created.outputs["arn"].as_str().unwrap();
    assert!(
        arn.ends_with(&format!(":role/recon/{}/{name}", h.env)),
        "{arn}"
    );
    assert_eq!(created.attrs["trust_policy"], trust(&["ec2.amazonaws.com"]));
    // CreateRole sets no policies: the executor's update right after does.
    assert_eq!(created.attrs["managed_policy_arns"], list(vec![]));
    assert_eq!(created.attrs["inline_policies"], list(vec![]));
    // Under the environment's path, tagged in the create call.
    let role = h.iam.get_role().role_name(&name).send().await.unwrap();
    let role = role.role().unwrap();
    assert_eq!(role.path(), format!("/recon/{}/", h.env));
    assert_eq!(
        tag_map(role.tags()),
        expected_tags(&h.env, "iam_role.app", &[("team", "research")])
    );
    assert_eq!(role.max_session_duration(), Some(7200));
    assert_eq!(role.description(), Some("the app's instances"));

    let live = h.converge(&created, &wanted).await;
    assert_eq!(h.attached_arns(&name).await, vec![params.clone()]);
    assert_eq!(h.inline_names(&name).await, vec!["read-data".to_owned()]);

    // The same policy written by someone else, keys in another order, another layout: no drift.
    h.iam
        .put_role_policy()
        .role_name(&name)
        .policy_name("read-data")
        .policy_document(read_bucket_json("data"))
        .send()
        .await
        .unwrap();
    let read = h.read(Kind::IamRole, &name).await.unwrap();
    assert_eq!(read.attrs, live.attrs);
    assert_eq!(diff_attrs(Kind::IamRole, &wanted, &read.attrs), vec![]);

    // Discovered for its environment, with the same values; not for another one, nor a role
    // under this path tagged with another environment.
    let stray = format!("{}-stray", h.env);
    h.iam
        .create_role()
        .role_name(&stray)
        .path(format!("/recon/{}/", h.env))
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#)
        .tags(Tag::builder().key("recon:env").value("elsewhere").build().unwrap())
        .tags(Tag::builder().key("recon:id").value("iam_role.app").build().unwrap())
        .send()
        .await
        .unwrap();
    let found = h.discover(Kind::IamRole).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, name);
    assert_eq!(found[0].address, address("iam_role.app"));
    assert_eq!(found[0].attrs, live.attrs);
    assert_eq!(found[0].outputs["arn"], live.outputs["arn"]);
    let elsewhere = h
        .provider
        .discover(Kind::IamRole, &unique_env("iam-other"))
        .await
        .unwrap();
    assert!(elsewhere.is_empty(), "{elsewhere:?}");

    // Everything in place: description, session, trust, policies swapped, a tag changed.
    let changed = h.role_attrs(
        "app",
        &[
            ("description", s("")),
            (
                "trust_policy",
                trust(&["ec2.amazonaws.com", "lambda.amazonaws.com"]),
            ),
            ("managed_policy_arns", strs(&[&other])),
            (
                "inline_policies",
                list(vec![inline("read-logs", read_bucket("logs"))]),
            ),
            ("max_session_duration", Value::Int(3600)),
        ],
        &[("team", "platform")],
    );
    let live = h.converge(&live, &changed).await;
    assert_eq!(h.attached_arns(&name).await, vec![other.clone()]);
    assert_eq!(h.inline_names(&name).await, vec!["read-logs".to_owned()]);
    let role = h.iam.get_role().role_name(&name).send().await.unwrap();
    let role = role.role().unwrap();
    assert_eq!(role.max_session_duration(), Some(3600));
    assert_eq!(role.description().unwrap_or_default(), "");
    assert_eq!(
        tag_map(role.tags()),
        expected_tags(&h.env, "iam_role.app", &[("team", "platform")])
    );

    // An instance profile made by hand (not the environment's) holds the role: the delete is
    // refused before it changes anything, and the profile keeps the role.
    let hand = format!("{}-hand", h.env);
    h.iam
        .create_instance_profile()
        .instance_profile_name(&hand)
        .send()
        .await
        .unwrap();
    h.iam
        .add_role_to_instance_profile()
        .instance_profile_name(&hand)
        .role_name(&name)
        .send()
        .await
        .unwrap();
    let refused = h.provider.delete(&live).await.unwrap_err();
    assert!(
        refused.message.contains(&format!("`{hand}`")) && refused.message.contains("does not own"),
        "{refused}"
    );
    assert_eq!(h.inline_names(&name).await, vec!["read-logs".to_owned()]);
    let profile = h
        .iam
        .get_instance_profile()
        .instance_profile_name(&hand)
        .send()
        .await
        .unwrap();
    assert_eq!(profile.instance_profile().unwrap().roles().len(), 1);

    // Taken out by its owner, the role goes.
    h.iam
        .remove_role_from_instance_profile()
        .instance_profile_name(&hand)
        .role_name(&name)
        .send()
        .await
        .unwrap();
    h.iam
        .delete_instance_profile()
        .instance_profile_name(&hand)
        .send()
        .await
        .unwrap();
    h.delete(&live).await;
    let err = h.iam.get_role().role_name(&name).send().await.unwrap_err();
    assert_eq!(
        aws_sdk_iam::error::ProvideErrorMetadata::code(&err),
        Some("NoSuchEntity")
    );
    assert_eq!(h.roles_under_path().await, vec![stray.clone()]);

    h.iam.delete_role().role_name(&stray).send().await.unwrap();
    h.delete_policies(&[&params, &other]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn iam_role_and_profile_names_taken() {
    let h = harness("iam-taken").await;
    // A role and a profile of the derived names, made by hand.
    let hand = format!("{}-hand", h.env);
    h.iam
        .create_role()
        .role_name(&hand)
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#)
        .send()
        .await
        .unwrap();
    h.iam
        .create_instance_profile()
        .instance_profile_name(&hand)
        .send()
        .await
        .unwrap();
    let err = h
        .try_create("iam_role.hand", &h.role_attrs("hand", &[], &[]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::AlreadyExists, "{err}");
    assert!(err.message.contains(&format!("`{hand}`")), "{err}");
    assert!(err.message.contains("recon did not make it"), "{err}");
    let profile = h.wanted(
        "instance_profile.hand",
        &[("name", s(&hand)), ("role", s(&hand))],
        &[],
    );
    let err = h
        .try_create("instance_profile.hand", &profile)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::AlreadyExists, "{err}");
    assert!(err.message.contains("recon did not make it"), "{err}");

    // This address's own role (a create whose answer was lost made it): the create returns it.
    let wanted = h.role_attrs("mine", &[], &[]);
    let made = h.create("iam_role.mine", &wanted).await;
    let again = h.create("iam_role.mine", &wanted).await;
    assert_eq!(again.id, made.id);
    assert_eq!(again.attrs, made.attrs);
    // Another address of the environment asking for the name: whose it is.
    let copy = h.role_attrs("copy", &[("name", s(&made.id))], &[]);
    let err = h.try_create("iam_role.copy", &copy).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::AlreadyExists, "{err}");
    assert!(err.message.contains("`iam_role.mine`"), "{err}");

    h.delete(&made).await;
    h.iam
        .delete_instance_profile()
        .instance_profile_name(&hand)
        .send()
        .await
        .unwrap();
    h.iam.delete_role().role_name(&hand).send().await.unwrap();
}

// ---- instance_profile --------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn instance_profile_create_role_discover_update_delete() {
    let h = harness("iprof").await;
    let app = h.make("iam_role.app", &h.role_attrs("app", &[], &[])).await;
    let batch = h
        .make("iam_role.batch", &h.role_attrs("batch", &[], &[]))
        .await;
    let name = format!("{}-app", h.env);
    let wanted = h.wanted(
        "instance_profile.app",
        &[("name", s(&name)), ("role", s(&app.id))],
        &[],
    );

    let created = h.create("instance_profile.app", &wanted).await;
    assert_eq!(created.id, name);
    assert_eq!(created.outputs["name"], s(&name));
    let arn = created.outputs["arn"].as_str().unwrap();
    assert!(
        arn.ends_with(&format!(":instance-profile/recon/{}/{name}", h.env)),
        "{arn}"
    );
    // CreateInstanceProfile takes no role: the update after the create adds it.
    assert_eq!(created.attrs.get("role"), None);
    let out = h
        .iam
        .get_instance_profile()
        .instance_profile_name(&name)
        .send()
        .await
        .unwrap();
    let profile = out.instance_profile().unwrap();
    assert_eq!(profile.path(), format!("/recon/{}/", h.env));
    assert_eq!(
        tag_map(profile.tags()),
        expected_tags(&h.env, "instance_profile.app", &[])
    );
    assert!(profile.roles().is_empty());

    let live = h.converge(&created, &wanted).await;
    assert_eq!(live.attrs["role"], s(&app.id));
    let roles = |out: aws_sdk_iam::operation::get_instance_profile::GetInstanceProfileOutput| {
        out.instance_profile()
            .unwrap()
            .roles()
            .iter()
            .map(|r| r.role_name().to_owned())
            .collect::<Vec<_>>()
    };
    let out = h
        .iam
        .get_instance_profile()
        .instance_profile_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(roles(out), vec![app.id.clone()]);

    // Discovered for its environment only.
    let found = h.discover(Kind::InstanceProfile).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, name);
    assert_eq!(found[0].address, address("instance_profile.app"));
    assert_eq!(found[0].attrs, live.attrs);
    let elsewhere = h
        .provider
        .discover(Kind::InstanceProfile, &unique_env("iprof-other"))
        .await
        .unwrap();
    assert!(elsewhere.is_empty(), "{elsewhere:?}");

    // Another role, and a tag, in place.
    let changed = h.wanted(
        "instance_profile.app",
        &[("name", s(&name)), ("role", s(&batch.id))],
        &[("team", "batch")],
    );
    let live = h.converge(&live, &changed).await;
    let out = h
        .iam
        .get_instance_profile()
        .instance_profile_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tag_map(out.instance_profile().unwrap().tags()),
        expected_tags(&h.env, "instance_profile.app", &[("team", "batch")])
    );
    assert_eq!(roles(out), vec![batch.id.clone()]);

    // The profile (its role taken out first), then the roles: nothing is left.
    h.delete(&live).await;
    let err = h
        .iam
        .get_instance_profile()
        .instance_profile_name(&name)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_iam::error::ProvideErrorMetadata::code(&err),
        Some("NoSuchEntity")
    );
    h.delete(&app).await;
    h.delete(&batch).await;
    assert_eq!(h.roles_under_path().await, Vec::<String>::new());
    assert!(h.discover(Kind::InstanceProfile).await.is_empty());
    assert!(h.discover(Kind::IamRole).await.is_empty());
}
