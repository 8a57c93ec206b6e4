//! The AWS provider: recon's [`Provider`] over the official Rust SDK (EC2, KMS, EFS, Auto
//! Scaling, classic ELB).
//!
//! One module per kind in `kinds/`, each with the same sections in the same order (discover,
//! read, create, update, delete, then the mapping between AWS's shapes and recon's attributes);
//! `errors.rs` classifies AWS error codes; `tags.rs` builds tag specifications and filters;
//! `lookup.rs` finds the existing resources a spec looks up (read-only).
//!
//! # Architecture invariants
//! - The only crate that uses `aws-sdk-*`; no AWS type crosses its public API.
//! - One create call per resource, tagged at creation (`TagSpecifications`), with the request's
//!   token as `ClientToken` where the API has one (CreateRouteTable, CreateNatGateway).
//! - Discovery is one paginated describe per kind filtered on `tag:recon:env`, re-checked on the
//!   client side (moto ignores tag filters for NAT gateways).
//! - Update and delete re-read the resource and refuse ([`ErrorKind::NotOwned`]) unless its
//!   `recon:env` tag in AWS equals the one on the [`LiveResource`] they were given.
//! - No waiting and no retrying beyond the SDK's own retries: states and error kinds are
//!   reported to the executor.
//! - Logs through `tracing` (one debug event per AWS call); never prints.

mod adopt;
mod errors;
mod kinds;
mod lock;
mod lookup;
#[cfg(test)]
mod stub_rest;
#[cfg(test)]
mod stub_server;
mod tags;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::config::Region;
use recon_model::{Address, Attrs, Kind, LiveResource, Value};
use recon_provider::{CreateRequest, ErrorKind, Provider, ProviderError, UpdateRequest};

use crate::kinds::{
    Found, elastic_ip, ensure_owned, gone, internet_gateway, nat_gateway, route_table,
    security_group, subnet, vpc,
};
use crate::kinds::{autoscaling_group, elb_interfaces, load_balancer};
use crate::kinds::{efs_file_system, efs_mount_target, kms_key};
use crate::kinds::{instance, key_pair, launch_template};

pub use lock::{LockHolder, lock_name};

/// SDK attempts per call (standard retry mode) unless `AWS_MAX_ATTEMPTS` says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// The AWS provider for one region.
#[derive(Clone, Debug)]
pub struct AwsProvider {
    client: Client,
    kms: aws_sdk_kms::Client,
    efs: aws_sdk_efs::Client,
    autoscaling: aws_sdk_autoscaling::Client,
    elb: aws_sdk_elasticloadbalancing::Client,
}

impl AwsProvider {
    /// A provider for `region`, with credentials and endpoint from the usual AWS sources
    /// (environment, profile, SSO, `AWS_ENDPOINT_URL`…). Retries: standard mode with
    /// [`DEFAULT_MAX_ATTEMPTS`] attempts, unless `AWS_MAX_ATTEMPTS` is set in the environment
    /// (then the environment's retry settings apply).
    pub async fn new(region: &str) -> Result<Self, ProviderError> {
        if region.trim().is_empty() {
            return Err(ProviderError::new(
                ErrorKind::Invalid,
                "no AWS region given",
            ));
        }
        let mut loader =
            aws_config::defaults(BehaviorVersion::latest()).region(Region::new(region.to_owned()));
        if std::env::var_os("AWS_MAX_ATTEMPTS").is_none() {
            loader = loader
                .retry_config(RetryConfig::standard().with_max_attempts(DEFAULT_MAX_ATTEMPTS));
        }
        let config = loader.load().await;
        tracing::debug!(region, "AWS provider ready");
        Ok(AwsProvider {
            client: Client::new(&config),
            kms: aws_sdk_kms::Client::new(&config),
            efs: aws_sdk_efs::Client::new(&config),
            autoscaling: aws_sdk_autoscaling::Client::new(&config),
            elb: aws_sdk_elasticloadbalancing::Client::new(&config),
        })
    }

