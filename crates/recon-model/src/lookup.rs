//! Lookups: existing resources a spec uses but recon never owns (`lookups:` in a spec).
//!
//! A lookup names one resource by filters (an AMI by name pattern and owner, the account's
//! default VPC, a subnet by zone, anything by id or tags). `recon plan` asks the provider for
//! each, before planning, and replaces every reference to a lookup with what was found, so the
//! planner, the graph and the executor only ever see ids: a looked-up resource can never be
//! planned for a change or a delete. The plan records what each lookup found, for review.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::address::{Address, Kind};
use crate::resource::{Attrs, LiveResource, Spec};
use crate::schema::{Field, Presence, Problem, Type, Update};
use crate::value::{Reference, Value};

/// A lookup as the spec gives it: its address (`vpc.default`) and its filters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lookup {
    pub address: Address,
    /// Filter name to value; references (a subnet's `vpc: vpc.default`) name other lookups.
    pub filters: Attrs,
}

/// What a kind can be looked up by.
#[derive(Debug)]
pub struct LookupDef {
    pub kind: Kind,
    pub doc: &'static str,
    pub fields: &'static [Field],
    /// Checks beyond the schema: that the filters can name one resource.
    pub check: fn(&Lookup) -> Vec<Problem>,
}

/// The kinds that can be looked up, in the order docs list them.
pub const KINDS: &[Kind] = &[Kind::Image, Kind::Vpc, Kind::Subnet, Kind::SecurityGroup];

pub fn def(kind: Kind) -> Option<&'static LookupDef> {
    Some(match kind {
        Kind::Image => &IMAGE,
        Kind::Vpc => &VPC,
        Kind::Subnet => &SUBNET,
        Kind::SecurityGroup => &SECURITY_GROUP,
        _ => return None,
    })
}

const fn filter(name: &'static str, ty: Type, doc: &'static str) -> Field {
    Field {
        name,
        ty,
        presence: Presence::Optional,
        update: Update::InPlace,
        doc,
    }
}

const ID: Field = filter("id", Type::String, "Its AWS id.");
const TAGS: Field = filter("tags", Type::Tags, "Tags it must have (all of them).");

pub static IMAGE: LookupDef = LookupDef {
    kind: Kind::Image,
    doc: "The newest AMI (by creation date) matching every filter given.",
    fields: &[
        Field {
            name: "owners",
            ty: Type::Set(&Type::String),
            presence: Presence::Required,
            update: Update::InPlace,
            doc: "Owner account ids or aliases (`amazon`, `self`, `aws-marketplace`).",
        },
        filter(
            "name",
            Type::String,
            "Name pattern; `*` matches anything, e.g. `al2023-ami-2023.*-x86_64`.",
        ),
        filter(
            "architecture",
            Type::Enum(&["x86_64", "arm64", "i386"]),
            "`x86_64`, `arm64` or `i386`.",
        ),
        filter(
            "virtualization_type",
            Type::Enum(&["hvm", "paravirtual"]),
            "`hvm` or `paravirtual`.",
        ),
        filter(
            "root_device_type",
            Type::Enum(&["ebs", "instance-store"]),
            "`ebs` or `instance-store`.",
        ),
        ID,
    ],
    check: |l| needs_one_of(l, &["name", "id"]),
};

pub static VPC: LookupDef = LookupDef {
    kind: Kind::Vpc,
    doc: "One VPC: the account's default VPC in the region, or one by id or tags.",
    fields: &[
        filter("default", Type::Bool, "`true`: the region's default VPC."),
        ID,
        TAGS,
    ],
    check: |l| needs_one_of(l, &["default", "id", "tags"]),
};

pub static SUBNET: LookupDef = LookupDef {
    kind: Kind::Subnet,
    doc: "One subnet: e.g. the default subnet of a zone, or one by id or tags.",
    fields: &[
        filter(
            "vpc",
            Type::Ref(&[Kind::Vpc]),
            "The VPC it is in (a looked-up `vpc`).",
        ),
        filter(
            "availability_zone",
            Type::String,
            "The zone it is in, e.g. `us-east-1a`.",
        ),
        filter(
            "default_for_az",
            Type::Bool,
            "`true`: the zone's default subnet (of the default VPC).",
        ),
        ID,
        TAGS,
    ],
    check: |l| needs_one_of(l, &["availability_zone", "default_for_az", "id", "tags"]),
};

