//! How many AWS calls the SDK sent again, and how many answers were throttling: apply and
//! destroy end with "N calls retried (throttled: M)" so that retries are visible without `-vv`.
//! Counted by an interceptor on every client, for the whole process (one run of recon).

use std::sync::atomic::{AtomicU64, Ordering};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

static RESENT: AtomicU64 = AtomicU64::new(0);
static THROTTLED: AtomicU64 = AtomicU64::new(0);

/// The calls the SDK sent again, and the throttling answers, since the process started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetryCounts {
    pub resent: u64,
    pub throttled: u64,
}

pub fn retry_counts() -> RetryCounts {
    RetryCounts {
        resent: RESENT.load(Ordering::Relaxed),
        throttled: THROTTLED.load(Ordering::Relaxed),
    }
}

/// The interceptor every client carries (see `sdk_config`).
#[derive(Debug, Default)]
pub(crate) struct CountRetries;

impl Intercept for CountRetries {
    fn name(&self) -> &'static str {
        "recon: count retries"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if cfg
            .load::<RequestAttempts>()
            .is_some_and(|a| a.attempts() > 1)
        {
            RESENT.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if is_throttling(context.response()) {
            THROTTLED.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// Whether an answer is AWS throttling the call: HTTP 429, or the throttling code of EC2, KMS,
/// EFS, Auto Scaling or ELB in an error answer's body.
pub(crate) fn is_throttling(response: &aws_smithy_runtime_api::http::Response) -> bool {
    let body = response.body().bytes().unwrap_or_default();
    response.status().as_u16() == 429
        || (!response.status().is_success() && has_throttling_code(body))
}

fn has_throttling_code(body: &[u8]) -> bool {
    const CODES: [&[u8]; 4] = [
        b"RequestLimitExceeded",
        b"Throttling",
        b"TooManyRequests",
        b"RequestThrottled",
    ];
    body.len() < 4096 && CODES.iter().any(|c| body.windows(c.len()).any(|w| w == *c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub_server::{Reply, StubServer};

    #[tokio::test]
    async fn a_throttled_call_sent_again_is_counted() {
        let stub = StubServer::start(vec![
            Reply::error("DescribeVpcs", 503, "RequestLimitExceeded"),
            Reply {
                action: "DescribeVpcs",
                status: 200,
                xml: r#"<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><vpcSet/></DescribeVpcsResponse>"#.into(),
            },
        ]);
        let config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::for_tests(),
                ),
            )
            .endpoint_url(&stub.endpoint)
            .retry_config(
                aws_config::retry::RetryConfig::standard()
                    .with_initial_backoff(std::time::Duration::from_millis(1)),
            )
            .build();
        let before = retry_counts();
        crate::sdk_config::ec2(&config)
            .describe_vpcs()
            .send()
            .await
            .expect("the second attempt succeeds");
        let after = retry_counts();
        // Other tests in this process may add theirs: at least this one's.
        assert!(after.resent > before.resent, "{before:?} -> {after:?}");
        assert!(
            after.throttled > before.throttled,
            "{before:?} -> {after:?}"
        );
        assert_eq!(stub.unused(), 0);
    }

    #[test]
    fn throttling_answers_are_recognised_in_every_protocol() {
        assert!(has_throttling_code(
            b"<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
        ));
        assert!(has_throttling_code(br#"{"__type":"ThrottlingException"}"#));
        assert!(!has_throttling_code(
            b"<DescribeVpcsResponse><vpcSet/></DescribeVpcsResponse>"
        ));
    }
}
