//! The schema language each kind is described in.
//!
//! The spec parser checks YAML against it, the planner diffs by it (which fields replace, which
//! are sets), and the fake provider reads references out of live values with it.

use std::collections::{BTreeMap, HashMap};

use crate::address::{Address, Kind};
use crate::facts::AwsFacts;
use crate::resource::DesiredResource;
use crate::value::Value;

/// The type of a field's value.
#[derive(Debug)]
pub enum Type {
    Bool,
    /// An integer in `min..=max`.
    Int {
        min: i64,
        max: i64,
    },
    String,
    /// One of a fixed set of lower-case words.
    Enum(&'static [&'static str]),
    /// An IPv4 CIDR block in canonical form (no host bits set).
    Cidr,
    /// The address of a resource of one of these kinds; its value is that resource's `id`.
    Ref(&'static [Kind]),
    /// A port (`22`), a range (`1000-2000`) or `all`; canonical form is the string.
    Ports,
    /// Either a CIDR block or the address of a resource of one of these kinds.
    CidrOrRef(&'static [Kind]),
    /// An ordered list.
    List(&'static Type),
    /// An unordered collection: compared sorted, duplicates are an error.
    Set(&'static Type),
    /// A nested object with its own fields.
    Object(&'static [Field]),
    /// String keys to string values (AWS tags).
    Tags,
    /// A JSON document written as YAML (an IAM policy): mappings, lists, text, numbers and
    /// booleans, with `${...}` in text. Compared as values, so key order and layout never
    /// show as a change.
    Document,
}

/// Whether a field must be given, and what it is when it is not.
#[derive(Debug)]
pub enum Presence {
    Required,
    /// Absent means absent.
    Optional,
    /// Absent means this value.
    Default(fn() -> Value),
    /// Absent means "whatever AWS chose": the live value is accepted as it is.
    Computed,
}

/// What a change to the field does to the live resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// AWS can change it on the existing resource.
    InPlace,
    /// AWS cannot: the resource is deleted and created again (`-/+`).
    Replace,
    /// A number AWS can raise on the existing resource but never lower (an EBS volume's size):
    /// a larger value updates in place, a smaller one replaces.
    Grows,
    /// AWS changes it in place only to this value (a VPC's tenancy, to `default`); a change to
    /// any other value replaces.
    InPlaceTo(&'static str),
    /// Neither: the field states the author's intent (a subnet's `tier`) for the review rules.
    /// It is never sent to AWS, never read back and never compared, so it causes no change.
    Intent,
}

#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub ty: Type,
    pub presence: Presence,
    pub update: Update,
    pub doc: &'static str,
}

/// A problem a kind finds in a resource, at a path inside it (`["ingress", "0", "ports"]`).
/// The spec crate turns the path into a file position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: Vec<String>,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
}

/// All desired resources of the spec, for checks that look across resources (a subnet inside
/// its VPC, two subnets that overlap), indexed once so that such a check costs what it finds,
/// not a walk of the whole spec: a spec's check stays linear in its size.
pub struct Others<'a> {
    all: &'a [DesiredResource],
    by_address: HashMap<&'a Address, usize>,
    /// (kind, field, address) -> the resources of that kind whose top-level `field` refers to
    /// that address, in file order.
    referring: HashMap<(Kind, &'a str, &'a Address), Vec<usize>>,
}

impl<'a> Others<'a> {
    pub fn new(all: &'a [DesiredResource]) -> Self {
        let mut by_address = HashMap::with_capacity(all.len());
        let mut referring: HashMap<_, Vec<usize>> = HashMap::new();
        for (i, r) in all.iter().enumerate() {
            by_address.entry(&r.address).or_insert(i);
            for (field, value) in &r.attrs {
                if let Value::Ref(target) = value {
                    referring
                        .entry((r.address.kind, field.as_str(), &target.address))
                        .or_default()
                        .push(i);
                }
            }
        }
        Others {
            all,
            by_address,
            referring,
        }
    }

    /// The resource at `address`, if the spec declares it.
    pub fn get(&self, address: &Address) -> Option<&'a DesiredResource> {
        self.by_address.get(address).map(|&i| &self.all[i])
    }

    /// Where `address` is declared among all resources (file order).
    pub fn position(&self, address: &Address) -> Option<usize> {
        self.by_address.get(address).copied()
    }

    /// The resources of `kind` whose `field` refers to `target`, in file order, each with its
    /// position.
    pub fn referring(
        &self,
        kind: Kind,
        field: &str,
        target: &Address,
    ) -> Vec<(usize, &'a DesiredResource)> {
        self.referring
            .get(&(kind, field, target))
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&i| (i, &self.all[i]))
            .collect()
    }
}

