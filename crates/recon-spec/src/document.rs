//! The spec document: top-level keys, resource addresses, each resource through the schema,
//! then each kind's own checks and the dependency graph.

use std::collections::BTreeMap;

use miette::SourceSpan;
use recon_dag::Dag;
use recon_model::{
    Address, AddressError, DesiredResource, Field, Kind, Presence, Problem, Silence, Spec, Type,
    Update, Value, kinds,
};

use crate::diagnostic::Code;
use crate::suggest::closest;
use crate::values::{Cx, Res, all_of};
use crate::yaml::{Node, Yaml};

// The keys of the language. `json_schema.rs` describes each one: a key added here needs its
// schema there (the schema tests fail until it has one).
pub(crate) const TOP_LEVEL: &[&str] = &[
    "environment",
    "region",
    "parameters",
    "environments",
    "tags",
    "lookups",
    "resources",
    "outputs",
    "moved",
    "adopt",
];
pub(crate) const REQUIRED: &[&str] = &["environment", "region", "resources"];
pub(crate) const DEPENDS_ON: &str = "depends_on";
/// Keys every resource may have besides its kind's fields.
pub(crate) const RESOURCE_META: &[&str] = &[
    DEPENDS_ON,
    crate::expand::FOR_EACH,
    REVIEW,
    crate::lifecycle::PROTECT,
    crate::lifecycle::IGNORE_CHANGES,
];
pub(crate) const REVIEW: &str = "review";

/// The schema of a resource's `review:` annotation. Checked like a kind's fields (unknown keys
/// with "did you mean", missing keys, types), but kept out of the resource's values: it is about
/// the spec, not about AWS.
pub(crate) static REVIEW_FIELDS: [Field; 1] = [Field {
    name: "silence",
    ty: Type::List(&Type::Object(&SILENCE_FIELDS)),
    presence: Presence::Required,
    update: Update::Intent,
    doc: "The review rules silenced on this resource, each with `rule` and `reason`.",
}];

static SILENCE_FIELDS: [Field; 2] = [
    Field {
        name: "rule",
        ty: Type::String,
        presence: Presence::Required,
        update: Update::Intent,
        doc: "The rule's id, e.g. `net/admin-port-open` (see docs/spec.md, \"Review rules\").",
    },
    Field {
        name: "reason",
        ty: Type::String,
        presence: Presence::Required,
        update: Update::Intent,
        doc: "Why the finding is acceptable here; the plan and SARIF show it to reviewers.",
    },
];

/// What checking a converted resource needs besides the resource: where its parts are in the
/// file, and whether its own values were clean.
struct Checked {
    res: Res,
    /// Its `ignore_changes:` fields.
    ignore: Vec<String>,
    /// Whether its own values had no problem (its kind's checks only run then, so one mistake
    /// is not reported twice).
    clean: bool,
}

