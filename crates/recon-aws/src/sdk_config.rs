//! The SDK's configuration for recon: region checked, timeouts set, retries that stop on faults
//! of the environment, and credentials resolved once up front so that their absence is one
//! clear error instead of one per call.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_ec2::config::Region;
use recon_provider::{ErrorKind, Fault, FaultCause, ProviderError};

use crate::DEFAULT_MAX_ATTEMPTS;
use crate::faults::{NoRetryOnEnvironmentFaults, chain_text};

/// How long to wait for a TCP (and TLS) connection to the endpoint, unless
/// `RECON_CONNECT_TIMEOUT` says otherwise: the SDK's own default, enough for any reachable
/// region.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(3_100);

/// How long to wait for an answer once connected, unless `RECON_READ_TIMEOUT` says otherwise.
/// AWS answers describes and creates in a few seconds; without this bound an endpoint that
/// accepts and never answers would hold recon forever.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(20);

/// The longest wait for credentials from the whole chain (profile, SSO, instance role).
const CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(10);

/// The SDK configuration for `region`.
///
/// # Guarantees
/// - An unknown region is refused before anything is read or sent.
/// - Connect and read timeouts are always set ([`DEFAULT_CONNECT_TIMEOUT`],
///   [`DEFAULT_READ_TIMEOUT`], or `RECON_CONNECT_TIMEOUT` / `RECON_READ_TIMEOUT`, humantime
///   durations such as `5s`).
/// - Credentials are resolved once: none at all is a [`FaultCause::NoCredentials`] fault.
pub(crate) async fn load(region: &str) -> Result<SdkConfig, ProviderError> {
    if region.trim().is_empty() {
        return Err(ProviderError::new(
            ErrorKind::Invalid,
            "no AWS region given",
        ));
    }
    if !recon_model::regions::is_known(region) {
        return Err(ProviderError::new(
            ErrorKind::Invalid,
            format!("`{region}` is not an AWS region"),
        ));
    }
    let config = loader(region)?.load().await;
    check_credentials(&config).await?;
    Ok(config)
}

/// The configuration [`load`] loads: timeouts, the paced identity cache and the retries.
fn loader(region: &str) -> Result<aws_config::ConfigLoader, ProviderError> {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(duration_from_env(
            "RECON_CONNECT_TIMEOUT",
            DEFAULT_CONNECT_TIMEOUT,
        )?)
        .read_timeout(duration_from_env(
            "RECON_READ_TIMEOUT",
            DEFAULT_READ_TIMEOUT,
        )?)
        .build();
    // After a throttle, the action's calls wait for recon's copy of its token bucket
    // (`pacing`), and only that action's: the SDK's adaptive mode would slow every call to the
    // service, and make a throttled apply far slower than AWS's buckets require.
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .timeout_config(timeouts)
        .identity_cache(crate::pacing::PacedIdentityCache::around_default());
    if std::env::var_os("AWS_MAX_ATTEMPTS").is_none() {
        loader =
            loader.retry_config(RetryConfig::standard().with_max_attempts(DEFAULT_MAX_ATTEMPTS));
    }
    Ok(loader)
}

/// Resolves the credentials once (the SDK caches them for the calls that follow).
async fn check_credentials(config: &SdkConfig) -> Result<(), ProviderError> {
    let fault = |cause: FaultCause, detail: String| {
        tracing::debug!(%detail, "credentials");
        Err(ProviderError::new(ErrorKind::Other, cause.to_string())
            .with_fault(Fault::new(cause, "loading credentials")))
    };
    let Some(provider) = config.credentials_provider() else {
        return fault(FaultCause::NoCredentials, "no credentials provider".into());
    };
    match tokio::time::timeout(CREDENTIALS_TIMEOUT, provider.provide_credentials()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e @ CredentialsError::CredentialsNotLoaded(_))) => {
            fault(FaultCause::NoCredentials, chain_text(&e))
        }
        Ok(Err(e)) => {
            let detail = chain_text(&e);
            fault(FaultCause::CredentialsUnusable(innermost(&e)), detail)
        }
        Err(_) => fault(
            FaultCause::CredentialsUnusable(format!(
                "no answer from the credential sources within {}s",
                CREDENTIALS_TIMEOUT.as_secs()
            )),
            "timed out".into(),
        ),
    }
}