    async fn read_found(&self, kind: Kind, id: &str) -> Result<Option<Found>, ProviderError> {
        let c = &self.client;
        match kind {
            Kind::Vpc => vpc::read(c, id).await,
            Kind::Subnet => subnet::read(c, id).await,
            Kind::InternetGateway => internet_gateway::read(c, id).await,
            Kind::RouteTable => route_table::read(c, id).await,
            Kind::ElasticIp => elastic_ip::read(c, id).await,
            Kind::NatGateway => nat_gateway::read(c, id).await,
            Kind::SecurityGroup => security_group::read(c, id).await,
            Kind::KeyPair => key_pair::read(c, id).await,
            Kind::LaunchTemplate => launch_template::read(c, id).await,
            Kind::Instance => instance::read(c, id).await,
            Kind::KmsKey => kms_key::read(&self.kms, id).await,
            Kind::EfsFileSystem => efs_file_system::read(&self.efs, id).await,
            Kind::EfsMountTarget => efs_mount_target::read(&self.efs, id).await,
            Kind::LoadBalancer => load_balancer::read(&self.elb, id).await,
            Kind::AutoscalingGroup => autoscaling_group::read(&self.autoscaling, id).await,
            Kind::Image => Err(lookup_only(kind)),
        }
    }
}

impl Provider for AwsProvider {
    async fn discover(
        &self,
        kind: Kind,
        environment: &str,
    ) -> Result<Vec<LiveResource>, ProviderError> {
        let c = &self.client;
        let found = match kind {
            Kind::Vpc => vpc::discover(c, environment).await,
            Kind::Subnet => subnet::discover(c, environment).await,
            Kind::InternetGateway => internet_gateway::discover(c, environment).await,
            Kind::RouteTable => route_table::discover(c, environment).await,
            Kind::ElasticIp => elastic_ip::discover(c, environment).await,
            Kind::NatGateway => nat_gateway::discover(c, environment).await,
            Kind::SecurityGroup => security_group::discover(c, environment).await,
            Kind::KeyPair => key_pair::discover(c, environment).await,
            Kind::LaunchTemplate => launch_template::discover(c, environment).await,
            Kind::Instance => instance::discover(c, environment).await,
            Kind::KmsKey => kms_key::discover(&self.kms, environment).await,
            Kind::EfsFileSystem => efs_file_system::discover(&self.efs, environment).await,
            Kind::EfsMountTarget => efs_mount_target::discover(&self.efs, environment).await,
            Kind::LoadBalancer => load_balancer::discover(&self.elb, environment).await,
            Kind::AutoscalingGroup => {
                autoscaling_group::discover(&self.autoscaling, environment).await
            }
            Kind::Image => Err(lookup_only(kind)),
        }?;
        Ok(kinds::owned(kind, environment, found))
    }

    /// `None` once gone. A resource without a usable `recon:id` tag is
    /// [`ErrorKind::NotOwned`]: recon did not make it.
    async fn read(&self, kind: Kind, id: &str) -> Result<Option<LiveResource>, ProviderError> {
        self.read_found(kind, id)
            .await?
            .map(|f| f.into_live(kind))
            .transpose()
    }

    async fn create(&self, request: CreateRequest<'_>) -> Result<LiveResource, ProviderError> {
        let c = &self.client;
        let kind = request.address.kind;
        let mut found = match kind {
            Kind::Vpc => vpc::create(c, &request).await,
            Kind::Subnet => subnet::create(c, &request).await,
            Kind::InternetGateway => internet_gateway::create(c, &request).await,
            Kind::RouteTable => route_table::create(c, &request).await,
            Kind::ElasticIp => elastic_ip::create(c, &request).await,
            Kind::NatGateway => nat_gateway::create(c, &request).await,
            Kind::SecurityGroup => security_group::create(c, &request).await,
            Kind::KeyPair => key_pair::create(c, &request).await,
            Kind::LaunchTemplate => launch_template::create(c, &request).await,
            Kind::Instance => instance::create(c, &request).await,
            Kind::KmsKey => kms_key::create(&self.kms, &request).await,
            Kind::EfsFileSystem => efs_file_system::create(&self.efs, &request).await,
            Kind::EfsMountTarget => efs_mount_target::create(&self.efs, &request).await,
            Kind::LoadBalancer => load_balancer::create(&self.elb, &request).await,
            Kind::AutoscalingGroup => autoscaling_group::create(&self.autoscaling, &request).await,
            Kind::Image => Err(lookup_only(kind)),
        }?;
        // Some replies carry no tags (AllocateAddress): the call set the requested ones.
        let has_tags = found
            .attrs
            .get("tags")
            .and_then(Value::as_map)
            .is_some_and(|t| !t.is_empty());
        if !has_tags {
            let wanted = tags::wanted(request.attrs)?;
            found.attrs.insert(
                "tags".into(),
                recon_model::tags::to_value(
                    &wanted
                        .into_iter()
                        .filter(|(k, _)| !recon_model::tags::is_aws_managed(k))
                        .collect(),
                ),
            );
        }
        tracing::debug!(address = %request.address, id = found.id, "created");
        Ok(found.with_address(request.address.clone()))
    }

