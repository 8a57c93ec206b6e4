//! What AWS does with a kind beyond its schema: the shape of its ids, the error codes that say
//! one is missing, whether its create call takes an idempotency token, which fields the create
//! call cannot set, and how long it takes to become available and to go away.
//!
//! Declared once per kind, as `DEF.aws` in the kind's module, and read by everything that
//! needs one of these facts: the fake provider (ids, error codes, tokens, initial values,
//! pending and deleting times), the executor (how long it waits) and the docs (generated from
//! them and checked by a test). The AWS provider is their source: each fact is what its kind's
//! module does or what AWS answers it.

use std::time::Duration;

use crate::value::Value;

/// A field the create call does not set, and the value a new resource has (`None`: absent).
pub type Initial = (&'static str, fn() -> Option<Value>);

/// A field AWS chooses when the request leaves it out ([`crate::Presence::Computed`]), and a
/// value it may choose.
pub type Chosen = (&'static str, fn() -> Value);

const MINUTE: u64 = 60;

#[derive(Debug)]
pub struct AwsFacts {
    /// The prefix of its ids: `vpc` in `vpc-0a1b2c3d`. Where AWS's ids have none
    /// ([`AwsFacts::prefixed_ids`] false: KMS key UUIDs, load balancer and Auto Scaling group
    /// names), it is only how the fake spells its ids.
    pub id_prefix: &'static str,
    /// Whether AWS's ids of this kind start with `id_prefix` and a `-`.
    pub prefixed_ids: bool,
    /// The error codes AWS answers when an id of this kind does not exist; the first is the one
    /// the fake answers.
    pub not_found: &'static [&'static str],
    /// How the create call is made idempotent.
    pub create_token: CreateToken,
    /// Fields the create call does not set: they take AWS's initial value, and the executor
    /// sets them with further calls (an update) once the resource is available.
    pub set_after_create: &'static [Initial],
    /// Fields AWS chooses when the request leaves them out.
    pub chosen_by_aws: &'static [Chosen],
    /// How long its states last.
    pub lifecycle: Lifecycle,
    /// Whether the delete call answers once the resource is gone (EC2's DeleteSubnet,
    /// DeleteVpc...): then the executor does not poll for it to be gone. False for a kind that
    /// goes through a `deleting` state (an instance, a NAT gateway, an EFS file system) or
    /// whose API is only eventually consistent about it (IAM, S3).
    pub gone_when_delete_answers: bool,
    /// Whether AWS keeps tags on the resource itself. A mount target has none: recon keeps its
    /// address on its file system, and gives it no `Name` tag it could not have.
    pub has_tags: bool,
}

/// The idempotency parameter of a kind's create call, if its API has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateToken {
    /// The call has none: a create whose answer is lost must be found by its tags before it
    /// is made again.
    None,
    /// `ClientToken` (EC2's CreateNatGateway, CreateRouteTable, RunInstances,
    /// CreateLaunchTemplate).
    ClientToken,
    /// EFS's `CreationToken`.
    CreationToken,
}

impl CreateToken {
    pub fn takes_token(self) -> bool {
        self != CreateToken::None
    }
}

/// How long a kind's resources stay in each state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifecycle {
    /// How long a new resource is typically `pending` (as the fake models it; zero: available
    /// by the time the create call answers, as far as anything that waits can tell).
    pub pending: Duration,
    /// How long a deleted resource is typically `deleting`, still blocking what it uses.
    pub deleting: Duration,
    /// How long the executor waits for a new resource to become available.
    pub ready_within: Duration,
    /// How long the executor waits for a deleted resource to be gone.
    pub deleted_within: Duration,
}

impl Lifecycle {
    /// Available and gone at once, in practice; waited for for 10 and 20 minutes.
    pub const QUICK: Lifecycle = Lifecycle {
        pending: Duration::ZERO,
        deleting: Duration::ZERO,
        ready_within: Duration::from_secs(10 * MINUTE),
        deleted_within: Duration::from_secs(20 * MINUTE),
    };

    /// A NAT gateway: `pending` for one to several minutes, `deleting` for about a minute
    /// (AWS documents no bound; Terraform waits 10 and 30 minutes).
    pub const NAT_GATEWAY: Lifecycle = Lifecycle {
        pending: Duration::from_secs(MINUTE),
        deleting: Duration::from_secs(30),
        ready_within: Duration::from_secs(10 * MINUTE),
        deleted_within: Duration::from_secs(30 * MINUTE),
    };
}

impl AwsFacts {
    /// A kind with ids `<prefix>-…`, its "not found" codes, no token, everything set by the
    /// create call, and a quick lifecycle: the starting point of each kind's facts.
    pub const fn simple(id_prefix: &'static str, not_found: &'static [&'static str]) -> AwsFacts {
        AwsFacts {
            id_prefix,
            prefixed_ids: true,
            not_found,
            create_token: CreateToken::None,
            set_after_create: &[],
            chosen_by_aws: &[],
            lifecycle: Lifecycle::QUICK,
            gone_when_delete_answers: false,
            has_tags: true,
        }
    }

    /// The code the fake answers for a missing id.
    pub fn not_found_code(&self) -> &'static str {
        self.not_found.first().copied().unwrap_or("NotFound")
    }

    /// Whether `id` has this kind's prefix (`sg-…` for a security group).
    pub fn owns_id(&self, id: &str) -> bool {
        id.strip_prefix(self.id_prefix)
            .is_some_and(|rest| rest.starts_with('-'))
    }
}
