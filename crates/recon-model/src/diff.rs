//! Field-by-field comparison of what is wanted with what is live, by the kind's schema.

use serde::{Deserialize, Serialize};

use crate::address::Kind;
use crate::kinds;
use crate::resource::Attrs;
use crate::schema::{Presence, Type, Update, canonical};
use crate::value::Value;

/// One field that differs. `before` is the live value, `after` the wanted one (either may be
/// absent); `forces_replacement` says the field cannot change in place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttrDiff {
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    pub forces_replacement: bool,
}

/// The fields of `kind` where `wanted` and `live` differ, in schema order.
///
/// `wanted` has references to unchanged resources already resolved to ids; a value that is still
/// not known (a reference to a resource being created) counts as a difference. A field the spec
/// leaves to AWS ([`Presence::Computed`]) and does not give is not compared, nor is an
/// intent-only field ([`Update::Intent`]), which AWS never has.
pub fn diff_attrs(kind: Kind, wanted: &Attrs, live: &Attrs) -> Vec<AttrDiff> {
    let def = kinds::def(kind);
    let mut out = Vec::new();
    for field in def.fields {
        if field.update == Update::Intent {
            continue;
        }
        let want = wanted.get(field.name).map(|v| canonical(&field.ty, v));
        if want.is_none() && matches!(field.presence, Presence::Computed) {
            continue;
        }
        let have = live.get(field.name).map(|v| {
            let v = canonical(&field.ty, v);
            match &want {
                Some(w) => canonical(&field.ty, &without_unasked(&field.ty, w, v)),
                None => v,
            }
        });
        let same = match (&want, &have) {
            (Some(w), Some(h)) => w.is_known() && w == h,
            (None, None) => true,
            // An empty list or map is the same as nothing.
            (Some(v), None) | (None, Some(v)) => is_empty(v),
        };
        if !same {
            out.push(AttrDiff {
                field: field.name.to_owned(),
                forces_replacement: forces(field.update, &field.ty, have.as_ref(), want.as_ref()),
                before: have,
                after: want,
            });
        }
    }
    out
}

/// Whether changing a field from `before` to `after` needs a new resource: a field that
/// replaces; a number that [`Update::Grows`] made smaller; or, in an object AWS changes in
/// place, a nested field that does.
fn forces(update: Update, ty: &Type, before: Option<&Value>, after: Option<&Value>) -> bool {
    match (update, ty, before, after) {
        (Update::Replace, ..) => true,
        (Update::Grows, _, Some(Value::Int(b)), Some(Value::Int(a))) => a < b,
        (Update::Grows, ..) => true,
        (Update::InPlaceTo(to), _, _, after) => after.and_then(Value::as_str) != Some(to),
        (Update::InPlace, Type::Object(fields), Some(Value::Map(b)), Some(Value::Map(a))) => {
            fields.iter().any(|f| {
                let (b, a) = (b.get(f.name), a.get(f.name));
                let asked = a.is_some() || !matches!(f.presence, Presence::Computed);
                asked && b != a && forces(f.update, &f.ty, b, a)
            })
        }
        (Update::InPlace, Type::Object(_), ..) => true,
        _ => false,
    }
}