/// Checks the whole document. Returns the spec when `cx.diags` stays empty.
pub(crate) fn check(cx: &mut Cx<'_>, root: &Yaml) -> Option<Spec> {
    let entries = match &root.node {
        Node::Map(entries) => entries,
        Node::Null => {
            let d = cx.diag(
                Code::MissingField,
                root.span,
                "the spec is empty",
                "nothing here",
            );
            cx.push(d.help(
                "a spec has `environment`, `region` and `resources`; see docs/spec.md for an example",
            ));
            return None;
        }
        _ => {
            let d = cx.diag(
                Code::WrongType,
                root.label_span(cx.text),
                format!(
                    "expected a mapping with `environment`, `region` and `resources`, found {}",
                    root.describe()
                ),
                "not a mapping",
            );
            cx.push(d.help("see docs/spec.md for an example"));
            return None;
        }
    };

    let top = Res::default();
    let mut seen: BTreeMap<String, (SourceSpan, &Yaml)> = BTreeMap::new();
    let mut suggested = Vec::new();
    for (key, value) in entries {
        let name = key.scalar_text(cx.text).unwrap_or_default();
        if let Some((first, _)) = seen.get(&name) {
            let d = cx.duplicate_key(&top, &[], &name, key.span, *first);
            cx.push(d);
            continue;
        }
        if !TOP_LEVEL.contains(&name.as_str()) {
            let close = closest(&name, TOP_LEVEL.iter().copied());
            suggested.extend(close);
            let help = match close {
                Some(c) => format!("did you mean `{c}`?"),
                None if Kind::ALL.iter().any(|k| name.starts_with(&format!("{k}."))) => {
                    "resources go under `resources:`".to_owned()
                }
                None => format!("the top-level keys are {}", all_of(TOP_LEVEL)),
            };
            let d = cx.diag(
                Code::UnknownField,
                key.span,
                format!("unknown top-level key `{name}`"),
                "unknown key",
            );
            cx.push(d.help(help));
        }
        seen.insert(name, (key.span, value));
    }
    let anchor = entries
        .first()
        .map_or(root.span, |(k, _)| k.label_span(cx.text));
    for required in REQUIRED {
        if !seen.contains_key(*required) && !suggested.contains(required) {
            let d = cx.diag(
                Code::MissingField,
                anchor,
                format!("the spec has no `{required}`"),
                format!("`{required}` is missing"),
            );
            cx.push(d.help(match *required {
                "environment" => {
                    "add `environment: <name>`: it names what recon owns (the `recon:env` tag)"
                }
                "region" => "add `region: <aws region>`, e.g. `region: us-east-1`",
                _ => "add `resources:` with the resources, e.g. `vpc.main: { cidr_block: 10.0.0.0/16 }`",
            }));
        }
    }

    let environment = seen
        .get("environment")
        .and_then(|(_, y)| environment(cx, y));
    let region = seen.get("region").and_then(|(_, y)| region(cx, y));
    let tags = match seen.get("tags") {
        Some((_, y)) => cx.tags(&mut Res::default(), y, &mut vec!["tags".to_owned()]),
        None => Some(BTreeMap::new()),
    };
    // Every address first (lookups, then resources), so that anything can refer to anything
    // and a lookup that names a resource is told so.
    let declared_lookups = match seen.get("lookups") {
        Some((_, y)) => crate::lookups::declare(cx, y),
        None => Vec::new(),
    };
    let declared = match seen.get("resources") {
        Some((_, y)) => declare(cx, y),
        None => Vec::new(),
    };
    let lookups = crate::lookups::convert(cx, declared_lookups);
    let (resources, ignore_changes) = resources(cx, declared, environment.as_deref());
    if let Some((_, y)) = seen.get("outputs") {
        cx.outputs = crate::outputs::convert(cx, y);
    }
    if let Some(region) = &region {
        crate::zones::check(cx, region, &resources);
    }
    let moved = match seen.get("moved") {
        Some((_, y)) => crate::lifecycle::moved(cx, y),
        None => Vec::new(),
    };
    let adopt = match seen.get("adopt") {
        Some((_, y)) => crate::lifecycle::adopt(cx, y),
        None => Vec::new(),
    };

    let (Some(environment), Some(region), Some(tags)) = (environment, region, tags) else {
        return None;
    };
    cx.diags.is_empty().then_some(Spec {
        environment,
        region,
        tags,
        lookups,
        resources,
        lifecycle: recon_model::Lifecycle {
            moved,
            adopt,
            ignore_changes,
        },
    })
}

fn environment(cx: &mut Cx<'_>, y: &Yaml) -> Option<String> {
    let s = scalar_string(cx, y, "environment")?;
    let valid = (1..=32).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        return Some(s);
    }
    let suggestion: String = s
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let suggestion = suggestion.trim_start_matches(|c: char| !c.is_ascii_lowercase());
    let mut help = "use 1 to 32 lower-case letters, digits and `-`, starting with a letter (it becomes the `recon:env` tag)".to_owned();
    if !suggestion.is_empty() && suggestion.len() <= 32 {
        help.push_str(&format!(", e.g. `{suggestion}`"));
    }
    let d = cx.diag(
        Code::InvalidValue,
        y.span,
        format!("invalid environment name `{s}`"),
        "not a valid environment name",
    );
    cx.push(d.help(help));
    None
}

