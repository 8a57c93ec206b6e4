//! The plan as Markdown, for a pull-request comment (`recon plan --format markdown`).
//!
//! ```markdown
//! ### recon plan for `irb` (us-east-1)
//!
//! **2 to add, 1 to change, 1 to replace, 1 to destroy**
//!
//! #### Replace (1)
//!
//! | Address | Kind | AWS id | Forced by |
//! |---|---|---|---|
//! | `security_group.web` | security_group | `sg-1` | `description` |
//! ```
//!
//! then the attribute diffs of updates and replacements in ```` ```diff ```` blocks, the
//! warnings, and every attribute of every change in a collapsed `<details>` section.
//!
//! # Guarantees
//! - Byte-stable: the same plan and warnings give the same text (no clock, no colour, changes
//!   in the plan's order, fields in schema order, map keys sorted).
//! - Values are shown as the text renderer shows them, refs and unknowns as
//!   `(known after apply…)`. A plan holds no secrets (a created key's private key goes straight
//!   to its file, never into a plan); a field marked sensitive one day must be hidden in both
//!   renderers.
//! - Counts are per action: a replacement counts once, as "to replace" (the text renderer counts
//!   it Terraform's way, as one to add and one to destroy).

use std::fmt::Write;

use recon_model::{Action, AttrDiff, Attrs, Change, Plan, PlanMode, Value, kinds};

/// A finding to show under "Warnings" (from the review rules, or recon itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// A stable identifier, e.g. `ssh-open-to-world`.
    pub id: String,
    /// The resource it is about, if any.
    pub address: Option<String>,
    /// Where in the spec (1-based line), if known.
    pub line: Option<usize>,
    pub message: String,
}

const ACTIONS: [(Action, &str); 4] = [
    (Action::Create, "Create"),
    (Action::Update, "Update in place"),
    (Action::Replace, "Replace"),
    (Action::Delete, "Destroy"),
];

pub fn render(plan: &Plan, warnings: &[Warning]) -> String {
    let mut out = String::new();
    let what = match plan.mode {
        PlanMode::Apply => "recon plan",
        PlanMode::Destroy => "recon destroy plan",
    };
    let _ = writeln!(
        out,
        "### {what} for `{}` ({})\n",
        plan.environment, plan.region
    );
    if let Some(spec) = &plan.spec {
        let short = spec.sha256.get(..12).unwrap_or(&spec.sha256);
        let _ = writeln!(out, "Spec `{}` (sha256 `{short}`).\n", cell(&spec.path));
    }
    if plan.is_empty() {
        out.push_str(match plan.mode {
            PlanMode::Apply => "**No changes.** The infrastructure matches the spec.\n",
            PlanMode::Destroy => "**No changes.** Nothing is left to destroy.\n",
        });
    } else {
        summary(&mut out, plan);
        data_loss(&mut out, plan);
        for (action, title) in ACTIONS {
            table(&mut out, plan, action, title);
        }
        diffs(&mut out, plan, &Names::of(plan));
    }
    notes(&mut out, plan);
    lookups(&mut out, plan);
    warnings_section(&mut out, warnings);
    if !plan.is_empty() {
        details(&mut out, plan, &Names::of(plan));
    }
    out
}

/// The footer: where the plan was saved, its digest, and the command that applies exactly it.
pub fn footer(path: &str, sha256: &str) -> String {
    let short = sha256.get(..12).unwrap_or(sha256);
    let apply = if path == ".recon/plan.json" {
        "recon apply".to_owned()
    } else {
        format!("recon apply --plan {path}")
    };
    format!(
        "\n---\n\nPlan saved to `{}` (sha256 `{short}`). To carry out exactly this plan: `{}`\n",
        cell(path),
        cell(&apply)
    )
}

/// Who the AWS ids in a plan are: diffs show `security_group.bastion`, not `sg-0abe…`.
struct Names {
    by_id: std::collections::BTreeMap<String, String>,
    /// Addresses whose id is only known after apply (created or replaced).
    new: std::collections::BTreeSet<String>,
}