    async fn update(&self, request: UpdateRequest<'_>) -> Result<LiveResource, ProviderError> {
        let c = &self.client;
        let live = request.live;
        let kind = live.kind();
        let current = self
            .read_found(kind, &live.id)
            .await?
            .ok_or_else(|| gone(kind, &live.id))?;
        ensure_owned(&current, live)?;
        match kind {
            Kind::Vpc => vpc::update(c, &current, &request).await,
            Kind::Subnet => subnet::update(c, &current, &request).await,
            Kind::InternetGateway => internet_gateway::update(c, &current, &request).await,
            Kind::RouteTable => route_table::update(c, &current, &request).await,
            Kind::ElasticIp => elastic_ip::update(c, &current, &request).await,
            Kind::NatGateway => nat_gateway::update(c, &current, &request).await,
            Kind::SecurityGroup => security_group::update(c, &current, &request).await,
            Kind::KeyPair => key_pair::update(c, &current, &request).await,
            Kind::LaunchTemplate => launch_template::update(c, &current, &request).await,
            Kind::Instance => instance::update(c, &current, &request).await,
            Kind::KmsKey => kms_key::update(&self.kms, &current, &request).await,
            Kind::EfsFileSystem => efs_file_system::update(&self.efs, &current, &request).await,
            Kind::EfsMountTarget => efs_mount_target::update(&self.efs, &current, &request).await,
            Kind::LoadBalancer => load_balancer::update(&self.elb, &current, &request).await,
            Kind::AutoscalingGroup => {
                autoscaling_group::update(&self.autoscaling, &current, &request).await
            }
            Kind::Image => Err(lookup_only(kind)),
        }?;
        let after = self
            .read_found(kind, &live.id)
            .await?
            .ok_or_else(|| gone(kind, &live.id))?;
        Ok(after.with_address(live.address.clone()))
    }

    async fn delete(&self, live: &LiveResource) -> Result<(), ProviderError> {
        let c = &self.client;
        let kind = live.kind();
        let Some(current) = self.read_found(kind, &live.id).await? else {
            tracing::debug!(address = %live.address, id = live.id, "already gone");
            if kind == Kind::LoadBalancer {
                // Deleted by an earlier attempt (or a crashed run), perhaps not yet released.
                return elb_interfaces::release(c, &live.id).await;
            }
            return Ok(());
        };
        ensure_owned(&current, live)?;
        match kind {
            Kind::Vpc => vpc::delete(c, &current).await,
            Kind::Subnet => subnet::delete(c, &current).await,
            Kind::InternetGateway => internet_gateway::delete(c, &current).await,
            Kind::RouteTable => route_table::delete(c, &current).await,
            Kind::ElasticIp => elastic_ip::delete(c, &current).await,
            Kind::NatGateway => nat_gateway::delete(c, &current).await,
            Kind::SecurityGroup => security_group::delete(c, &current).await,
            Kind::KeyPair => key_pair::delete(c, &current).await,
            Kind::LaunchTemplate => launch_template::delete(c, &current).await,
            Kind::Instance => instance::delete(c, &current).await,
            Kind::KmsKey => kms_key::delete(&self.kms, &current).await,
            Kind::EfsFileSystem => efs_file_system::delete(&self.efs, &current).await,
            Kind::EfsMountTarget => efs_mount_target::delete(&self.efs, &current).await,
            Kind::LoadBalancer => {
                load_balancer::delete(&self.elb, &current).await?;
                elb_interfaces::release(c, &current.id).await
            }
            Kind::AutoscalingGroup => autoscaling_group::delete(&self.autoscaling, &current).await,
            Kind::Image => Err(lookup_only(kind)),
        }
    }

    async fn lookup(
        &self,
        address: &Address,
        filters: &Attrs,
    ) -> Result<LiveResource, ProviderError> {
        lookup::lookup(&self.client, address, filters).await
    }
}

/// A kind recon only looks up reached a call that manages resources: a caller bug.
fn lookup_only(kind: Kind) -> ProviderError {
    ProviderError::new(
        ErrorKind::Invalid,
        format!("a {kind} is only looked up, never managed"),
    )
}