/// An AWS region name: `us-east-1`, `ap-southeast-2`, `us-gov-west-1`.
fn region(cx: &mut Cx<'_>, y: &Yaml) -> Option<String> {
    let s = scalar_string(cx, y, "region")?;
    let parts: Vec<&str> = s.split('-').collect();
    let valid = parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1]
            .parse::<u8>()
            .is_ok_and(|_| parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit()));
    if valid && recon_model::regions::is_known(&s) {
        return Some(s);
    }
    if valid {
        let d = cx.diag(
            Code::InvalidValue,
            y.span,
            format!("`{s}` is not an AWS region"),
            "unknown region",
        );
        let help = match crate::suggest::closest(&s, recon_model::regions::KNOWN.iter().copied()) {
            Some(near) => format!("did you mean `{near}`? (`aws ec2 describe-regions` lists the regions of your account)"),
            None => "write a region AWS has, such as `us-east-1` or `eu-west-2` (`aws ec2 describe-regions` lists the regions of your account)".to_owned(),
        };
        cx.push(d.help(help));
        return None;
    }
    let d = cx.diag(
        Code::InvalidValue,
        y.span,
        format!("`{s}` is not an AWS region name"),
        "not a region",
    );
    cx.push(
        d.help("write a region such as `us-east-1` or `eu-west-2` (not a zone like `us-east-1a`)"),
    );
    None
}

fn scalar_string(cx: &mut Cx<'_>, y: &Yaml, what: &str) -> Option<String> {
    if let Node::Str(s) = &y.node {
        return Some(s.clone());
    }
    let d = cx.diag(
        Code::WrongType,
        y.label_span(cx.text),
        format!("{what}: expected text, found {}", y.describe()),
        "expected text",
    );
    cx.push(d);
    None
}

/// A resource's address with its key and body, before its fields are checked.
type Declared<'y> = (Address, &'y Yaml, &'y Yaml);

/// The `resources:` mapping, pass 1: every address the spec declares (so references can be
/// checked in any order).
fn declare<'y>(cx: &mut Cx<'_>, y: &'y Yaml) -> Vec<Declared<'y>> {
    let entries = match &y.node {
        Node::Map(entries) => entries.as_slice(),
        Node::Null => &[],
        _ => {
            let d = cx.diag(
                Code::WrongType,
                y.label_span(cx.text),
                format!(
                    "resources: expected a mapping of addresses to resources, found {}",
                    y.describe()
                ),
                "expected a mapping",
            );
            cx.push(d.help("write `resources:` then one `kind.name: { ... }` per line"));
            return Vec::new();
        }
    };

    let mut declared: Vec<Declared<'y>> = Vec::new();
    for (key, body) in entries {
        let text = key.scalar_text(cx.text).unwrap_or_else(|| key.describe());
        let address = match text.parse::<Address>() {
            Ok(a) => a,
            Err(e) => {
                bad_address(cx, key.label_span(cx.text), &text, &e);
                continue;
            }
        };
        if !address.kind.is_managed() {
            crate::lookups::lookup_only_resource(cx, key, &address);
            continue;
        }
        if let Some(first) = cx.known.get(&address) {
            let what = if cx.lookups.contains(&address) {
                "a lookup"
            } else {
                "resource"
            };
            let d = cx
                .diag(
                    Code::DuplicateKey,
                    key.span,
                    format!("duplicate {what} `{address}`"),
                    "defined again here",
                )
                .also(*first, "first defined here")
                .help("each address names one resource; rename or remove one of them");
            cx.push(d);
            continue;
        }
        cx.known.insert(address.clone(), key.span);
        declared.push((address, key, body));
    }
    declared
}

