//! `parameters:` and `environments:`: what a file's environments may differ in, the values each
//! gives, and the values of one run (`--env`, `--values FILE`, `--set name=value`).
//!
//! A value is chosen from, last wins: the parameter's `default`, the environment's entry in
//! `environments:`, the `--values` file, then `--set`. Every value is checked against its
//! parameter's type and allowed values, at the place it was written: the spec, the values file,
//! or the `--set` argument itself.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ipnet::Ipv4Net;
use miette::SourceSpan;

use crate::shown::ShownSource;

use crate::SourceFile;
use crate::diagnostic::{Code, SpecDiagnostic};
use crate::expr::Pv;
use crate::suggest::closest;
use crate::values::{Cx, all_of, one_of};
use crate::yaml::{self, Node, Yaml};

/// What one run asks of a file with `environments:` and `parameters:`.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// The environment (a key of `environments:`), from `--env`.
    pub env: Option<String>,
    /// A values file (`--values FILE`): a mapping of parameter names to values.
    pub values: Option<SourceFile>,
    /// `name=value` from `--set`, in order; the value is read as YAML (`false`, `[a, b]`).
    pub set: Vec<String>,
}

/// The keys of a parameter's declaration.
pub(crate) const PARAM_KEYS: &[&str] = &["type", "description", "default", "allowed", "items"];
/// The parameter types.
pub(crate) const TYPES: &[&str] = &["string", "int", "bool", "cidr", "list", "map"];
/// What a list's items may be (`items:`).
pub(crate) const ITEM_TYPES: &[&str] = &["string", "int", "bool", "cidr"];

/// One declared parameter.
#[derive(Clone, Debug)]
pub(crate) struct Param {
    pub name: String,
    pub ty: String,
    pub items: Option<String>,
    pub default: Option<Pv>,
    pub allowed: Vec<Pv>,
    pub span: SourceSpan,
}

/// One entry of `environments:`: its values as written.
pub(crate) struct Environment<'y> {
    pub name: String,
    pub span: SourceSpan,
    pub values: Vec<(String, SourceSpan, &'y Yaml)>,
}

/// A place diagnostics can point at: the spec, the values file, or one `--set` argument.
struct Place<'p> {
    source: ShownSource,
    text: &'p str,
}

fn diag(
    place: &Place<'_>,
    code: Code,
    span: SourceSpan,
    message: impl Into<String>,
    label: impl Into<String>,
) -> SpecDiagnostic {
    SpecDiagnostic::new(&place.source, code, span, message, label)
}

/// A YAML node as a value; `None` for null. Scalars are taken as YAML typed them.
pub(crate) fn to_pv(y: &Yaml, text: &str) -> Option<Pv> {
    Some(match &y.node {
        Node::Null => return None,
        Node::Bool(b) => Pv::Bool(*b),
        Node::Int(i) => Pv::Int(i64::try_from(*i).ok()?),
        Node::Float(_) => Pv::Str(y.scalar_text(text)?),
        Node::Str(s) => Pv::Str(s.clone()),
        Node::Seq(items) => Pv::List(items.iter().filter_map(|i| to_pv(i, text)).collect()),
        Node::Map(entries) => Pv::Map(
            entries
                .iter()
                .filter_map(|(k, v)| Some((k.scalar_text(text)?, to_pv(v, text)?)))
                .collect(),
        ),
    })
}

/// Whether `v` is of type `ty` (for a list, with items of `items`); else what is wrong.
fn check_type(ty: &str, items: Option<&str>, v: &Pv) -> Result<(), String> {
    let ok = match (ty, v) {
        ("string", Pv::Str(_)) | ("int", Pv::Int(_)) | ("bool", Pv::Bool(_)) => true,
        ("cidr", Pv::Str(s)) => return check_cidr(s),
        ("list", Pv::List(list)) => {
            if let Some(items) = items {
                for (i, item) in list.iter().enumerate() {
                    check_type(items, None, item).map_err(|e| format!("item {i}: {e}"))?;
                }
            }
            true
        }
        ("map", Pv::Map(_)) => true,
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let wanted = match ty {
        "string" => "text",
        "int" => "a whole number",
        "bool" => "`true` or `false`",
        "cidr" => "a CIDR block",
        "list" => "a list",
        _ => "a mapping",
    };
    Err(format!("expected {wanted}, found {}", v.describe()))
}

fn check_cidr(s: &str) -> Result<(), String> {
    match s.parse::<Ipv4Net>() {
        Ok(net) if net.trunc() == net => Ok(()),
        Ok(net) => Err(format!(
            "`{s}` has host bits set (did you mean {}?)",
            net.trunc()
        )),
        Err(_) => Err(format!(
            "`{s}` is not an IPv4 CIDR block such as `10.0.0.0/16`"
        )),
    }
}

fn valid_param_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && name.len() <= 64
}