/// `live` without the nested fields that `wanted` leaves to AWS ([`Presence::Computed`]), so
/// `root_volume: { size_gb: 500, encrypted: true }` matches a volume AWS encrypted with the
/// account's default key and reports that key.
fn without_unasked(ty: &Type, wanted: &Value, live: Value) -> Value {
    match (ty, wanted, live) {
        (Type::Object(fields), Value::Map(w), Value::Map(mut l)) => {
            for f in *fields {
                match (w.get(f.name), l.remove(f.name)) {
                    (None, Some(_)) if matches!(f.presence, Presence::Computed) => {}
                    (Some(wv), Some(lv)) => {
                        l.insert(f.name.to_owned(), without_unasked(&f.ty, wv, lv));
                    }
                    (_, Some(lv)) => {
                        l.insert(f.name.to_owned(), lv);
                    }
                    (_, None) => {}
                }
            }
            Value::Map(l)
        }
        (Type::List(inner) | Type::Set(inner), Value::List(w), Value::List(l))
            if w.len() == l.len() =>
        {
            Value::List(
                w.iter()
                    .zip(l)
                    .map(|(wv, lv)| without_unasked(inner, wv, lv))
                    .collect(),
            )
        }
        (_, _, live) => live,
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    #[test]
    fn a_vpc_tenancy_changes_in_place_only_to_default() {
        let tenancy = |t: &str| {
            crate::resource::Attrs::from([("instance_tenancy".to_owned(), Value::str(t))])
        };
        let to_default = diff_attrs(Kind::Vpc, &tenancy("default"), &tenancy("dedicated"));
        assert!(!to_default[0].forces_replacement, "{to_default:?}");
        let to_dedicated = diff_attrs(Kind::Vpc, &tenancy("dedicated"), &tenancy("default"));
        assert!(to_dedicated[0].forces_replacement, "{to_dedicated:?}");
    }

    #[test]
    fn a_root_volume_grows_and_changes_type_in_place_and_anything_else_replaces() {
        let root = |size: i64, ty: &str, encrypted: bool| {
            let mut attrs = crate::resource::Attrs::new();
            attrs.insert(
                "root_volume".into(),
                Value::Map(BTreeMap::from([
                    ("size_gb".to_owned(), Value::Int(size)),
                    ("volume_type".to_owned(), Value::str(ty)),
                    ("encrypted".to_owned(), Value::Bool(encrypted)),
                ])),
            );
            attrs
        };
        let live = root(100, "gp3", false);
        let forces = |wanted| {
            let d = diff_attrs(Kind::Instance, &wanted, &live);
            assert_eq!(d.len(), 1, "{d:?}");
            d[0].forces_replacement
        };
        assert!(!forces(root(200, "gp3", false)), "larger: in place");
        assert!(!forces(root(100, "gp2", false)), "another type: in place");
        assert!(!forces(root(200, "io1", false)), "both: in place");
        assert!(
            forces(root(50, "gp3", false)),
            "smaller: AWS cannot shrink a volume"
        );
        assert!(forces(root(100, "gp3", true)), "encryption: a new volume");
        assert!(diff_attrs(Kind::Instance, &root(100, "gp3", false), &live).is_empty());
    }

    use super::*;
    use crate::value::Reference;

    fn attrs(pairs: &[(&str, Value)]) -> Attrs {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn nested_fields_left_to_aws_are_not_compared() {
        let volume = |key: Option<&str>| {
            let mut m: BTreeMap<String, Value> = [
                ("size_gb".to_owned(), Value::Int(500)),
                ("volume_type".to_owned(), Value::str("gp3")),
                ("encrypted".to_owned(), Value::Bool(true)),
            ]
            .into();
            if let Some(k) = key {
                m.insert("kms_key".into(), Value::str(k));
            }
            Value::Map(m)
        };
        let live = attrs(&[("root_volume", volume(Some("aws-ebs-default")))]);
        // Not asked for: AWS's default key is fine.
        assert_eq!(
            diff_attrs(
                Kind::Instance,
                &attrs(&[("root_volume", volume(None))]),
                &live
            ),
            vec![]
        );
        // Asked for: another key is a difference.
        let diffs = diff_attrs(
            Kind::Instance,
            &attrs(&[("root_volume", volume(Some("key-1")))]),
            &live,
        );
        assert_eq!(diffs.len(), 1);
        assert!(diffs[0].forces_replacement);
    }

    #[test]
    fn sets_compare_unordered_and_replace_fields_are_marked() {
        let rule = |port: &str| {
            Value::Map(
                [
                    ("protocol".to_owned(), Value::str("tcp")),
                    ("ports".to_owned(), Value::str(port)),
                    ("from".to_owned(), Value::str("10.0.0.0/16")),
                ]
                .into(),
            )
        };
        let wanted = attrs(&[
            ("vpc", Value::str("vpc-1")),
            ("description", Value::str("new")),
            ("ingress", Value::List(vec![rule("22"), rule("80")])),
        ]);
        let live = attrs(&[
            ("vpc", Value::str("vpc-1")),
            ("description", Value::str("old")),
            ("ingress", Value::List(vec![rule("80"), rule("22")])),
        ]);
        let d = diff_attrs(Kind::SecurityGroup, &wanted, &live);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].field, "description");
        assert!(d[0].forces_replacement);
    }

    #[test]
    fn unknown_values_differ_and_computed_fields_are_skipped() {
        let wanted = attrs(&[
            ("vpc", Value::Ref(Reference::parse("vpc.main").unwrap())),
            ("cidr_block", Value::str("10.0.1.0/24")),
        ]);
        let live = attrs(&[
            ("vpc", Value::str("vpc-1")),
            ("cidr_block", Value::str("10.0.1.0/24")),
            ("availability_zone", Value::str("us-east-1a")),
        ]);
        let d = diff_attrs(Kind::Subnet, &wanted, &live);
        assert_eq!(
            d.iter().map(|d| d.field.as_str()).collect::<Vec<_>>(),
            ["vpc"]
        );
    }

    #[test]
    fn intent_fields_are_never_compared() {
        let wanted = attrs(&[
            ("vpc", Value::str("vpc-1")),
            ("cidr_block", Value::str("10.0.1.0/24")),
            ("tier", Value::str("private")),
        ]);
        let live = attrs(&[
            ("vpc", Value::str("vpc-1")),
            ("cidr_block", Value::str("10.0.1.0/24")),
            ("map_public_ip_on_launch", Value::Bool(false)),
        ]);
        let mut wanted = wanted;
        wanted.insert("map_public_ip_on_launch".into(), Value::Bool(false));
        assert_eq!(diff_attrs(Kind::Subnet, &wanted, &live), vec![]);
    }
}
