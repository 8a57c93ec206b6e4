//! The spec's text as diagnostics show it: safe for a terminal and for any line length.
//!
//! - Control characters (ESC, OSC's BEL, C1 controls, bidirectional overrides) never reach the
//!   terminal raw: a spec could otherwise recolour, retitle or reorder what the reader sees.
//!   Each is replaced by a visible character of the same UTF-8 length, so every byte offset and
//!   character column stays what the parser computed.
//! - A span far into a long line is shown through a window of that line starting near the span:
//!   miette pads the underline to the span's column, and a column past 65,535 makes its
//!   formatting panic.

use std::fmt;
use std::sync::Arc;

use miette::{MietteError, MietteSpanContents, NamedSource, SourceCode, SourceSpan, SpanContents};

/// Line length (in characters) up to which a line is shown whole.
const WHOLE_LINE_COLUMNS: usize = 200;
/// Characters of a long line shown before the span.
const LEAD: usize = 40;
/// Characters of a long line shown from the span on, at most.
const TAIL: usize = 80;

/// A spec file's text, made safe to show. Same byte offsets as the original.
#[derive(Clone)]
pub struct ShownSource {
    named: NamedSource<Arc<str>>,
}

impl fmt::Debug for ShownSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ShownSource")
            .field(&self.named.name())
            .finish()
    }
}

impl ShownSource {
    pub fn new(name: &str, text: &str) -> Self {
        let shown: Arc<str> = Arc::from(sanitize(text).as_str());
        ShownSource {
            named: NamedSource::new(sanitize(name), shown),
        }
    }

    /// The file name as the user gave it (control characters replaced).
    pub fn name(&self) -> &str {
        self.named.name()
    }

    /// The shown text: the file's, control characters replaced.
    pub fn inner(&self) -> &Arc<str> {
        self.named.inner()
    }
}

impl SourceCode for ShownSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text: &'a str = self.named.inner();
        let start = floor_boundary(text, span.offset());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..start].chars().count();
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        if column + text[start..line_end].chars().count() <= WHOLE_LINE_COLUMNS {
            return self
                .named
                .read_span(span, context_lines_before, context_lines_after);
        }
        // One line, from a little before the span: a true substring of the text, so the spans
        // of the labels keep their offsets.
        let from = if context_lines_before == 0 && context_lines_after == 0 {
            start
        } else {
            text[line_start..start]
                .char_indices()
                .rev()
                .nth(LEAD.saturating_sub(1))
                .map_or(line_start, |(i, _)| line_start + i)
        };
        let until = text[from..line_end]
            .char_indices()
            .nth(LEAD + TAIL)
            .map_or(line_end, |(i, _)| from + i);
        let line = text[..line_start].matches('\n').count();
        let shown_column = text[line_start..from].chars().count();
        Ok(Box::new(MietteSpanContents::new_named(
            self.named.name().to_owned(),
            &text.as_bytes()[from..until],
            (from, until - from).into(),
            line,
            shown_column,
            1,
        )))
    }
}

fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// `text` with every control character (but newline, tab and carriage return) and every
/// bidirectional control replaced by a visible one of the same UTF-8 length.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if !is_unsafe(c) {
                c
            } else {
                match c.len_utf8() {
                    1 => '?',
                    2 => '¿',
                    _ => '\u{FFFD}',
                }
            }
        })
        .collect()
}

/// `text` with control characters written as escapes (`\u{1b}`), for messages and labels,
/// where offsets do not matter.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn is_unsafe(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_replaced_keeping_offsets_and_columns() {
        let text = "a\u{1b}]0;x\u{7}b\u{9b}c\u{202e}d\ne";
        let shown = sanitize(text);
        assert_eq!(shown.len(), text.len());
        assert_eq!(shown.chars().count(), text.chars().count());
        assert!(!shown.chars().any(is_unsafe), "{shown:?}");
        assert_eq!(escape("x\u{1b}[31m"), "x\\u{1b}[31m");
    }

    #[test]
    fn a_span_far_into_a_line_is_read_through_a_window() {
        let text = format!("k: {}bad\n", "x".repeat(70_000));
        let source = ShownSource::new("s.yaml", &text);
        let at = text.find("bad").unwrap();
        let contents = source.read_span(&(at, 3).into(), 1, 1).unwrap();
        assert!(contents.data().len() < 200, "{}", contents.data().len());
        assert!(contents.span().offset() <= at);
        assert_eq!(contents.line(), 0);
        let header = source.read_span(&(at, 3).into(), 0, 0).unwrap();
        assert_eq!(
            header.column(),
            at,
            "the header shows the span's own column"
        );
    }
}
