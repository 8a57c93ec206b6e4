//! What a spec says about resources' lives beyond their fields, and what a plan records of it:
//! renames (`moved:`), adoption of existing resources (`adopt:`), fields others manage
//! (`ignore_changes:`), protection (the `recon:protect` tag) and the data a plan would lose.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::address::{Address, Kind};
use crate::plan::{Action, Change, Plan};
use crate::resource::LiveResource;
use crate::tags;
use crate::value::Value;

/// A rename: the live resource at `from` becomes the resource at `to`, with no create and no
/// delete (its ownership tags are rewritten).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Moved {
    pub from: Address,
    pub to: Address,
}

/// An existing resource no environment owns, taken over as `address`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Adopt {
    pub address: Address,
    pub id: String,
}

/// The spec's lifecycle sections.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<Moved>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adopt: Vec<Adopt>,
    /// Per resource, the fields recon leaves as they are live (someone else manages them).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ignore_changes: BTreeMap<Address, Vec<String>>,
}

impl Lifecycle {
    pub fn is_empty(&self) -> bool {
        self.moved.is_empty() && self.adopt.is_empty() && self.ignore_changes.is_empty()
    }
}

/// A resource a plan deletes or replaces whose loss loses data, with what is lost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataLoss {
    pub address: Address,
    pub id: String,
    pub action: Action,
    /// What is lost, for the reviewer ("the file system and its 12.0 GiB of files").
    pub what: String,
    /// Whether AWS (and recon) will not delete it as the spec stands: an S3 bucket that holds
    /// objects without `force_destroy: true`. A plan with any is refused before any change.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refused: bool,
}

/// Whether a live resource (as its tags say) is protected against deletion and replacement.
pub fn is_protected(attrs_tags: Option<&Value>) -> bool {
    attrs_tags
        .and_then(Value::as_map)
        .and_then(|m| m.get(tags::PROTECT))
        .and_then(Value::as_str)
        == Some("true")
}

impl Plan {
    /// The changes that would delete or replace a protected resource (its live `recon:protect`
    /// tag is `true`). A plan with any must not be carried out.
    pub fn protected_losses(&self) -> Vec<&Change> {
        self.changes
            .iter()
            .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
            .filter(|c| is_protected(c.before.as_ref().and_then(|b| b.get("tags"))))
            .collect()
    }

    /// The deletes and replacements recon refuses to carry out as the spec stands (an S3
    /// bucket holding objects without `force_destroy: true`). A plan with any must not be
    /// carried out: it would stop part-way, after deleting what does not depend on them.
    pub fn refused_losses(&self) -> Vec<&crate::lifecycle::DataLoss> {
        self.data_loss.iter().filter(|d| d.refused).collect()
    }

    /// Where a change's resource was moved from, if this plan moves it.
    pub fn moved_from(&self, address: &Address) -> Option<&Address> {
        self.moved
            .iter()
            .find(|m| &m.to == address)
            .map(|m| &m.from)
    }

    /// Whether this plan adopts the resource at `address`.
    pub fn adopts(&self, address: &Address) -> bool {
        self.adopted.iter().any(|a| &a.address == address)
    }
}

/// What deleting or replacing `live` loses, for the kinds that hold data: an EFS file system's
/// files, a KMS key (and with it everything encrypted under it), an instance's root volume, an
/// S3 bucket's objects.
pub fn data_loss(action: Action, live: &LiveResource) -> Option<DataLoss> {
    let mut refused = false;
    let what = match live.kind() {
        Kind::EfsFileSystem => {
            let size = live
                .outputs
                .get("size_bytes")
                .and_then(|v| match v {
                    Value::Int(i) => Some(*i),
                    _ => None,
                })
                .map(|b| format!(" ({})", human_bytes(b)))
                .unwrap_or_default();
            format!("every file on the file system{size}")
        }
        Kind::KmsKey => {
            let days = live
                .attrs
                .get("deletion_window_days")
                .and_then(|v| match v {
                    Value::Int(i) => Some(*i),
                    _ => None,
                })
                .unwrap_or(30);
            format!(
                "the key, deleted {days} days after the apply (it can be cancelled until then); everything encrypted with it becomes unreadable"
            )
        }
        Kind::Instance => {
            let size = live
                .attrs
                .get("root_volume")
                .and_then(Value::as_map)
                .and_then(|m| m.get("size_gb"))
                .and_then(|v| match v {
                    Value::Int(i) => Some(*i),
                    _ => None,
                });
            match size {
                Some(gb) => format!("the instance's root volume ({gb} GiB) and what is on it"),
                None => "the instance's root volume and what is on it".to_owned(),
            }
        }
        Kind::S3Bucket => {
            let count = match live.outputs.get("objects") {
                Some(Value::Int(n)) => *n,
                _ => 0,
            };
            let more = live.outputs.get("objects_at_least") == Some(&Value::Bool(true));
            let forced = live
                .attrs
                .get("force_destroy")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if count == 0 && !more {
                return None;
            }
            let objects = format!(
                "{}{count} {}, counting each version",
                if more { "more than " } else { "" },
                if count == 1 && !more {
                    "object"
                } else {
                    "objects"
                }
            );
            if forced {
                format!("every object in the bucket ({objects})")
            } else {
                refused = true;
                format!(
                    "the bucket's objects ({objects}), but only with `force_destroy: true`: without it the delete is refused"
                )
            }
        }
        _ => return None,
    };
    Some(DataLoss {
        address: live.address.clone(),
        id: live.id.clone(),
        action,
        what,
        refused,
    })
}

fn human_bytes(b: i64) -> String {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    if b < 1024 * 1024 {
        format!("{b} bytes")
    } else {
        format!("{:.1} GiB", b as f64 / GIB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::{Attrs, LiveState};

    fn live(kind: Kind, attrs: Attrs, outputs: &[(&str, Value)]) -> LiveResource {
        LiveResource {
            address: Address::new(kind, "data"),
            id: "id-1".into(),
            state: LiveState::Available,
            attrs,
            outputs: outputs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        }
    }

    #[test]
    fn data_bearing_kinds_say_what_is_lost() {
        let fs = live(
            Kind::EfsFileSystem,
            Attrs::new(),
            &[("size_bytes", Value::Int(3 * 1024 * 1024 * 1024))],
        );
        assert_eq!(
            data_loss(Action::Delete, &fs).unwrap().what,
            "every file on the file system (3.0 GiB)"
        );
        let key = live(
            Kind::KmsKey,
            [("deletion_window_days".to_owned(), Value::Int(7))].into(),
            &[],
        );
        assert!(
            data_loss(Action::Replace, &key)
                .unwrap()
                .what
                .starts_with("the key, deleted 7 days after the apply")
        );
        assert!(data_loss(Action::Delete, &live(Kind::Vpc, Attrs::new(), &[])).is_none());
    }

    #[test]
    fn protection_is_the_tag_set_to_true() {
        let tags = |v: &str| Value::Map([(tags::PROTECT.to_owned(), Value::str(v))].into());
        assert!(is_protected(Some(&tags("true"))));
        assert!(!is_protected(Some(&tags("false"))));
        assert!(!is_protected(None));
    }
}
