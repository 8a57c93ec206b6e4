//! YAML to [`Value`], generic over the schema's [`Type`]: one function per type, none per kind.
//!
//! Every function reports what is wrong with the node it is given and returns `None` for it,
//! so the caller carries on with the next field: one parse reports everything it can.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::Ipv4Net;
use miette::SourceSpan;

use crate::shown::ShownSource;
use recon_model::value::Part;
use recon_model::{
    Address, AddressError, Field, Kind, Presence, Reference, Type, Update, Value, kinds,
};

use crate::diagnostic::{Code, SpecDiagnostic};
use crate::suggest::closest;
use crate::yaml::{Node, Yaml};

/// What every check needs: the text, where diagnostics go, and which resources exist.
pub(crate) struct Cx<'t> {
    pub text: &'t str,
    pub source: ShownSource,
    pub diags: Vec<SpecDiagnostic>,
    /// Every resource the spec declares (first occurrence), with the span of its key.
    pub known: BTreeMap<Address, SourceSpan>,
    /// The addresses of `known` that are lookups, not resources.
    pub lookups: BTreeSet<Address>,
    /// Every resource's value spans by path, kept for diagnostics made after the parse.
    pub positions: BTreeMap<Address, BTreeMap<Vec<String>, SourceSpan>>,
    /// The resources' `review: { silence: [...] }` annotations, in file order.
    pub silences: Vec<recon_model::Silence>,
    /// `outputs:`, in file order.
    pub outputs: Vec<(String, Value)>,
}

/// What converting one resource records besides its values.
#[derive(Default)]
pub(crate) struct Res {
    /// The resource's address as text (`vpc.main`), or empty at the top level.
    pub base: String,
    /// The span of the value at each path (`["ingress", "0", "ports"]`); `[]` is the key.
    pub spans: BTreeMap<Vec<String>, SourceSpan>,
    /// Every resource referenced, with the span of the reference, in file order.
    pub refs: Vec<(Address, SourceSpan)>,
}