/// The deepest source's words: the one that says what is wrong ("the SSO session has expired").
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}

fn duration_from_env(var: &str, default: Duration) -> Result<Duration, ProviderError> {
    match std::env::var(var) {
        Err(_) => Ok(default),
        Ok(text) => humantime::parse_duration(text.trim()).map_err(|e| {
            ProviderError::new(
                ErrorKind::Invalid,
                format!("{var}=`{text}` is not a duration such as `5s` or `1m`: {e}"),
            )
        }),
    }
}

/// `pub(crate) fn NAME(config) -> CRATE::Client`: a client built from `config` with recon's
/// retry rule, one function per service.
macro_rules! clients_with_retry_rule {
    ($($(#[$doc:meta])* $name:ident => $sdk:ident;)*) => {$(
        $(#[$doc])*
        pub(crate) fn $name(config: &SdkConfig) -> $sdk::Client {
            $sdk::Client::from_conf(
                $sdk::config::Builder::from(config)
                    .retry_classifier(NoRetryOnEnvironmentFaults)
                    .interceptor(crate::retry_count::CountRetries)
                    .interceptor(crate::pacing::PaceCalls)
                    .build(),
            )
        }
    )*};
}

clients_with_retry_rule! {
    /// EC2, with recon's retry rule.
    ec2 => aws_sdk_ec2;
    /// KMS, with recon's retry rule.
    kms => aws_sdk_kms;
    /// EFS, with recon's retry rule.
    efs => aws_sdk_efs;
    /// Auto Scaling, with recon's retry rule.
    autoscaling => aws_sdk_autoscaling;
    /// Classic ELB, with recon's retry rule.
    elb => aws_sdk_elasticloadbalancing;
    /// STS (who runs recon), with recon's retry rule.
    sts => aws_sdk_sts;
    /// AWS Backup (recovery points left behind), with recon's retry rule.
    backup => aws_sdk_backup;
    /// IAM (roles, instance profiles), with recon's retry rule.
    iam => aws_sdk_iam;
    /// CloudWatch Logs (log groups), with recon's retry rule.
    logs => aws_sdk_cloudwatchlogs;
}

/// S3 (buckets), with recon's retry rule. Behind a custom endpoint (`AWS_ENDPOINT_URL`: a local
/// AWS such as moto, a VPC endpoint) buckets are addressed by path, since such an endpoint has
/// no per-bucket host names; against AWS itself the SDK's virtual-hosted addressing stays.
pub(crate) fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .retry_classifier(NoRetryOnEnvironmentFaults)
            .interceptor(crate::retry_count::CountRetries)
            .interceptor(crate::pacing::PaceCalls)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub_server::{Reply, StubServer};

    /// What `load` builds paces a throttled action: the identity cache is recon's, so the retry
    /// waits for a turn of the action's bucket (the interceptor alone would make the bucket but
    /// nothing would wait for it).
    #[tokio::test]
    async fn the_loaded_configuration_paces_a_throttled_action() {
        let ok = r#"<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><subnetSet/></DescribeSubnetsResponse>"#;
        let stub = StubServer::start(vec![
            Reply::error("DescribeSubnets", 503, "RequestLimitExceeded"),
            Reply {
                action: "DescribeSubnets",
                status: 200,
                xml: ok.into(),
            },
        ]);
        let config = loader("us-east-1")
            .unwrap()
            .endpoint_url(&stub.endpoint)
            .credentials_provider(aws_credential_types::Credentials::for_tests())
            .load()
            .await;
        crate::sdk_config::ec2(&config)
            .describe_subnets()
            .send()
            .await
            .expect("the retry succeeds");
        assert_eq!(stub.unused(), 0);
        assert_eq!(crate::pacing::turns("DescribeSubnets"), 1);
    }
}
