//! A generic YAML tree with a byte span on every node, keys included.
//!
//! serde-saphyr does the YAML; this module only asks it for `Spanned<Node>` at every level (the
//! map and sequence visitors call `next_key::<Spanned<Node>>()` / `next_value::<Spanned<Node>>()`
//! directly on the deserializer, so no value goes through serde's `Content` buffer, which would
//! drop the span). The tree is then converted once into [`Yaml`], whose spans are byte ranges
//! ready for miette.
//!
//! Options: duplicate keys are passed through (the spec checker reports them itself, labelling
//! both occurrences, and goes on), and only YAML 1.2 booleans (`true`/`false`) are booleans, so
//! `yes` is the string `"yes"` and a boolean field can say "expected a boolean, found "yes"".

use std::fmt;

use miette::SourceSpan;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, Location, MessageFormatter, Spanned};

/// A YAML node and where it is in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Yaml {
    /// The node as serde-saphyr reports it: a scalar's text (without quotes for quoted
    /// scalars), or the first character of a collection (`{`, `[`, or nothing for block style).
    pub span: SourceSpan,
    pub node: Node,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Yaml>),
    /// Entries in file order; duplicate keys are kept.
    Map(Vec<(Yaml, Yaml)>),
}

/// A YAML syntax error, at a byte position.
#[derive(Debug)]
pub struct SyntaxError {
    pub message: String,
    pub span: SourceSpan,
}

/// Parses `text` into a spanned tree. An empty document is `Null`.
pub fn parse(text: &str) -> Result<Yaml, SyntaxError> {
    let options = serde_saphyr::options! {
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        strict_booleans: true,
    };
    match serde_saphyr::from_str_with_options::<Option<Spanned<RawNode>>>(text, options) {
        Ok(Some(root)) => Ok(Yaml::from_raw(root, text)),
        Ok(None) => Ok(Yaml {
            span: SourceSpan::from((0, 0)),
            node: Node::Null,
        }),
        Err(e) => {
            let e = e.without_snippet();
            let message = serde_saphyr::DefaultMessageFormatter
                .format_message(e)
                .into_owned();
            let span = e
                .location()
                .map(|l| span_of(&l, text))
                .unwrap_or_else(|| SourceSpan::from((0, 0)));
            Err(SyntaxError { message, span })
        }
    }
}

/// Converts a serde-saphyr location into a byte span of `text`: its byte offset and length when
/// it has them (string input), otherwise its character offset and length converted.
pub fn span_of(location: &Location, text: &str) -> SourceSpan {
    let span = location.span();
    if let (Some(offset), Some(len)) = (span.byte_offset(), span.byte_len()) {
        let (offset, len) = (offset as usize, len as usize);
        if offset.saturating_add(len) <= text.len() {
            return SourceSpan::from((offset, len));
        }
    }
    let start = char_to_byte(text, span.offset() as usize);
    let end = char_to_byte(text, (span.offset() + span.len()) as usize);
    SourceSpan::from((start, end - start))
}

fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(byte, _)| byte)
}

