//! The plan as text, in Terraform's shape, readable without colour.
//!
//! ```text
//!   # subnet.public will be updated in place
//!   ~ subnet.public (subnet-0a1b) {
//!       ~ map_public_ip_on_launch = false -> true
//!     }
//! ```

use std::collections::BTreeMap;
use std::fmt::Write;

use recon_model::{Action, AttrDiff, Attrs, Change, Plan, PlanMode, Value, kinds};

pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    render_lookups(&mut out, plan);
    let adopted = super::plan_notes::adoptions_without_changes(plan);
    if !adopted.is_empty() {
        out.push_str(
            "Adoptions (existing resources taken over; their ownership tags are written):\n",
        );
        for a in &adopted {
            let _ = writeln!(out, "  {a}");
        }
        out.push('\n');
    }
    if plan.is_empty() {
        out.push_str(match plan.mode {
            PlanMode::Apply => "No changes. Your infrastructure matches the spec.\n",
            PlanMode::Destroy => "No changes. Nothing is left to destroy.\n",
        });
        return out;
    }
    let _ = writeln!(
        out,
        "recon will perform the following actions in environment `{}` ({}):",
        plan.environment, plan.region
    );
    render_data_loss(&mut out, plan);
    for change in &plan.changes {
        out.push('\n');
        render_change(&mut out, change);
        for note in super::plan_notes::notes(plan, change) {
            let _ = writeln!(out, "    # note: {note}");
        }
    }
    let s = plan.summary();
    let _ = writeln!(
        out,
        "\nPlan: {} to add, {} to change, {} to destroy.",
        s.add, s.change, s.destroy
    );
    out
}

/// The deletes and replacements that lose data, up front, so a long plan cannot hide them.
fn render_data_loss(out: &mut String, plan: &Plan) {
    if plan.data_loss.is_empty() {
        return;
    }
    out.push_str("\nData that will be lost:\n");
    for d in &plan.data_loss {
        let _ = writeln!(out, "  ! {}", super::plan_notes::data_loss_line(d));
    }
}

/// What the lookups found: existing resources the plan uses and never changes.
fn render_lookups(out: &mut String, plan: &Plan) {
    if plan.lookups.is_empty() {
        return;
    }
    out.push_str(
        "Lookups (existing resources used, never changed):
",
    );
    let width = plan
        .lookups
        .iter()
        .map(|l| l.address.to_string().len())
        .max()
        .unwrap_or(0);
    for l in &plan.lookups {
        let name = l
            .name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {:<width$}  {}{name}", l.address.to_string(), l.id);
    }
    out.push('\n');
}

fn render_change(out: &mut String, c: &Change) {
    let what = match c.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in place",
        Action::Replace => "must be replaced",
        Action::Delete => "will be destroyed",
    };
    let reason = c
        .reason
        .as_deref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    let _ = writeln!(out, "  # {} {what}{reason}", c.address);
    let id =
        c.id.as_deref()
            .map(|i| format!(" ({i})"))
            .unwrap_or_default();
    let symbol = format!("{:>3}", c.action.symbol());
    match c.action {
        Action::Delete => {
            let _ = writeln!(out, "{symbol} {}{id}", c.address);
        }
        Action::Create => {
            let _ = writeln!(out, "{symbol} {}{id} {{", c.address);
            let after = c.after.as_ref().expect("creates have `after`");
            for (name, value) in ordered(c, after) {
                attr_line(out, 6, "+", name, value, width(after.keys()));
            }
            let _ = writeln!(out, "    }}");
        }
        Action::Update | Action::Replace => {
            let _ = writeln!(out, "{symbol} {}{id} {{", c.address);
            let w = width(c.diffs.iter().map(|d| &d.field));
            for d in &c.diffs {
                diff_lines(out, d, w);
            }
            let _ = writeln!(out, "    }}");
        }
    }
}

/// Fields in schema order, so output reads like the spec.
fn ordered<'a>(c: &Change, attrs: &'a Attrs) -> Vec<(&'a str, &'a Value)> {
    kinds::def(c.address.kind)
        .fields
        .iter()
        .filter_map(|f| attrs.get_key_value(f.name))
        .map(|(k, v)| (k.as_str(), v))
        .collect()
}

fn width<'a>(names: impl Iterator<Item = &'a String>) -> usize {
    names.map(String::len).max().unwrap_or(0)
}