/// Pass 2, each resource through its kind's schema, and pass 3, the kinds' checks and the
/// dependency graph.
fn resources(
    cx: &mut Cx<'_>,
    declared: Vec<Declared<'_>>,
    environment: Option<&str>,
) -> (Vec<DesiredResource>, BTreeMap<Address, Vec<String>>) {
    let (all, checked): (Vec<DesiredResource>, Vec<Checked>) = declared
        .into_iter()
        .map(|(address, key, body)| resource(cx, address, key, body, environment))
        .unzip();

    // Pass 3: the kinds' own checks, which look across resources (all of them in one slice,
    // not a copy: copying them, and freeing the copies, was near a tenth of `validate`).
    let others = recon_model::schema::Others::new(&all);
    for (resource, c) in all.iter().zip(&checked) {
        if !c.clean {
            continue;
        }
        let def = kinds::def(resource.address.kind);
        for problem in (def.check)(resource, &others) {
            let d = problem_diagnostic(cx, &c.res, &problem);
            cx.push(d);
        }
    }

    cycles(cx, &all, &checked);
    let ignore = all
        .iter()
        .zip(&checked)
        .filter(|(_, c)| !c.ignore.is_empty())
        .map(|(r, c)| (r.address.clone(), c.ignore.clone()))
        .collect();
    for (r, c) in all.iter().zip(checked) {
        cx.positions.insert(r.address.clone(), c.res.spans);
    }
    (all, ignore)
}

fn bad_address(cx: &mut Cx<'_>, span: SourceSpan, text: &str, error: &AddressError) {
    let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
    let (code, label, help) = match error {
        AddressError::UnknownKind(kind) => (
            Code::UnknownKind,
            "unknown kind",
            match closest(kind, kinds.iter().copied()) {
                Some(k) => format!("did you mean `{k}`?"),
                None => format!("the kinds are {}", all_of(&kinds)),
            },
        ),
        AddressError::Shape(_) => (
            Code::BadAddress,
            "not `kind.name`",
            match Kind::parse(text) {
                Some(k) => format!("give it a name: `{k}.main`"),
                None => format!(
                    "a resource key is `kind.name`, e.g. `vpc.main`; the kinds are {}",
                    all_of(&kinds)
                ),
            },
        ),
        AddressError::BadName(_) => (
            Code::BadAddress,
            "bad name",
            "a name has letters, digits, `_` and `-`, starts with a letter, and has at most 64 characters".to_owned(),
        ),
    };
    let d = cx.diag(code, span, error.to_string(), label);
    cx.push(d.help(help));
}

fn resource(
    cx: &mut Cx<'_>,
    address: Address,
    key: &Yaml,
    body: &Yaml,
    environment: Option<&str>,
) -> (DesiredResource, Checked) {
    let before = cx.diags.len();
    let def = kinds::def(address.kind);
    let mut res = Res {
        base: address.to_string(),
        ..Res::default()
    };
    res.spans.insert(Vec::new(), key.span);
    let mut attrs = BTreeMap::new();
    let mut depends_on = Vec::new();
    let mut ignore = Vec::new();
    match &body.node {
        Node::Null => {}
        Node::Map(entries) => {
            let mut path = Vec::new();
            (attrs, _) = cx.object(
                &mut res,
                def.fields,
                body,
                &mut path,
                key.span,
                RESOURCE_META,
            );
            if let Some((k, v)) = entries
                .iter()
                .find(|(k, _)| k.node == Node::Str(DEPENDS_ON.into()))
            {
                res.spans.insert(vec![DEPENDS_ON.into()], k.span);
                depends_on = dependencies(cx, &mut res, &address, v);
            }
            if let Some((k, v)) = entries
                .iter()
                .find(|(k, _)| k.node == Node::Str(REVIEW.into()))
            {
                review(cx, &mut res, &address, k, v);
            }
            let meta = |name: &str| {
                entries
                    .iter()
                    .find(|(k, _)| k.node == Node::Str(name.into()))
            };
            if let Some((k, v)) = meta(crate::lifecycle::PROTECT) {
                crate::lifecycle::protect(cx, &mut res, &address, k, v, &mut attrs);
            }
            if let Some((k, v)) = meta(crate::lifecycle::IGNORE_CHANGES) {
                ignore = crate::lifecycle::ignore_changes(cx, &mut res, &address, k, v);
            }
        }
        _ => {
            let d = cx.diag(
                Code::WrongType,
                body.label_span(cx.text),
                format!(
                    "`{address}`: expected a mapping of fields, found {}",
                    body.describe()
                ),
                "expected a mapping",
            );
            cx.push(d.help(format!(
                "write `{address}: {{}}` for a resource with no fields"
            )));
        }
    }
    if matches!(body.node, Node::Null) {
        // `{}` and null both mean "no fields"; the required ones are still required.
        let mut path = Vec::new();
        let empty = Yaml {
            span: body.span,
            node: Node::Map(Vec::new()),
        };
        cx.object(&mut res, def.fields, &empty, &mut path, key.span, &[]);
    }
    def.apply_defaults(&mut attrs);
    let mut resource = DesiredResource {
        address,
        attrs,
        depends_on,
    };
    if let Some(environment) = environment {
        kinds::derive_defaults(environment, &mut resource);
    }
    let checked = Checked {
        res,
        ignore,
        clean: cx.diags.len() == before,
    };
    (resource, checked)
}

