//! One environment of a file, written out: parameters and `${...}` expressions evaluated,
//! `for_each` resources and list items repeated, `kind.name[*]` turned into lists. The result
//! is a plain spec tree that the checker reads as if the user had written it by hand.
//!
//! Every node made here keeps the span of the template it came from, so a problem in an
//! expanded resource points at the template's line, and its message names the instance
//! (`subnet.public[us-east-1b].cidr_block: ...`) because the instance's address is its key.

use std::collections::BTreeMap;

use miette::SourceSpan;
use recon_model::{Address, Kind};

use crate::diagnostic::Code;
use crate::expr::{self, Each, Out, Pv, Scope};
use crate::params::{self, Anchors, Inputs, Param};
use crate::values::Cx;
use crate::yaml::{Node, Yaml};

pub(crate) const FOR_EACH: &str = "for_each";
pub(crate) const PARAMETERS: &str = "parameters";
pub(crate) const ENVIRONMENTS: &str = "environments";

/// The file's chosen environment, written out.
pub(crate) struct Expanded {
    pub root: Yaml,
    /// The `environments:` key chosen with `--env`, if the file has `environments:`.
    pub env: Option<String>,
    pub parameters: BTreeMap<String, Pv>,
    /// Values whose expression failed (and was reported): the checker's findings about them
    /// would only repeat the mistake.
    pub failed: Vec<SourceSpan>,
}

/// Names AWS requires unique per account and region, by kind and field: two environments of
/// one file (or two instances of one resource) must not set the same one.
const UNIQUE_NAMES: &[(Kind, &str)] = &[
    (Kind::KmsKey, "alias"),
    (Kind::LoadBalancer, "name"),
    (Kind::AutoscalingGroup, "name"),
];

/// Expands `root` for the run's environment and values. `None` when the values cannot be
/// resolved (every problem is reported); otherwise problems in expressions are reported and
/// the tree is returned for the checker to report the rest.
pub(crate) fn expand(cx: &mut Cx<'_>, root: &Yaml, inputs: &Inputs) -> Option<Expanded> {
    let Node::Map(entries) = &root.node else {
        return Some(Expanded {
            root: root.clone(),
            env: None,
            parameters: BTreeMap::new(),
            failed: Vec::new(),
        });
    };
    let find = |name: &str| {
        entries
            .iter()
            .find(|(k, _)| k.node == Node::Str(name.into()))
    };
    let params = find(PARAMETERS).map_or_else(Vec::new, |(_, y)| params::declare(cx, y));
    let declared = declared_names(cx, find(PARAMETERS).map(|(_, y)| y));
    let envs = find(ENVIRONMENTS).map(|(_, y)| params::environments(cx, y, &params, &declared));
    let anchors = Anchors {
        environments: find(ENVIRONMENTS).map(|(k, _)| k.span),
        top: entries
            .first()
            .map_or(root.span, |(k, _)| k.label_span(cx.text)),
    };
    let resolved = params::resolve(cx, &params, &declared, envs.as_deref(), inputs, &anchors);
    // A wrong declaration or value stops here (this runs first, so any finding is one of
    // those): what it would expand to is not worth checking.
    let (env, values) = resolved.filter(|_| cx.diags.is_empty())?;
    let (expanded, failed) = write_out(cx, root, env.as_deref(), &values, &declared);

    // The other environments of the file, expanded quietly: their recon environments and the
    // names AWS wants unique must differ from this one's.
    if let (Some(env), Some(envs)) = (&env, &envs) {
        let mine = names(cx, &expanded);
        for other in envs.iter().filter(|e| &e.name != env) {
            let Some(theirs) = other_env(cx, root, &params, &declared, &other.name) else {
                continue;
            };
            let theirs = names(cx, &theirs);
            collisions(cx, env, &other.name, &mine, &theirs);
        }
    }
    let mine = names(cx, &expanded);
    within(cx, &mine);
    Some(Expanded {
        root: expanded,
        env,
        parameters: values,
        failed,
    })
}

/// Every name under `parameters:`, including those whose declaration has a problem (so that
/// `${param.x}` is not also reported as unknown).
fn declared_names(cx: &Cx<'_>, y: Option<&Yaml>) -> Vec<String> {
    match y.map(|y| &y.node) {
        Some(Node::Map(entries)) => entries
            .iter()
            .filter_map(|(k, _)| k.scalar_text(cx.text))
            .collect(),
        _ => Vec::new(),
    }
}