impl Yaml {
    fn from_raw(raw: Spanned<RawNode>, text: &str) -> Yaml {
        let span = span_of(&raw.referenced, text);
        let node = match raw.value {
            RawNode::Null => Node::Null,
            RawNode::Bool(b) => Node::Bool(b),
            RawNode::Int(i) => Node::Int(i),
            RawNode::Float(f) => Node::Float(f),
            RawNode::Str(s) => Node::Str(s),
            RawNode::Seq(items) => {
                Node::Seq(items.into_iter().map(|i| Yaml::from_raw(i, text)).collect())
            }
            RawNode::Map(entries) => Node::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (Yaml::from_raw(k, text), Yaml::from_raw(v, text)))
                    .collect(),
            ),
        };
        Yaml { span, node }
    }

    /// The whole node: for a collection, from its first character to the end of its last
    /// entry (and the closing bracket of a flow collection).
    pub fn whole_span(&self, text: &str) -> SourceSpan {
        let start = self.span.offset();
        let last = match &self.node {
            Node::Seq(items) => items.last(),
            Node::Map(entries) => entries.last().map(|(_, v)| v),
            _ => return self.span,
        };
        let start = match (&self.node, self.span.len()) {
            // A block mapping's own span is empty: start at its first key.
            (Node::Map(entries), 0) => entries.first().map_or(start, |(k, _)| k.span.offset()),
            (Node::Seq(items), 0) => items.first().map_or(start, |i| i.span.offset()),
            _ => start,
        };
        let mut end = last.map_or(start + self.span.len(), |l| {
            let s = l.whole_span(text);
            s.offset() + s.len()
        });
        let close = match text.as_bytes().get(self.span.offset()) {
            Some(b'{') => Some(b'}'),
            Some(b'[') => Some(b']'),
            _ => None,
        };
        if let Some(close) = close {
            // Skip the closing quote of a quoted last scalar, spaces, commas and newlines.
            let rest = &text.as_bytes()[end.min(text.len())..];
            if let Some(i) = rest
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b'"' | b'\''))
                && rest[i] == close
            {
                end += i + 1;
            }
        }
        SourceSpan::from((start, end.saturating_sub(start)))
    }

    /// What to underline when the node as a whole is wrong: a scalar itself, a collection up to
    /// the end of its first line.
    pub fn label_span(&self, text: &str) -> SourceSpan {
        let whole = self.whole_span(text);
        let Some(covered) = text.get(whole.offset()..whole.offset() + whole.len()) else {
            return self.span;
        };
        let first_line = covered.split('\n').next().unwrap_or("").trim_end();
        SourceSpan::from((whole.offset(), first_line.len()))
    }

    /// A scalar's text as written (for numbers and booleans used where text is wanted:
    /// `version: 1.10` is `"1.10"`, not `"1.1"`).
    pub fn scalar_text(&self, text: &str) -> Option<String> {
        let written = || {
            let (start, len) = (self.span.offset(), self.span.len());
            text.get(start..start + len)
                // A value put in place of a `${...}` (see `expand`) is not its written text.
                .filter(|s| !s.is_empty() && !s.contains(['"', '\'', '\n']) && !s.contains("${"))
        };
        match &self.node {
            Node::Str(s) => Some(s.clone()),
            Node::Int(i) => Some(written().map_or_else(|| i.to_string(), str::to_owned)),
            Node::Float(f) => Some(written().map_or_else(|| f.to_string(), str::to_owned)),
            Node::Bool(b) => Some(written().map_or_else(|| b.to_string(), str::to_owned)),
            Node::Null | Node::Seq(_) | Node::Map(_) => None,
        }
    }

    /// How the node reads in "expected X, found Y".
    pub fn describe(&self) -> String {
        match &self.node {
            Node::Null => "nothing".into(),
            Node::Bool(b) => b.to_string(),
            Node::Int(i) => i.to_string(),
            Node::Float(f) => f.to_string(),
            Node::Str(s) => format!("{s:?}"),
            Node::Seq(_) => "a list".into(),
            Node::Map(_) => "a mapping".into(),
        }
    }
}