/// `depends_on: [address, ...]`: ordering edges beyond the references in the values.
fn dependencies(cx: &mut Cx<'_>, res: &mut Res, own: &Address, y: &Yaml) -> Vec<Address> {
    let path = vec![DEPENDS_ON.to_owned()];
    let Node::Seq(items) = &y.node else {
        let d = cx.diag(
            Code::WrongType,
            y.label_span(cx.text),
            format!(
                "{}: expected a list of addresses, found {}",
                res.show(&path),
                y.describe()
            ),
            "expected a list",
        );
        let example = y.scalar_text(cx.text).unwrap_or_else(|| "kind.name".into());
        cx.push(d.help(format!("write `depends_on: [{example}]`")));
        return Vec::new();
    };
    let mut out: Vec<Address> = Vec::new();
    let mut spans: Vec<SourceSpan> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut path = path.clone();
        path.push(i.to_string());
        res.spans.insert(path.clone(), item.label_span(cx.text));
        let Node::Str(s) = &item.node else {
            let d = cx.diag(
                Code::WrongType,
                item.label_span(cx.text),
                format!(
                    "{}: expected an address, found {}",
                    res.show(&path),
                    item.describe()
                ),
                "expected an address",
            );
            cx.push(d);
            continue;
        };
        let Some(address) = cx.address(res, item.span, &path, s, Kind::ALL, false) else {
            continue;
        };
        if &address == own {
            let d = cx.diag(
                Code::Cycle,
                item.span,
                format!("`{own}` depends on itself"),
                "itself",
            );
            cx.push(d.help("remove it from `depends_on`"));
            continue;
        }
        if let Some(j) = out.iter().position(|a| a == &address) {
            let d = cx
                .diag(
                    Code::DuplicateItem,
                    item.span,
                    format!("{}: `{address}` is listed twice", res.show(&path[..1])),
                    "listed again",
                )
                .also(spans[j], "first here");
            cx.push(d.help("remove one of them"));
            continue;
        }
        res.refs.push((address.clone(), item.span));
        spans.push(item.span);
        out.push(address);
    }
    out
}

