//! Planner behaviour, through one helper: a spec and live resources in, a compact text of the
//! plan out, compared with an inline snapshot.

use std::collections::BTreeMap;

use recon_model::tags::{desired_tags, to_value};
use recon_model::{
    Action, Address, Attrs, DesiredResource, Kind, LiveResource, LiveState, Plan, Reference, Spec,
    Value,
};
use recon_plan::{plan, plan_destroy};

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

fn r(s: &str) -> Value {
    Value::Ref(Reference::parse(s).unwrap())
}

fn s(v: &str) -> Value {
    Value::str(v)
}

fn desired(address: &str, attrs: &[(&str, Value)]) -> DesiredResource {
    let address = addr(address);
    let mut attrs: Attrs = attrs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    recon_model::kinds::def(address.kind).apply_defaults(&mut attrs);
    DesiredResource {
        address,
        attrs,
        depends_on: vec![],
    }
}

fn spec(resources: Vec<DesiredResource>) -> Spec {
    Spec {
        environment: "test".into(),
        region: "us-east-1".into(),
        tags: BTreeMap::from([("project".into(), "p1".into())]),
        lookups: vec![],
        resources,
        lifecycle: Default::default(),
    }
}

/// The live twin of a desired resource as AWS would report it: references replaced by the ids
/// in `ids`, tags as recon sets them.
fn live_of(spec: &Spec, address: &str, id: &str, ids: &BTreeMap<&str, &str>) -> LiveResource {
    let wanted = spec.get(&addr(address)).unwrap();
    let lookup = |r: &Reference| ids.get(r.address.to_string().as_str()).map(|i| s(i));
    let mut attrs: Attrs = wanted
        .attrs
        .iter()
        .map(|(k, v)| (k.clone(), v.resolve(&lookup)))
        .collect();
    attrs.insert("tags".into(), to_value(&desired_tags(spec, wanted)));
    if address.starts_with("subnet.") && !attrs.contains_key("availability_zone") {
        attrs.insert("availability_zone".into(), s("us-east-1a"));
    }
    LiveResource {
        address: addr(address),
        id: id.into(),
        state: LiveState::Available,
        attrs,
        outputs: BTreeMap::new(),
    }
}

fn network() -> Spec {
    spec(vec![
        desired("vpc.main", &[("cidr_block", s("10.0.0.0/16"))]),
        desired(
            "subnet.public",
            &[("vpc", r("vpc.main")), ("cidr_block", s("10.0.1.0/24"))],
        ),
        desired("internet_gateway.main", &[("vpc", r("vpc.main"))]),
        desired(
            "route_table.public",
            &[
                ("vpc", r("vpc.main")),
                (
                    "routes",
                    Value::List(vec![Value::Map(BTreeMap::from([
                        ("destination".into(), s("0.0.0.0/0")),
                        ("internet_gateway".into(), r("internet_gateway.main")),
                    ]))]),
                ),
                ("subnets", Value::List(vec![r("subnet.public")])),
            ],
        ),
    ])
}

fn ids() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("vpc.main", "vpc-1"),
        ("subnet.public", "subnet-1"),
        ("internet_gateway.main", "igw-1"),
        ("route_table.public", "rtb-1"),
    ])
}

fn all_live(spec: &Spec) -> Vec<LiveResource> {
    ids()
        .iter()
        .map(|(a, id)| live_of(spec, a, id, &ids()))
        .collect()
}

/// A compact, reviewable text of a plan: one line per change, then its diffs.
fn render(plan: &Plan) -> String {
    let mut out = String::new();
    for c in &plan.changes {
        out.push_str(&format!("{} {}", c.action.symbol(), c.address));
        if let Some(reason) = &c.reason {
            out.push_str(&format!(" ({reason})"));
        }
        if !c.live_depends_on.is_empty() {
            let deps: Vec<_> = c.live_depends_on.iter().map(ToString::to_string).collect();
            out.push_str(&format!(" [live uses: {}]", deps.join(", ")));
        }
        out.push('\n');
        for d in &c.diffs {
            let show = |v: &Option<Value>| v.as_ref().map_or("-".to_owned(), ToString::to_string);
            out.push_str(&format!(
                "    {}: {} -> {}{}\n",
                d.field,
                show(&d.before),
                show(&d.after),
                if d.forces_replacement {
                    " (forces replacement)"
                } else {
                    ""
                }
            ));
        }
    }
    let sum = plan.summary();
    out.push_str(&format!(
        "Plan: {} to add, {} to change, {} to destroy.",
        sum.add, sum.change, sum.destroy
    ));
    out
}