impl Names {
    fn of(plan: &Plan) -> Self {
        let mut by_id: std::collections::BTreeMap<String, String> = plan
            .known
            .values()
            .map(|l| (l.id.clone(), l.address.to_string()))
            .collect();
        for c in &plan.changes {
            if let Some(id) = &c.id {
                by_id.insert(id.clone(), c.address.to_string());
            }
        }
        for l in &plan.lookups {
            by_id.insert(l.id.clone(), l.address.to_string());
        }
        let new = plan
            .changes
            .iter()
            .filter(|c| matches!(c.action, Action::Create | Action::Replace))
            .map(|c| c.address.to_string())
            .collect();
        Names { by_id, new }
    }

    /// A value as the text renderer shows it, ids and references as addresses.
    fn show(&self, v: &Value) -> String {
        match v {
            Value::String(s) => match self.by_id.get(s) {
                Some(address) => address.clone(),
                None => format!("{s:?}"),
            },
            Value::Ref(r) if r.attr == "id" => {
                let address = r.address.to_string();
                if self.new.contains(&address) {
                    format!("{address} (new, known after apply)")
                } else {
                    address
                }
            }
            Value::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(|i| self.show(i))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Value::Map(m) => format!(
                "{{ {} }}",
                m.iter()
                    .map(|(k, v)| format!("{k} = {}", self.show(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            other => other.to_string(),
        }
    }
}

/// The deletes and replacements that lose data, right under the summary.
fn data_loss(out: &mut String, plan: &Plan) {
    if plan.data_loss.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n#### ⚠️ Data that will be lost ({})\n",
        plan.data_loss.len()
    );
    for d in &plan.data_loss {
        let _ = writeln!(out, "- {}", cell(&super::plan_notes::data_loss_line(d)));
    }
}

/// Moves, adoptions and notes on in-place changes.
fn notes(out: &mut String, plan: &Plan) {
    let mut lines: Vec<String> = super::plan_notes::adoptions_without_changes(plan);
    for c in &plan.changes {
        for note in super::plan_notes::notes(plan, c) {
            lines.push(format!("`{}`: {note}", c.address));
        }
    }
    if lines.is_empty() {
        return;
    }
    out.push_str("\n#### Notes\n\n");
    for l in lines {
        let _ = writeln!(out, "- {}", cell(&l));
    }
}

fn count(plan: &Plan, action: Action) -> usize {
    plan.changes.iter().filter(|c| c.action == action).count()
}

fn summary(out: &mut String, plan: &Plan) {
    let _ = writeln!(
        out,
        "**{} to add, {} to change, {} to replace, {} to destroy**",
        count(plan, Action::Create),
        count(plan, Action::Update),
        count(plan, Action::Replace),
        count(plan, Action::Delete),
    );
    if !plan.unchanged.is_empty() {
        let _ = writeln!(out, "\n{} unchanged.", plural(plan.unchanged.len()));
    }
}

fn plural(n: usize) -> String {
    match n {
        1 => "1 resource".into(),
        n => format!("{n} resources"),
    }
}

/// One table of the changes with this action, if there are any.
fn table(out: &mut String, plan: &Plan, action: Action, title: &str) {
    let changes: Vec<&Change> = plan.changes.iter().filter(|c| c.action == action).collect();
    if changes.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n#### {title} ({})\n", changes.len());
    let last = match action {
        Action::Create => None,
        Action::Update => Some("Changes"),
        Action::Replace => Some("Forced by"),
        Action::Delete => Some("Why"),
    };
    match last {
        None => out.push_str("| Address | Kind |\n|---|---|\n"),
        Some(last) => {
            let _ = writeln!(
                out,
                "| Address | Kind | AWS id | {last} |\n|---|---|---|---|"
            );
        }
    }
    for c in changes {
        let _ = write!(out, "| `{}` | {} |", c.address, c.address.kind);
        if last.is_some() {
            let id = c.id.as_deref().map_or_else(
                || "(known after apply)".to_owned(),
                |i| format!("`{}`", cell(i)),
            );
            let _ = write!(out, " {id} | {} |", last_cell(c));
        }
        out.push('\n');
    }
}

fn last_cell(c: &Change) -> String {
    let fields = |forcing: bool| {
        c.diffs
            .iter()
            .filter(|d| !forcing || d.forces_replacement)
            .map(|d| format!("`{}`", d.field))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = match c.action {
        Action::Create => String::new(),
        Action::Update => fields(false),
        Action::Replace => {
            let forcing = fields(true);
            if forcing.is_empty() {
                c.reason.clone().unwrap_or_default()
            } else {
                forcing
            }
        }
        Action::Delete => c.reason.clone().unwrap_or_default(),
    };
    cell(&text)
}

/// Text safe inside a table cell: no `|`, no line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The attribute diffs of updates and replacements.
fn diffs(out: &mut String, plan: &Plan, names: &Names) {
    let changed: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Update | Action::Replace))
        .collect();
    if changed.is_empty() {
        return;
    }
    out.push_str("\n#### Attribute changes\n");
    for c in changed {
        let mut body = String::new();
        let _ = writeln!(body, "# {}{}: {}", c.address, id_suffix(c), verb(c));
        for d in &c.diffs {
            diff_lines(&mut body, d, names);
        }
        let _ = write!(out, "\n{}", fenced("diff", &body));
    }
}

fn verb(c: &Change) -> &'static str {
    match c.action {
        Action::Create => "create",
        Action::Update => "update in place",
        Action::Replace => "replace (delete, then create)",
        Action::Delete => "destroy",
    }
}

fn id_suffix(c: &Change) -> String {
    c.id.as_deref()
        .map(|i| format!(" ({i})"))
        .unwrap_or_default()
}

fn diff_lines(out: &mut String, d: &AttrDiff, names: &Names) {
    let show = |v: &Value| names.show(v);
    let forces = if d.forces_replacement {
        "  # forces replacement"
    } else {
        ""
    };
    let name = &d.field;
    match (&d.before, &d.after) {
        (Some(Value::Map(before)), Some(Value::Map(after))) => {
            let _ = writeln!(out, "  {name} = {{{forces}");
            for (k, b) in before {
                match after.get(k) {
                    None => {
                        let _ = writeln!(out, "-     {k} = {}", show(b));
                    }
                    Some(a) if a != b => {
                        let _ = writeln!(out, "-     {k} = {}\n+     {k} = {}", show(b), show(a));
                    }
                    Some(_) => {}
                }
            }
            for (k, a) in after.iter().filter(|(k, _)| !before.contains_key(*k)) {
                let _ = writeln!(out, "+     {k} = {}", show(a));
            }
            let _ = writeln!(out, "  }}");
        }
        (before, after) if list_like(before, after) => {
            let before = before.as_ref().map_or(&[][..], Value::as_list);
            let after = after.as_ref().map_or(&[][..], Value::as_list);
            let _ = writeln!(out, "  {name} = [{forces}");
            for gone in before.iter().filter(|b| !after.contains(b)) {
                let _ = writeln!(out, "-     {},", show(gone));
            }
            for kept in before.iter().filter(|b| after.contains(b)) {
                let _ = writeln!(out, "      {},", show(kept));
            }
            for new in after.iter().filter(|a| !before.contains(a)) {
                let _ = writeln!(out, "+     {},", show(new));
            }
            let _ = writeln!(out, "  ]");
        }
        (before, after) => {
            if let Some(b) = before {
                let _ = writeln!(out, "- {name} = {}{forces}", show(b));
            }
            if let Some(a) = after {
                let _ = writeln!(out, "+ {name} = {}{forces}", show(a));
            }
        }
    }
}

/// Both sides lists (or absent), and at least one present.
fn list_like(before: &Option<Value>, after: &Option<Value>) -> bool {
    let list_or_none = |v: &Option<Value>| matches!(v, None | Some(Value::List(_)));
    list_or_none(before) && list_or_none(after) && (before.is_some() || after.is_some())
}

/// What the spec's lookups found: existing resources the plan uses and never changes.
fn lookups(out: &mut String, plan: &Plan) {
    if plan.lookups.is_empty() {
        return;
    }
    out.push_str("\n#### Lookups (used, never changed)\n\n| Lookup | Found |\n|---|---|\n");
    for l in &plan.lookups {
        let name = l
            .name
            .as_deref()
            .map(|n| format!(" ({})", cell(n)))
            .unwrap_or_default();
        let _ = writeln!(out, "| `{}` | `{}`{name} |", l.address, cell(&l.id));
    }
}

fn warnings_section(out: &mut String, warnings: &[Warning]) {
    out.push_str("\n#### Warnings\n\n");
    if warnings.is_empty() {
        out.push_str("No warnings.\n");
        return;
    }
    for w in warnings {
        // The message names the resource already, most often: say it once.
        let about = w
            .address
            .as_deref()
            .filter(|a| !w.message.contains(a))
            .map(|a| format!("`{a}`: "))
            .unwrap_or_default();
        let line = w.line.map(|l| format!("line {l}: ")).unwrap_or_default();
        let _ = writeln!(out, "- {line}{about}{} (`{}`)", w.message, w.id);
    }
}

/// Every attribute of every change, collapsed.
fn details(out: &mut String, plan: &Plan, names: &Names) {
    out.push_str("\n<details><summary>Every attribute of every change</summary>\n");
    for c in &plan.changes {
        let mut body = String::new();
        let _ = writeln!(body, "# {}{}: {}", c.address, id_suffix(c), verb(c));
        match c.action {
            Action::Create => {
                if let Some(after) = &c.after {
                    attr_lines(&mut body, c, after, "+", names);
                }
            }
            Action::Delete => {
                if let Some(before) = &c.before {
                    attr_lines(&mut body, c, before, "-", names);
                }
            }
            Action::Update | Action::Replace => {
                let empty = Attrs::new();
                let after = c.after.as_ref().unwrap_or(&empty);
                for (name, value) in ordered(c, after) {
                    match c.diffs.iter().find(|d| d.field == name) {
                        Some(d) => diff_lines(&mut body, d, names),
                        None => value_lines(&mut body, " ", name, value, names),
                    }
                }
                // Fields the spec no longer gives (only in `before`).
                for d in c.diffs.iter().filter(|d| !after.contains_key(&d.field)) {
                    diff_lines(&mut body, d, names);
                }
            }
        }
        let _ = write!(out, "\n{}", fenced("diff", &body));
    }
    out.push_str("\n</details>\n");
}

/// Fields in schema order, so the output reads like the spec.
fn ordered<'a>(c: &Change, attrs: &'a Attrs) -> Vec<(&'a str, &'a Value)> {
    kinds::def(c.address.kind)
        .fields
        .iter()
        .filter_map(|f| attrs.get_key_value(f.name))
        .map(|(k, v)| (k.as_str(), v))
        .collect()
}

