//! The registry of kinds. One module per kind, each in the same order: what it is, its fields
//! (schema, references, in-place or replace), and its checks. The AWS calls for a kind live in
//! the module of the same name in the `recon-aws` crate.

pub mod autoscaling_group;
pub mod efs_file_system;
pub mod efs_mount_target;
pub mod elastic_ip;
pub mod image;
pub mod instance;
pub mod internet_gateway;
pub mod key_pair;
pub mod kms_key;
pub mod launch_template;
pub mod load_balancer;
pub mod nat_gateway;
pub mod route_table;
pub mod security_group;
pub mod subnet;
pub mod vpc;

use crate::address::{Address, Kind};
use crate::resource::DesiredResource;
use crate::schema::{Field, KindDef, Presence, Type, Update};
use crate::value::Value;

pub fn def(kind: Kind) -> &'static KindDef {
    match kind {
        Kind::Vpc => &vpc::DEF,
        Kind::Subnet => &subnet::DEF,
        Kind::InternetGateway => &internet_gateway::DEF,
        Kind::RouteTable => &route_table::DEF,
        Kind::ElasticIp => &elastic_ip::DEF,
        Kind::NatGateway => &nat_gateway::DEF,
        Kind::SecurityGroup => &security_group::DEF,
        Kind::KeyPair => &key_pair::DEF,
        Kind::LaunchTemplate => &launch_template::DEF,
        Kind::Instance => &instance::DEF,
        Kind::KmsKey => &kms_key::DEF,
        Kind::EfsFileSystem => &efs_file_system::DEF,
        Kind::EfsMountTarget => &efs_mount_target::DEF,
        Kind::LoadBalancer => &load_balancer::DEF,
        Kind::AutoscalingGroup => &autoscaling_group::DEF,
        Kind::Image => &image::DEF,
    }
}

/// Values the parser fills in from the environment and the address when the spec leaves them
/// out, so the plan shows them: a load balancer's and an Auto Scaling group's name.
pub fn derive_defaults(environment: &str, resource: &mut DesiredResource) {
    let name = match resource.address.kind {
        Kind::LoadBalancer => load_balancer::derived_name(environment, &resource.address.name),
        Kind::AutoscalingGroup => {
            autoscaling_group::derived_name(environment, &resource.address.name)
        }
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
    others: &[DesiredResource],
) -> Option<(Address, ipnet::Ipv4Net)> {
    let Some(Value::Ref(r)) = resource.attrs.get(field) else {
        return None;
    };
    let target = others.iter().find(|o| o.address == r.address)?;
    let cidr = target.attrs.get("cidr_block")?.as_str()?.parse().ok()?;
    Some((r.address.clone(), cidr))
}

pub(crate) fn cidr_of(resource: &DesiredResource) -> Option<ipnet::Ipv4Net> {
    resource.attrs.get("cidr_block")?.as_str()?.parse().ok()
}