/// Reads `parameters:`. Problems are reported; the parameters that are fine are returned.
pub(crate) fn declare(cx: &mut Cx<'_>, y: &Yaml) -> Vec<Param> {
    let Node::Map(entries) = &y.node else {
        if !matches!(y.node, Node::Null) {
            let d = cx.diag(
                Code::WrongType,
                y.label_span(cx.text),
                format!("parameters: expected a mapping, found {}", y.describe()),
                "expected a mapping",
            );
            cx.push(d.help("write `parameters:` then one `name: { type: string }` per line"));
        }
        return Vec::new();
    };
    let mut out: Vec<Param> = Vec::new();
    for (key, body) in entries {
        let name = key.scalar_text(cx.text).unwrap_or_default();
        if let Some(first) = out.iter().find(|p| p.name == name) {
            let d = cx
                .diag(
                    Code::DuplicateKey,
                    key.span,
                    format!("duplicate parameter `{name}`"),
                    "declared again here",
                )
                .also(first.span, "first declared here")
                .help("a parameter is declared once; remove one of them");
            cx.push(d);
            continue;
        }
        if !valid_param_name(&name) {
            let d = cx.diag(
                Code::InvalidValue,
                key.span,
                format!("invalid parameter name `{name}`"),
                "not a parameter name",
            );
            cx.push(d.help("use lower-case letters, digits and `_`, starting with a letter (it is written `${param.name}`)"));
            continue;
        }
        if let Some(p) = param(cx, &name, key, body) {
            out.push(p);
        }
    }
    out
}