fn check(spec: &Spec, live: &[LiveResource]) -> String {
    render(&plan(spec, None, Kind::ALL, live).unwrap())
}

#[test]
fn nothing_live_creates_everything_and_keeps_references_for_apply() {
    let spec = network();
    let p = plan(&spec, None, Kind::ALL, &[]).unwrap();
    insta::assert_snapshot!(render(&p), @r#"
        + vpc.main
        + subnet.public
        + internet_gateway.main
        + route_table.public
        Plan: 4 to add, 0 to change, 0 to destroy.
    "#);
    let subnet = p.change(&addr("subnet.public")).unwrap();
    assert_eq!(subnet.after.as_ref().unwrap()["vpc"], r("vpc.main"));
    assert_eq!(subnet.depends_on, vec![addr("vpc.main")]);
    let tags = subnet.after.as_ref().unwrap()["tags"].as_map().unwrap();
    assert_eq!(tags["recon:env"], s("test"));
    assert_eq!(tags["recon:id"], s("subnet.public"));
    assert_eq!(tags["Name"], s("test-public"));
    assert_eq!(tags["project"], s("p1"));
}

#[test]
fn matching_live_resources_mean_no_changes() {
    let spec = network();
    let p = plan(&spec, None, Kind::ALL, &all_live(&spec)).unwrap();
    assert!(p.is_empty(), "{}", render(&p));
    assert_eq!(p.unchanged.len(), 4);
    assert_eq!(p.known.len(), 4);
}

#[test]
fn in_place_fields_update() {
    let spec = network();
    let mut live = all_live(&spec);
    let subnet = live.iter_mut().find(|l| l.id == "subnet-1").unwrap();
    subnet
        .attrs
        .insert("map_public_ip_on_launch".into(), Value::Bool(true));
    let tags = subnet.attrs.get_mut("tags").unwrap();
    if let Value::Map(m) = tags {
        m.insert("owner".into(), s("someone"));
    }
    insta::assert_snapshot!(check(&spec, &live), @r#"
        ~ subnet.public [live uses: vpc.main]
            map_public_ip_on_launch: true -> false
            tags: { Name = "test-public", owner = "someone", project = "p1", recon:env = "test", recon:id = "subnet.public" } -> { Name = "test-public", project = "p1", recon:env = "test", recon:id = "subnet.public" }
        Plan: 0 to add, 1 to change, 0 to destroy.
    "#);
}

#[test]
fn a_replaced_resource_replaces_dependents_through_replace_only_references() {
    let mut spec = network();
    spec.resources[0]
        .attrs
        .insert("cidr_block".into(), s("10.1.0.0/16"));
    spec.resources[1]
        .attrs
        .insert("cidr_block".into(), s("10.1.1.0/24"));
    let live = all_live(&network());
    // The gateway's attachment changes in place; subnet and table are tied to the VPC.
    insta::assert_snapshot!(check(&spec, &live), @r#"
        -/+ vpc.main (`cidr_block` forces replacement)
            cidr_block: "10.0.0.0/16" -> "10.1.0.0/16" (forces replacement)
        -/+ subnet.public (`vpc`, `cidr_block` forces replacement) [live uses: vpc.main]
            vpc: "vpc-1" -> (known after apply: vpc.main.id) (forces replacement)
            cidr_block: "10.0.1.0/24" -> "10.1.1.0/24" (forces replacement)
        ~ internet_gateway.main [live uses: vpc.main]
            vpc: "vpc-1" -> (known after apply: vpc.main.id)
        -/+ route_table.public (`vpc` forces replacement) [live uses: vpc.main, subnet.public, internet_gateway.main]
            vpc: "vpc-1" -> (known after apply: vpc.main.id) (forces replacement)
            subnets: ["subnet-1"] -> [(known after apply: subnet.public.id)]
        Plan: 3 to add, 1 to change, 3 to destroy.
    "#);
}

#[test]
fn live_resources_missing_from_the_spec_are_deleted_with_what_they_use() {
    let full = network();
    let live = all_live(&full);
    let mut smaller = network();
    smaller
        .resources
        .retain(|r| r.address.kind != Kind::RouteTable);
    insta::assert_snapshot!(check(&smaller, &live), @r#"
        - route_table.public (not in the spec) [live uses: vpc.main, subnet.public, internet_gateway.main]
        Plan: 0 to add, 0 to change, 1 to destroy.
    "#);
}

#[test]
fn a_failed_live_resource_is_replaced() {
    let spec = network();
    let mut live = all_live(&spec);
    live[0].state = LiveState::Failed;
    let p = plan(&spec, None, Kind::ALL, &live).unwrap();
    let c = p.change(&live[0].address).unwrap();
    assert_eq!(c.action, Action::Replace);
    assert_eq!(c.reason.as_deref(), Some("failed on the AWS side"));
}

#[test]
fn plans_are_deterministic() {
    let spec = network();
    let live = all_live(&network());
    let a = serde_json::to_string(&plan(&spec, None, Kind::ALL, &live[1..]).unwrap()).unwrap();
    let mut reversed = live[1..].to_vec();
    reversed.reverse();
    let b = serde_json::to_string(&plan(&spec, None, Kind::ALL, &reversed).unwrap()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn the_fingerprint_changes_when_live_resources_do() {
    let spec = network();
    let live = all_live(&spec);
    let before = plan(&spec, None, Kind::ALL, &live)
        .unwrap()
        .live_fingerprint;
    let mut changed = live.clone();
    changed[1]
        .attrs
        .insert("map_public_ip_on_launch".into(), Value::Bool(true));
    let after = plan(&spec, None, Kind::ALL, &changed)
        .unwrap()
        .live_fingerprint;
    assert_ne!(before, after);
    let mut pending = live.clone();
    pending[0].state = LiveState::Pending;
    assert_eq!(
        before,
        plan(&spec, None, Kind::ALL, &pending)
            .unwrap()
            .live_fingerprint,
        "a state transition alone does not make a plan stale"
    );
}

#[test]
fn destroy_deletes_everything_owned_with_its_dependencies() {
    let spec = network();
    let p = plan_destroy("test", "us-east-1", None, Kind::ALL, all_live(&spec));
    insta::assert_snapshot!(render(&p), @r#"
        - vpc.main
        - subnet.public [live uses: vpc.main]
        - internet_gateway.main [live uses: vpc.main]
        - route_table.public [live uses: vpc.main, subnet.public, internet_gateway.main]
        Plan: 0 to add, 0 to change, 4 to destroy.
    "#);
}

#[test]
fn a_cycle_is_an_error() {
    let spec = spec(vec![
        desired(
            "security_group.a",
            &[
                ("vpc", s("vpc-x")),
                ("ingress", Value::List(vec![rule("security_group.b")])),
            ],
        ),
        desired(
            "security_group.b",
            &[
                ("vpc", s("vpc-x")),
                ("ingress", Value::List(vec![rule("security_group.a")])),
            ],
        ),
    ]);
    let err = plan(&spec, None, Kind::ALL, &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Dependency cycle: security_group.a -> security_group.b -> security_group.a"
    );
}

fn rule(from: &str) -> Value {
    Value::Map(BTreeMap::from([
        ("protocol".into(), s("tcp")),
        ("ports".into(), s("22")),
        ("from".into(), r(from)),
    ]))
}

#[test]
fn a_new_template_version_replaces_an_instance_that_follows_it() {
    let template = |instance_type: &str| {
        desired(
            "launch_template.web",
            &[("image", s("ami-1")), ("instance_type", s(instance_type))],
        )
    };
    let follower = desired(
        "instance.follows",
        &[
            ("launch_template", r("launch_template.web")),
            (
                "launch_template_version",
                Value::Template(
                    Value::parse_template("${launch_template.web.latest_version}")
                        .unwrap()
                        .unwrap(),
                ),
            ),
        ],
    );
    let default = desired(
        "instance.default",
        &[("launch_template", r("launch_template.web"))],
    );
    let ids = BTreeMap::from([("launch_template.web", "lt-1")]);
    let old = spec(vec![
        template("t3.micro"),
        follower.clone(),
        default.clone(),
    ]);
    let mut live_template = live_of(&old, "launch_template.web", "lt-1", &ids);
    live_template
        .outputs
        .insert("latest_version".into(), Value::Int(1));
    let live_instance = |address: &str, id: &str| {
        let mut live = live_of(&old, address, id, &ids);
        live.attrs.insert("launch_template_version".into(), s("1"));
        live
    };
    let live = vec![
        live_template,
        live_instance("instance.follows", "i-1"),
        live_instance("instance.default", "i-2"),
    ];
    // Unchanged: the version resolves to the live template's latest, 1.
    insta::assert_snapshot!(check(&old, &live), @r#"
        Plan: 0 to add, 0 to change, 0 to destroy.
    "#);

    // A new template version replaces the instance that follows it, not the other one.
    let new = spec(vec![template("t3.large"), follower, default]);
    insta::assert_snapshot!(check(&new, &live), @r#"
        ~ launch_template.web
            instance_type: "t3.micro" -> "t3.large"
        -/+ instance.follows (`launch_template_version` forces replacement) [live uses: launch_template.web]
            launch_template_version: "1" -> (known after apply: launch_template.web.latest_version) (forces replacement)
        Plan: 1 to add, 1 to change, 1 to destroy.
    "#);
}

/// A policy naming a bucket's ARN is no change when the bucket is only updated in place: an
/// ARN, like an id or a field only a replacement changes, stays what it is.
#[test]
fn references_to_what_an_update_cannot_change_resolve_to_live_values() {
    let policy = |resource: Value| {
        Value::Map(BTreeMap::from([(
            "Statement".to_owned(),
            Value::List(vec![Value::Map(BTreeMap::from([
                ("Effect".to_owned(), s("Allow")),
                ("Action".to_owned(), s("s3:GetObject")),
                ("Resource".to_owned(), resource),
            ]))]),
        )]))
    };
    let spec = spec(vec![
        desired(
            "s3_bucket.notes",
            &[("name", s("test-notes")), ("versioning", Value::Bool(true))],
        ),
        desired(
            "iam_role.app",
            &[
                ("name", s("test-app")),
                ("trust_policy", policy(s("*"))),
                (
                    "inline_policies",
                    Value::List(vec![Value::Map(BTreeMap::from([
                        ("name".to_owned(), s("read")),
                        (
                            "policy".to_owned(),
                            policy(Value::Ref(Reference::parse("s3_bucket.notes.arn").unwrap())),
                        ),
                    ]))]),
                ),
            ],
        ),
    ]);
    let ids = BTreeMap::from([
        ("s3_bucket.notes", "test-notes"),
        ("iam_role.app", "test-app"),
    ]);
    let mut bucket = live_of(&spec, "s3_bucket.notes", "test-notes", &ids);
    bucket
        .outputs
        .insert("arn".into(), s("arn:aws:s3:::test-notes"));
    let mut role = live_of(&spec, "iam_role.app", "test-app", &ids);
    // As AWS holds it: the policy with the bucket's ARN.
    let wanted = spec.get(&addr("iam_role.app")).unwrap();
    let arn = |_: &Reference| Some(s("arn:aws:s3:::test-notes"));
    role.attrs.insert(
        "inline_policies".into(),
        wanted.attrs["inline_policies"].resolve(&arn),
    );
    // The bucket's versioning changes in place: the role's policy does not.
    bucket.attrs.insert("versioning".into(), Value::Bool(false));
    insta::assert_snapshot!(check(&spec, &[bucket, role]), @r#"
        ~ s3_bucket.notes
            versioning: false -> true
        Plan: 0 to add, 1 to change, 0 to destroy.
    "#);
}