pub static SECURITY_GROUP: LookupDef = LookupDef {
    kind: Kind::SecurityGroup,
    doc: "One security group, by id, by name (in a VPC) or by tags.",
    fields: &[
        filter(
            "vpc",
            Type::Ref(&[Kind::Vpc]),
            "The VPC it is in (a looked-up `vpc`).",
        ),
        filter(
            "name",
            Type::String,
            "Its group name (`default` for a VPC's default group).",
        ),
        ID,
        TAGS,
    ],
    check: |l| needs_one_of(l, &["name", "id", "tags"]),
};

fn needs_one_of(lookup: &Lookup, fields: &[&str]) -> Vec<Problem> {
    if fields.iter().any(|f| lookup.filters.contains_key(*f)) {
        return Vec::new();
    }
    let names: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
    vec![
        Problem::at(
            &[],
            format!("lookup `{}` has nothing to find it by", lookup.address),
            "no filter",
        )
        .help(format!("give at least one of {}", names.join(", "))),
    ]
}

/// Every reference in `value` to something `found` holds, replaced by its value.
fn substitute(value: &Value, found: &BTreeMap<Address, LiveResource>) -> Value {
    value.resolve(&|r: &Reference| found.get(&r.address)?.attribute(&r.attr))
}

impl Lookup {
    /// The filters with references to lookups already found replaced by their ids.
    pub fn resolved_filters(&self, found: &BTreeMap<Address, LiveResource>) -> Attrs {
        self.filters
            .iter()
            .map(|(k, v)| (k.clone(), substitute(v, found)))
            .collect()
    }

    /// The lookups this one's filters refer to.
    pub fn dependencies(&self) -> Vec<Address> {
        self.filters
            .values()
            .flat_map(|v| v.references())
            .map(|r| r.address.clone())
            .collect()
    }
}

impl Spec {
    /// The spec with every reference to a lookup replaced by what the lookup found, and no
    /// lookups left: what the planner sees.
    pub fn with_lookups(&self, found: &BTreeMap<Address, LiveResource>) -> Spec {
        let mut spec = self.clone();
        spec.lookups.clear();
        for r in &mut spec.resources {
            r.attrs = r
                .attrs
                .iter()
                .map(|(k, v)| (k.clone(), substitute(v, found)))
                .collect();
            r.depends_on.retain(|a| !found.contains_key(a));
        }
        spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::{DesiredResource, LiveState};

    fn found(address: &str, id: &str) -> (Address, LiveResource) {
        let address: Address = address.parse().unwrap();
        let live = LiveResource {
            address: address.clone(),
            id: id.into(),
            state: LiveState::Available,
            attrs: Attrs::new(),
            outputs: BTreeMap::from([("name".to_owned(), Value::str("al2023-ami-1"))]),
        };
        (address, live)
    }

    #[test]
    fn references_to_lookups_become_what_was_found() {
        let image = Value::Template(
            Value::parse_template("${image.al2023.id}")
                .unwrap()
                .unwrap(),
        );
        let vpc = Value::Ref(Reference::id("vpc.default".parse().unwrap()));
        let own = Value::Ref(Reference::id("subnet.mine".parse().unwrap()));
        let spec = Spec {
            environment: "web".into(),
            region: "us-east-1".into(),
            tags: BTreeMap::new(),
            lookups: vec![],
            resources: vec![DesiredResource {
                address: "launch_template.web".parse().unwrap(),
                attrs: Attrs::from([
                    ("image".to_owned(), image),
                    ("vpc".to_owned(), vpc),
                    ("subnet".to_owned(), own.clone()),
                ]),
                depends_on: vec!["vpc.default".parse().unwrap()],
            }],
            lifecycle: Default::default(),
        };
        let found = BTreeMap::from([
            found("image.al2023", "ami-1"),
            found("vpc.default", "vpc-9"),
        ]);
        let resolved = spec.with_lookups(&found);
        let attrs = &resolved.resources[0].attrs;
        assert_eq!(attrs["image"], Value::str("ami-1"));
        assert_eq!(attrs["vpc"], Value::str("vpc-9"));
        assert_eq!(attrs["subnet"], own, "references to resources stay");
        assert!(resolved.resources[0].depends_on.is_empty());
    }

    #[test]
    fn a_lookup_needs_something_to_find_it_by() {
        let lookup = |filters: Attrs| Lookup {
            address: "vpc.default".parse().unwrap(),
            filters,
        };
        assert_eq!((VPC.check)(&lookup(Attrs::new())).len(), 1);
        let default = Attrs::from([("default".to_owned(), Value::Bool(true))]);
        assert_eq!((VPC.check)(&lookup(default)), vec![]);
    }
}
