//! The lifecycle parts of a spec: the top-level `moved:` and `adopt:` lists, and the resource
//! meta keys `protect:` and `ignore_changes:`. Checked here with positions; kept out of the
//! resources' values except `protect: true`, which becomes the `recon:protect` tag.

use miette::SourceSpan;
use recon_model::{Address, Adopt, Field, Kind, Moved, Presence, Type, Update, Value, kinds, tags};

use crate::diagnostic::Code;
use crate::suggest::closest;
use crate::values::{Cx, Res, all_of};
use crate::yaml::{Node, Yaml};

pub(crate) const PROTECT: &str = "protect";
pub(crate) const IGNORE_CHANGES: &str = "ignore_changes";

pub(crate) static MOVED_FIELDS: [Field; 2] = [
    Field {
        name: "from",
        ty: Type::String,
        presence: Presence::Required,
        update: Update::Intent,
        doc: "The address the resource had (no longer in `resources:`).",
    },
    Field {
        name: "to",
        ty: Type::String,
        presence: Presence::Required,
        update: Update::Intent,
        doc: "The address it has now (in `resources:`, of the same kind).",
    },
];

pub(crate) static ADOPT_FIELDS: [Field; 2] = [
    Field {
        name: "address",
        ty: Type::String,
        presence: Presence::Required,
        update: Update::Intent,
        doc: "The resource in `resources:` that describes the existing resource.",
    },
    Field {
        name: "id",
        ty: Type::String,
        presence: Presence::Required,
        update: Update::Intent,
        doc: "The existing resource's AWS id (`vpc-…`, a key id, `fs-…`).",
    },
];

/// The items of a top-level list of `{ ... }` entries, each converted against `fields`, with
/// the spans of their values under `[section, index, field]`.
fn items(
    cx: &mut Cx<'_>,
    res: &mut Res,
    section: &str,
    fields: &'static [Field],
    y: &Yaml,
    example: &str,
) -> Vec<(usize, std::collections::BTreeMap<String, Value>)> {
    let Node::Seq(list) = &y.node else {
        if matches!(y.node, Node::Null) {
            return Vec::new();
        }
        let d = cx.diag(
            Code::WrongType,
            y.label_span(cx.text),
            format!("{section}: expected a list, found {}", y.describe()),
            "expected a list",
        );
        cx.push(d.help(format!("write `{section}: [ {example} ]`")));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let mut path = vec![section.to_owned(), i.to_string()];
        res.spans.insert(path.clone(), item.label_span(cx.text));
        if !matches!(item.node, Node::Map(_)) {
            let d = cx.diag(
                Code::WrongType,
                item.label_span(cx.text),
                format!(
                    "{section}[{i}]: expected a mapping, found {}",
                    item.describe()
                ),
                "expected a mapping",
            );
            cx.push(d.help(format!("write `{example}`")));
            continue;
        }
        let (values, clean) = cx.object(res, fields, item, &mut path, item.span, &[]);
        if clean {
            out.push((i, values));
        }
    }
    out
}

fn span_at(res: &Res, path: &[&str]) -> SourceSpan {
    let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
    res.spans.get(&path).copied().unwrap_or((0, 0).into())
}

