//! recon's vocabulary as plain data.
//!
//! Addresses and kinds, the per-kind schemas (which fields exist, which reference other
//! resources, which update in place and which force replacement), attribute values, desired and
//! live resources, and the plan.
//!
//! # Architecture invariants
//! - No IO and no async: everything here is a value or a pure function over values.
//! - No AWS types: the AWS crate translates to and from these.

pub mod address;
pub mod diff;
pub mod facts;
pub mod kinds;
pub mod lifecycle;
pub mod limits;
pub mod lookup;
pub mod plan;
pub mod regions;
pub mod resource;
pub mod review;
pub mod schema;
pub mod tags;
pub mod value;

pub use address::{Address, AddressError, Kind};
pub use diff::{AttrDiff, diff_attrs};
pub use facts::{AwsFacts, CreateToken};
pub use lifecycle::{Adopt, DataLoss, Lifecycle, Moved};
pub use lookup::{Lookup, LookupDef};
pub use plan::{
    Action, Change, LookedUp, PLAN_FORMAT_VERSION, Plan, PlanMode, PlanSummary, Shaping,
    SpecSource, ValuesSource, fingerprint, sha256_hex,
};
pub use resource::{Attrs, DesiredResource, LiveResource, LiveState, Spec};
pub use review::Silence;
pub use schema::{Field, KindDef, Presence, Problem, Type, Update};
pub use value::{Reference, Value};