fn attr_lines(out: &mut String, c: &Change, attrs: &Attrs, sign: &str, names: &Names) {
    for (name, value) in ordered(c, attrs) {
        value_lines(out, sign, name, value, names);
    }
}

fn value_lines(out: &mut String, sign: &str, name: &str, value: &Value, names: &Names) {
    match value {
        Value::List(items) if !items.is_empty() => {
            let _ = writeln!(out, "{sign} {name} = [");
            for item in items {
                let _ = writeln!(out, "{sign}     {},", names.show(item));
            }
            let _ = writeln!(out, "{sign} ]");
        }
        Value::Map(m) if !m.is_empty() => {
            let _ = writeln!(out, "{sign} {name} = {{");
            for (k, v) in m {
                let _ = writeln!(out, "{sign}     {k} = {}", names.show(v));
            }
            let _ = writeln!(out, "{sign} }}");
        }
        _ => {
            let _ = writeln!(out, "{sign} {name} = {}", names.show(value));
        }
    }
}

/// A fenced code block whose fence is longer than any run of backticks inside.
fn fenced(lang: &str, body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for ch in body.chars() {
        run = if ch == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat((longest + 1).max(3));
    format!("{fence}{lang}\n{body}{fence}\n")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use recon_model::tags::{desired_tags, to_value};
    use recon_model::{Kind, LiveResource, LiveState, Plan, SpecSource, Value};

    use super::{Warning, render};

    const SPEC: &str = "
environment: demo
region: us-east-1
tags: { project: irb-2023-117 }
resources:
  vpc.main: { cidr_block: 10.0.0.0/16 }
  subnet.a: { vpc: vpc.main, cidr_block: 10.0.1.0/24, availability_zone: us-east-1a }
  subnet.b: { vpc: vpc.main, cidr_block: 10.0.2.0/24, availability_zone: us-east-1b }
  route_table.b:
    vpc: vpc.main
    subnets: [subnet.b]
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

    fn rule(port: &str) -> Value {
        Value::Map(BTreeMap::from([
            ("protocol".into(), Value::str("tcp")),
            ("ports".into(), Value::str(port)),
            ("from".into(), Value::str("0.0.0.0/0")),
        ]))
    }

    /// Two creates (one with a value known only after apply), an update, a replacement, a
    /// delete and an unchanged VPC. Ids are made up.
    fn plan() -> Plan {
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
                    ("ingress", Value::List(vec![rule("443"), rule("22")])),
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
        let source = SpecSource {
            path: "specs/demo.yaml".into(),
            sha256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(),
            ..SpecSource::default()
        };
        let mut plan = recon_plan::plan(&spec, Some(source), Kind::ALL, &live).unwrap();
        plan.lookups = vec![recon_model::LookedUp {
            address: "image.al2023".parse().unwrap(),
            id: "ami-0abc".into(),
            name: Some("al2023-ami-2023.6-x86_64".into()),
        }];
        plan
    }

    #[test]
    fn a_pull_request_comment_with_every_action_and_warnings() {
        let warnings = [
            Warning {
                id: "ssh-open-to-world".into(),
                address: Some("security_group.web".into()),
                line: None,
                message: "SSH is open to 0.0.0.0/0".into(),
            },
            Warning {
                id: "net/admin-port-open".into(),
                address: Some("security_group.web".into()),
                line: Some(12),
                message: "`security_group.web` admits SSH (22) from the whole internet".into(),
            },
            Warning {
                id: "no-backups".into(),
                address: None,
                line: None,
                message: "nothing in the spec is backed up".into(),
            },
        ];
        let plan = plan();
        let text = render(&plan, &warnings);
        assert_eq!(text, render(&plan, &warnings), "byte-stable");
        insta::assert_snapshot!("plan_markdown", text);
    }

    #[test]
    fn diffs_name_resources_by_address_and_warnings_by_line() {
        let warnings = [Warning {
            id: "net/admin-port-open".into(),
            address: Some("security_group.web".into()),
            line: Some(12),
            message: "`security_group.web` admits SSH (22) from the whole internet".into(),
        }];
        let text = render(&plan(), &warnings);
        assert!(!text.contains("\"vpc-1\""), "no raw ids in values:\n{text}");
        assert!(text.contains("vpc = vpc.main"), "{text}");
        assert!(
            text.contains("- line 12: `security_group.web` admits SSH (22) from the whole internet (`net/admin-port-open`)"),
            "the address once, with the line:\n{text}"
        );
        assert_eq!(
            super::footer(".recon/plan.json", "abcdef0123456789"),
            "\n---\n\nPlan saved to `.recon/plan.json` (sha256 `abcdef012345`). To carry out exactly this plan: `recon apply`\n"
        );
        assert!(super::footer("out/p.json", "ab").contains("`recon apply --plan out/p.json`"));
    }

    #[test]
    fn no_changes_and_no_warnings_say_so() {
        let mut plan = plan();
        plan.changes.clear();
        let text = render(&plan, &[]);
        insta::assert_snapshot!(text, @r#"
            ### recon plan for `demo` (us-east-1)

            Spec `specs/demo.yaml` (sha256 `0123456789ab`).

            **No changes.** The infrastructure matches the spec.

            #### Lookups (used, never changed)

            | Lookup | Found |
            |---|---|
            | `image.al2023` | `ami-0abc` (al2023-ami-2023.6-x86_64) |

            #### Warnings

            No warnings.
        "#);
    }

    #[test]
    fn fences_outgrow_backticks_in_values() {
        assert_eq!(
            super::fenced("diff", "+ a = \"```\"\n"),
            "````diff\n+ a = \"```\"\n````\n"
        );
    }
}