fn text(values: &std::collections::BTreeMap<String, Value>, field: &str) -> String {
    values
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// `moved: [{ from, to }]`. `to` must be a resource of the spec; `from` an address of the same
/// kind that the spec no longer has; each address at most once.
pub(crate) fn moved(cx: &mut Cx<'_>, y: &Yaml) -> Vec<Moved> {
    let mut res = Res::default();
    let mut out: Vec<Moved> = Vec::new();
    for (i, values) in items(
        cx,
        &mut res,
        "moved",
        &MOVED_FIELDS,
        y,
        "{ from: efs_file_system.old, to: efs_file_system.new }",
    ) {
        let idx = i.to_string();
        let from_span = span_at(&res, &["moved", &idx, "from"]);
        let to_span = span_at(&res, &["moved", &idx, "to"]);
        let from_text = text(&values, "from");
        let from = match from_text.parse::<Address>() {
            Ok(a) if a.kind.is_managed() => a,
            _ => {
                let d = cx.diag(
                    Code::BadAddress,
                    from_span,
                    format!("moved[{i}].from: `{from_text}` is not a resource address"),
                    "not `kind.name`",
                );
                cx.push(d.help("write the address the resource had, e.g. `efs_file_system.data`"));
                continue;
            }
        };
        let path = vec!["moved".to_owned(), idx.clone(), "to".to_owned()];
        let Some(to) = cx.address(&res, to_span, &path, &text(&values, "to"), Kind::ALL, false)
        else {
            continue;
        };
        if cx.known.contains_key(&from) {
            let d = cx.diag(
                Code::InvalidValue,
                from_span,
                format!("`{from}` is moved to `{to}` but is still in `resources:`"),
                "still declared",
            );
            cx.push(d.help(format!(
                "a move renames: remove `{from}` from `resources:` (its settings now live under `{to}`)"
            )));
            continue;
        }
        if from.kind != to.kind {
            let d = cx
                .diag(
                    Code::WrongKind,
                    to_span,
                    format!("a move cannot change the kind: `{from}` to `{to}`"),
                    format!("not a {}", from.kind),
                )
                .also(from_span, "moved from here");
            cx.push(d.help(format!(
                "move to a `{}` address, or delete and create instead",
                from.kind
            )));
            continue;
        }
        if out.iter().any(|m| m.from == from || m.to == to) {
            let d = cx.diag(
                Code::DuplicateItem,
                to_span,
                format!("`{from}` or `{to}` is in more than one move"),
                "moved again",
            );
            cx.push(d.help("each address takes part in one move at most"));
            continue;
        }
        out.push(Moved { from, to });
    }
    out
}

/// `adopt: [{ address, id }]`. `address` must be a resource of the spec, of a kind that can
/// carry tags (the ownership tags are how recon finds it again).
pub(crate) fn adopt(cx: &mut Cx<'_>, y: &Yaml) -> Vec<Adopt> {
    let mut res = Res::default();
    let mut out: Vec<Adopt> = Vec::new();
    for (i, values) in items(
        cx,
        &mut res,
        "adopt",
        &ADOPT_FIELDS,
        y,
        "{ address: vpc.main, id: vpc-0abc1234 }",
    ) {
        let idx = i.to_string();
        let span = span_at(&res, &["adopt", &idx, "address"]);
        let path = vec!["adopt".to_owned(), idx.clone(), "address".to_owned()];
        let Some(address) = cx.address(
            &res,
            span,
            &path,
            &text(&values, "address"),
            Kind::ALL,
            false,
        ) else {
            continue;
        };
        if address.kind == Kind::EfsMountTarget {
            let d = cx.diag(
                Code::InvalidValue,
                span,
                "a mount target cannot be adopted on its own",
                "mount targets take no tags",
            );
            cx.push(d.help(
                "adopt its file system; a mount target recon did not create stays unmanaged",
            ));
            continue;
        }
        let id = text(&values, "id");
        if id.trim().is_empty() {
            let d = cx.diag(
                Code::InvalidValue,
                span_at(&res, &["adopt", &idx, "id"]),
                "adopt: the id is empty",
                "empty",
            );
            cx.push(d.help("give the existing resource's AWS id"));
            continue;
        }
        if out.iter().any(|a| a.address == address || a.id == id) {
            let d = cx.diag(
                Code::DuplicateItem,
                span,
                format!("`{address}` (or `{id}`) is adopted twice"),
                "adopted again",
            );
            cx.push(d.help("adopt each resource once"));
            continue;
        }
        out.push(Adopt { address, id });
    }
    out
}

/// `protect: true|false` on a resource. `true` adds the `recon:protect` tag to the resource's
/// own tags; `false` leaves it out, which removes it from the live resource.
pub(crate) fn protect(
    cx: &mut Cx<'_>,
    res: &mut Res,
    address: &Address,
    key: &Yaml,
    y: &Yaml,
    attrs: &mut std::collections::BTreeMap<String, Value>,
) {
    res.spans.insert(vec![PROTECT.into()], key.span);
    let Node::Bool(on) = y.node else {
        let d = cx.diag(
            Code::WrongType,
            y.label_span(cx.text),
            format!(
                "`{address}.{PROTECT}`: expected true or false, found {}",
                y.describe()
            ),
            "expected true or false",
        );
        cx.push(d.help("write `protect: true`"));
        return;
    };
    if !on {
        return;
    }
    if address.kind == Kind::EfsMountTarget {
        let d = cx.diag(
            Code::InvalidValue,
            y.label_span(cx.text),
            "a mount target cannot be protected on its own",
            "mount targets take no tags",
        );
        cx.push(d.help("protect its file system: that is where the data is"));
        return;
    }
    let tags = attrs
        .entry("tags".to_owned())
        .or_insert_with(|| Value::Map(Default::default()));
    if let Value::Map(m) = tags {
        m.insert(tags::PROTECT.to_owned(), Value::str("true"));
    }
}

/// `ignore_changes: [field, ...]`: fields of the resource's kind that recon leaves as they are
/// live.
pub(crate) fn ignore_changes(
    cx: &mut Cx<'_>,
    res: &mut Res,
    address: &Address,
    key: &Yaml,
    y: &Yaml,
) -> Vec<String> {
    res.spans.insert(vec![IGNORE_CHANGES.into()], key.span);
    let def = kinds::def(address.kind);
    let Node::Seq(list) = &y.node else {
        let d = cx.diag(
            Code::WrongType,
            y.label_span(cx.text),
            format!(
                "`{address}.{IGNORE_CHANGES}`: expected a list of field names, found {}",
                y.describe()
            ),
            "expected a list",
        );
        cx.push(d.help("write `ignore_changes: [tags]`"));
        return Vec::new();
    };
    let names: Vec<&str> = def.fields.iter().map(|f| f.name).collect();
    let mut out: Vec<String> = Vec::new();
    for item in list {
        let Node::Str(name) = &item.node else {
            let d = cx.diag(
                Code::WrongType,
                item.label_span(cx.text),
                format!(
                    "`{address}.{IGNORE_CHANGES}`: expected a field name, found {}",
                    item.describe()
                ),
                "expected a field name",
            );
            cx.push(d);
            continue;
        };
        if !names.contains(&name.as_str()) {
            let help = match closest(name, names.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("the fields of a {} are {}", address.kind, all_of(&names)),
            };
            let d = cx.diag(
                Code::UnknownField,
                item.span,
                format!("`{address}` has no field `{name}` to ignore"),
                "unknown field",
            );
            cx.push(d.help(help));
            continue;
        }
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    out
}