impl<'t> Cx<'t> {
    pub fn diag(
        &self,
        code: Code,
        span: SourceSpan,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> SpecDiagnostic {
        SpecDiagnostic::new(&self.source, code, span, message, label)
    }

    pub fn push(&mut self, d: SpecDiagnostic) {
        self.diags.push(d);
    }

    /// A context on the same file whose findings the caller may drop (to try something out).
    pub fn scratch(&self) -> Cx<'t> {
        Cx {
            text: self.text,
            source: self.source.clone(),
            diags: Vec::new(),
            known: BTreeMap::new(),
            lookups: BTreeSet::new(),
            positions: BTreeMap::new(),
            silences: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// Converts `y` to a value of type `ty`, recording spans under `path`.
    pub fn value(
        &mut self,
        res: &mut Res,
        ty: &Type,
        y: &Yaml,
        path: &mut Vec<String>,
    ) -> Option<Value> {
        res.spans.insert(path.clone(), y.label_span(self.text));
        if let Node::Null = y.node {
            return self.wrong_type(res, ty, y, path);
        }
        match ty {
            Type::Bool => match y.node {
                Node::Bool(b) => Some(Value::Bool(b)),
                _ => self.wrong_type(res, ty, y, path),
            },
            Type::Int { min, max } => match y.node {
                Node::Int(i) if (i128::from(*min)..=i128::from(*max)).contains(&i) => {
                    Some(Value::Int(i as i64))
                }
                Node::Int(i) => {
                    let d = self.diag(
                        Code::OutOfRange,
                        y.span,
                        format!("{}: {i} is out of range", res.show(path)),
                        format!("not in {min}..={max}"),
                    );
                    self.push(d.help(format!("use a whole number from {min} to {max}")));
                    None
                }
                _ => self.wrong_type(res, ty, y, path),
            },
            Type::String => {
                let Some(s) = y.scalar_text(self.text) else {
                    return self.wrong_type(res, ty, y, path);
                };
                match Value::parse_template(&s) {
                    None => Some(Value::String(s)),
                    Some(parsed) => self.template(res, y, path, parsed),
                }
            }
            Type::Enum(words) => {
                let Some(s) = y.scalar_text(self.text) else {
                    return self.wrong_type(res, ty, y, path);
                };
                if words.contains(&s.as_str()) {
                    return Some(Value::String(s));
                }
                let d = self.diag(
                    Code::InvalidEnum,
                    y.span,
                    format!("{}: `{s}` is not one of {}", res.show(path), one_of(words)),
                    "not a valid choice",
                );
                let help = closest(&s, words.iter().copied())
                    .map(|w| format!("did you mean `{w}`?"))
                    .unwrap_or_else(|| format!("use {}", one_of(words)));
                self.push(d.help(help));
                None
            }
            Type::Cidr => {
                let Node::Str(s) = &y.node else {
                    return self.wrong_type(res, ty, y, path);
                };
                self.cidr(res, y, path, s)
            }
            Type::Ref(kinds) => {
                let Node::Str(s) = &y.node else {
                    return self.wrong_type(res, ty, y, path);
                };
                self.reference(res, y, path, s, kinds, false)
            }
            Type::CidrOrRef(kinds) => {
                let Node::Str(s) = &y.node else {
                    return self.wrong_type(res, ty, y, path);
                };
                if s.starts_with(|c: char| c.is_ascii_digit()) {
                    self.cidr(res, y, path, s)
                } else {
                    self.reference(res, y, path, s, kinds, true)
                }
            }
            Type::Ports => self.ports(res, y, path),
            Type::List(inner) | Type::Set(inner) => {
                let Node::Seq(items) = &y.node else {
                    return self.wrong_type(res, ty, y, path);
                };
                let is_set = matches!(ty, Type::Set(_));
                let mut out = Vec::with_capacity(items.len());
                let mut seen: Vec<(Value, SourceSpan)> = Vec::new();
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    match self.value(res, inner, item, path) {
                        Some(v) => {
                            if is_set {
                                let canonical = recon_model::schema::canonical(inner, &v);
                                let span = item.label_span(self.text);
                                if let Some(j) = seen.iter().position(|(s, _)| *s == canonical) {
                                    let first = seen[j].1;
                                    let what = match item.scalar_text(self.text) {
                                        Some(t) => format!("`{t}` is listed twice"),
                                        None => format!("item {i} is the same as item {j}"),
                                    };
                                    let d = self
                                        .diag(
                                            Code::DuplicateItem,
                                            span,
                                            format!(
                                                "{}: {what}",
                                                res.show(&path[..path.len() - 1])
                                            ),
                                            "the same as an earlier item",
                                        )
                                        .also(first, "first here")
                                        .help("this is a set: each item may appear once; remove one of them");
                                    self.push(d);
                                    ok = false;
                                } else {
                                    seen.push((canonical, span));
                                }
                            }
                            out.push(v);
                        }
                        None => ok = false,
                    }
                    path.pop();
                }
                ok.then_some(Value::List(out))
            }
            Type::Object(fields) => {
                let Node::Map(_) = &y.node else {
                    return self.wrong_type(res, ty, y, path);
                };
                let anchor = y.label_span(self.text);
                let (attrs, ok) = self.object(res, fields, y, path, anchor, &[]);
                ok.then_some(Value::Map(attrs))
            }
            Type::Document => self.document(res, y, path),
            Type::Tags => {
                let tags = self.tags(res, y, path)?;
                Some(Value::Map(
                    tags.into_iter()
                        .map(|(k, v)| (k, Value::String(v)))
                        .collect(),
                ))
            }
        }
    }

    /// Converts a mapping against `fields`. Keys in `extra` are left to the caller (they count
    /// for "did you mean"). Missing required fields are reported at `anchor`. Returns the values
    /// that converted and whether everything did.
    pub fn object(
        &mut self,
        res: &mut Res,
        fields: &'static [Field],
        y: &Yaml,
        path: &mut Vec<String>,
        anchor: SourceSpan,
        extra: &[&str],
    ) -> (BTreeMap<String, Value>, bool) {
        let before = self.diags.len();
        let mut attrs = BTreeMap::new();
        let mut suggested = BTreeSet::new();
        let entries = match &y.node {
            Node::Map(entries) => entries.as_slice(),
            _ => &[],
        };
        let mut seen: BTreeMap<String, SourceSpan> = BTreeMap::new();
        for (key, value) in entries {
            let name = key.scalar_text(self.text).unwrap_or_default();
            if let Some(first) = seen.get(&name) {
                let d = self.duplicate_key(res, path, &name, key.span, *first);
                self.push(d);
                continue;
            }
            seen.insert(name.clone(), key.span);
            if extra.contains(&name.as_str()) {
                continue;
            }
            let Some(field) = fields.iter().find(|f| f.name == name) else {
                let names = fields.iter().map(|f| f.name).chain(extra.iter().copied());
                let close = closest(&name, names.clone());
                if let Some(c) = close {
                    suggested.insert(c);
                }
                let help = match close {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => format!("the fields here are {}", all_of(&names.collect::<Vec<_>>())),
                };
                let within = if path.is_empty() && res.base.is_empty() {
                    String::new()
                } else {
                    format!(" in `{}`", res.show(path))
                };
                let d = self.diag(
                    Code::UnknownField,
                    key.span,
                    format!("unknown field `{name}`{within}"),
                    "unknown field",
                );
                self.push(d.help(help));
                continue;
            };
            path.push(name.clone());
            if let Some(v) = self.value(res, &field.ty, value, path) {
                attrs.insert(name, v);
            }
            path.pop();
        }
        for f in fields {
            if matches!(f.presence, Presence::Required)
                && !seen.contains_key(f.name)
                && !suggested.contains(f.name)
            {
                let what = if path.is_empty() && res.base.is_empty() {
                    "the spec".to_owned()
                } else {
                    format!("`{}`", res.show(path))
                };
                let d = self.diag(
                    Code::MissingField,
                    anchor,
                    format!("{what} is missing the required field `{}`", f.name),
                    format!("no `{}`", f.name),
                );
                self.push(d.help(format!("add `{}`: {}", f.name, sentence_case(f.doc))));
            }
        }
        (attrs, self.diags.len() == before)
    }

    pub fn duplicate_key(
        &self,
        res: &Res,
        path: &[String],
        name: &str,
        span: SourceSpan,
        first: SourceSpan,
    ) -> SpecDiagnostic {
        let within = if path.is_empty() && res.base.is_empty() {
            String::new()
        } else {
            format!(" in `{}`", res.show(path))
        };
        self.diag(
            Code::DuplicateKey,
            span,
            format!("duplicate key `{name}`{within}"),
            "given again here",
        )
        .also(first, "first given here")
        .help("a key may appear once in a mapping; remove one of them")
    }

    /// String-to-string tags; numbers and booleans are taken by their text.
    pub fn tags(
        &mut self,
        res: &mut Res,
        y: &Yaml,
        path: &mut Vec<String>,
    ) -> Option<BTreeMap<String, String>> {
        let Node::Map(entries) = &y.node else {
            return self.wrong_type(res, &Type::Tags, y, path);
        };
        let before = self.diags.len();
        let mut tags = BTreeMap::new();
        let mut seen: BTreeMap<String, SourceSpan> = BTreeMap::new();
        for (key, value) in entries {
            let Some(k) = key.scalar_text(self.text) else {
                let d = self.diag(
                    Code::WrongType,
                    key.label_span(self.text),
                    format!("{}: a tag key must be text", res.show(path)),
                    "not text",
                );
                self.push(d);
                continue;
            };
            if let Some(first) = seen.get(&k) {
                let d = self.duplicate_key(res, path, &k, key.span, *first);
                self.push(d);
                continue;
            }
            seen.insert(k.clone(), key.span);
            let reserved = ["aws:", "recon:"].into_iter().find(|p| k.starts_with(p));
            if let Some(prefix) = reserved {
                let why = if prefix == "aws:" {
                    "AWS reserves tag keys starting with `aws:`"
                } else {
                    "recon sets `recon:env` and `recon:id` itself and reserves the `recon:` prefix"
                };
                let d = self.diag(
                    Code::InvalidValue,
                    key.span,
                    format!("{}: tag key `{k}` is reserved", res.show(path)),
                    "reserved prefix",
                );
                self.push(d.help(why));
                continue;
            }
            if k.is_empty() || k.chars().count() > 128 {
                let d = self.diag(
                    Code::InvalidValue,
                    key.label_span(self.text),
                    format!("{}: a tag key must be 1 to 128 characters", res.show(path)),
                    "bad length",
                );
                self.push(d);
                continue;
            }
            if let Some(why) = recon_model::limits::control_problem(&k) {
                let d = self.diag(
                    Code::InvalidValue,
                    key.label_span(self.text),
                    format!("{}: tag key `{}`: {why}", res.show(path), k.escape_debug()),
                    "control character",
                );
                self.push(d.help("write the key on one line, without control characters"));
                continue;
            }
            path.push(k.clone());
            res.spans.insert(path.clone(), value.label_span(self.text));
            match value.scalar_text(self.text) {
                Some(v) if recon_model::limits::control_problem(&v).is_some() => {
                    let why = recon_model::limits::control_problem(&v).unwrap_or_default();
                    let d = self.diag(
                        Code::InvalidValue,
                        value.label_span(self.text),
                        format!("{}: {why}", res.show(path)),
                        "control character",
                    );
                    self.push(d.help("write the value on one line, without control characters"));
                }
                Some(v) if v.chars().count() <= 256 => {
                    tags.insert(k, v);
                }
                Some(_) => {
                    let d = self.diag(
                        Code::InvalidValue,
                        value.label_span(self.text),
                        format!(
                            "{}: a tag value may have at most 256 characters",
                            res.show(path)
                        ),
                        "too long",
                    );
                    self.push(d);
                }
                None => {
                    let d = self.diag(
                        Code::WrongType,
                        value.label_span(self.text),
                        format!(
                            "{}: expected text for the tag's value, found {}",
                            res.show(path),
                            value.describe()
                        ),
                        "expected text",
                    );
                    let d = if let Node::Null = value.node {
                        d.help("write `\"\"` for an empty value")
                    } else {
                        d
                    };
                    self.push(d);
                }
            }
            path.pop();
        }
        (self.diags.len() == before).then_some(tags)
    }

    /// A JSON document: its top is a mapping; inside, any YAML but null, with `${...}` in text
    /// resolved like any other reference.
    fn document(&mut self, res: &mut Res, y: &Yaml, path: &mut Vec<String>) -> Option<Value> {
        if !matches!(y.node, Node::Map(_)) {
            return self.wrong_type(res, &Type::Document, y, path);
        }
        self.json_value(res, y, path)
    }

    fn json_value(&mut self, res: &mut Res, y: &Yaml, path: &mut Vec<String>) -> Option<Value> {
        res.spans.insert(path.clone(), y.label_span(self.text));
        match &y.node {
            Node::Null => self.wrong_type(res, &Type::Document, y, path),
            Node::Bool(b) => Some(Value::Bool(*b)),
            Node::Int(i) => match i64::try_from(*i) {
                Ok(i) => Some(Value::Int(i)),
                Err(_) => self.wrong_type(res, &Type::Document, y, path),
            },
            // JSON numbers that are not whole are kept as written: policies compare them as text.
            Node::Float(_) => y.scalar_text(self.text).map(Value::String),
            Node::Str(s) => match Value::parse_template(s) {
                None => Some(Value::String(s.clone())),
                Some(parsed) => self.template(res, y, path, parsed),
            },
            Node::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    match self.json_value(res, item, path) {
                        Some(v) => out.push(v),
                        None => ok = false,
                    }
                    path.pop();
                }
                ok.then_some(Value::List(out))
            }
            Node::Map(entries) => {
                let mut out = BTreeMap::new();
                let mut seen: BTreeMap<String, SourceSpan> = BTreeMap::new();
                let mut ok = true;
                for (key, value) in entries {
                    let Some(k) = key.scalar_text(self.text) else {
                        let d = self.diag(
                            Code::WrongType,
                            key.label_span(self.text),
                            format!("{}: a key must be text", res.show(path)),
                            "not text",
                        );
                        self.push(d);
                        ok = false;
                        continue;
                    };
                    if let Some(first) = seen.get(&k) {
                        let d = self.duplicate_key(res, path, &k, key.span, *first);
                        self.push(d);
                        ok = false;
                        continue;
                    }
                    seen.insert(k.clone(), key.span);
                    path.push(k.clone());
                    match self.json_value(res, value, path) {
                        Some(v) => {
                            out.insert(k, v);
                        }
                        None => ok = false,
                    }
                    path.pop();
                }
                ok.then_some(Value::Map(out))
            }
        }
    }

    fn wrong_type<T>(&mut self, res: &Res, ty: &Type, y: &Yaml, path: &[String]) -> Option<T> {
        let expected = expected(ty);
        let found = y.describe();
        let help = match (&y.node, ty) {
            (Node::Null, Type::List(_) | Type::Set(_)) => Some(format!(
                "write `{}: []` for an empty list, or remove it",
                path.last().map_or("field", String::as_str)
            )),
            (Node::Null, _) => Some(format!(
                "give a value, or remove `{}` to leave it unset",
                path.last().map_or("the field", String::as_str)
            )),
            (Node::Str(s), Type::Bool) if matches!(s.as_str(), "true" | "false") => {
                Some("remove the quotes".into())
            }
            (Node::Str(_), Type::Bool) => Some(
                "YAML booleans are `true` and `false` (`yes`, `no`, `on`, `off` are text)".into(),
            ),
            (Node::Str(_), Type::Int { .. }) => Some("remove the quotes".into()),
            (Node::Str(_), Type::Document) => Some(
                "write the document as YAML, not as text: JSON is YAML too, so paste it without the surrounding quotes".into(),
            ),
            (_, Type::Ports) => Some("a port (`22`), a range (`1000-2000`) or `all`".into()),
            (_, Type::List(_) | Type::Set(_)) => Some(format!(
                "write a list, e.g. `[{}]`",
                y.scalar_text(self.text).unwrap_or_else(|| "...".into())
            )),
            _ => None,
        };
        let d = self.diag(
            Code::WrongType,
            y.label_span(self.text),
            format!("{}: expected {expected}, found {found}", res.show(path)),
            format!("expected {expected}"),
        );
        self.diags.push(d.maybe_help(help));
        None
    }

    fn cidr(&mut self, res: &Res, y: &Yaml, path: &[String], s: &str) -> Option<Value> {
        match s.parse::<Ipv4Net>() {
            // Only the canonical spelling: `010.0.0.0/16` reads as 10.0.0.0/16 here, but other
            // tools read leading zeros as octal, and AWS refuses them.
            Ok(net) if net.trunc() == net && net.to_string() != s => {
                let d = self.diag(
                    Code::InvalidCidr,
                    y.span,
                    format!(
                        "{}: `{s}` is not written as AWS writes CIDR blocks",
                        res.show(path)
                    ),
                    "not in canonical form",
                );
                self.push(d.help(format!(
                    "write `{net}`: decimal numbers without leading zeros"
                )));
                None
            }
            Ok(net) if net.trunc() == net => Some(Value::String(net.to_string())),
            Ok(net) => {
                let d = self.diag(
                    Code::HostBits,
                    y.span,
                    format!("{}: `{s}` has host bits set", res.show(path)),
                    "host bits set",
                );
                self.push(d.help(format!("did you mean {}?", net.trunc())));
                None
            }
            Err(_) => {
                let help = if s.parse::<std::net::Ipv4Addr>().is_ok() {
                    format!("add a prefix length, e.g. `{s}/16`")
                } else {
                    "write an IPv4 block with a prefix length, e.g. `10.0.0.0/16`".to_owned()
                };
                let d = self.diag(
                    Code::InvalidCidr,
                    y.span,
                    format!("{}: `{s}` is not an IPv4 CIDR block", res.show(path)),
                    "not a CIDR block",
                );
                self.push(d.help(help));
                None
            }
        }
    }

    fn ports(&mut self, res: &Res, y: &Yaml, path: &[String]) -> Option<Value> {
        const HELP: &str = "a port from 0 to 65535 (`22`), a range (`1000-2000`) or `all`";
        let port = |s: &str| s.trim().parse::<u16>().ok();
        let text = match &y.node {
            Node::Int(i) if (0..=65535).contains(i) => return Some(Value::String(i.to_string())),
            Node::Int(_) => None,
            Node::Str(s) if s == "all" => return Some(Value::String(s.clone())),
            Node::Str(s) if port(s).is_some() => {
                return port(s).map(|p| Value::String(p.to_string()));
            }
            Node::Str(s) => match s.split_once('-').map(|(a, b)| (port(a), port(b))) {
                Some((Some(a), Some(b))) if a <= b => {
                    return Some(Value::String(format!("{a}-{b}")));
                }
                Some((Some(a), Some(b))) => {
                    let d = self.diag(
                        Code::InvalidPorts,
                        y.span,
                        format!("{}: the range `{s}` runs backwards", res.show(path)),
                        "first port is above the last",
                    );
                    self.push(d.help(format!("did you mean `{b}-{a}`?")));
                    return None;
                }
                _ => Some(s.clone()),
            },
            _ => return self.wrong_type(res, &Type::Ports, y, path),
        };
        let shown = text.map_or_else(|| y.describe(), |t| format!("`{t}`"));
        let d = self.diag(
            Code::InvalidPorts,
            y.span,
            format!(
                "{}: {shown} is not a port, a port range or `all`",
                res.show(path)
            ),
            "not a port",
        );
        self.push(d.help(HELP));
        None
    }

    /// A string naming a resource of one of `kinds`: it becomes a reference to its id.
    fn reference(
        &mut self,
        res: &mut Res,
        y: &Yaml,
        path: &[String],
        s: &str,
        kinds: &[Kind],
        or_cidr: bool,
    ) -> Option<Value> {
        let address = self.address(res, y.span, path, s, kinds, or_cidr)?;
        res.refs.push((address.clone(), y.span));
        Some(Value::Ref(Reference::id(address)))
    }

    /// Parses and resolves an address written where one of `kinds` is expected.
    pub fn address(
        &mut self,
        res: &Res,
        span: SourceSpan,
        path: &[String],
        s: &str,
        kinds: &[Kind],
        or_cidr: bool,
    ) -> Option<Address> {
        // The usual case first: the list of candidates below is only for the help of an error,
        // and building it for every reference made a spec's check quadratic in its size.
        if let Ok(a) = s.parse::<Address>()
            && kinds.contains(&a.kind)
            && self.known.contains_key(&a)
        {
            return Some(a);
        }
        let expected = if or_cidr {
            format!("a CIDR block or {}", kinds_phrase(kinds))
        } else {
            kinds_phrase(kinds)
        };
        let candidates: Vec<String> = self
            .known
            .keys()
            .filter(|a| kinds.contains(&a.kind))
            .map(Address::to_string)
            .collect();
        let did_you_mean = |word: &str| {
            closest(word, candidates.iter().map(String::as_str))
                .map(|c| format!("did you mean `{c}`?"))
        };
        let listing = || {
            if candidates.is_empty() {
                format!("this spec has no {}", plural(kinds))
            } else {
                format!(
                    "{} in this spec: {}",
                    plural(kinds),
                    all_of(&candidates.iter().map(String::as_str).collect::<Vec<_>>())
                )
            }
        };
        let address = match s.parse::<Address>() {
            Ok(a) => a,
            Err(e) => {
                let inner = s
                    .strip_prefix("${")
                    .and_then(|r| r.strip_suffix('}'))
                    .and_then(|r| Reference::parse(r.trim()).ok());
                let (code, label, help) = match (&e, inner) {
                    (_, Some(r)) => (
                        Code::BadAddress,
                        "not an address".to_owned(),
                        format!("write the address alone: `{}`", r.address),
                    ),
                    (AddressError::UnknownKind(k), _) => (
                        Code::UnknownKind,
                        format!("unknown kind `{k}`"),
                        did_you_mean(s).unwrap_or_else(listing),
                    ),
                    (AddressError::Shape(_), _) => (
                        Code::BadAddress,
                        "not `kind.name`".to_owned(),
                        did_you_mean(s)
                            .or_else(|| {
                                candidates
                                    .iter()
                                    .find(|c| c.split_once('.').is_some_and(|(_, n)| n == s))
                                    .map(|c| format!("did you mean `{c}`?"))
                            })
                            .unwrap_or_else(listing),
                    ),
                    (AddressError::BadName(_), _) => (
                        Code::BadAddress,
                        "bad name".to_owned(),
                        did_you_mean(s).unwrap_or_else(listing),
                    ),
                };
                let d = self.diag(
                    code,
                    span,
                    format!("{}: expected {expected}, found `{s}`", res.show(path)),
                    label,
                );
                self.push(d.help(help));
                return None;
            }
        };
        if !kinds.contains(&address.kind) {
            let d = self.diag(
                Code::WrongKind,
                span,
                format!("{}: expected {expected}, found {address}", res.show(path)),
                format!(
                    "this is {} {}",
                    article(address.kind.as_str()),
                    address.kind
                ),
            );
            self.push(d.help(listing()));
            return None;
        }
        if !self.known.contains_key(&address) {
            let d = self.diag(
                Code::DanglingReference,
                span,
                format!("{}: no resource `{address}`", res.show(path)),
                "not in this spec",
            );
            self.push(d.help(did_you_mean(s).unwrap_or_else(listing)));
            return None;
        }
        Some(address)
    }

    /// A string with `${kind.name.attr}` in it: each reference must name an attribute of a
    /// resource in the spec.
    fn template(
        &mut self,
        res: &mut Res,
        y: &Yaml,
        path: &[String],
        parsed: Result<Vec<Part>, String>,
    ) -> Option<Value> {
        let parts = match parsed {
            Ok(parts) => parts,
            Err(e) => {
                let d = self.diag(
                    Code::BadTemplate,
                    y.span,
                    format!("{}: bad template: {e}", res.show(path)),
                    "bad `${...}`",
                );
                self.push(d.help("a reference is `${kind.name.attribute}`, e.g. `${vpc.main.id}`"));
                return None;
            }
        };
        let refs: Vec<&Reference> = parts
            .iter()
            .filter_map(|p| match p {
                Part::Ref(r) => Some(r),
                Part::Text(_) => None,
            })
            .collect();
        let spans = self.template_spans(y, refs.len());
        let mut ok = true;
        for (r, span) in refs.iter().zip(spans) {
            let shown = format!("${{{}}}", r);
            if res.base == r.address.to_string() {
                let d = self.diag(
                    Code::BadTemplate,
                    span,
                    format!(
                        "{}: `{shown}` refers to the resource itself",
                        res.show(path)
                    ),
                    "refers to itself",
                );
                self.push(d.help("a resource cannot use its own attributes"));
                ok = false;
                continue;
            }
            let Some(address) =
                self.address(res, span, path, &r.address.to_string(), Kind::EVERY, false)
            else {
                ok = false;
                continue;
            };
            let def = kinds::def(address.kind);
            // Intent-only fields (a subnet's `tier`) never reach AWS, so nothing can read them.
            let valid = r.attr == "id"
                || def
                    .field(&r.attr)
                    .is_some_and(|f| f.update != Update::Intent)
                || def.attributes.contains(&r.attr.as_str());
            if !valid {
                let names: Vec<&str> = def
                    .attributes
                    .iter()
                    .copied()
                    .chain(
                        def.fields
                            .iter()
                            .filter(|f| f.update != Update::Intent)
                            .map(|f| f.name),
                    )
                    .collect();
                let help = closest(&r.attr, names.iter().copied())
                    .map(|c| format!("did you mean `${{{address}.{c}}}`?"))
                    .unwrap_or_else(|| {
                        format!(
                            "the attributes of {} {} are {}",
                            article(address.kind.as_str()),
                            address.kind,
                            all_of(&names)
                        )
                    });
                let d = self.diag(
                    Code::BadTemplate,
                    span,
                    format!(
                        "{}: {} `{address}` has no attribute `{}`",
                        res.show(path),
                        address.kind,
                        r.attr
                    ),
                    "unknown attribute",
                );
                self.push(d.help(help));
                ok = false;
                continue;
            }
            res.refs.push((address, span));
        }
        ok.then_some(Value::Template(parts))
    }

    /// The span of each `${...}` in a scalar as written, or the whole scalar when they cannot
    /// be told apart (escapes, folded text).
    fn template_spans(&self, y: &Yaml, count: usize) -> Vec<SourceSpan> {
        let (start, len) = (y.span.offset(), y.span.len());
        let Some(written) = self.text.get(start..start + len) else {
            return vec![y.span; count];
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
        if spans.len() == count {
            spans
        } else {
            vec![y.span; count]
        }
    }
}