/// `review: { silence: [{ rule, reason }, ...] }`: findings of the review rules the author has
/// accepted on this resource. Whether `rule` names a rule is the review crate's to say.
fn review(cx: &mut Cx<'_>, res: &mut Res, own: &Address, key: &Yaml, y: &Yaml) {
    res.spans.insert(vec![REVIEW.into()], key.span);
    if !matches!(y.node, Node::Map(_)) {
        let d = cx.diag(
            Code::WrongType,
            y.label_span(cx.text),
            format!(
                "{}: expected a mapping with `silence`, found {}",
                res.show(&[REVIEW.to_owned()]),
                y.describe()
            ),
            "expected a mapping",
        );
        cx.push(d.help(
            "write `review: { silence: [ { rule: net/admin-port-open, reason: \"why it is acceptable\" } ] }`",
        ));
        return;
    }
    let mut path = vec![REVIEW.to_owned()];
    let (values, _) = cx.object(res, &REVIEW_FIELDS, y, &mut path, key.span, &[]);
    let items = values
        .get("silence")
        .map(Value::as_list)
        .unwrap_or_default();
    for (i, item) in items.iter().enumerate() {
        let Some(item) = item.as_map() else { continue };
        let text = |field: &str| match item.get(field) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let at = |field: &str| vec![REVIEW.into(), "silence".into(), i.to_string(), field.into()];
        let (Some(rule), Some(reason)) = (text("rule"), text("reason")) else {
            for field in ["rule", "reason"] {
                if !matches!(item.get(field), Some(Value::String(_))) {
                    let d = cx.diag(
                        Code::WrongType,
                        res.spans.get(&at(field)).copied().unwrap_or(key.span),
                        format!("{}: expected plain text", res.show(&at(field))),
                        "no `${...}` here",
                    );
                    cx.push(d.help("write the text without `${...}`"));
                }
            }
            continue;
        };
        if reason.trim().is_empty() {
            let d = cx.diag(
                Code::InvalidValue,
                res.spans.get(&at("reason")).copied().unwrap_or(key.span),
                format!("the reason for silencing `{rule}` on `{own}` is empty"),
                "empty reason",
            );
            cx.push(d.help(
                "say why the finding is acceptable here: reviewers see the reason in the plan",
            ));
            continue;
        }
        cx.silences.push(Silence {
            address: own.clone(),
            rule,
            reason,
        });
    }
}

/// A kind's problem, at the value its path names (or the nearest enclosing one).
fn problem_diagnostic(cx: &Cx<'_>, res: &Res, problem: &Problem) -> crate::SpecDiagnostic {
    let mut path = problem.path.clone();
    let span = loop {
        if let Some(span) = res.spans.get(&path) {
            break *span;
        }
        if path.pop().is_none() {
            break res.spans.get(&Vec::new()).copied().unwrap_or((0, 0).into());
        }
    };
    cx.diag(Code::Check, span, &problem.message, &problem.label)
        .maybe_help(problem.help.clone())
}

/// Reports each dependency cycle once: the resources in it, labelled at the references.
fn cycles(cx: &mut Cx<'_>, all: &[DesiredResource], checked: &[Checked]) {
    let index: BTreeMap<&Address, usize> = all
        .iter()
        .enumerate()
        .map(|(i, r)| (&r.address, i))
        .collect();
    // `i → j`: resource i needs j first.
    let mut graph = Dag::new(all.len());
    for (i, r) in all.iter().enumerate() {
        for dep in r.dependencies() {
            if let Some(&j) = index.get(&dep) {
                graph.add_edge(i, j);
            }
        }
    }
    for mut cycle in graph.cycles() {
        cycle.push(cycle[0]);
        let names: Vec<String> = cycle.iter().map(|&i| all[i].address.to_string()).collect();
        let edge_span = |from: usize, to: usize| {
            let target = &all[to].address;
            checked[from]
                .res
                .refs
                .iter()
                .find(|(a, _)| a == target)
                .map(|(_, s)| *s)
                .unwrap_or_else(|| checked[from].res.spans[&Vec::new()])
        };
        let mut d = cx.diag(
            Code::Cycle,
            edge_span(cycle[0], cycle[1]),
            format!("dependency cycle: {}", names.join(" -> ")),
            format!("{} needs {} first", names[0], names[1]),
        );
        for w in 1..cycle.len() - 1 {
            d = d.also(
                edge_span(cycle[w], cycle[w + 1]),
                format!("{} needs {} first", names[w], names[w + 1]),
            );
        }
        cx.push(d.help(
            "no order can create these: remove one of the references (or `depends_on` entries)",
        ));
    }
}
