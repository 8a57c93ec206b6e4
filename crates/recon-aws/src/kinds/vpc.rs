//! `vpc`: CreateVpc, ModifyVpcAttribute, DeleteVpc.
//!
//! The DNS attributes are not part of DescribeVpcs: DescribeVpcAttribute answers for one VPC and
//! one attribute per call, and the API has no batch form. Reading a VPC therefore costs one
//! describe plus two attribute calls, and discovery one paginated describe plus two calls per
//! VPC found (at most [`ATTRIBUTE_CALLS_IN_FLIGHT`] VPCs at a time).

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, ResourceType, Tenancy, Vpc, VpcAttributeName, VpcState,
};
use futures::{StreamExt, TryStreamExt, stream};
use recon_model::{Attrs, Kind, LiveState, Value};
use recon_provider::{CreateRequest, ProviderError, UpdateRequest};
use tracing::debug;

use super::{Found, flag, known, not_in_place, text};
use crate::errors::{self, gone_is_ok, missing, unless_not_found};
use crate::tags;

/// Two DescribeVpcAttribute calls per VPC; EC2's Describe bucket holds 100 tokens and refills
/// 20 a second, so 16 VPCs (32 calls) at a time stay well inside it.
const ATTRIBUTE_CALLS_IN_FLIGHT: usize = 16;

// ---- discover ----------------------------------------------------------------------------------

pub(crate) async fn discover(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    with_attributes(client, tagged(client, environment).await?).await
}

/// The census (and a destroy's discovery) leaves the DNS attributes out: which VPCs remain,
/// and what deleting them needs, is in the describe.
pub(crate) async fn census(
    client: &Client,
    environment: &str,
) -> Result<Vec<Found>, ProviderError> {
    let vpcs = tagged(client, environment).await?;
    Ok(vpcs.iter().map(described_only).collect())
}

/// One paginated DescribeVpcs of the environment's VPCs.
async fn tagged(client: &Client, environment: &str) -> Result<Vec<Vpc>, ProviderError> {
    debug!(op = "DescribeVpcs", environment, "aws call");
    let vpcs: Vec<Vpc> = client
        .describe_vpcs()
        .filters(tags::env_filter(environment))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| errors::sdk("DescribeVpcs", e))?;
    Ok(vpcs
        .into_iter()
        .filter(|v| tags::owned_by(v.tags(), environment))
        .collect())
}

