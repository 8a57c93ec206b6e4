//! `outputs:`: named values read from the live resources after apply and by `recon output`
//! (`bastion_ip: ${instance.bastion.public_ip_address}`), checked like any string field: each
//! `${kind.name.attr}` must name an attribute of a resource or lookup of the spec.

use recon_model::{Type, Value};

use crate::diagnostic::Code;
use crate::values::{Cx, Res};
use crate::yaml::{Node, Yaml};

/// The spec's outputs, in file order. Problems are pushed to `cx`.
pub(crate) fn convert(cx: &mut Cx<'_>, y: &Yaml) -> Vec<(String, Value)> {
    let entries = match &y.node {
        Node::Map(entries) => entries.as_slice(),
        Node::Null => &[],
        _ => {
            let d = cx.diag(
                Code::WrongType,
                y.label_span(cx.text),
                format!(
                    "outputs: expected a mapping of names to values, found {}",
                    y.describe()
                ),
                "expected a mapping",
            );
            cx.push(d.help("write `outputs:` then one `name: ${kind.name.attribute}` per line"));
            return Vec::new();
        }
    };
    let mut out: Vec<(String, Value)> = Vec::new();
    for (key, value) in entries {
        let name = key.scalar_text(cx.text).unwrap_or_else(|| key.describe());
        let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            let d = cx.diag(
                Code::BadAddress,
                key.label_span(cx.text),
                format!("outputs: `{name}` is not an output name"),
                "bad name",
            );
            cx.push(d.help("use lower-case letters, digits and `_`, starting with a letter"));
            continue;
        }
        if out.iter().any(|(n, _)| *n == name) {
            let d = cx.diag(
                Code::DuplicateKey,
                key.label_span(cx.text),
                format!("outputs: `{name}` twice"),
                "second one",
            );
            cx.push(d.help("give each output its own name"));
            continue;
        }
        let mut res = Res {
            base: "outputs".to_owned(),
            ..Res::default()
        };
        if let Some(v) = cx.value(&mut res, &Type::String, value, &mut vec![name.clone()]) {
            out.push((name, v));
        }
    }
    out
}
