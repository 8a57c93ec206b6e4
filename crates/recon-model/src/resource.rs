//! Desired resources (from a spec) and live resources (found in AWS by their tags).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::address::{Address, Kind};
use crate::kinds;
use crate::schema::referenced_ids;
use crate::value::{Reference, Value};

/// Field name to value. `tags` is a field of every kind.
pub type Attrs = BTreeMap<String, Value>;

/// A checked spec: what the user wants, with no positions and no AWS types.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spec {
    /// Ownership: every resource created is tagged `recon:env` = this.
    pub environment: String,
    pub region: String,
    /// Added to every resource.
    pub tags: BTreeMap<String, String>,
    /// Existing resources the spec uses but never owns, in the order of the file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lookups: Vec<crate::lookup::Lookup>,
    /// In the order of the file.
    pub resources: Vec<DesiredResource>,
    /// Renames, adoptions and fields left to others.
    #[serde(default, skip_serializing_if = "crate::lifecycle::Lifecycle::is_empty")]
    pub lifecycle: crate::lifecycle::Lifecycle,
}

impl Spec {
    pub fn get(&self, address: &Address) -> Option<&DesiredResource> {
        self.resources.iter().find(|r| &r.address == address)
    }
}

/// One resource as the spec wants it: defaults applied, values canonical, references unresolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredResource {
    pub address: Address,
    /// Every field of the kind that has a value (given or default), `tags` being the
    /// resource's own tags only (see [`crate::tags::desired_tags`] for the full set).
    pub attrs: Attrs,
    /// Explicit ordering edges (`depends_on:`) beyond the references in `attrs`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Address>,
}

impl DesiredResource {
    /// Everything this resource must come after: referenced resources and `depends_on`.
    pub fn dependencies(&self) -> Vec<Address> {
        let mut out: Vec<Address> = self
            .attrs
            .values()
            .flat_map(|v| v.references())
            .map(|r: &Reference| r.address.clone())
            .chain(self.depends_on.iter().cloned())
            .filter(|a| a != &self.address)
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Where a live resource is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveState {
    /// Being created (NAT gateway `pending`, instance `pending`).
    Pending,
    /// Usable.
    Available,
    /// Being deleted; still blocks what it uses.
    Deleting,
    /// Creation failed on the AWS side (NAT gateway `failed`).
    Failed,
}

/// A resource as AWS has it, in the same field vocabulary as the spec: references hold AWS ids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveResource {
    /// From the `recon:id` tag.
    pub address: Address,
    /// The AWS id (`vpc-…`, `eipalloc-…`).
    pub id: String,
    pub state: LiveState,
    /// Every field the kind has that AWS reports, `tags` holding every tag except `aws:*` ones.
    pub attrs: Attrs,
    /// Attributes that are not fields (`arn`, `public_ip`), for `${kind.name.attr}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, Value>,
}

impl LiveResource {
    pub fn kind(&self) -> Kind {
        self.address.kind
    }

    /// The value of an attribute for references: `id`, a field, or an output.
    pub fn attribute(&self, name: &str) -> Option<Value> {
        if name == "id" {
            return Some(Value::str(&self.id));
        }
        self.outputs
            .get(name)
            .or_else(|| self.attrs.get(name))
            .cloned()
    }

    /// The AWS ids this resource refers to, with the kinds each may be.
    pub fn referenced_ids(&self) -> Vec<(&'static [Kind], &str)> {
        let def = kinds::def(self.kind());
        let mut out = Vec::new();
        for f in def.fields {
            if let Some(v) = self.attrs.get(f.name) {
                referenced_ids(&f.ty, v, &mut out);
            }
        }
        out
    }

    /// A tag's value.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.attrs.get("tags")?.as_map()?.get(key)?.as_str()
    }
}
