//! The `lookups:` mapping: existing resources the spec uses but never owns.
//!
//! Each entry is `kind.name: { filters }` for a kind that can be looked up
//! (`recon_model::lookup::KINDS`), checked against that kind's filter schema like a resource
//! against its fields. Lookups are read before `resources:`, so resources can refer to them;
//! their own references may only name other lookups (they are found before any change).

use recon_model::lookup::{self, Lookup};
use recon_model::{Address, Kind};

use crate::diagnostic::Code;
use crate::suggest::closest;
use crate::values::{Cx, Res, all_of};
use crate::yaml::{Node, Yaml};

/// A lookup's address with its key and filters, before the filters are checked.
pub(crate) type Declared<'y> = (Address, &'y Yaml, &'y Yaml);

/// Pass 1: the lookups' addresses, so that lookups and resources can refer to them in any
/// order.
pub(crate) fn declare<'y>(cx: &mut Cx<'_>, y: &'y Yaml) -> Vec<Declared<'y>> {
    let entries = match &y.node {
        Node::Map(entries) => entries.as_slice(),
        Node::Null => &[],
        _ => {
            let d = cx.diag(
                Code::WrongType,
                y.label_span(cx.text),
                format!(
                    "lookups: expected a mapping of addresses to filters, found {}",
                    y.describe()
                ),
                "expected a mapping",
            );
            cx.push(d.help("write `lookups:` then one `kind.name: { ... }` per line, e.g. `vpc.default: { default: true }`"));
            return Vec::new();
        }
    };
    let names: Vec<&str> = lookup::KINDS.iter().map(|k| k.as_str()).collect();
    let mut declared: Vec<Declared<'y>> = Vec::new();
    for (key, body) in entries {
        let text = key.scalar_text(cx.text).unwrap_or_else(|| key.describe());
        let address = match text.parse::<Address>() {
            Ok(a) if lookup::def(a.kind).is_some() => a,
            Ok(a) => {
                let d = cx.diag(
                    Code::UnknownKind,
                    key.label_span(cx.text),
                    format!("a {} cannot be looked up", a.kind),
                    "not a lookup kind",
                );
                cx.push(d.help(format!(
                    "the kinds that can be looked up are {}",
                    all_of(&names)
                )));
                continue;
            }
            Err(_) => {
                let kind = text.split('.').next().unwrap_or_default();
                let help = match closest(kind, names.iter().copied()) {
                    Some(k) if k != kind => format!("did you mean `{k}.…`?"),
                    _ => format!(
                        "a lookup key is `kind.name`, e.g. `vpc.default`; the kinds are {}",
                        all_of(&names)
                    ),
                };
                let d = cx.diag(
                    Code::BadAddress,
                    key.label_span(cx.text),
                    format!("`{text}` is not a lookup address"),
                    "not `kind.name`",
                );
                cx.push(d.help(help));
                continue;
            }
        };
        if let Some(first) = cx.known.get(&address) {
            let d = cx
                .diag(
                    Code::DuplicateKey,
                    key.span,
                    format!("duplicate lookup `{address}`"),
                    "defined again here",
                )
                .also(*first, "first defined here")
                .help("each address names one thing; rename or remove one of them");
            cx.push(d);
            continue;
        }
        cx.known.insert(address.clone(), key.span);
        cx.lookups.insert(address.clone());
        declared.push((address, key, body));
    }
    declared
}

/// Pass 2: each lookup's filters through its kind's filter schema (once every address, of
/// lookups and resources, is known).
pub(crate) fn convert(cx: &mut Cx<'_>, declared: Vec<Declared<'_>>) -> Vec<Lookup> {
    let mut out = Vec::new();
    for (address, key, body) in declared {
        let def = lookup::def(address.kind).expect("checked in pass 1");
        let before = cx.diags.len();
        let mut res = Res {
            base: address.to_string(),
            ..Res::default()
        };
        res.spans.insert(Vec::new(), key.span);
        let body = match &body.node {
            Node::Null => Yaml {
                span: body.span,
                node: Node::Map(Vec::new()),
            },
            Node::Map(_) => body.clone(),
            _ => {
                let d = cx.diag(
                    Code::WrongType,
                    body.label_span(cx.text),
                    format!(
                        "`{address}`: expected a mapping of filters, found {}",
                        body.describe()
                    ),
                    "expected a mapping",
                );
                cx.push(d.help(format!("e.g. `{}`", example(address.kind))));
                continue;
            }
        };
        let mut path = Vec::new();
        let (filters, _) = cx.object(&mut res, def.fields, &body, &mut path, key.span, &[]);
        // A lookup is found before anything changes: it cannot wait for a managed resource.
        for (target, span) in &res.refs {
            if !cx.lookups.contains(target) {
                let d = cx.diag(
                    Code::WrongKind,
                    *span,
                    format!("`{address}` refers to `{target}`, which is not a lookup"),
                    "not a lookup",
                );
                cx.push(d.help("a lookup's filters may only refer to other lookups"));
            }
        }
        let found = Lookup { address, filters };
        if cx.diags.len() == before {
            for problem in (def.check)(&found) {
                let d = cx
                    .diag(Code::Check, key.span, &problem.message, &problem.label)
                    .maybe_help(problem.help.clone());
                cx.push(d);
            }
        }
        out.push(found);
    }
    out
}

/// A resource key naming a kind recon only looks up.
pub(crate) fn lookup_only_resource(cx: &mut Cx<'_>, key: &Yaml, address: &Address) {
    let d = cx.diag(
        Code::WrongKind,
        key.label_span(cx.text),
        format!(
            "recon does not manage {}s: `{address}` can only be looked up",
            address.kind
        ),
        "lookup only",
    );
    cx.push(d.help(format!(
        "move it under `lookups:`, e.g. `{}`",
        example(address.kind)
    )));
}

fn example(kind: Kind) -> &'static str {
    match kind {
        Kind::Image => {
            "image.al2023: { owners: [amazon], name: al2023-ami-2023.*-x86_64, architecture: x86_64 }"
        }
        Kind::Subnet => "subnet.default_a: { vpc: vpc.default, availability_zone: us-east-1a }",
        Kind::SecurityGroup => "security_group.default: { vpc: vpc.default, name: default }",
        _ => "vpc.default: { default: true }",
    }
}