fn attr_line(out: &mut String, indent: usize, sign: &str, name: &str, value: &Value, w: usize) {
    let pad = " ".repeat(indent);
    match value {
        Value::List(items) if !items.is_empty() => {
            let _ = writeln!(out, "{pad}{sign} {name:<w$} = [");
            for item in items {
                let _ = writeln!(out, "{pad}    {sign} {item},");
            }
            let _ = writeln!(out, "{pad}  ]");
        }
        Value::Map(m) if !m.is_empty() => {
            let _ = writeln!(out, "{pad}{sign} {name:<w$} = {{");
            let kw = width(m.keys());
            for (k, v) in m {
                let _ = writeln!(out, "{pad}    {sign} {k:<kw$} = {v}");
            }
            let _ = writeln!(out, "{pad}  }}");
        }
        _ => {
            let _ = writeln!(out, "{pad}{sign} {name:<w$} = {value}");
        }
    }
}

fn diff_lines(out: &mut String, d: &AttrDiff, w: usize) {
    let pad = " ".repeat(6);
    let forces = if d.forces_replacement {
        " # forces replacement"
    } else {
        ""
    };
    let name = &d.field;
    match (&d.before, &d.after) {
        (Some(Value::Map(before)), Some(Value::Map(after))) => {
            let _ = writeln!(out, "{pad}~ {name:<w$} = {{{forces}");
            map_diff(out, before, after);
            let _ = writeln!(out, "{pad}  }}");
        }
        (before, after) if list_like(before, after) => {
            let before = before.as_ref().map_or(&[][..], Value::as_list);
            let after = after.as_ref().map_or(&[][..], Value::as_list);
            let _ = writeln!(out, "{pad}~ {name:<w$} = [{forces}");
            for gone in before.iter().filter(|b| !after.contains(b)) {
                let _ = writeln!(out, "{pad}    - {gone},");
            }
            for kept in before.iter().filter(|b| after.contains(b)) {
                let _ = writeln!(out, "{pad}      {kept},");
            }
            for new in after.iter().filter(|a| !before.contains(a)) {
                let _ = writeln!(out, "{pad}    + {new},");
            }
            let _ = writeln!(out, "{pad}  ]");
        }
        (Some(b), Some(a)) => {
            let _ = writeln!(out, "{pad}~ {name:<w$} = {b} -> {a}{forces}");
        }
        (Some(b), None) => {
            let _ = writeln!(out, "{pad}- {name:<w$} = {b}{forces}");
        }
        (None, Some(a)) => {
            let _ = writeln!(out, "{pad}+ {name:<w$} = {a}{forces}");
        }
        (None, None) => {}
    }
}

/// Both sides lists (or absent), and at least one present.
fn list_like(before: &Option<Value>, after: &Option<Value>) -> bool {
    let list_or_none = |v: &Option<Value>| matches!(v, None | Some(Value::List(_)));
    list_or_none(before) && list_or_none(after) && (before.is_some() || after.is_some())
}

fn map_diff(out: &mut String, before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>) {
    nested_diff(out, 10, before, after);
}