fn param(cx: &mut Cx<'_>, name: &str, key: &Yaml, body: &Yaml) -> Option<Param> {
    let Node::Map(entries) = &body.node else {
        let d = cx.diag(
            Code::WrongType,
            body.label_span(cx.text),
            format!(
                "parameter `{name}`: expected a mapping with `type`, found {}",
                body.describe()
            ),
            "expected a mapping",
        );
        cx.push(d.help(format!(
            "write `{name}: {{ type: string }}` ({})",
            one_of(TYPES)
        )));
        return None;
    };
    let before = cx.diags.len();
    let get = |k: &str| {
        entries
            .iter()
            .find(|(key, _)| key.node == Node::Str(k.into()))
    };
    for (k, _) in entries {
        let field = k.scalar_text(cx.text).unwrap_or_default();
        if !PARAM_KEYS.contains(&field.as_str()) {
            let help = closest(&field, PARAM_KEYS.iter().copied())
                .map(|c| format!("did you mean `{c}`?"))
                .unwrap_or_else(|| format!("a parameter has {}", all_of(PARAM_KEYS)));
            let d = cx.diag(
                Code::UnknownField,
                k.span,
                format!("unknown field `{field}` in parameter `{name}`"),
                "unknown field",
            );
            cx.push(d.help(help));
        }
    }
    let word = |cx: &mut Cx<'_>, field: &str, words: &[&str]| -> Option<String> {
        let (_, y) = get(field)?;
        let s = y.scalar_text(cx.text).unwrap_or_default();
        if words.contains(&s.as_str()) {
            return Some(s);
        }
        let help = closest(&s, words.iter().copied())
            .map(|c| format!("did you mean `{c}`?"))
            .unwrap_or_else(|| format!("use {}", one_of(words)));
        let d = cx.diag(
            Code::InvalidEnum,
            y.label_span(cx.text),
            format!(
                "parameter `{name}`: {field} `{s}` is not one of {}",
                one_of(words)
            ),
            "not a valid choice",
        );
        cx.push(d.help(help));
        None
    };
    let Some(ty) = word(cx, "type", TYPES) else {
        if get("type").is_none() {
            let d = cx.diag(
                Code::MissingField,
                key.span,
                format!("parameter `{name}` has no `type`"),
                "no `type`",
            );
            cx.push(d.help(format!("add `type:` {}", one_of(TYPES))));
        }
        return None;
    };
    let items = word(cx, "items", ITEM_TYPES);
    if let Some((k, _)) = get("items").filter(|_| ty != "list") {
        let d = cx.diag(
            Code::InvalidValue,
            k.span,
            format!("parameter `{name}`: `items` is only for a list"),
            "not a list",
        );
        cx.push(d.help("remove `items`, or make the parameter `type: list`"));
    }
    let mut allowed = Vec::new();
    if let Some((_, y)) = get("allowed") {
        match &y.node {
            Node::Seq(list) => {
                for item in list {
                    let v = to_pv(item, cx.text);
                    match v.as_ref().map(|v| check_type(&ty, items.as_deref(), v)) {
                        Some(Ok(())) => allowed.extend(v),
                        Some(Err(e)) => {
                            let d = cx.diag(
                                Code::WrongType,
                                item.label_span(cx.text),
                                format!("parameter `{name}`: allowed value: {e}"),
                                "wrong type",
                            );
                            cx.push(d);
                        }
                        None => {}
                    }
                }
            }
            _ => {
                let d = cx.diag(
                    Code::WrongType,
                    y.label_span(cx.text),
                    format!(
                        "parameter `{name}`: `allowed` must be a list, found {}",
                        y.describe()
                    ),
                    "expected a list",
                );
                cx.push(d.help("write `allowed: [a, b]`"));
            }
        }
    }
    let mut p = Param {
        name: name.to_owned(),
        ty,
        items,
        default: None,
        allowed,
        span: key.span,
    };
    if let Some((_, y)) = get("default") {
        let place = Place {
            source: cx.source.clone(),
            text: cx.text,
        };
        p.default = typed(&place, &p, y, "default", &mut cx.diags);
    }
    if let Some((_, y)) = get("description")
        && !matches!(y.node, Node::Str(_))
    {
        let d = cx.diag(
            Code::WrongType,
            y.label_span(cx.text),
            format!(
                "parameter `{name}`: description: expected text, found {}",
                y.describe()
            ),
            "expected text",
        );
        cx.push(d);
    }
    (cx.diags.len() == before).then_some(p)
}

/// A value for `p`, checked: its type and its allowed values. `what` says where it came from.
fn typed(
    place: &Place<'_>,
    p: &Param,
    y: &Yaml,
    what: &str,
    diags: &mut Vec<SpecDiagnostic>,
) -> Option<Pv> {
    let span = y.label_span(place.text);
    let Some(v) = to_pv(y, place.text) else {
        let d = diag(
            place,
            Code::WrongType,
            span,
            format!("parameter `{}` ({what}): no value", p.name),
            "nothing here",
        );
        diags.push(d.help(format!("give a value of type `{}`", p.ty)));
        return None;
    };
    if let Err(e) = check_type(&p.ty, p.items.as_deref(), &v) {
        let code = if p.ty == "cidr" || p.items.as_deref() == Some("cidr") {
            Code::InvalidCidr
        } else {
            Code::WrongType
        };
        let mut ty = p.ty.clone();
        if let Some(items) = &p.items {
            ty = format!("list of {items}");
        }
        let d = diag(
            place,
            code,
            span,
            format!("parameter `{}` ({what}): {e}", p.name),
            format!("not a {ty}"),
        );
        diags.push(d.help(format!("`{}` is declared `type: {}`", p.name, p.ty)));
        return None;
    }
    if !p.allowed.is_empty() && !p.allowed.contains(&v) {
        let shown: Vec<String> = p.allowed.iter().map(ToString::to_string).collect();
        let d = diag(
            place,
            Code::InvalidEnum,
            span,
            format!("parameter `{}` ({what}): {v} is not allowed", p.name),
            "not an allowed value",
        );
        diags.push(d.help(format!(
            "the allowed values are {}",
            all_of(&shown.iter().map(String::as_str).collect::<Vec<_>>())
        )));
        return None;
    }
    Some(v)
}

