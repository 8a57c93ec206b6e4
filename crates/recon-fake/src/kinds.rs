//! The little the fake knows per kind that the schema does not say: id prefixes, AWS's
//! "not found" codes, which create calls take an idempotency token, and which fields the create
//! call does not set (they take AWS's initial value and are set by later calls).

use recon_model::kinds::security_group::default_egress;
use recon_model::{Kind, Value};

/// A field and the value a new resource has (`None`: absent).
pub(crate) type Initial = (&'static str, fn() -> Option<Value>);
/// A field and the value AWS chooses when the request leaves it out.
pub(crate) type Chosen = (&'static str, fn() -> Value);

#[derive(Clone, Copy)]
pub(crate) struct KindTable {
    /// `vpc` in `vpc-00000001`.
    pub prefix: &'static str,
    /// The code AWS answers for an id of this kind that does not exist.
    pub not_found: &'static str,
    /// Whether the create call takes a client token (CreateRouteTable, CreateNatGateway).
    pub token: bool,
    /// Fields the create call does not set, with the value a new resource has (`None`: absent).
    pub later: &'static [Initial],
    /// Fields AWS chooses when the request leaves them out ([`recon_model::Presence::Computed`]).
    pub computed: &'static [Chosen],
}

/// The table of `kind`. Kinds without an entry (added to the model after this table) get a
/// generic one: prefix `<kind>`, code `<kind>.NotFound`, no token, everything set at creation.
pub(crate) fn table(kind: Kind) -> KindTable {
    let known: &KindTable = match kind {
        Kind::Vpc => &VPC,
        Kind::Subnet => &SUBNET,
        Kind::InternetGateway => &INTERNET_GATEWAY,
        Kind::RouteTable => &ROUTE_TABLE,
        Kind::ElasticIp => &ELASTIC_IP,
        Kind::NatGateway => &NAT_GATEWAY,
        Kind::SecurityGroup => &SECURITY_GROUP,
        Kind::KeyPair => &KEY_PAIR,
        Kind::LaunchTemplate => &LAUNCH_TEMPLATE,
        Kind::Instance => &INSTANCE,
        Kind::KmsKey => &KMS_KEY,
        Kind::EfsFileSystem => &EFS_FILE_SYSTEM,
        Kind::EfsMountTarget => &EFS_MOUNT_TARGET,
        #[allow(unreachable_patterns)]
        _ => {
            return KindTable {
                prefix: kind.as_str(),
                not_found: "NotFound",
                token: false,
                later: &[],
                computed: &[],
            };
        }
    };
    *known
}

static VPC: KindTable = KindTable {
    prefix: "vpc",
    not_found: "InvalidVpcID.NotFound",
    token: false,
    // CreateVpc takes neither: ModifyVpcAttribute sets them, one per call.
    later: &[
        ("enable_dns_support", || Some(Value::Bool(true))),
        ("enable_dns_hostnames", || Some(Value::Bool(false))),
    ],
    computed: &[],
};

static SUBNET: KindTable = KindTable {
    prefix: "subnet",
    not_found: "InvalidSubnetID.NotFound",
    token: false,
    // ModifySubnetAttribute.
    later: &[("map_public_ip_on_launch", || Some(Value::Bool(false)))],
    computed: &[("availability_zone", || Value::str("us-east-1a"))],
};

static INTERNET_GATEWAY: KindTable = KindTable {
    prefix: "igw",
    not_found: "InvalidInternetGatewayID.NotFound",
    token: false,
    // AttachInternetGateway.
    later: &[("vpc", || None)],
    computed: &[],
};

static ROUTE_TABLE: KindTable = KindTable {
    prefix: "rtb",
    not_found: "InvalidRouteTableID.NotFound",
    token: true,
    // CreateRoute, AssociateRouteTable, ReplaceRouteTableAssociation.
    later: &[
        ("routes", || Some(Value::List(vec![]))),
        ("subnets", || Some(Value::List(vec![]))),
        ("main", || Some(Value::Bool(false))),
    ],
    computed: &[],
};

static ELASTIC_IP: KindTable = KindTable {
    prefix: "eipalloc",
    not_found: "InvalidAllocationID.NotFound",
    token: false,
    // AssociateAddress.
    later: &[("instance", || None)],
    computed: &[],
};

static NAT_GATEWAY: KindTable = KindTable {
    prefix: "nat",
    not_found: "NatGatewayNotFound",
    token: true,
    later: &[],
    computed: &[],
};

static SECURITY_GROUP: KindTable = KindTable {
    prefix: "sg",
    not_found: "InvalidGroup.NotFound",
    token: false,
    // A new group has AWS's default egress rule and no ingress; Authorize/Revoke*.
    later: &[
        ("ingress", || Some(Value::List(vec![]))),
        ("egress", || Some(default_egress())),
    ],
    computed: &[],
};

// KMS key ids are UUIDs on AWS; the fake's are `key-00000001`.
static KMS_KEY: KindTable = KindTable {
    prefix: "key",
    not_found: "NotFoundException",
    // CreateKey takes no token.
    token: false,
    // EnableKeyRotation, CreateAlias, CreateGrant: a new key has none of them.
    later: &[
        ("enable_key_rotation", || Some(Value::Bool(false))),
        ("alias", || None),
        ("grants", || Some(Value::List(vec![]))),
    ],
    computed: &[],
};

static EFS_FILE_SYSTEM: KindTable = KindTable {
    prefix: "fs",
    not_found: "FileSystemNotFound",
    // CreateFileSystem's CreationToken.
    token: true,
    later: &[],
    computed: &[],
};

static EFS_MOUNT_TARGET: KindTable = KindTable {
    prefix: "fsmt",
    not_found: "MountTargetNotFound",
    token: false,
    later: &[],
    computed: &[],
};

static KEY_PAIR: KindTable = KindTable {
    prefix: "key",
    not_found: "InvalidKeyPair.NotFound",
    token: false,
    later: &[],
    computed: &[],
};

static LAUNCH_TEMPLATE: KindTable = KindTable {
    prefix: "lt",
    not_found: "InvalidLaunchTemplateId.NotFound",
    token: true,
    later: &[],
    computed: &[],
};

static INSTANCE: KindTable = KindTable {
    prefix: "i",
    not_found: "InvalidInstanceID.NotFound",
    token: true,
    later: &[],
    computed: &[],
};

/// Whether `id` looks like an id of one of `kinds` (`sg-…` for security groups). A
/// [`recon_model::Type::CidrOrRef`] value that does not is a CIDR block, not a reference.
pub(crate) fn looks_like_id(kinds: &[Kind], id: &str) -> bool {
    kinds.iter().any(|k| {
        id.strip_prefix(table(*k).prefix)
            .is_some_and(|rest| rest.starts_with('-'))
    })
}

/// The kind an id belongs to, by its prefix.
pub(crate) fn kind_of_id(id: &str) -> Option<Kind> {
    let prefix = id.split_once('-')?.0;
    Kind::ALL
        .iter()
        .copied()
        .find(|k| table(*k).prefix == prefix)
}