/// Everything recon knows about a kind that is not an AWS call.
#[derive(Debug)]
pub struct KindDef {
    pub kind: Kind,
    pub doc: &'static str,
    pub fields: &'static [Field],
    /// Attributes other resources may reference beyond the fields: always at least `id`.
    pub attributes: &'static [&'static str],
    /// Kinds whose creates must finish before this kind's creates start, and whose deletes wait
    /// for this kind's deletes, when nothing in the values says so (a NAT gateway needs the
    /// VPC's internet gateway attached; the gateway cannot be detached while a NAT maps public
    /// addresses).
    pub after: &'static [Kind],
    /// Checks beyond the schema: combinations of fields, relations to other resources.
    pub check: fn(&DesiredResource, &Others<'_>) -> Vec<Problem>,
    /// What AWS does with it beyond the schema: ids, "not found" codes, tokens, states.
    pub aws: AwsFacts,
}

impl KindDef {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Whether `name` is an intent-only field ([`Update::Intent`]).
    pub fn is_intent(&self, name: &str) -> bool {
        self.field(name).is_some_and(|f| f.update == Update::Intent)
    }

    /// The default values of fields absent from `attrs`.
    pub fn apply_defaults(&self, attrs: &mut BTreeMap<String, Value>) {
        apply_defaults(self.fields, attrs);
    }
}

fn apply_defaults(fields: &[Field], attrs: &mut BTreeMap<String, Value>) {
    for f in fields {
        if let (Presence::Default(d), None) = (&f.presence, attrs.get(f.name)) {
            attrs.insert(f.name.to_owned(), d());
        }
        if let Some(v) = attrs.get_mut(f.name) {
            apply_nested_defaults(&f.ty, v);
        }
    }
}

fn apply_nested_defaults(ty: &Type, v: &mut Value) {
    match (ty, v) {
        (Type::Object(fields), Value::Map(m)) => apply_defaults(fields, m),
        (Type::List(inner) | Type::Set(inner), Value::List(items)) => items
            .iter_mut()
            .for_each(|i| apply_nested_defaults(inner, i)),
        _ => {}
    }
}

/// Checks that never find anything.
pub fn no_checks(_: &DesiredResource, _: &Others<'_>) -> Vec<Problem> {
    Vec::new()
}

/// Puts a value into the canonical form the planner compares: sets sorted.
pub fn canonical(ty: &Type, v: &Value) -> Value {
    match (ty, v) {
        (Type::Set(inner), Value::List(items)) => {
            let mut items: Vec<Value> = items.iter().map(|i| canonical(inner, i)).collect();
            items.sort();
            items.dedup();
            Value::List(items)
        }
        (Type::List(inner), Value::List(items)) => {
            Value::List(items.iter().map(|i| canonical(inner, i)).collect())
        }
        (Type::Object(fields), Value::Map(m)) => Value::Map(
            m.iter()
                .map(|(k, v)| {
                    let v = match fields.iter().find(|f| f.name == k) {
                        Some(f) => canonical(&f.ty, v),
                        None => v.clone(),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        _ => v.clone(),
    }
}

/// The ids a live value holds in reference positions, with the kinds they may be.
/// Used to find what a live resource depends on (for delete ordering) without a spec.
pub fn referenced_ids<'v>(ty: &Type, v: &'v Value, out: &mut Vec<(&'static [Kind], &'v str)>) {
    match (ty, v) {
        (Type::Ref(kinds) | Type::CidrOrRef(kinds), Value::String(s)) => out.push((kinds, s)),
        (Type::List(inner) | Type::Set(inner), Value::List(items)) => {
            items.iter().for_each(|i| referenced_ids(inner, i, out))
        }
        (Type::Object(fields), Value::Map(m)) => {
            for f in *fields {
                if let Some(v) = m.get(f.name) {
                    referenced_ids(&f.ty, v, out);
                }
            }
        }
        _ => {}
    }
}

impl Problem {
    pub fn at(path: &[&str], message: impl Into<String>, label: impl Into<String>) -> Self {
        Problem {
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            message: message.into(),
            label: label.into(),
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}