/// A mapping's changed keys, one line each; a changed mapping or list inside (a policy's
/// `Statement`) opens and shows only what changed in it, so a one-word edit of a policy is one
/// line of the plan, not the whole document twice.
fn nested_diff(
    out: &mut String,
    indent: usize,
    before: &BTreeMap<String, Value>,
    after: &BTreeMap<String, Value>,
) {
    let pad = " ".repeat(indent);
    let w = width(before.keys().chain(after.keys()));
    for (k, b) in before {
        match (b, after.get(k)) {
            (_, None) => {
                let _ = writeln!(out, "{pad}- {k:<w$} = {b}");
            }
            (Value::Map(b), Some(Value::Map(a))) if a != b => {
                let _ = writeln!(out, "{pad}~ {k:<w$} = {{");
                nested_diff(out, indent + 4, b, a);
                let _ = writeln!(out, "{pad}  }}");
            }
            (Value::List(b), Some(Value::List(a))) if a != b => {
                let _ = writeln!(out, "{pad}~ {k:<w$} = [");
                for gone in b.iter().filter(|i| !a.contains(i)) {
                    let _ = writeln!(out, "{pad}    - {gone},");
                }
                for new in a.iter().filter(|i| !b.contains(i)) {
                    let _ = writeln!(out, "{pad}    + {new},");
                }
                let _ = writeln!(out, "{pad}  ]");
            }
            (b, Some(a)) if a != b => {
                let _ = writeln!(out, "{pad}~ {k:<w$} = {b} -> {a}");
            }
            _ => {}
        }
    }
    for (k, a) in after.iter().filter(|(k, _)| !before.contains_key(*k)) {
        let _ = writeln!(out, "{pad}+ {k:<w$} = {a}");
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    /// A policy edited in one place shows that place, not the whole document twice.
    #[test]
    fn a_policy_edit_shows_only_what_changed_inside_it() {
        let statement = |action: &str| {
            Value::Map(BTreeMap::from([
                ("Action".to_owned(), Value::str(action)),
                ("Effect".to_owned(), Value::str("Allow")),
            ]))
        };
        let policy = |action: &str| {
            BTreeMap::from([
                ("Statement".to_owned(), Value::List(vec![statement(action)])),
                ("Version".to_owned(), Value::str("2012-10-17")),
            ])
        };
        let mut out = String::new();
        super::map_diff(&mut out, &policy("s3:GetObject"), &policy("s3:*"));
        insta::assert_snapshot!(out, @r###"
                  ~ Statement = [
                      - { Action = "s3:GetObject", Effect = "Allow" },
                      + { Action = "s3:*", Effect = "Allow" },
                    ]
        "###);
    }

    use recon_model::tags::{desired_tags, to_value};
    use recon_model::{Kind, LiveResource, LiveState, Value};

    const SPEC: &str = "
environment: demo
region: us-east-1
resources:
  vpc.main: { cidr_block: 10.0.0.0/16 }
  subnet.a: { vpc: vpc.main, cidr_block: 10.0.1.0/24, availability_zone: us-east-1a }
  security_group.web:
    vpc: vpc.main
    description: web servers
    ingress: [ { protocol: tcp, ports: 443, from: 0.0.0.0/0 } ]
";

    fn live(
        spec: &recon_model::Spec,
        address: &str,
        id: &str,
        attrs: &[(&str, Value)],
    ) -> LiveResource {
        let address = address.parse().unwrap();
        let mut attrs: BTreeMap<String, Value> = attrs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        if let Some(wanted) = spec.get(&address) {
            attrs.insert("tags".into(), to_value(&desired_tags(spec, wanted)));
        }
        LiveResource {
            address,
            id: id.into(),
            state: LiveState::Available,
            attrs,
            outputs: BTreeMap::new(),
        }
    }

    fn rule(port: &str, from: &str) -> Value {
        Value::Map(BTreeMap::from([
            ("protocol".into(), Value::str("tcp")),
            ("ports".into(), Value::str(port)),
            ("from".into(), Value::str(from)),
        ]))
    }

    #[test]
    fn updates_replacements_and_deletes_read_like_terraform() {
        let file = recon_spec::SourceFile {
            name: "demo.yaml".into(),
            text: SPEC.into(),
        };
        let spec = recon_spec::parse(&file).unwrap();
        let s = Value::str;
        let live = vec![
            live(
                &spec,
                "vpc.main",
                "vpc-1",
                &[
                    ("cidr_block", s("10.0.0.0/16")),
                    ("enable_dns_support", Value::Bool(true)),
                    ("enable_dns_hostnames", Value::Bool(false)),
                    ("instance_tenancy", s("default")),
                ],
            ),
            live(
                &spec,
                "subnet.a",
                "subnet-1",
                &[
                    ("vpc", s("vpc-1")),
                    ("cidr_block", s("10.0.1.0/24")),
                    ("availability_zone", s("us-east-1a")),
                    ("map_public_ip_on_launch", Value::Bool(true)),
                ],
            ),
            live(
                &spec,
                "security_group.web",
                "sg-1",
                &[
                    ("vpc", s("vpc-1")),
                    ("description", s("web")),
                    (
                        "ingress",
                        Value::List(vec![rule("443", "0.0.0.0/0"), rule("22", "0.0.0.0/0")]),
                    ),
                    (
                        "egress",
                        recon_model::kinds::security_group::default_egress(),
                    ),
                ],
            ),
            live(
                &spec,
                "internet_gateway.old",
                "igw-1",
                &[("vpc", s("vpc-1"))],
            ),
        ];
        let plan = recon_plan::plan(&spec, None, Kind::ALL, &live).unwrap();
        insta::assert_snapshot!(super::render(&plan), @r#"
            recon will perform the following actions in environment `demo` (us-east-1):

              # subnet.a will be updated in place
              ~ subnet.a (subnet-1) {
                  ~ map_public_ip_on_launch = true -> false
                }

              # internet_gateway.old will be destroyed: not in the spec
              - internet_gateway.old (igw-1)

              # security_group.web must be replaced: `description` forces replacement
            -/+ security_group.web (sg-1) {
                  ~ description = "web" -> "web servers" # forces replacement
                  ~ ingress     = [
                      - { from = "0.0.0.0/0", ports = "22", protocol = "tcp" },
                        { from = "0.0.0.0/0", ports = "443", protocol = "tcp" },
                    ]
                }

            Plan: 1 to add, 1 to change, 2 to destroy.
        "#);
    }
}
