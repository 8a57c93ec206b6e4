//! What a failed parse returns: every problem in the file, each pointing at a value.

use std::fmt;

use miette::{Diagnostic, LabeledSpan, SourceCode, SourceSpan};

use crate::shown::{ShownSource, escape};

/// One problem in a spec file, at the value (or key) that causes it.
///
/// Rendered by miette as `file:line:col`, the message, the underlined source with `label`, and
/// `help` when there is one. `code` names the kind of problem (`recon::spec::unknown_field`).
///
/// `Diagnostic` is implemented by hand rather than derived because the code varies per
/// diagnostic, and miette's derive only takes a code fixed per type or variant.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct SpecDiagnostic {
    pub code: Code,
    pub message: String,
    /// The offending value or key, as a byte range of the file.
    pub span: SourceSpan,
    pub label: String,
    /// Other places that take part (the first of two duplicate keys, the other edges of a cycle).
    pub related_spans: Vec<LabeledSpan>,
    pub help: Option<String>,
    source_code: ShownSource,
}

impl SpecDiagnostic {
    pub(crate) fn new(
        source: &ShownSource,
        code: Code,
        span: SourceSpan,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        SpecDiagnostic {
            code,
            // Messages and labels quote the spec: its control characters are shown escaped.
            message: escape(&message.into()),
            span,
            label: escape(&label.into()),
            related_spans: Vec::new(),
            help: None,
            source_code: source.clone(),
        }
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(escape(&help.into()));
        self
    }

    pub(crate) fn maybe_help(mut self, help: Option<String>) -> Self {
        self.help = help.as_deref().map(escape);
        self
    }

    pub(crate) fn also(mut self, span: SourceSpan, label: impl Into<String>) -> Self {
        self.related_spans.push(LabeledSpan::new_with_span(
            Some(escape(&label.into())),
            span,
        ));
        self
    }

    /// The name of the file (or `--set`) the span is in.
    pub fn file(&self) -> &str {
        self.source_code.name()
    }

    /// The 1-based line and column (in characters) where the span starts.
    pub fn line_col(&self) -> (usize, usize) {
        let text = self.source_code.inner();
        let before = &text[..self.span.offset().min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        (line, column)
    }

    /// The lines and columns of the span (as [`crate::Positions::region`] gives them).
    pub fn region(&self) -> crate::Region {
        let text = self.source_code.inner();
        let (start_line, start_column) = crate::position::line_col(text, self.span.offset());
        let (end_line, end_column) =
            crate::position::line_col(text, self.span.offset() + self.span.len());
        crate::Region {
            start_line,
            start_column,
            end_line,
            end_column,
        }
    }
}

impl Diagnostic for SpecDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source_code)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let primary = LabeledSpan::new_primary_with_span(Some(self.label.clone()), self.span);
        Some(Box::new(
            std::iter::once(primary).chain(self.related_spans.iter().cloned()),
        ))
    }
}

/// Every problem found in one spec file. Its miette rendering shows each of them.
#[derive(Clone, Debug)]
pub struct SpecErrors {
    /// The file name as the user gave it.
    pub file: String,
    /// In file order.
    pub diagnostics: Vec<SpecDiagnostic>,
}

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.diagnostics.len() {
            1 => write!(f, "1 error in {}", self.file),
            n => write!(f, "{n} errors in {}", self.file),
        }
    }
}

impl std::error::Error for SpecErrors {}

impl Diagnostic for SpecErrors {
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(
            self.diagnostics.iter().map(|d| d as &dyn Diagnostic),
        ))
    }
}

/// The kind of a problem, shown as the diagnostic code `recon::spec::<name>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// Not YAML.
    Syntax,
    /// A required key is absent.
    MissingField,
    /// A key the schema does not know.
    UnknownField,
    /// The same key twice in one mapping (two resources with one address).
    DuplicateKey,
    /// A resource key or reference whose kind is not a kind.
    UnknownKind,
    /// A resource key that is not `kind.name`, or a name with forbidden characters.
    BadAddress,
    /// A value of the wrong YAML type.
    WrongType,
    /// A word not in the field's list.
    InvalidEnum,
    /// A number outside the field's range.
    OutOfRange,
    /// Not an IPv4 CIDR block.
    InvalidCidr,
    /// A CIDR block with host bits set.
    HostBits,
    /// Not a port, a range or `all`.
    InvalidPorts,
    /// The same item twice in a set.
    DuplicateItem,
    /// An environment, region or tag that breaks its rules.
    InvalidValue,
    /// A reference to a resource the spec does not have.
    DanglingReference,
    /// A reference to a resource of the wrong kind.
    WrongKind,
    /// A `${...}` that is malformed or names an attribute the kind does not have.
    BadTemplate,
    /// A problem a kind's own checks found.
    Check,
    /// Resources that depend on each other in a circle.
    Cycle,
}

impl Code {
    pub const ALL: &'static [Code] = &[
        Code::Syntax,
        Code::MissingField,
        Code::UnknownField,
        Code::DuplicateKey,
        Code::UnknownKind,
        Code::BadAddress,
        Code::WrongType,
        Code::InvalidEnum,
        Code::OutOfRange,
        Code::InvalidCidr,
        Code::HostBits,
        Code::InvalidPorts,
        Code::DuplicateItem,
        Code::InvalidValue,
        Code::DanglingReference,
        Code::WrongKind,
        Code::BadTemplate,
        Code::Check,
        Code::Cycle,
    ];

    /// The last part of the code: `unknown_field`.
    pub fn name(self) -> &'static str {
        match self {
            Code::Syntax => "syntax",
            Code::MissingField => "missing_field",
            Code::UnknownField => "unknown_field",
            Code::DuplicateKey => "duplicate_key",
            Code::UnknownKind => "unknown_kind",
            Code::BadAddress => "bad_address",
            Code::WrongType => "wrong_type",
            Code::InvalidEnum => "invalid_enum",
            Code::OutOfRange => "out_of_range",
            Code::InvalidCidr => "invalid_cidr",
            Code::HostBits => "host_bits",
            Code::InvalidPorts => "invalid_ports",
            Code::DuplicateItem => "duplicate_item",
            Code::InvalidValue => "invalid_value",
            Code::DanglingReference => "dangling_reference",
            Code::WrongKind => "wrong_kind",
            Code::BadTemplate => "bad_template",
            Code::Check => "check",
            Code::Cycle => "cycle",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "recon::spec::{}", self.name())
    }
}
