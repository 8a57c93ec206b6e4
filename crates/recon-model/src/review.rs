//! What a spec says about its own review: the findings its author has accepted.

use serde::{Deserialize, Serialize};

use crate::address::Address;

/// One review rule silenced on one resource, with the reason, from the resource's
/// `review: { silence: [{ rule, reason }] }` annotation. The reason is required: it is shown
/// wherever the silenced finding is (the plan, SARIF), so a reviewer can judge it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silence {
    pub address: Address,
    /// The rule's id, e.g. `net/admin-port-open`. The spec crate does not know the rules; the
    /// review crate reports an id that names none.
    pub rule: String,
    pub reason: String,
}
