//! Where each value is in the spec file, kept after a successful parse so that checks made later
//! (the review rules) can point at the offending value just as the parser's own diagnostics do.

use std::collections::BTreeMap;
use std::fmt;

use miette::{Diagnostic, LabeledSpan, Severity, SourceCode, SourceSpan};

use crate::shown::{ShownSource, escape};
use recon_model::Address;

/// The position of every value of every resource, by the path inside the resource
/// (`["ingress", "0", "from"]`; `[]` is the resource's key).
#[derive(Clone)]
pub struct Positions {
    source: ShownSource,
    spans: BTreeMap<Address, BTreeMap<Vec<String>, SourceSpan>>,
}

impl fmt::Debug for Positions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Positions")
            .field("file", &self.source.name())
            .field("resources", &self.spans.len())
            .finish()
    }
}

/// A region of the file: 1-based lines and columns, columns counted in characters (Unicode
/// code points), the end column being the one just after the region (as SARIF has it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// What a check found, and where, in terms of the spec (an address and a path inside it).
#[derive(Clone, Debug)]
pub struct Located {
    pub address: Address,
    pub path: Vec<String>,
    /// The diagnostic code, e.g. a review rule's id `net/admin-port-open`.
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
}

impl Positions {
    pub(crate) fn new(
        source: ShownSource,
        spans: BTreeMap<Address, BTreeMap<Vec<String>, SourceSpan>>,
    ) -> Self {
        Positions { source, spans }
    }

    /// The file name as the user gave it.
    pub fn file(&self) -> &str {
        self.source.name()
    }

    /// The span of the value at `path` inside `address`, or of the nearest value that encloses
    /// it (a field absent from the file is shown at its resource's key).
    pub fn span(&self, address: &Address, path: &[String]) -> SourceSpan {
        let Some(spans) = self.spans.get(address) else {
            return (0, 0).into();
        };
        let mut path = path.to_vec();
        loop {
            if let Some(span) = spans.get(&path) {
                return *span;
            }
            if path.pop().is_none() {
                return (0, 0).into();
            }
        }
    }

    /// The lines and columns of a span.
    pub fn region(&self, span: SourceSpan) -> Region {
        let text = self.source.inner();
        let (start_line, start_column) = line_col(text, span.offset());
        let (end_line, end_column) = line_col(text, span.offset() + span.len());
        Region {
            start_line,
            start_column,
            end_line,
            end_column,
        }
    }

    /// A miette diagnostic at the value `located` names, with the file's text for context.
    pub fn diagnostic(&self, mut located: Located) -> LocatedDiagnostic {
        let span = self.span(&located.address, &located.path);
        // Messages quote the spec's values: their control characters are shown escaped.
        located.message = escape(&located.message);
        located.label = escape(&located.label);
        located.help = located.help.as_deref().map(escape);
        LocatedDiagnostic {
            located,
            span,
            source_code: self.source.clone(),
        }
    }
}

pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// A [`Located`] finding with its span: rendered by miette like the parser's diagnostics, with
/// its own code and severity.
#[derive(Clone, Debug)]
pub struct LocatedDiagnostic {
    pub located: Located,
    pub span: SourceSpan,
    source_code: ShownSource,
}

impl fmt::Display for LocatedDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.located.message)
    }
}

impl std::error::Error for LocatedDiagnostic {}

impl Diagnostic for LocatedDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.located.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.located.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.located
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source_code)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some(self.located.label.clone()), self.span),
        )))
    }
}