fn other_env(
    cx: &Cx<'_>,
    root: &Yaml,
    params: &[Param],
    declared: &[String],
    name: &str,
) -> Option<Yaml> {
    let mut quiet = cx.scratch();
    let Node::Map(entries) = &root.node else {
        return None;
    };
    let envs_y = entries
        .iter()
        .find(|(k, _)| k.node == Node::Str(ENVIRONMENTS.into()))
        .map(|(_, y)| y)?;
    let envs = params::environments(&mut quiet, envs_y, params, declared);
    let inputs = Inputs {
        env: Some(name.to_owned()),
        ..Inputs::default()
    };
    let anchors = Anchors {
        environments: None,
        top: root.span,
    };
    let (env, values) =
        params::resolve(&mut quiet, params, declared, Some(&envs), &inputs, &anchors)?;
    Some(write_out(&mut quiet, root, env.as_deref(), &values, declared).0)
}

/// The recon environment and the unique names of an expanded tree, with where each is.
struct Names {
    environment: Option<(String, SourceSpan)>,
    unique: Vec<(String, SourceSpan, String)>,
}

fn names(cx: &Cx<'_>, root: &Yaml) -> Names {
    let mut out = Names {
        environment: None,
        unique: Vec::new(),
    };
    let Node::Map(entries) = &root.node else {
        return out;
    };
    for (k, v) in entries {
        match k.scalar_text(cx.text).as_deref() {
            Some("environment") => {
                if let Node::Str(s) = &v.node {
                    out.environment = Some((s.clone(), v.span));
                }
            }
            Some("resources") => {
                let Node::Map(resources) = &v.node else {
                    continue;
                };
                for (key, body) in resources {
                    let Some(Ok(address)) = key.scalar_text(cx.text).map(|t| t.parse::<Address>())
                    else {
                        continue;
                    };
                    let Node::Map(fields) = &body.node else {
                        continue;
                    };
                    for (kind, field) in UNIQUE_NAMES.iter().filter(|(k, _)| *k == address.kind) {
                        for (fk, fv) in fields {
                            if fk.node == Node::Str((*field).into())
                                && let Node::Str(s) = &fv.node
                                && !s.contains("${")
                            {
                                out.unique.push((
                                    s.clone(),
                                    fv.span,
                                    format!("{kind} `{address}`'s `{field}`"),
                                ));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn collisions(cx: &mut Cx<'_>, env: &str, other: &str, mine: &Names, theirs: &Names) {
    if let (Some((a, span)), Some((b, _))) = (&mine.environment, &theirs.environment)
        && a == b
    {
        let d = cx.diag(
            Code::InvalidValue,
            *span,
            format!("environments `{env}` and `{other}` would both be the recon environment `{a}`"),
            "the same for every environment",
        );
        cx.push(d.help("include `${env}` in `environment:`, e.g. `environment: platform-${env}`, so each environment owns its own resources"));
    }
    for (name, span, what) in &mine.unique {
        if theirs.unique.iter().any(|(n, _, _)| n == name) {
            let d = cx.diag(
                Code::InvalidValue,
                *span,
                format!("{what} is `{name}` in both environments `{env}` and `{other}`: AWS requires it unique in the account and region"),
                "the same in every environment",
            );
            cx.push(d.help("include `${env}` in it (e.g. `data-${env}`), or leave it out where recon names it itself"));
        }
    }
}

/// Two resources of one environment (such as two instances of one template) with one name.
fn within(cx: &mut Cx<'_>, mine: &Names) {
    for (i, (name, span, what)) in mine.unique.iter().enumerate() {
        if let Some((_, first, _)) = mine.unique[..i].iter().find(|(n, _, _)| n == name) {
            let d = cx.diag(
                Code::InvalidValue,
                *span,
                format!("{what} is `{name}`, already used in this environment: AWS requires it unique in the account and region"),
                "used again",
            );
            let d = if first == span {
                d
            } else {
                d.also(*first, "first used here")
            };
            cx.push(d.help("make it differ per instance, e.g. with `${each.key}`"));
        }
    }
}

/// The tree for one environment and its values, and the spans of values that failed.
fn write_out(
    cx: &mut Cx<'_>,
    root: &Yaml,
    env: Option<&str>,
    values: &BTreeMap<String, Pv>,
    declared: &[String],
) -> (Yaml, Vec<SourceSpan>) {
    let Node::Map(entries) = &root.node else {
        return (root.clone(), Vec::new());
    };
    let mut w = Walker {
        cx,
        env,
        params: values,
        declared,
        instances: BTreeMap::new(),
        failed: Vec::new(),
    };
    let resources = entries
        .iter()
        .find(|(k, _)| k.node == Node::Str("resources".into()))
        .map(|(_, y)| y);
    // Pass 1: each for_each resource's keys, so `[*]` anywhere can list them.
    let mut for_each: Vec<Option<Vec<(String, Pv)>>> = Vec::new();
    if let Some(Yaml {
        node: Node::Map(resources),
        ..
    }) = resources
    {
        for (key, body) in resources {
            let keys = w.for_each(body, None, true);
            if let (Some(keys), Some(text)) = (&keys, key.scalar_text(w.cx.text)) {
                w.instances
                    .insert(text, keys.iter().map(|(k, _)| k.clone()).collect());
            }
            for_each.push(keys);
        }
    }
    let mut out = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let name = k.scalar_text(w.cx.text).unwrap_or_default();
        let v = match name.as_str() {
            PARAMETERS | ENVIRONMENTS => v.clone(),
            "resources" => match &v.node {
                Node::Map(resources) => {
                    let mut expanded = Vec::new();
                    for ((key, body), keys) in resources.iter().zip(&for_each) {
                        w.resource(key, body, keys.as_deref(), &mut expanded);
                    }
                    Yaml {
                        span: v.span,
                        node: Node::Map(expanded),
                    }
                }
                _ => v.clone(),
            },
            _ => w.node(v, None),
        };
        out.push((k.clone(), v));
    }
    let root = Yaml {
        span: root.span,
        node: Node::Map(out),
    };
    (root, w.failed)
}

struct Walker<'w, 'c, 't> {
    cx: &'w mut Cx<'c>,
    env: Option<&'t str>,
    params: &'t BTreeMap<String, Pv>,
    declared: &'t [String],
    /// Each `for_each` resource's key as written (`subnet.public`) and its instance keys.
    instances: BTreeMap<String, Vec<String>>,
    failed: Vec<SourceSpan>,
}

impl Walker<'_, '_, '_> {
    fn scope<'s>(&'s self, each: Option<&'s Each>) -> Scope<'s> {
        Scope {
            env: self.env,
            params: self.params,
            declared: self.declared,
            each,
        }
    }

    /// The elements of a mapping's `for_each`, if it has one: `(key, value)` in order. For a
    /// resource (`resource`), each key must be fit for an address; problems are reported.
    fn for_each(
        &mut self,
        body: &Yaml,
        each: Option<&Each>,
        resource: bool,
    ) -> Option<Vec<(String, Pv)>> {
        let Node::Map(entries) = &body.node else {
            return None;
        };
        let (_, fe) = entries
            .iter()
            .find(|(k, _)| k.node == Node::Str(FOR_EACH.into()))?;
        let before = self.cx.diags.len();
        let evaluated = self.node(fe, each);
        if self.cx.diags.len() > before {
            return Some(Vec::new());
        }
        let span = fe.label_span(self.cx.text);
        let items: Vec<(String, Pv)> = match crate::params::to_pv(&evaluated, self.cx.text) {
            Some(Pv::List(items)) => {
                let mut out = Vec::new();
                for item in items {
                    let Some(key) = item.text() else {
                        let d = self.cx.diag(
                            Code::WrongType,
                            span,
                            format!("for_each: a list item must be text or a number to be a key, found {}", item.describe()),
                            "not a key",
                        );
                        self.cx.push(d.help("iterate over a mapping instead: its keys name the instances, its values are `each.value`"));
                        return Some(Vec::new());
                    };
                    out.push((key, item));
                }
                out
            }
            Some(Pv::Map(m)) => m.into_iter().collect(),
            other => {
                let found = other.map_or_else(|| "nothing".to_owned(), |v| v.describe());
                let d = self.cx.diag(
                    Code::WrongType,
                    span,
                    format!("for_each: expected a list or a mapping, found {found}"),
                    "not a list or a mapping",
                );
                self.cx.push(d.help(
                    "write `for_each: ${param.azs}` (a list parameter), or a list such as `[a, b]`",
                ));
                return Some(Vec::new());
            }
        };
        let mut seen: Vec<&str> = Vec::new();
        for (key, _) in &items {
            if resource && !Address::valid_key(key) {
                let d = self.cx.diag(
                    Code::BadAddress,
                    span,
                    format!("for_each: `{key}` cannot name an instance"),
                    "not a valid instance key",
                );
                self.cx.push(d.help("an instance key is 1 to 64 letters, digits and `_ . : / = + - @` (it becomes part of the `recon:id` tag); iterate over a mapping to choose the keys"));
                return Some(Vec::new());
            }
            if seen.contains(&key.as_str()) {
                let d = self.cx.diag(
                    Code::DuplicateItem,
                    span,
                    format!("for_each: `{key}` is listed twice"),
                    "a key twice",
                );
                self.cx
                    .push(d.help("each instance needs its own key: remove the duplicate"));
                return Some(Vec::new());
            }
            seen.push(key);
        }
        Some(items)
    }

    /// One entry of `resources:`, as itself or as one entry per `for_each` element.
    fn resource(
        &mut self,
        key: &Yaml,
        body: &Yaml,
        keys: Option<&[(String, Pv)]>,
        out: &mut Vec<(Yaml, Yaml)>,
    ) {
        let Some(keys) = keys else {
            out.push((key.clone(), self.node(body, None)));
            return;
        };
        let Some(text) = key.scalar_text(self.cx.text) else {
            return;
        };
        let Node::Map(entries) = &body.node else {
            return;
        };
        let rest = Yaml {
            span: body.span,
            node: Node::Map(
                entries
                    .iter()
                    .filter(|(k, _)| k.node != Node::Str(FOR_EACH.into()))
                    .cloned()
                    .collect(),
            ),
        };
        for (index, (k, value)) in keys.iter().enumerate() {
            let each = Each {
                key: k.clone(),
                value: value.clone(),
                index,
            };
            let instance = Yaml {
                span: key.span,
                node: Node::Str(format!("{text}[{k}]")),
            };
            out.push((instance, self.node(&rest, Some(&each))));
        }
    }

    /// `y` with every expression evaluated and every list expanded.
    fn node(&mut self, y: &Yaml, each: Option<&Each>) -> Yaml {
        match &y.node {
            Node::Str(s) if s.contains("${") => self.template(y, s, each),
            Node::Str(s) => match self.every(y, s) {
                Some(list) => list,
                None => y.clone(),
            },
            Node::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    self.item(item, each, &mut out);
                }
                Yaml {
                    span: y.span,
                    node: Node::Seq(out),
                }
            }
            Node::Map(entries) => Yaml {
                span: y.span,
                node: Node::Map(
                    entries
                        .iter()
                        .map(|(k, v)| (k.clone(), self.node(v, each)))
                        .collect(),
                ),
            },
            _ => y.clone(),
        }
    }

    /// A list item: spliced when it is `kind.name[*]`, repeated when it has `for_each`.
    fn item(&mut self, item: &Yaml, each: Option<&Each>, out: &mut Vec<Yaml>) {
        if let Some(elements) = self.for_each(item, each, false) {
            let Node::Map(entries) = &item.node else {
                return;
            };
            let rest = Yaml {
                span: item.span,
                node: Node::Map(
                    entries
                        .iter()
                        .filter(|(k, _)| k.node != Node::Str(FOR_EACH.into()))
                        .cloned()
                        .collect(),
                ),
            };
            for (index, (key, value)) in elements.into_iter().enumerate() {
                let inner = Each { key, value, index };
                out.push(self.node(&rest, Some(&inner)));
            }
            return;
        }
        let expanded = self.node(item, each);
        match (&item.node, expanded.node) {
            // `kind.name[*]` (or an expression giving a list) inside a list: its items join it.
            (Node::Str(_), Node::Seq(items)) => out.extend(items),
            (_, node) => out.push(Yaml {
                span: expanded.span,
                node,
            }),
        }
    }

    /// `subnet.private[*]`: every instance of a `for_each` resource, as a list of addresses.
    fn every(&mut self, y: &Yaml, s: &str) -> Option<Yaml> {
        let base = s.strip_suffix("[*]")?;
        let (kind, name) = base.split_once('.')?;
        Kind::parse(kind)?;
        if !Address::valid_name(name) {
            return None;
        }
        let Some(keys) = self.instances.get(base) else {
            let d = self.cx.diag(
                Code::DanglingReference,
                y.span,
                format!("`{s}`: there is no `for_each` resource `{base}`"),
                "not a for_each resource",
            );
            self.cx.push(d.help(format!(
                "`[*]` lists the instances of a resource with `for_each`; refer to a single resource as `{base}`"
            )));
            self.failed.push(y.span);
            return Some(Yaml {
                span: y.span,
                node: Node::Seq(Vec::new()),
            });
        };
        Some(Yaml {
            span: y.span,
            node: Node::Seq(
                keys.iter()
                    .map(|k| Yaml {
                        span: y.span,
                        node: Node::Str(format!("{base}[{k}]")),
                    })
                    .collect(),
            ),
        })
    }

    /// A string with `${...}`: alone, it takes the value's type (`${param.azs}` is a list);
    /// within text, each value becomes text. Resource references are kept for apply time.
    fn template(&mut self, y: &Yaml, s: &str, each: Option<&Each>) -> Yaml {
        let spans = self.expr_spans(y);
        let mut out = String::new();
        let mut rest = s;
        let mut whole: Option<Pv> = None;
        let mut ok = true;
        let mut n = 0;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                // Left for the checker, which reports an unterminated `${`.
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let src = &after[..end];
            let span = spans.get(n).copied().unwrap_or(y.span);
            n += 1;
            let alone = start == 0 && end + 3 == rest.len() && out.is_empty();
            match expr::eval(src, &self.scope(each)) {
                Ok(Out::Reference(r)) => {
                    out.push_str("${");
                    out.push_str(&r);
                    out.push('}');
                }
                Ok(Out::Value(v)) if alone => whole = Some(v),
                Ok(Out::Value(v)) => match v.text() {
                    Some(t) => out.push_str(&t),
                    None => {
                        let d = self.cx.diag(
                            Code::BadTemplate,
                            span,
                            format!(
                                "`${{{}}}` is {}, which cannot be part of a text",
                                src.trim(),
                                v.describe()
                            ),
                            "not text",
                        );
                        self.cx.push(d.help("write it alone as the whole value, e.g. `for_each: ${param.azs}`, or pick one item (`param.azs[0]`)"));
                        ok = false;
                    }
                },
                Err(e) => {
                    let d = self.cx.diag(Code::BadTemplate, span, e.message, "here");
                    self.cx.push(d.help(e.help));
                    ok = false;
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        if !ok {
            self.failed.push(y.span);
            return y.clone();
        }
        let node = match whole {
            Some(v) => to_node(&v, y.span).node,
            None => match self.every(y, &out) {
                Some(list) => list.node,
                None => Node::Str(out),
            },
        };
        Yaml { span: y.span, node }
    }

    /// The span of each `${...}` in a scalar as written, or the whole scalar when they cannot
    /// be told apart (escapes, folded text).
    fn expr_spans(&self, y: &Yaml) -> Vec<SourceSpan> {
        let (start, len) = (y.span.offset(), y.span.len());
        let Some(written) = self.cx.text.get(start..start + len) else {
            return Vec::new();
        };
        let mut spans = Vec::new();
        let mut from = 0;
        while let Some(i) = written[from..].find("${") {
            let open = from + i;
            let Some(j) = written[open..].find('}') else {
                break;
            };
            spans.push(SourceSpan::from((start + open, j + 1)));
            from = open + j + 1;
        }
        spans
    }
}

/// A value as a YAML node at `span` (the template's).
fn to_node(v: &Pv, span: SourceSpan) -> Yaml {
    let node = match v {
        Pv::Str(s) => Node::Str(s.clone()),
        Pv::Int(i) => Node::Int((*i).into()),
        Pv::Bool(b) => Node::Bool(*b),
        Pv::List(items) => Node::Seq(items.iter().map(|i| to_node(i, span)).collect()),
        Pv::Map(m) => Node::Map(
            m.iter()
                .map(|(k, v)| {
                    (
                        Yaml {
                            span,
                            node: Node::Str(k.clone()),
                        },
                        to_node(v, span),
                    )
                })
                .collect(),
        ),
    };
    Yaml { span, node }
}

/// A mistake in a `for_each` template is found once per instance, at the same place: keep the
/// first (its message names that instance) and say how many more share it.
pub(crate) fn merge_instances(diags: Vec<crate::SpecDiagnostic>) -> Vec<crate::SpecDiagnostic> {
    let mut out: Vec<(crate::SpecDiagnostic, String, usize)> = Vec::new();
    for d in diags {
        let key = without_keys(&d.message);
        let instance = key != d.message;
        // Instances of one template: the same problem at the same place, whatever the
        // instance's own values (`found "us-east-1b"`) make of the message.
        let same = |o: &crate::SpecDiagnostic, k: &String| {
            o.code == d.code
                && o.span == d.span
                && o.file() == d.file()
                && o.label == d.label
                && (*k == key || (instance && *k != o.message))
        };
        match out.iter_mut().find(|(o, k, _)| same(o, k)) {
            Some((_, _, more)) if instance => *more += 1,
            Some(_) => {}
            None => out.push((d, key, 0)),
        }
    }
    out.into_iter()
        .map(|(mut d, _, more)| {
            if more > 0 {
                let s = if more == 1 { "" } else { "s" };
                d.message = format!("{} (and in {more} more instance{s})", d.message);
            }
            d
        })
        .collect()
}

/// The message with every instance key (`[us-east-1a]`) taken out.
fn without_keys(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        match rest[open..].find(']') {
            Some(close) if !rest[open..open + close].contains(char::is_whitespace) => {
                rest = &rest[open + close + 1..];
            }
            _ => {
                out.push('[');
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}