impl Res {
    /// `security_group.compute.ingress[1].ports`.
    pub fn show(&self, path: &[String]) -> String {
        let mut out = self.base.clone();
        for p in path {
            if p.bytes().all(|b| b.is_ascii_digit()) && !out.is_empty() {
                out.push_str(&format!("[{p}]"));
            } else {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(p);
            }
        }
        out
    }
}

/// What a type accepts, for "expected ...".
pub(crate) fn expected(ty: &Type) -> String {
    match ty {
        Type::Bool => "a boolean".into(),
        Type::Int { .. } => "a whole number".into(),
        Type::String => "text".into(),
        Type::Enum(words) => one_of(words),
        Type::Cidr => "a CIDR block".into(),
        Type::Ref(kinds) => kinds_phrase(kinds),
        Type::Ports => "a port, a port range or `all`".into(),
        Type::CidrOrRef(kinds) => format!("a CIDR block or {}", kinds_phrase(kinds)),
        Type::List(_) | Type::Set(_) => "a list".into(),
        Type::Object(_) => "a mapping".into(),
        Type::Tags => "a mapping of tag keys to values".into(),
        Type::Document => "a policy document (a mapping)".into(),
    }
}

/// `` `a`, `b` or `c` ``.
pub(crate) fn one_of(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// `` `a`, `b` and `c` ``.
pub(crate) fn all_of(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// `a vpc`, `an internet_gateway or a nat_gateway`.
pub(crate) fn kinds_phrase(kinds: &[Kind]) -> String {
    let words: Vec<String> = kinds
        .iter()
        .map(|k| format!("{} {k}", article(k.as_str())))
        .collect();
    match words.split_last() {
        None => "a resource".into(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// A field's doc as the rest of a sentence: "The VPC." becomes "the VPC.".
fn sentence_case(doc: &str) -> String {
    let mut chars = doc.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second))
            if first.is_ascii_uppercase() && !second.is_ascii_uppercase() =>
        {
            format!("{}{}", first.to_ascii_lowercase(), &doc[1..])
        }
        _ => doc.to_owned(),
    }
}

fn plural(kinds: &[Kind]) -> String {
    let names: Vec<String> = kinds.iter().map(|k| format!("{k}s")).collect();
    if kinds.len() >= Kind::ALL.len() {
        "resources".into()
    } else {
        names.join(" and ")
    }
}

pub(crate) fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}
