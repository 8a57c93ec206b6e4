//! YAML spec in; a checked [`Spec`] or every problem in the file out.
//!
//! ```no_run
//! let file = recon_spec::SourceFile {
//!     name: "specs/network.yaml".into(),
//!     text: std::fs::read_to_string("specs/network.yaml").unwrap(),
//! };
//! // The caller decides how to show problems: the CLI renders them as one miette report.
//! let result: Result<usize, miette::Report> = recon_spec::parse(&file)
//!     .map(|spec| spec.resources.len())
//!     .map_err(miette::Report::new);
//! ```
//!
//! # How the YAML is read
//!
//! The parser reads the file with serde-saphyr into a generic tree whose every node, keys
//! included, is a `serde_saphyr::Spanned<Node>`: a hand-written `Deserialize` for `Node` whose
//! map and sequence visitors ask for `Spanned<Node>` children directly, so each value reaches
//! the YAML deserializer itself and keeps its line, column and byte span (spans are lost only
//! when serde buffers values, as it does for internally tagged or untagged enums and `flatten`,
//! which the tree never uses). It then walks that tree against each kind's schema
//! (`recon_model::Type`), generically, rather than deserializing into typed structs: that is
//! what lets one parse report every problem in the file (serde stops at the first), point each
//! at the offending value, and keep the schema the single description of a kind. serde-saphyr
//! was chosen because it is maintained, pure Rust and serde-native, and gives byte spans on
//! every node (serde_yaml is archived; its libyaml forks give no value spans; marked-yaml gives
//! character offsets only and rejects anchors). Duplicate keys are passed through to the tree,
//! so the checker reports them itself with both occurrences labelled, and only `true`/`false`
//! are booleans, so `yes` in a boolean field is reported rather than silently accepted.
//!
//! # Architecture invariants
//! - Knows nothing of AWS and does no IO: text in, values or diagnostics out.
//! - Every diagnostic points at the offending value or key; a missing key, at the mapping that
//!   lacks it. Never just at the document.
//! - Nothing here is specific to one kind: fields, types, defaults and checks come from
//!   `recon_model::kinds`.

mod diagnostic;
mod document;
mod expand;
mod expr;
mod json_schema;
mod lifecycle;
mod lookups;
mod outputs;
mod params;
mod position;
mod shown;
mod suggest;
mod values;
mod yaml;
mod zones;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use recon_model::{Silence, Spec};

pub use diagnostic::{Code, SpecDiagnostic, SpecErrors};
pub use json_schema::json_schema;
pub use params::Inputs;
pub use position::{Located, LocatedDiagnostic, Positions, Region};
pub use shown::{ShownSource, escape};

/// A spec file's name (the path as the user gave it, shown in diagnostics) and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

/// A checked spec with what its text says beyond the spec: the review annotations, and where
/// every value is (for diagnostics made after the parse, such as review findings).
#[derive(Clone, Debug)]
pub struct Parsed {
    pub spec: Spec,
    /// Every `review: { silence: [...] }` entry, in file order, each with a non-empty reason.
    pub silences: Vec<Silence>,
    pub positions: Positions,
    /// `outputs:`, in file order: names and values (templates to resolve on live resources).
    pub outputs: Vec<(String, recon_model::Value)>,
    /// Which of the file's environments this is, and its parameter values.
    pub instance: Instance,
}

/// Which of a file's environments was read (`--env`), and every parameter's value: what a
/// saved plan records, so that apply can refuse it once any of them changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Instance {
    /// The key of `environments:` chosen; `None` for a file without `environments:`.
    pub env: Option<String>,
    /// Every parameter's value, by name.
    pub parameters: BTreeMap<String, serde_json::Value>,
}

/// Parses and checks a spec: YAML syntax, the schema of every resource, references, each kind's
/// own checks, and dependency cycles.
///
/// # Errors
/// Every problem found, in file order, each with its position. Problems in one resource do not
/// stop the others from being checked; a kind's cross-resource checks run only on resources
/// whose own values are valid, so one mistake is reported once.
pub fn parse(file: &SourceFile) -> Result<Spec, SpecErrors> {
    parse_document(file).map(|parsed| parsed.spec)
}