/// The `environments:` key's rules: each name becomes part of a `recon:env` value.
fn valid_env_name(name: &str) -> bool {
    (1..=24).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Reads `environments:`: each environment's values, for parameters that exist.
pub(crate) fn environments<'y>(
    cx: &mut Cx<'_>,
    y: &'y Yaml,
    params: &[Param],
    declared: &[String],
) -> Vec<Environment<'y>> {
    let Node::Map(entries) = &y.node else {
        let d = cx.diag(
            Code::WrongType,
            y.label_span(cx.text),
            format!(
                "environments: expected a mapping of names to values, found {}",
                y.describe()
            ),
            "expected a mapping",
        );
        cx.push(d.help("write `environments:` then one `name: { parameter: value }` per line, e.g. `prod: { cidr: 10.0.0.0/16 }`"));
        return Vec::new();
    };
    let mut out: Vec<Environment<'y>> = Vec::new();
    for (key, body) in entries {
        let name = key.scalar_text(cx.text).unwrap_or_default();
        if let Some(first) = out.iter().find(|e| e.name == name) {
            let d = cx
                .diag(
                    Code::DuplicateKey,
                    key.span,
                    format!("duplicate environment `{name}`"),
                    "defined again here",
                )
                .also(first.span, "first defined here")
                .help("each environment is defined once; remove one of them");
            cx.push(d);
            continue;
        }
        if !valid_env_name(&name) {
            let d = cx.diag(
                Code::InvalidValue,
                key.span,
                format!("invalid environment name `{name}`"),
                "not an environment name",
            );
            cx.push(d.help("use 1 to 24 lower-case letters, digits and `-`, starting with a letter (it becomes part of the `recon:env` tag)"));
            continue;
        }
        let mut env = Environment {
            name: name.clone(),
            span: key.span,
            values: Vec::new(),
        };
        match &body.node {
            Node::Null => {}
            Node::Map(values) => {
                for (k, v) in values {
                    let pname = k.scalar_text(cx.text).unwrap_or_default();
                    if let Some((_, first, _)) = env.values.iter().find(|(n, _, _)| *n == pname) {
                        let d = cx
                            .diag(
                                Code::DuplicateKey,
                                k.span,
                                format!("duplicate key `{pname}` in environment `{name}`"),
                                "given again here",
                            )
                            .also(*first, "first given here")
                            .help("a key may appear once in a mapping; remove one of them");
                        cx.push(d);
                        continue;
                    }
                    if !declared.contains(&pname) {
                        unknown_param(
                            cx,
                            k.span,
                            &pname,
                            declared,
                            &format!("environment `{name}`"),
                        );
                        continue;
                    }
                    if let Some(p) = params.iter().find(|p| p.name == pname) {
                        let place = Place {
                            source: cx.source.clone(),
                            text: cx.text,
                        };
                        typed(
                            &place,
                            p,
                            v,
                            &format!("environment `{name}`"),
                            &mut cx.diags,
                        );
                    }
                    env.values.push((pname, k.span, v));
                }
            }
            _ => {
                let d = cx.diag(
                    Code::WrongType,
                    body.label_span(cx.text),
                    format!(
                        "environment `{name}`: expected a mapping of parameter values, found {}",
                        body.describe()
                    ),
                    "expected a mapping",
                );
                cx.push(d.help(format!("write `{name}: {{ parameter: value }}`, or `{name}: {{}}` to take every default")));
            }
        }
        out.push(env);
    }
    out
}

fn unknown_param(cx: &mut Cx<'_>, span: SourceSpan, name: &str, declared: &[String], within: &str) {
    let d = cx.diag(
        Code::UnknownField,
        span,
        format!("unknown parameter `{name}` in {within}"),
        "not a parameter",
    );
    cx.push(d.help(unknown_help(name, declared)));
}

fn unknown_help(name: &str, declared: &[String]) -> String {
    match closest(name, declared.iter().map(String::as_str)) {
        Some(c) => format!("did you mean `{c}`?"),
        None if declared.is_empty() => {
            "this file declares no parameters: declare it under `parameters:`".to_owned()
        }
        None => format!(
            "the parameters are {}",
            all_of(&declared.iter().map(String::as_str).collect::<Vec<_>>())
        ),
    }
}