/// What serde-saphyr deserializes; children keep their locations via `Spanned`.
enum RawNode {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawNode>>),
    Map(Vec<(Spanned<RawNode>, Spanned<RawNode>)>),
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawNode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<RawNode, E> {
        Ok(RawNode::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<RawNode, E> {
        Ok(RawNode::Int(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<RawNode, E> {
        Ok(RawNode::Int(v.into()))
    }

    fn visit_i128<E>(self, v: i128) -> Result<RawNode, E> {
        Ok(RawNode::Int(v))
    }

    fn visit_u128<E>(self, v: u128) -> Result<RawNode, E> {
        Ok(i128::try_from(v).map_or(RawNode::Float(v as f64), RawNode::Int))
    }

    fn visit_f64<E>(self, v: f64) -> Result<RawNode, E> {
        Ok(RawNode::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<RawNode, E> {
        Ok(RawNode::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<RawNode, E> {
        Ok(RawNode::Str(v))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<RawNode, E> {
        Ok(RawNode::Str(String::from_utf8_lossy(v).into_owned()))
    }

    fn visit_unit<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }

    fn visit_none<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawNode, D::Error> {
        RawNode::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<RawNode>>()? {
            items.push(item);
        }
        Ok(RawNode::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<RawNode>>()? {
            let value = map.next_value::<Spanned<RawNode>>()?;
            entries.push((key, value));
        }
        Ok(RawNode::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, span: SourceSpan) -> &str {
        &text[span.offset()..span.offset() + span.len()]
    }

    fn get<'a>(y: &'a Yaml, key: &str) -> &'a Yaml {
        let Node::Map(entries) = &y.node else {
            panic!("not a map: {y:?}")
        };
        &entries
            .iter()
            .find(|(k, _)| k.node == Node::Str(key.into()))
            .unwrap_or_else(|| panic!("no key {key}"))
            .1
    }

    /// 1-based line and column of a byte offset.
    fn line_col(text: &str, offset: usize) -> (usize, usize) {
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().unwrap().chars().count() + 1;
        (line, col)
    }

    #[test]
    fn nested_values_keep_line_column_and_byte_span() {
        // A multi-byte character before the value checks that spans are bytes, not chars.
        let text = "environment: é\nresources:\n  subnet.a:\n    vpc: vpc.main\n    routes: [ { destination: 10.0.0.0/8 } ]\n";
        let root = parse(text).unwrap();
        let vpc = get(get(get(&root, "resources"), "subnet.a"), "vpc");
        assert_eq!(vpc.node, Node::Str("vpc.main".into()));
        assert_eq!(at(text, vpc.span), "vpc.main");
        assert_eq!(line_col(text, vpc.span.offset()), (4, 10));
        let routes = get(get(get(&root, "resources"), "subnet.a"), "routes");
        let Node::Seq(items) = &routes.node else {
            panic!()
        };
        let dest = get(&items[0], "destination");
        assert_eq!(at(text, dest.span), "10.0.0.0/8");
        assert_eq!(line_col(text, dest.span.offset()), (5, 30));
        assert_eq!(
            at(text, routes.whole_span(text)),
            "[ { destination: 10.0.0.0/8 } ]"
        );
        assert_eq!(
            at(text, items[0].whole_span(text)),
            "{ destination: 10.0.0.0/8 }"
        );
    }

    #[test]
    fn keys_have_spans_and_duplicates_are_kept() {
        let text = "a: 1\nb: 2\na: 3\n";
        let root = parse(text).unwrap();
        let Node::Map(entries) = &root.node else {
            panic!()
        };
        assert_eq!(entries.len(), 3);
        assert_eq!(at(text, entries[2].0.span), "a");
        assert_eq!(line_col(text, entries[2].0.span.offset()), (3, 1));
    }

    #[test]
    fn scalars_keep_their_written_text() {
        let text = "a: yes\nb: 1.10\nc: true\nd: ~\ne: '007'\nf: 0x10\n";
        let root = parse(text).unwrap();
        assert_eq!(get(&root, "a").node, Node::Str("yes".into()));
        assert_eq!(get(&root, "b").scalar_text(text).unwrap(), "1.10");
        assert_eq!(get(&root, "c").node, Node::Bool(true));
        assert_eq!(get(&root, "d").node, Node::Null);
        assert_eq!(get(&root, "e").scalar_text(text).unwrap(), "007");
        assert_eq!(get(&root, "f").node, Node::Int(16));
        assert_eq!(get(&root, "f").describe(), "16");
    }

    #[test]
    fn block_collections_span_their_entries() {
        let text = "r:\n  x: 1\n  y: [a, b]\nz: 2\n";
        let root = parse(text).unwrap();
        let r = get(&root, "r");
        assert_eq!(at(text, r.whole_span(text)), "x: 1\n  y: [a, b]");
        assert_eq!(at(text, r.label_span(text)), "x: 1");
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let text = "a: [1, 2\nb: c\n";
        let err = parse(text).unwrap_err();
        assert!(!err.message.contains("line"), "{}", err.message);
        assert_eq!(line_col(text, err.span.offset()).0, 2);
    }

    #[test]
    fn empty_document_is_null() {
        assert_eq!(parse("").unwrap().node, Node::Null);
        assert_eq!(parse("# only a comment\n").unwrap().node, Node::Null);
    }
}
