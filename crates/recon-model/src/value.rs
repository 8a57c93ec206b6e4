//! Attribute values: what a spec asks for and what a live resource has, in one shape.
//!
//! In JSON (plan files, `--json`) plain values are plain JSON; the three values that are not yet
//! concrete are one-key objects: `{"$ref": "vpc.main.id"}`, `{"$template": "mount ${efs.x.id}"}`
//! and `{"$unknown": true}`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::address::Address;

/// A reference to an attribute of another resource: `vpc.main` (its `id`) or `${vpc.main.id}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reference {
    pub address: Address,
    pub attr: String,
}

impl Reference {
    pub fn id(address: Address) -> Self {
        Reference {
            address,
            attr: "id".into(),
        }
    }

    /// Parses `kind.name` (meaning its id) or `kind.name.attr`.
    /// An instance key may contain `.` (`vpc.main[10.0.0.0/8].id`): the name ends at its `]`.
    pub fn parse(s: &str) -> Result<Self, crate::AddressError> {
        let Some((kind, rest)) = s.split_once('.') else {
            return Err(crate::AddressError::Shape(s.to_owned()));
        };
        let mut depth = 0;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '[' => depth += 1,
                    ']' => depth -= 1,
                    _ => {}
                }
                c == '.' && depth == 0
            })
            .map_or(rest.len(), |(i, _)| i);
        let attr = rest[end..].strip_prefix('.');
        let address: Address = format!("{kind}.{}", &rest[..end]).parse()?;
        Ok(Reference {
            address,
            attr: attr.unwrap_or("id").to_owned(),
        })
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.address, self.attr)
    }
}

/// One piece of a `${...}` template string.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    Text(String),
    Ref(Reference),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Value", into = "serde_json::Value")]
pub enum Value {
    Bool(bool),
    Int(i64),
    String(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    /// Another resource's attribute, resolved at apply time.
    Ref(Reference),
    /// A string interpolating other resources' attributes, resolved at apply time.
    Template(Vec<Part>),
    /// Known only after apply, and not derivable from the plan (e.g. a replaced resource's id).
    Unknown,
}

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_list(&self) -> &[Value] {
        match self {
            Value::List(l) => l,
            _ => &[],
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Whether the value is fully known (no refs, templates or unknowns anywhere inside).
    pub fn is_known(&self) -> bool {
        match self {
            Value::Ref(_) | Value::Template(_) | Value::Unknown => false,
            Value::List(l) => l.iter().all(Value::is_known),
            Value::Map(m) => m.values().all(Value::is_known),
            _ => true,
        }
    }

    /// Every reference inside the value, in order.
    pub fn references(&self) -> Vec<&Reference> {
        let mut out = Vec::new();
        self.collect_refs(&mut out);
        out
    }

    fn collect_refs<'a>(&'a self, out: &mut Vec<&'a Reference>) {
        match self {
            Value::Ref(r) => out.push(r),
            Value::Template(parts) => out.extend(parts.iter().filter_map(|p| match p {
                Part::Ref(r) => Some(r),
                Part::Text(_) => None,
            })),
            Value::List(l) => l.iter().for_each(|v| v.collect_refs(out)),
            Value::Map(m) => m.values().for_each(|v| v.collect_refs(out)),
            _ => {}
        }
    }

    /// Replaces every reference with what `lookup` gives for it (`None` leaves it as it is).
    /// A template whose references are all known becomes a string.
    pub fn resolve(&self, lookup: &dyn Fn(&Reference) -> Option<Value>) -> Value {
        match self {
            Value::Ref(r) => lookup(r).unwrap_or_else(|| self.clone()),
            Value::Template(parts) => {
                let mut text = String::new();
                let mut unresolved = false;
                let parts: Vec<Part> = parts
                    .iter()
                    .map(|p| match p {
                        Part::Ref(r) => match lookup(r) {
                            Some(Value::String(s)) => {
                                text.push_str(&s);
                                Part::Text(s)
                            }
                            Some(Value::Int(i)) => {
                                text.push_str(&i.to_string());
                                Part::Text(i.to_string())
                            }
                            _ => {
                                unresolved = true;
                                p.clone()
                            }
                        },
                        Part::Text(t) => {
                            text.push_str(t);
                            p.clone()
                        }
                    })
                    .collect();
                if unresolved {
                    Value::Template(parts)
                } else {
                    Value::String(text)
                }
            }
            Value::List(l) => Value::List(l.iter().map(|v| v.resolve(lookup)).collect()),
            Value::Map(m) => Value::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.resolve(lookup)))
                    .collect(),
            ),
            _ => self.clone(),
        }
    }

    /// Parses a template string; `None` if it contains no `${...}`.
    pub fn parse_template(s: &str) -> Option<Result<Vec<Part>, String>> {
        if !s.contains("${") {
            return None;
        }
        let mut parts = Vec::new();
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Some(Err("unterminated `${`".into()));
            };
            match Reference::parse(after[..end].trim()) {
                Ok(r) => parts.push(Part::Ref(r)),
                Err(e) => return Some(Err(e.to_string())),
            }
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Some(Ok(parts))
    }

    fn template_text(parts: &[Part]) -> String {
        parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Ref(r) => format!("${{{r}}}"),
            })
            .collect()
    }
}

