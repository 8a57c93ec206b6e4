//! Which SDK errors are faults of the environment (credentials, network, endpoint, permission)
//! rather than answers about a resource, and the retry rule that follows: a refused connection,
//! an unknown host, a TLS failure or a timeout is not retried, so that the run ends within
//! seconds of knowing instead of after a minute of back-off.

use std::error::Error;

use aws_sdk_ec2::config::interceptors::InterceptorContext;
use aws_sdk_ec2::config::retry::{ClassifyRetry, RetryAction};
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::retries::classifiers::RetryClassifierPriority;
use recon_provider::{Fault, FaultCause};

/// The fault behind `err` from the call `op`, if it is one of the environment.
pub(crate) fn of<E, R>(op: &str, err: &SdkError<E, R>) -> Option<Fault>
where
    E: ProvideErrorMetadata + Error + 'static,
    R: std::fmt::Debug,
{
    let cause = match err {
        SdkError::TimeoutError(_) => Some(FaultCause::Timeout),
        SdkError::DispatchFailure(d) if d.is_timeout() => Some(FaultCause::Timeout),
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_) => {
            Some(from_chain(&chain_text(err)).unwrap_or(FaultCause::Network))
        }
        SdkError::ResponseError(_) => Some(FaultCause::NotAws),
        // An answer with no AWS error code that the SDK could not even parse (an HTML page
        // from a web server or a proxy): not AWS.
        SdkError::ServiceError(_) if err.code().is_none() && unparsable(&chain_text(err)) => {
            Some(FaultCause::NotAws)
        }
        _ => err.code().and_then(from_code),
    }?;
    Some(Fault::new(cause, action::<E>(op)))
}

/// Whether the SDK's words say it could not parse the answer (XML or JSON).
fn unparsable(chain: &str) -> bool {
    let chain = chain.to_ascii_lowercase();
    [
        "error parsing",
        "xmldecodeerror",
        "invalid root",
        "failed to parse",
        "deserialize",
    ]
    .iter()
    .any(|w| chain.contains(w))
}

/// Faults AWS names by error code, in any of its services.
fn from_code(code: &str) -> Option<FaultCause> {
    Some(match code {
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" | "TokenRefreshRequired" => {
            FaultCause::ExpiredCredentials
        }
        "AuthFailure"
        | "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "InvalidSignatureException"
        | "MissingAuthenticationToken" => FaultCause::InvalidCredentials,
        "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" => {
            FaultCause::AccessDenied
        }
        _ => return None,
    })
}

/// Transport faults, told apart by the words of the error chain (the SDK wraps hyper's and
/// rustls' errors without a type recon could match).
pub(crate) fn from_chain(text: &str) -> Option<FaultCause> {
    let text = text.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(&[
        "no credentials",
        "nomatchingauthscheme",
        "credentials provider",
        "failed to load credentials",
    ]) {
        Some(FaultCause::NoCredentials)
    } else if has(&["connection refused", "os error 111", "os error 61"]) {
        Some(FaultCause::ConnectionRefused)
    } else if has(&[
        "dns error",
        "failed to lookup address",
        "name or service not known",
        "no such host",
        "nodename nor servname",
    ]) {
        Some(FaultCause::UnknownHost)
    } else if has(&["tls", "ssl", "certificate", "handshake", "corrupt message"]) {
        Some(FaultCause::Tls)
    } else if has(&["timed out", "timeout"]) {
        Some(FaultCause::Timeout)
    } else {
        None
    }
}

/// The error and its sources, for matching and for `-v` logs.
pub(crate) fn chain_text(err: &dyn Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// `ec2:DescribeVpcs`: the IAM action of the call, its service prefix taken from the SDK crate
/// the error type comes from.
fn action<E>(op: &str) -> String {
    let ty = std::any::type_name::<E>();
    let service = match ty.split("::").next().unwrap_or_default() {
        "aws_sdk_kms" => "kms",
        "aws_sdk_efs" => "elasticfilesystem",
        "aws_sdk_autoscaling" => "autoscaling",
        "aws_sdk_elasticloadbalancing" => "elasticloadbalancing",
        "aws_sdk_sts" => "sts",
        "aws_sdk_backup" => "backup",
        "aws_sdk_iam" => "iam",
        "aws_sdk_s3" => "s3",
        "aws_sdk_cloudwatchlogs" => "logs",
        _ => "ec2",
    };
    format!("{service}:{op}")
}

/// Runs after the SDK's own classifiers and forbids retrying what a retry cannot fix: a refused
/// connection, an unknown host, a failed TLS handshake, a timeout. Throttling, 5xx answers and
/// connections reset mid-way keep the SDK's retries.
#[derive(Debug, Default)]
pub(crate) struct NoRetryOnEnvironmentFaults;

impl ClassifyRetry for NoRetryOnEnvironmentFaults {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(error)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        if error.is_timeout_error() {
            return RetryAction::RetryForbidden;
        }
        let Some(connector) = error.as_connector_error() else {
            return RetryAction::NoActionIndicated;
        };
        if connector.is_timeout() {
            return RetryAction::RetryForbidden;
        }
        match from_chain(&chain_text(connector)) {
            Some(
                FaultCause::ConnectionRefused
                | FaultCause::UnknownHost
                | FaultCause::Tls
                | FaultCause::Timeout
                | FaultCause::NoCredentials,
            ) => RetryAction::RetryForbidden,
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "recon: no retry on faults of the environment"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_errors_are_told_apart_by_their_words() {
        let cases = [
            (
                "dispatch failure: io error: client error (Connect): tcp connect error: Connection refused (os error 111)",
                Some(FaultCause::ConnectionRefused),
            ),
            (
                "dispatch failure: other: client error (Connect): dns error: failed to lookup address information: Name or service not known",
                Some(FaultCause::UnknownHost),
            ),
            (
                "dispatch failure: io error: client error (Connect): received corrupt message of type InvalidContentType",
                Some(FaultCause::Tls),
            ),
            (
                "dispatch failure: other: no credentials found in chain",
                Some(FaultCause::NoCredentials),
            ),
            ("connection reset by peer", None),
        ];
        for (text, cause) in cases {
            assert_eq!(from_chain(text), cause, "{text}");
        }
    }

    #[test]
    fn auth_codes_are_faults_and_resource_codes_are_not() {
        assert_eq!(
            from_code("AuthFailure"),
            Some(FaultCause::InvalidCredentials)
        );
        assert_eq!(
            from_code("RequestExpired"),
            Some(FaultCause::ExpiredCredentials)
        );
        assert_eq!(
            from_code("ExpiredTokenException"),
            Some(FaultCause::ExpiredCredentials)
        );
        assert_eq!(
            from_code("UnauthorizedOperation"),
            Some(FaultCause::AccessDenied)
        );
        assert_eq!(from_code("InvalidVpcID.NotFound"), None);
        assert_eq!(from_code("DependencyViolation"), None);
    }

    #[test]
    fn actions_carry_the_iam_service_prefix() {
        assert_eq!(
            action::<aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsError>("DescribeVpcs"),
            "ec2:DescribeVpcs"
        );
        assert_eq!(
            action::<aws_sdk_efs::operation::describe_file_systems::DescribeFileSystemsError>(
                "DescribeFileSystems"
            ),
            "elasticfilesystem:DescribeFileSystems"
        );
    }
}