/// Where in the file to point when the run's choice is wrong (`--env` unknown or missing).
pub(crate) struct Anchors {
    /// The `environments:` key, if the file has one.
    pub environments: Option<SourceSpan>,
    /// The first key of the file.
    pub top: SourceSpan,
}

/// The values of one run: the chosen environment's, the values file's and `--set`'s over the
/// defaults. `None` when something is missing or wrong (each problem is reported).
pub(crate) fn resolve(
    cx: &mut Cx<'_>,
    params: &[Param],
    declared: &[String],
    envs: Option<&[Environment<'_>]>,
    inputs: &Inputs,
    anchors: &Anchors,
) -> Option<(Option<String>, BTreeMap<String, Pv>)> {
    let before = cx.diags.len();
    let chosen = choose_env(cx, envs, inputs.env.as_deref(), anchors);
    if cx.diags.len() > before {
        // No environment: its values, and so what is missing, are unknown.
        return None;
    }
    let mut values: BTreeMap<String, Pv> = params
        .iter()
        .filter_map(|p| Some((p.name.clone(), p.default.clone()?)))
        .collect();
    // Where each value came from, for "has no value" advice.
    if let Some(env) = chosen {
        for (name, _, y) in &env.values {
            if let Some(v) = to_pv(y, cx.text) {
                values.insert(name.clone(), v);
            }
        }
    }
    // Parameters the values file or `--set` gave, valid or not: a wrong value is reported where
    // it was written, not again as a missing one.
    let mut given = BTreeSet::new();
    if let Some(file) = &inputs.values {
        values_file(cx, params, declared, file, &mut values, &mut given);
    }
    for arg in &inputs.set {
        set_arg(cx, params, declared, arg, &mut values, &mut given);
    }
    for p in params {
        if !values.contains_key(&p.name) && !given.contains(&p.name) {
            let whose = chosen.map_or("this run".to_owned(), |e| {
                format!("environment `{}`", e.name)
            });
            let d = cx.diag(
                Code::MissingField,
                p.span,
                format!("parameter `{}` has no value for {whose}", p.name),
                "no value",
            );
            let help = match chosen {
                Some(e) => format!(
                    "give it in `environments: {}:`, give it a `default`, or pass `--set {}=<value>`",
                    e.name, p.name
                ),
                None => format!("give it a `default`, or pass `--set {}=<value>`", p.name),
            };
            cx.push(d.help(help));
        }
    }
    let failed =
        cx.diags.len() > before || (envs.is_some_and(|e| !e.is_empty()) && chosen.is_none());
    (!failed).then(|| (chosen.map(|e| e.name.clone()), values))
}

fn choose_env<'e, 'y>(
    cx: &mut Cx<'_>,
    envs: Option<&'e [Environment<'y>]>,
    wanted: Option<&str>,
    anchors: &Anchors,
) -> Option<&'e Environment<'y>> {
    let names: Vec<&str> = envs
        .unwrap_or_default()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    match (envs, wanted) {
        (None, None) => None,
        (None, Some(w)) => {
            let d = cx.diag(
                Code::InvalidValue,
                anchors.top,
                format!(
                    "`--env {w}`: this file defines one environment, it has no `environments:`"
                ),
                "no `environments:` in this file",
            );
            cx.push(
                d.help("leave out `--env`, or add `environments:` with one entry per environment"),
            );
            None
        }
        (Some(_), None) => {
            let span = anchors.environments.unwrap_or(anchors.top);
            let d = cx.diag(
                Code::MissingField,
                span,
                "this file defines several environments: choose one with `--env`",
                "the environments",
            );
            cx.push(d.help(format!("pass `--env` with {}", one_of(&names))));
            None
        }
        (Some(envs), Some(w)) => {
            let found = envs.iter().find(|e| e.name == w);
            if found.is_none() {
                let span = anchors.environments.unwrap_or(anchors.top);
                let help = closest(w, names.iter().copied())
                    .map(|c| format!("did you mean `--env {c}`?"))
                    .unwrap_or_else(|| format!("this file defines {}", all_of(&names)));
                let d = cx.diag(
                    Code::InvalidValue,
                    span,
                    format!("`--env {w}`: this file defines no environment `{w}`"),
                    "the environments",
                );
                cx.push(d.help(help));
            }
            found
        }
    }
}