impl fmt::Display for Value {
    /// Terraform-like rendering for humans: strings quoted, refs as `(known after apply)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::List(l) => {
                f.write_str("[")?;
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Map(m) => {
                f.write_str("{ ")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                f.write_str(" }")
            }
            Value::Ref(r) => write!(f, "(known after apply: {r})"),
            // A template that is one reference is that reference: `key_name: ${key_pair.a.key_name}`.
            Value::Template(p) => match p.as_slice() {
                [Part::Ref(r)] => write!(f, "(known after apply: {r})"),
                _ => write!(f, "(known after apply: {:?})", Value::template_text(p)),
            },
            Value::Unknown => f.write_str("(known after apply)"),
        }
    }
}

impl From<Value> for serde_json::Value {
    fn from(v: Value) -> Self {
        use serde_json::Value as J;
        match v {
            Value::Bool(b) => J::Bool(b),
            Value::Int(i) => J::from(i),
            Value::String(s) => J::String(s),
            Value::List(l) => J::Array(l.into_iter().map(Into::into).collect()),
            Value::Map(m) => J::Object(m.into_iter().map(|(k, v)| (k, v.into())).collect()),
            Value::Ref(r) => serde_json::json!({ "$ref": r.to_string() }),
            Value::Template(p) => serde_json::json!({ "$template": Value::template_text(&p) }),
            Value::Unknown => serde_json::json!({ "$unknown": true }),
        }
    }
}

impl TryFrom<serde_json::Value> for Value {
    type Error = String;

    fn try_from(j: serde_json::Value) -> Result<Self, Self::Error> {
        use serde_json::Value as J;
        Ok(match j {
            J::Null => return Err("null is not a value".into()),
            J::Bool(b) => Value::Bool(b),
            J::Number(n) => Value::Int(n.as_i64().ok_or("only integers are values")?),
            J::String(s) => Value::String(s),
            J::Array(a) => Value::List(
                a.into_iter()
                    .map(Value::try_from)
                    .collect::<Result<_, _>>()?,
            ),
            J::Object(o) if o.len() == 1 && o.contains_key("$ref") => {
                let s = o["$ref"].as_str().ok_or("$ref must be a string")?;
                Value::Ref(Reference::parse(s).map_err(|e| e.to_string())?)
            }
            J::Object(o) if o.len() == 1 && o.contains_key("$template") => {
                let s = o["$template"]
                    .as_str()
                    .ok_or("$template must be a string")?;
                match Value::parse_template(s) {
                    Some(parts) => Value::Template(parts?),
                    None => Value::String(s.to_owned()),
                }
            }
            J::Object(o) if o.len() == 1 && o.contains_key("$unknown") => Value::Unknown,
            J::Object(o) => Value::Map(
                o.into_iter()
                    .map(|(k, v)| Ok((k, Value::try_from(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_of_one_reference_shows_as_the_reference() {
        let one = Value::Template(
            Value::parse_template("${key_pair.admin.key_name}")
                .unwrap()
                .unwrap(),
        );
        assert_eq!(
            one.to_string(),
            "(known after apply: key_pair.admin.key_name)"
        );
        let mixed = Value::Template(
            Value::parse_template("fs-${efs_file_system.data.id}.efs")
                .unwrap()
                .unwrap(),
        );
        assert_eq!(
            mixed.to_string(),
            r#"(known after apply: "fs-${efs_file_system.data.id}.efs")"#
        );
    }

    #[test]
    fn json_round_trip_keeps_refs_and_templates() {
        let v = Value::Map(BTreeMap::from([
            (
                "a".into(),
                Value::Ref(Reference::parse("vpc.main").unwrap()),
            ),
            (
                "b".into(),
                Value::Template(
                    Value::parse_template("x ${subnet.a.id} y")
                        .unwrap()
                        .unwrap(),
                ),
            ),
            ("c".into(), Value::Unknown),
            (
                "d".into(),
                Value::List(vec![Value::Int(1), Value::Bool(true)]),
            ),
        ]));
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(
            json,
            r#"{"a":{"$ref":"vpc.main.id"},"b":{"$template":"x ${subnet.a.id} y"},"c":{"$unknown":true},"d":[1,true]}"#
        );
        assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), v);
    }

    #[test]
    fn resolve_turns_complete_templates_into_strings() {
        let t = Value::Template(
            Value::parse_template("id=${vpc.main.id}!")
                .unwrap()
                .unwrap(),
        );
        let lookup = |r: &Reference| (r.attr == "id").then(|| Value::str("vpc-1"));
        assert_eq!(t.resolve(&lookup), Value::str("id=vpc-1!"));
        let none = |_: &Reference| None;
        assert_eq!(t.resolve(&none), t);
    }
}