/// Each VPC with its two DescribeVpcAttribute calls, 16 VPCs at a time: AWS has no batch form
/// of those. A VPC deleted between the describe and the attribute calls is simply gone.
async fn with_attributes(
    client: &Client,
    vpcs: impl IntoIterator<Item = Vpc>,
) -> Result<Vec<Found>, ProviderError> {
    let found: Vec<Option<Found>> = stream::iter(vpcs)
        .map(|vpc| async move {
            let dns = unless_not_found(dns(client, vpc.vpc_id().unwrap_or_default()).await)?;
            Ok::<_, ProviderError>(dns.map(|dns| to_found(&vpc, dns)))
        })
        .buffered(ATTRIBUTE_CALLS_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

// ---- read --------------------------------------------------------------------------------------

pub(crate) async fn read(client: &Client, id: &str) -> Result<Option<Found>, ProviderError> {
    debug!(op = "DescribeVpcs", id, "aws call");
    let described = client.describe_vpcs().vpc_ids(id).send().await;
    let Some(out) = unless_not_found(described.map_err(|e| errors::sdk("DescribeVpcs", e)))? else {
        return Ok(None);
    };
    let Some(vpc) = out.vpcs().iter().find(|v| v.vpc_id() == Some(id)) else {
        return Ok(None);
    };
    Ok(unless_not_found(dns(client, id).await)?.map(|dns| to_found(vpc, dns)))
}

/// Many VPCs by id: one DescribeVpcs per [`super::IDS_PER_FILTER`] ids through a `vpc-id`
/// filter (an id that no longer exists is absent, not an error), then each VPC's attributes.
pub(crate) async fn read_many(
    client: &Client,
    ids: &[String],
) -> Result<Vec<Found>, ProviderError> {
    with_attributes(client, described(client, ids).await?).await
}

/// DescribeVpcs by ids, [`super::IDS_PER_FILTER`] at a time.
async fn described(client: &Client, ids: &[String]) -> Result<Vec<Vpc>, ProviderError> {
    let mut vpcs: Vec<Vpc> = Vec::new();
    for chunk in ids.chunks(super::IDS_PER_FILTER) {
        debug!(op = "DescribeVpcs", ids = chunk.len(), "aws call");
        let page: Vec<Vpc> = client
            .describe_vpcs()
            .filters(tags::id_filter("vpc-id", chunk))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| errors::sdk("DescribeVpcs", e))?;
        vpcs.extend(page);
    }
    Ok(vpcs)
}

// ---- create ------------------------------------------------------------------------------------

/// CreateVpc (no client token exists for it). The DNS attributes are not part of the call: the
/// result has AWS's values for a new VPC (support on, hostnames off) and the executor changes
/// them with [`update`].
pub(crate) async fn create(
    client: &Client,
    request: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let cidr = text(request.attrs, "cidr_block")?;
    let tenancy = super::optional_text(request.attrs, "instance_tenancy")?.unwrap_or("default");
    let tags = tags::wanted(request.attrs)?;
    debug!(op = "CreateVpc", address = %request.address, cidr, "aws call");
    let out = client
        .create_vpc()
        .cidr_block(cidr)
        .instance_tenancy(Tenancy::from(tenancy))
        .tag_specifications(tags::spec(ResourceType::Vpc, &tags))
        .customize()
        .config_override(crate::sent_once!(aws_sdk_ec2))
        .send()
        .await
        .map_err(|e| errors::sdk_create("CreateVpc", e))?;
    let vpc = out.vpc().ok_or_else(|| missing("CreateVpc", "a VPC"))?;
    Ok(to_found(
        vpc,
        Dns {
            support: true,
            hostnames: false,
        },
    ))
}

// ---- update ------------------------------------------------------------------------------------

/// ModifyVpcAttribute, one attribute per call. Hostnames need DNS support, so support is
/// turned on before and off after the hostnames change.
pub(crate) async fn update(
    client: &Client,
    current: &Found,
    request: &UpdateRequest<'_>,
) -> Result<(), ProviderError> {
    let id = current.id.as_str();
    let mut support_first = None;
    let mut support_last = None;
    let mut hostnames = None;
    for diff in request.diffs {
        let after = diff.after.as_ref();
        known(&diff.field, after)?;
        match diff.field.as_str() {
            "enable_dns_support" => {
                let on = flag(&diff.field, after)?;
                if on {
                    support_first = Some(on);
                } else {
                    support_last = Some(on);
                }
            }
            "enable_dns_hostnames" => hostnames = Some(flag(&diff.field, after)?),
            // AWS changes tenancy in place only to `default` (the planner replaces otherwise).
            "instance_tenancy" => {
                debug!(op = "ModifyVpcTenancy", id, "aws call");
                client
                    .modify_vpc_tenancy()
                    .vpc_id(id)
                    .instance_tenancy(aws_sdk_ec2::types::VpcTenancy::Default)
                    .send()
                    .await
                    .map_err(|e| errors::sdk("ModifyVpcTenancy", e))?;
            }
            "tags" => tags::update(client, id, current.attrs.get("tags"), after).await?,
            other => return Err(not_in_place(Kind::Vpc, other)),
        }
    }
    for (name, value) in [
        (VpcAttributeName::EnableDnsSupport, support_first),
        (VpcAttributeName::EnableDnsHostnames, hostnames),
        (VpcAttributeName::EnableDnsSupport, support_last),
    ] {
        if let Some(value) = value {
            modify(client, id, name, value).await?;
        }
    }
    Ok(())
}

async fn modify(
    client: &Client,
    id: &str,
    name: VpcAttributeName,
    value: bool,
) -> Result<(), ProviderError> {
    debug!(
        op = "ModifyVpcAttribute",
        id,
        attribute = name.as_str(),
        value,
        "aws call"
    );
    let flag = AttributeBooleanValue::builder().value(value).build();
    let call = client.modify_vpc_attribute().vpc_id(id);
    let call = match name {
        VpcAttributeName::EnableDnsHostnames => call.enable_dns_hostnames(flag),
        _ => call.enable_dns_support(flag),
    };
    call.send()
        .await
        .map_err(|e| errors::sdk("ModifyVpcAttribute", e))?;
    Ok(())
}

// ---- delete ------------------------------------------------------------------------------------

/// DeleteVpc. AWS refuses (`DependencyViolation`) while subnets, gateways, non-default groups
/// or route tables remain; the executor retries.
pub(crate) async fn delete(client: &Client, current: &Found) -> Result<(), ProviderError> {
    debug!(op = "DeleteVpc", id = current.id, "aws call");
    let result = client.delete_vpc().vpc_id(&current.id).send().await;
    gone_is_ok(result.map_err(|e| errors::sdk("DeleteVpc", e)))
}

// ---- mapping -----------------------------------------------------------------------------------

struct Dns {
    support: bool,
    hostnames: bool,
}

/// The two DescribeVpcAttribute calls, concurrently.
async fn dns(client: &Client, id: &str) -> Result<Dns, ProviderError> {
    let attribute = |name: VpcAttributeName| async move {
        debug!(
            op = "DescribeVpcAttribute",
            id,
            attribute = name.as_str(),
            "aws call"
        );
        client
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(name)
            .send()
            .await
            .map_err(|e| errors::sdk("DescribeVpcAttribute", e))
    };
    let (support, hostnames) = futures::try_join!(
        attribute(VpcAttributeName::EnableDnsSupport),
        attribute(VpcAttributeName::EnableDnsHostnames),
    )?;
    Ok(Dns {
        support: support
            .enable_dns_support()
            .and_then(|v| v.value())
            .unwrap_or(true),
        hostnames: hostnames
            .enable_dns_hostnames()
            .and_then(|v| v.value())
            .unwrap_or(false),
    })
}

fn state(vpc: &Vpc) -> LiveState {
    match vpc.state() {
        Some(VpcState::Pending) => LiveState::Pending,
        Some(VpcState::Deleting) => LiveState::Deleting,
        _ => LiveState::Available,
    }
}

fn to_found(vpc: &Vpc, dns: Dns) -> Found {
    let mut found = described_only(vpc);
    found
        .attrs
        .insert("enable_dns_support".into(), Value::Bool(dns.support));
    found
        .attrs
        .insert("enable_dns_hostnames".into(), Value::Bool(dns.hostnames));
    found
}

/// What DescribeVpcs says of a VPC: all but the DNS attributes, which need calls of their own.
fn described_only(vpc: &Vpc) -> Found {
    let mut attrs = Attrs::new();
    super::put(&mut attrs, "cidr_block", vpc.cidr_block());
    attrs.insert(
        "instance_tenancy".into(),
        Value::str(vpc.instance_tenancy().map_or("default", |t| t.as_str())),
    );
    attrs.insert("tags".into(), tags::to_value(vpc.tags()));
    Found::new(vpc.vpc_id().unwrap_or_default(), state(vpc), attrs)
}

// ---- the kind ----------------------------------------------------------------------------------

// `vpc`'s [`AwsKind`](super::AwsKind): the functions above, on the EC2 client.
// The create answer is a read: CreateVpc answers with the VPC; a new VPC's DNS attributes are AWS's documented defaults (support on, hostnames off).
super::aws_kind_calls! {
    Vpc,
    ec2,
    reads_many,
    const CREATE_REPLY_IS_A_READ: bool = true;
    async fn census(
        c: &crate::clients::Clients,
        environment: &str,
    ) -> Result<Vec<Found>, ProviderError> {
        census(&c.ec2, environment).await
    }
    async fn read_many_before_delete(
        c: &crate::clients::Clients,
        ids: &[String],
    ) -> Result<Vec<Found>, ProviderError> {
        described(&c.ec2, ids).await.map(|vpcs| vpcs.iter().map(described_only).collect())
    }
}

#[cfg(test)]
mod sent_once_tests {
    //! A create is sent once: a lost answer is "no answer" for the executor to look into, never
    //! a second CreateVpc from the SDK's retries (moto cannot lose an answer; this endpoint can).

    use recon_model::{Address, Attrs, Value};
    use recon_provider::{CreateRequest, ErrorKind};

    use crate::stub_server::{Reply, StubServer};

    /// The SDK's retries at their most eager: 8 attempts, as recon configures them.
    fn client(stub: &StubServer) -> aws_sdk_ec2::Client {
        let config = aws_sdk_ec2::Config::builder()
            .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
            .region(aws_sdk_ec2::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_ec2::config::Credentials::for_tests())
            .endpoint_url(&stub.endpoint)
            .retry_config(
                aws_config::retry::RetryConfig::standard()
                    .with_max_attempts(8)
                    .with_initial_backoff(std::time::Duration::from_millis(1)),
            )
            .build();
        aws_sdk_ec2::Client::from_conf(config)
    }

    /// A VPC's attributes as the executor sends them: with the ownership tags.
    fn wanted() -> Attrs {
        let tags = [("recon:env", "irb"), ("recon:id", "vpc.main")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::str(v)))
            .collect();
        Attrs::from([
            ("cidr_block".to_owned(), Value::str("10.0.0.0/16")),
            ("tags".to_owned(), Value::Map(tags)),
        ])
    }

    async fn create_vpc(reply: Reply) -> (ErrorKind, usize) {
        let stub = StubServer::start(vec![reply]);
        let address = Address::new(recon_model::Kind::Vpc, "main");
        let attrs = wanted();
        let request = CreateRequest {
            address: &address,
            environment: "irb",
            attrs: &attrs,
            token: "t",
        };
        let err = super::create(&client(&stub), &request)
            .await
            .expect_err("the endpoint answers with an error");
        (err.kind, stub.requests().len())
    }

    #[tokio::test]
    async fn a_server_error_is_no_answer_and_is_not_resent() {
        let (kind, sent) = create_vpc(Reply::error("CreateVpc", 500, "InternalError")).await;
        assert_eq!((kind, sent), (ErrorKind::Ambiguous, 1));
        let (kind, sent) = create_vpc(Reply::error("CreateVpc", 503, "Unavailable")).await;
        assert_eq!((kind, sent), (ErrorKind::Ambiguous, 1));
    }

    #[tokio::test]
    async fn throttling_and_refusals_are_answers() {
        // AWS did not act: the executor may send it again after a pause.
        let (kind, sent) = create_vpc(Reply::error("CreateVpc", 503, "RequestLimitExceeded")).await;
        assert_eq!((kind, sent), (ErrorKind::Throttled, 1));
        let (kind, sent) = create_vpc(Reply::error("CreateVpc", 400, "VpcLimitExceeded")).await;
        assert_ne!(kind, ErrorKind::Ambiguous);
        assert_eq!(sent, 1);
    }

    #[tokio::test]
    async fn a_connection_lost_after_the_request_is_no_answer() {
        // Accepts, reads the request, and closes without answering.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = std::sync::Arc::clone(&seen);
        std::thread::spawn(move || {
            use std::io::Read;
            for stream in listener.incoming().flatten() {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut stream = stream;
                let mut buf = [0; 4096];
                let _ = stream.read(&mut buf);
                drop(stream);
            }
        });
        let stub = StubServer::start(vec![]);
        let mut config = client(&stub).config().to_builder();
        config.set_endpoint_url(Some(endpoint));
        let client = aws_sdk_ec2::Client::from_conf(config.build());
        let address = Address::new(recon_model::Kind::Vpc, "main");
        let attrs = wanted();
        let request = CreateRequest {
            address: &address,
            environment: "irb",
            attrs: &attrs,
            token: "t",
        };
        let err = super::create(&client, &request).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Ambiguous, "{err:?}");
        assert_eq!(
            seen.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "sent once"
        );
    }
}