/// [`parse`], keeping the review annotations and the position of every value.
///
/// # Errors
/// As [`parse`]; a `review:` annotation is checked like the resource's fields (a missing or
/// empty `reason` is an error). Whether its `rule` names a rule is not checked here.
pub fn parse_document(file: &SourceFile) -> Result<Parsed, SpecErrors> {
    parse_with(file, &Inputs::default())
}

/// [`parse_document`] for one environment of the file and the run's values (`--env`,
/// `--values`, `--set`): parameters and `${...}` are evaluated and `for_each` is expanded
/// before the spec is checked.
///
/// # Errors
/// As [`parse`], and: an unknown or missing `--env`, an unknown parameter or an ill-typed value
/// (in `environments:`, the values file or `--set`, each pointed at where it was written), a
/// bad expression, or a name AWS requires unique that two environments of the file share.
pub fn parse_with(file: &SourceFile, inputs: &Inputs) -> Result<Parsed, SpecErrors> {
    let text: Arc<str> = Arc::from(file.text.as_str());
    let source = ShownSource::new(&file.name, &text);
    let mut cx = values::Cx {
        text: &file.text,
        source: source.clone(),
        diags: Vec::new(),
        known: BTreeMap::new(),
        lookups: BTreeSet::new(),
        positions: BTreeMap::new(),
        silences: Vec::new(),
        outputs: Vec::new(),
    };
    let mut instance = Instance::default();
    let spec = match yaml::parse(&file.text) {
        Ok(root) => match expand::expand(&mut cx, &root, inputs) {
            Some(expanded) => {
                instance = Instance {
                    env: expanded.env,
                    parameters: expanded
                        .parameters
                        .iter()
                        .map(|(k, v)| (k.clone(), v.to_json()))
                        .collect(),
                };
                let before = cx.diags.len();
                let spec = document::check(&mut cx, &expanded.root);
                // What the checker says of a value whose expression failed only repeats it.
                let within = |d: &SpecDiagnostic| {
                    expanded.failed.iter().any(|f| {
                        d.span.offset() >= f.offset()
                            && d.span.offset() + d.span.len() <= f.offset() + f.len()
                    })
                };
                let mut i = 0;
                cx.diags.retain(|d| {
                    i += 1;
                    i <= before || !within(d)
                });
                spec
            }
            None => None,
        },
        Err(e) => {
            let d = cx.diag(
                Code::Syntax,
                e.span,
                format!("invalid YAML: {}", e.message),
                "here",
            );
            cx.push(d.help(
                "check the indentation, and that every `[`, `{` and quote is closed; the mistake may be on an earlier line",
            ));
            None
        }
    };
    match spec {
        Some(spec) if cx.diags.is_empty() => Ok(Parsed {
            spec,
            silences: cx.silences,
            outputs: cx.outputs,
            positions: Positions::new(source, cx.positions),
            instance,
        }),
        _ => {
            let mut diagnostics = expand::merge_instances(cx.diags);
            diagnostics.sort_by_key(|d| d.span.offset());
            Err(SpecErrors {
                file: file.name.clone(),
                diagnostics,
            })
        }
    }
}

/// Where the key of a lookup or resource is in the file (`vpc.default:`), for diagnostics
/// about it found after parsing (a lookup that matched nothing).
pub fn locate(file: &SourceFile, address: &recon_model::Address) -> Option<miette::SourceSpan> {
    let root = yaml::parse(&file.text).ok()?;
    let yaml::Node::Map(top) = &root.node else {
        return None;
    };
    let wanted = address.to_string();
    top.iter()
        .filter(|(k, _)| {
            matches!(
                k.scalar_text(&file.text).as_deref(),
                Some("lookups" | "resources")
            )
        })
        .filter_map(|(_, section)| match &section.node {
            yaml::Node::Map(entries) => Some(entries),
            _ => None,
        })
        .flatten()
        .find(|(k, _)| k.scalar_text(&file.text).as_deref() == Some(wanted.as_str()))
        .map(|(k, _)| k.label_span(&file.text))
}
