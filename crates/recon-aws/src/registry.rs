//! The one list of the kinds the AWS provider manages, and the dispatch from a [`Kind`] to its
//! [`AwsKind`] implementation. Adding a kind: its module in `kinds/` ends with an
//! `impl AwsKind`, and one line here names it.

use recon_model::Kind;
use recon_provider::{CreateRequest, ErrorKind, ProviderError, UpdateRequest};

use crate::clients::Clients;
use crate::kinds::{AwsKind, Found};
use crate::kinds::{
    autoscaling_group, efs_file_system, efs_mount_target, elastic_ip, flow_log, iam_role, instance,
    instance_profile, internet_gateway, key_pair, kms_key, launch_template, load_balancer,
    log_group, nat_gateway, route_table, s3_bucket, security_group, subnet, vpc, vpc_endpoint,
};

/// Generates, from `Variant => implementation` lines, [`implements`] and one function per
/// [`AwsKind`] call that takes the kind as an argument. Each kind's call is boxed: a future
/// holding any kind's call inline is as large as the largest (an S3 bucket's reads), and
/// every caller's stack frame with it, which overflows a thread's 2 MiB stack in debug builds.
/// A kind not listed (a lookup-only kind) gets [`lookup_only`] from every call.
macro_rules! registry {
    ($($variant:ident => $kind:ty,)*) => {
        /// Whether `kind` has an AWS implementation here.
        #[cfg(test)]
        pub(crate) fn implements(kind: Kind) -> bool {
            matches!(kind, $(Kind::$variant)|*)
        }

        /// Each listed implementation's [`AwsKind::KIND`], with the variant it is listed under.
        #[cfg(test)]
        pub(crate) const LISTED: &[(Kind, Kind)] =
            &[$((Kind::$variant, <$kind as AwsKind>::KIND),)*];

        pub(crate) async fn discover(
            c: &Clients,
            kind: Kind,
            environment: &str,
        ) -> Result<Vec<Found>, ProviderError> {
            match kind {
                $(Kind::$variant => Box::pin(<$kind as AwsKind>::discover(c, environment)).await,)*
                _ => Err(lookup_only(kind)),
            }
        }

        pub(crate) async fn read_many_before_delete(
            c: &Clients,
            kind: Kind,
            ids: &[String],
        ) -> Result<Vec<Found>, ProviderError> {
            match kind {
                $(Kind::$variant => Box::pin(<$kind as AwsKind>::read_many_before_delete(c, ids)).await,)*
                _ => Err(lookup_only(kind)),
            }
        }

        pub(crate) async fn census(
            c: &Clients,
            kind: Kind,
            environment: &str,
        ) -> Result<Vec<Found>, ProviderError> {
            match kind {
                $(Kind::$variant => Box::pin(<$kind as AwsKind>::census(c, environment)).await,)*
                _ => Err(lookup_only(kind)),
            }
        }

        pub(crate) async fn read(
            c: &Clients,
            kind: Kind,
            id: &str,
        ) -> Result<Option<Found>, ProviderError> {
            match kind {
                $(Kind::$variant => Box::pin(<$kind as AwsKind>::read(c, id)).await,)*
                _ => Err(lookup_only(kind)),
            }
        }

        /// Whether `kind`'s create answer, when available, is all a read would say.
        pub(crate) fn create_reply_is_a_read(kind: Kind) -> bool {
            match kind {
                $(Kind::$variant => <$kind as AwsKind>::CREATE_REPLY_IS_A_READ,)*
                _ => false,
            }
        }

        /// Whether `kind`'s `read_many` describes many ids in one call.
        pub(crate) fn reads_many_in_one_call(kind: Kind) -> bool {
            match kind {
                $(Kind::$variant => <$kind as AwsKind>::READS_MANY_IN_ONE_CALL,)*
                _ => false,
            }
        }

        pub(crate) async fn read_many(
            c: &Clients,
            kind: Kind,
            ids: &[String],
        ) -> Result<Vec<Found>, ProviderError> {
            match kind {
                $(Kind::$variant => Box::pin(<$kind as AwsKind>::read_many(c, ids)).await,)*
                _ => Err(lookup_only(kind)),
            }
        }

        pub(crate) async fn create(
            c: &Clients,
            kind: Kind,
            request: &CreateRequest<'_>,
        ) -> Result<Found, ProviderError> {
            match kind {
                $(Kind::$variant => Box::pin(<$kind as AwsKind>::create(c, request)).await,)*
                _ => Err(lookup_only(kind)),
            }
        }

        pub(crate) async fn update(
            c: &Clients,
            kind: Kind,
            current: &Found,
            request: &UpdateRequest<'_>,
        ) -> Result<(), ProviderError> {
            match kind {
                $(Kind::$variant => Box::pin(<$kind as AwsKind>::update(c, current, request)).await,)*
                _ => Err(lookup_only(kind)),
            }
        }

        pub(crate) async fn delete(
            c: &Clients,
            kind: Kind,
            current: &Found,
        ) -> Result<(), ProviderError> {
            match kind {
                $(Kind::$variant => Box::pin(<$kind as AwsKind>::delete(c, current)).await,)*
                _ => Err(lookup_only(kind)),
            }
        }

        pub(crate) async fn after_gone(
            c: &Clients,
            kind: Kind,
            id: &str,
        ) -> Result<(), ProviderError> {
            match kind {
                $(Kind::$variant => Box::pin(<$kind as AwsKind>::after_gone(c, id)).await,)*
                _ => Err(lookup_only(kind)),
            }
        }
    };
}

registry! {
    Vpc => vpc::Calls,
    Subnet => subnet::Calls,
    InternetGateway => internet_gateway::Calls,
    RouteTable => route_table::Calls,
    ElasticIp => elastic_ip::Calls,
    NatGateway => nat_gateway::Calls,
    SecurityGroup => security_group::Calls,
    KeyPair => key_pair::Calls,
    LaunchTemplate => launch_template::Calls,
    Instance => instance::Calls,
    KmsKey => kms_key::Calls,
    EfsFileSystem => efs_file_system::Calls,
    EfsMountTarget => efs_mount_target::Calls,
    LoadBalancer => load_balancer::Calls,
    AutoscalingGroup => autoscaling_group::Calls,
    IamRole => iam_role::Calls,
    InstanceProfile => instance_profile::Calls,
    LogGroup => log_group::Calls,
    S3Bucket => s3_bucket::Calls,
    VpcEndpoint => vpc_endpoint::Calls,
    FlowLog => flow_log::Calls,
}

/// A kind recon only looks up reached a call that manages resources: a caller bug.
fn lookup_only(kind: Kind) -> ProviderError {
    ProviderError::new(
        ErrorKind::Invalid,
        format!("a {kind} is only looked up, never managed"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every managed kind has an AWS implementation, listed under its own name; lookup-only
    /// kinds have none.
    #[test]
    fn every_managed_kind_has_an_aws_implementation() {
        for &kind in Kind::ALL {
            assert!(implements(kind), "{kind} has no AWS implementation");
        }
        for &kind in Kind::LOOKUP_ONLY {
            assert!(
                !implements(kind),
                "{kind} is lookup-only but has an implementation"
            );
        }
        for &(listed, declared) in LISTED {
            assert_eq!(
                listed, declared,
                "the registry lists a {declared} as a {listed}"
            );
        }
        assert_eq!(LISTED.len(), Kind::ALL.len());
    }
}