fn values_file(
    cx: &mut Cx<'_>,
    params: &[Param],
    declared: &[String],
    file: &SourceFile,
    values: &mut BTreeMap<String, Pv>,
    given: &mut BTreeSet<String>,
) {
    let text: Arc<str> = Arc::from(file.text.as_str());
    let place = Place {
        source: ShownSource::new(&file.name, &text),
        text: &file.text,
    };
    let root = match yaml::parse(&file.text) {
        Ok(root) => root,
        Err(e) => {
            let d = diag(
                &place,
                Code::Syntax,
                e.span,
                format!("invalid YAML: {}", e.message),
                "here",
            );
            cx.push(d);
            return;
        }
    };
    let entries = match &root.node {
        Node::Map(entries) => entries.as_slice(),
        Node::Null => &[],
        _ => {
            let d = diag(
                &place,
                Code::WrongType,
                root.label_span(&file.text),
                format!(
                    "a values file is a mapping of parameter names to values, found {}",
                    root.describe()
                ),
                "expected a mapping",
            );
            cx.push(d.help("write one `name: value` per line"));
            return;
        }
    };
    for (k, v) in entries {
        let name = k.scalar_text(&file.text).unwrap_or_default();
        let Some(p) = params.iter().find(|p| p.name == name) else {
            let d = diag(
                &place,
                Code::UnknownField,
                k.span,
                format!("unknown parameter `{name}` in the values file"),
                "not a parameter",
            );
            cx.push(d.help(unknown_help(&name, declared)));
            continue;
        };
        given.insert(name.clone());
        if let Some(v) = typed(&place, p, v, "values file", &mut cx.diags) {
            values.insert(name, v);
        }
    }
}

/// `--set name=value`: the diagnostic shows the argument itself.
fn set_arg(
    cx: &mut Cx<'_>,
    params: &[Param],
    declared: &[String],
    arg: &str,
    values: &mut BTreeMap<String, Pv>,
    given: &mut BTreeSet<String>,
) {
    let text: Arc<str> = Arc::from(arg);
    let place = Place {
        source: ShownSource::new("--set", &text),
        text: arg,
    };
    let Some((name, value)) = arg.split_once('=') else {
        let d = diag(
            &place,
            Code::Syntax,
            (0, arg.len()).into(),
            format!("`--set {arg}`: expected `name=value`"),
            "no `=`",
        );
        cx.push(d.help(format!("write `--set {arg}=<value>`")));
        return;
    };
    let Some(p) = params.iter().find(|p| p.name == name) else {
        let d = diag(
            &place,
            Code::UnknownField,
            (0, name.len()).into(),
            format!("`--set`: unknown parameter `{name}`"),
            "not a parameter",
        );
        cx.push(d.help(unknown_help(name, declared)));
        return;
    };
    given.insert(name.to_owned());
    let offset = name.len() + 1;
    // The value is read as YAML, so `false`, `5432` and `[a, b]` have their types; its spans are
    // moved to where the value starts in the argument.
    let mut y = match yaml::parse(value) {
        Ok(y) => y,
        Err(e) => {
            let d = diag(
                &place,
                Code::Syntax,
                (offset + e.span.offset(), e.span.len()).into(),
                format!("`--set {name}`: invalid value: {}", e.message),
                "here",
            );
            cx.push(d);
            return;
        }
    };
    shift(&mut y, offset);
    let padded = format!("{}{value}", " ".repeat(offset));
    let place = Place {
        source: place.source,
        text: &padded,
    };
    if let Some(v) = typed(&place, p, &y, "--set", &mut cx.diags) {
        values.insert(name.to_owned(), v);
    }
}

/// Moves every span of `y` by `by` bytes.
fn shift(y: &mut Yaml, by: usize) {
    y.span = (y.span.offset() + by, y.span.len()).into();
    match &mut y.node {
        Node::Seq(items) => items.iter_mut().for_each(|i| shift(i, by)),
        Node::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            shift(k, by);
            shift(v, by);
        }),
        _ => {}
    }
}
