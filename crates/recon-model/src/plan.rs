//! The plan: plain data that `apply` carries out and nothing else.
//!
//! What `before` and `after` mean per action:
//! - `Create`: no `before`; `after` is the wanted attributes, where a reference to a resource
//!   created or replaced in the same plan is still a reference, resolved at apply time.
//! - `Update`: `before` is the live resource's attributes, `after` the wanted ones; `diffs` lists
//!   the fields that change, none of which forces replacement.
//! - `Replace`: as `Update`, and at least one diff forces replacement; apply deletes the live
//!   resource, then creates the wanted one.
//! - `Delete`: `before` only.
//!
//! `reason` explains and never decides: apply does not read it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::address::{Address, Kind};
use crate::diff::AttrDiff;
use crate::resource::{Attrs, LiveResource};
use crate::value::Value;

/// Bumped on any incompatible change to the JSON form of [`Plan`].
pub const PLAN_FORMAT_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
}

impl Action {
    /// Terraform's symbols: `+`, `~`, `-/+`, `-`.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub address: Address,
    pub action: Action,
    /// The live resource's AWS id (all actions but `Create`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Attrs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Attrs>,
    /// Fields that change (`Update`, `Replace`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diffs: Vec<AttrDiff>,
    /// Resources the wanted version depends on (references and `depends_on`): creates and
    /// updates run after theirs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Address>,
    /// Resources the live version refers to: their deletes run after this one's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub live_depends_on: Vec<Address>,
    /// Why, for humans ("not in the spec", "`cidr_block` forces replacement").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Where the plan came from, to refuse applying it once the world moved on: the spec file,
/// and for a file with several environments or parameters, which environment and what values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecSource {
    pub path: String,
    pub sha256: String,
    /// The file's environment chosen with `--env` (a key of its `environments:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// Every parameter's value the plan was made with, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, serde_json::Value>,
    /// The values file given with `--values`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<ValuesSource>,
    /// The `--set name=value` arguments, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<String>,
}

/// A values file (`--values FILE`) and the digest of its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValuesSource {
    pub path: String,
    pub sha256: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanMode {
    /// Converge on the spec.
    Apply,
    /// Delete everything the environment owns.
    Destroy,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub mode: PlanMode,
    pub environment: String,
    pub region: String,
    /// The spec the plan was made from (absent for `destroy --env`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<SpecSource>,
    /// [`fingerprint`] of the live resources the plan was made against.
    pub live_fingerprint: String,
    /// Changes in address order. Unchanged resources are not listed.
    pub changes: Vec<Change>,
    /// Addresses found live and wanted as they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unchanged: Vec<Address>,
    /// Live ids of unchanged resources, so apply can resolve references to them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub known: BTreeMap<Address, LiveResource>,
    /// What each of the spec's lookups found (already substituted into `changes`), for review.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lookups: Vec<LookedUp>,
    /// Renames this plan carries out by rewriting ownership tags (the change is at `to`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<crate::lifecycle::Moved>,
    /// Existing resources this plan takes over: apply writes their ownership tags first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adopted: Vec<crate::lifecycle::Adopt>,
    /// The deletes and replacements that lose data, for reviewers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_loss: Vec<crate::lifecycle::DataLoss>,
    /// `--target` and `--replace` as the plan was made with them: apply makes the plan again
    /// the same way to check the saved one.
    #[serde(default, skip_serializing_if = "Shaping::is_empty")]
    pub shaping: Shaping,
}

/// What `--target` and `--replace` asked of a plan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shaping {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target: Vec<Address>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace: Vec<Address>,
}

impl Shaping {
    pub fn is_empty(&self) -> bool {
        self.target.is_empty() && self.replace.is_empty()
    }
}

/// An existing resource a lookup found: recon uses it and never changes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookedUp {
    pub address: Address,
    pub id: String,
    /// A name worth showing a reviewer (an image's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl LookedUp {
    pub fn from_live(live: &LiveResource) -> Self {
        LookedUp {
            address: live.address.clone(),
            id: live.id.clone(),
            name: live
                .outputs
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

impl Plan {
    /// Terraform's counting: a replacement is one to add and one to destroy.
    pub fn summary(&self) -> PlanSummary {
        let mut s = PlanSummary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Replace => {
                    s.add += 1;
                    s.destroy += 1
                }
                Action::Delete => s.destroy += 1,
            }
        }
        s
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn change(&self, address: &Address) -> Option<&Change> {
        self.changes.iter().find(|c| &c.address == address)
    }
}

/// A digest of the live resources a plan was made against: their addresses, ids and
/// attributes (not their transient state), in address order. Kinds are listed so that a plan
/// that read no resource of a kind still notices one appearing.
///
/// The digest of their JSON, written straight into the hash: at 5,000 resources the JSON
/// itself would be megabytes, held while the plan is made.
pub fn fingerprint(kinds: &[Kind], live: &[LiveResource]) -> String {
    let mut items: Vec<_> = live.iter().map(|r| (&r.address, &r.id, &r.attrs)).collect();
    items.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut kinds = kinds.to_vec();
    kinds.sort();
    let mut hasher = Sha256::new();
    serde_json::to_writer(&mut hasher, &(kinds, items)).expect("live resources serialize");
    hex(&hasher.finalize())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Attrs, LiveState, Value};

    /// Plans saved before the digest was streamed still match: it is the SHA-256 of the same
    /// JSON document, byte for byte.
    #[test]
    fn the_fingerprint_is_the_digest_of_the_live_resources_json() {
        let resource = |name: &str, id: &str| LiveResource {
            address: Address::new(Kind::Subnet, name),
            id: id.to_owned(),
            state: LiveState::Available,
            attrs: Attrs::from([
                ("cidr_block".to_owned(), Value::str("10.0.1.0/24")),
                ("vpc_id".to_owned(), Value::str("vpc-1")),
            ]),
            outputs: BTreeMap::new(),
        };
        let live = [resource("b", "subnet-2"), resource("a", "subnet-1")];
        let json = serde_json::to_vec(&(
            [Kind::Vpc, Kind::Subnet],
            [
                (&live[1].address, &live[1].id, &live[1].attrs),
                (&live[0].address, &live[0].id, &live[0].attrs),
            ],
        ))
        .unwrap();
        assert_eq!(
            fingerprint(&[Kind::Subnet, Kind::Vpc], &live),
            sha256_hex(&json)
        );
    }
}
