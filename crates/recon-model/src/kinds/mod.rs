//! The registry of kinds. One module per kind, each in the same order: what it is, its fields
//! (schema, references, in-place or replace), and its checks. The AWS calls for a kind live in
//! the module of the same name in the `recon-aws` crate.

use crate::address::Address;
use crate::resource::DesiredResource;
use crate::schema::{Field, KindDef, Presence, Type, Update};
use crate::value::Value;

/// The one declaration of every kind: `Variant => module`. It generates the module
/// declarations, the [`Kind`] enum (whose names, in specs, `recon:id` tags and JSON, are the
/// module names), the lists [`Kind::ALL`], [`Kind::EVERY`] and [`Kind::LOOKUP_ONLY`], and
/// [`def`]. Each module defines `DEF`, the kind's schema and AWS facts.
macro_rules! declare_kinds {
    (
        managed { $($variant:ident => $module:ident,)* }
        lookup_only { $($(#[$lmeta:meta])* $lvariant:ident => $lmodule:ident,)* }
    ) => {
        $(pub mod $module;)*
        $(pub mod $lmodule;)*

        /// Every kind of resource recon manages, and the kinds it can only look up.
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum Kind {
            $($variant,)*
            $($(#[$lmeta])* $lvariant,)*
        }

        impl Kind {
            /// The kinds recon manages (creates, discovers by tag, deletes), in a stable order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant,)*];

            /// Every kind: the managed ones, then the lookup-only ones.
            pub const EVERY: &'static [Kind] = &[$(Kind::$variant,)* $(Kind::$lvariant,)*];

            /// Kinds that exist in AWS but that recon only looks up, never manages.
            pub const LOOKUP_ONLY: &'static [Kind] = &[$(Kind::$lvariant,)*];

            /// The kind's name in specs, addresses and `recon:id` tags.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Kind::$variant => stringify!($module),)*
                    $(Kind::$lvariant => stringify!($lmodule),)*
                }
            }
        }

        /// The schema and AWS facts of `kind`.
        pub fn def(kind: Kind) -> &'static KindDef {
            match kind {
                $(Kind::$variant => &$module::DEF,)*
                $(Kind::$lvariant => &$lmodule::DEF,)*
            }
        }
    };
}

// Adding a kind: a line here and its module (see docs/architecture.md, "Adding a kind").
declare_kinds! {
    managed {
        Vpc => vpc,
        Subnet => subnet,
        InternetGateway => internet_gateway,
        RouteTable => route_table,
        ElasticIp => elastic_ip,
        NatGateway => nat_gateway,
        SecurityGroup => security_group,
        KeyPair => key_pair,
        LaunchTemplate => launch_template,
        Instance => instance,
        KmsKey => kms_key,
        EfsFileSystem => efs_file_system,
        EfsMountTarget => efs_mount_target,
        LoadBalancer => load_balancer,
        AutoscalingGroup => autoscaling_group,
        IamRole => iam_role,
        InstanceProfile => instance_profile,
        LogGroup => log_group,
        S3Bucket => s3_bucket,
        VpcEndpoint => vpc_endpoint,
        FlowLog => flow_log,
    }
    lookup_only {
        /// An AMI: only ever looked up (`lookups:`), never managed.
        Image => image,
    }
}

impl Kind {
    /// Whether recon creates and deletes resources of this kind.
    pub fn is_managed(self) -> bool {
        !Kind::LOOKUP_ONLY.contains(&self)
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::EVERY.iter().copied().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Values the parser fills in from the environment and the address when the spec leaves them
/// out, so the plan shows them: the name of a load balancer, an Auto Scaling group, an IAM role
/// or instance profile, a log group and an S3 bucket.
pub fn derive_defaults(environment: &str, resource: &mut DesiredResource) {
    let name = match resource.address.kind {
        Kind::LoadBalancer => load_balancer::derived_name(environment, &resource.address.name),
        Kind::AutoscalingGroup => {
            autoscaling_group::derived_name(environment, &resource.address.name)
        }
        Kind::IamRole | Kind::InstanceProfile => {
            iam_role::derived_name(environment, &resource.address.name)
        }
        Kind::LogGroup => log_group::derived_name(environment, &resource.address.name),
        Kind::S3Bucket => s3_bucket::derived_name(environment, &resource.address.name),
        _ => return,
    };
    resource
        .attrs
        .entry("name".to_owned())
        .or_insert_with(|| Value::String(name));
}

/// The `tags` field every kind has. Always updated in place.
pub const TAGS: Field = Field {
    name: "tags",
    ty: Type::Tags,
    presence: Presence::Optional,
    update: Update::InPlace,
    doc: "Tags for this resource, merged over the spec's `tags`. `Name` defaults to `<environment>-<name>`.",
};

/// The CIDR of a referenced resource's `cidr_block`, if the spec gives it literally.
pub(crate) fn referenced_cidr(
    resource: &DesiredResource,
    field: &str,
    others: &crate::schema::Others<'_>,
) -> Option<(Address, ipnet::Ipv4Net)> {
    let Some(Value::Ref(r)) = resource.attrs.get(field) else {
        return None;
    };
    let target = others.get(&r.address)?;
    let cidr = target.attrs.get("cidr_block")?.as_str()?.parse().ok()?;
    Some((r.address.clone(), cidr))
}

pub(crate) fn cidr_of(resource: &DesiredResource) -> Option<ipnet::Ipv4Net> {
    resource.attrs.get("cidr_block")?.as_str()?.parse().ok()
}

#[cfg(test)]
mod registry_tests {
    use super::*;

    /// A kind cannot be half declared: every kind has a schema that names it, its name is the
    /// one serde writes, parses back, and its AWS facts are usable.
    #[test]
    fn every_kind_is_declared_whole() {
        for &kind in Kind::EVERY {
            let def = def(kind);
            assert_eq!(def.kind, kind, "kinds::{kind}::DEF names another kind");
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.as_str().to_owned())
            );
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            assert!(!def.aws.id_prefix.is_empty(), "{kind} has no id prefix");
            assert!(
                !def.aws.not_found.is_empty(),
                "{kind} has no not-found code"
            );
            let named = def.aws.set_after_create.iter().map(|(f, _)| *f);
            for field in named.chain(def.aws.chosen_by_aws.iter().map(|(f, _)| *f)) {
                assert!(
                    def.field(field).is_some(),
                    "{kind}'s AWS facts name `{field}`, which is not one of its fields"
                );
            }
        }
        assert_eq!(Kind::EVERY.len(), Kind::ALL.len() + Kind::LOOKUP_ONLY.len());
        assert!(Kind::ALL.iter().all(|k| k.is_managed()));
        assert!(Kind::LOOKUP_ONLY.iter().all(|k| !k.is_managed()));
    }
}
