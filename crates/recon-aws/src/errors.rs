//! SDK errors to [`ProviderError`]: the API's code decides the [`ErrorKind`], and the code and
//! message are kept for the user.
//!
//! Errors without a code (a timeout, a refused connection, a response that is not XML, such as
//! the HTML page moto answers unimplemented calls with) are [`ErrorKind::Other`], with the
//! SDK's full error chain as the message.

use std::error::Error;
use std::fmt::Debug;

use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use recon_provider::{ErrorKind, FaultCause, ProviderError};

/// How the executor should treat an EC2 error code.
///
/// The order matters: `InvalidSubnetID.NotFound` is "not found" before `InvalidSubnet.*` is
/// "invalid". `Gateway.NotAttached` is classified as [`ErrorKind::IncorrectState`]; the callers
/// for which it means "already so" (detaching an internet gateway) treat it as success.
pub(crate) fn classify(code: &str) -> ErrorKind {
    match code {
        c if c.ends_with("NotFound") => ErrorKind::NotFound,
        // KMS and EFS.
        "NotFoundException" | "PolicyNotFound" => ErrorKind::NotFound,
        "FileSystemInUse" => ErrorKind::DependencyViolation,
        // Auto Scaling and classic ELB.
        "ResourceInUse" | "ScalingActivityInProgress" => ErrorKind::DependencyViolation,
        "DuplicateLoadBalancerName" | "DuplicateAccessPointName" => ErrorKind::AlreadyExists,
        "LoadBalancerNotFound" | "AccessPointNotFound" => ErrorKind::NotFound,
        "ValidationError" => ErrorKind::Invalid,
        // Classic ELB: a security group named in the call does not exist (yet).
        "InvalidSecurityGroup" => ErrorKind::NotFound,
        "KMSInvalidStateException" => ErrorKind::IncorrectState,
        "AlreadyExistsException" | "MountTargetConflict" => ErrorKind::AlreadyExists,
        "ValidationException" | "BadRequest" | "InvalidArnException" => ErrorKind::Invalid,
        "DependencyViolation" | "InvalidGroup.InUse" => ErrorKind::DependencyViolation,
        c if c.ends_with(".InUse") => ErrorKind::DependencyViolation,
        "IncorrectState" | "Gateway.NotAttached" => ErrorKind::IncorrectState,
        c if c.starts_with("InvalidState")
            || (c.starts_with("Incorrect") && c.ends_with("State")) =>
        {
            ErrorKind::IncorrectState
        }
        "RouteAlreadyExists" | "Resource.AlreadyAssociated" | "IdempotentParameterMismatch" => {
            ErrorKind::AlreadyExists
        }
        c if c.ends_with(".Duplicate") || c.ends_with("AlreadyExists") => ErrorKind::AlreadyExists,
        "RequestLimitExceeded" | "Throttling" | "ThrottlingException" | "RequestThrottled" => {
            ErrorKind::Throttled
        }
        "MissingParameter" | "InvalidVpc.Range" | "UnknownParameter" => ErrorKind::Invalid,
        // IAM: a role or profile that is not (yet) there, one still in use, a bad document.
        "NoSuchEntity" => ErrorKind::NotFound,
        "DeleteConflict" => ErrorKind::DependencyViolation,
        "MalformedPolicyDocument" | "InvalidInput" => ErrorKind::Invalid,
        // CloudWatch Logs.
        "ResourceNotFoundException" => ErrorKind::NotFound,
        "ResourceAlreadyExistsException" => ErrorKind::AlreadyExists,
        "OperationAbortedException" => ErrorKind::IncorrectState,
        c if c.starts_with("InvalidParameter") || c.starts_with("InvalidSubnet.") => {
            ErrorKind::Invalid
        }
        _ => ErrorKind::Other,
    }
}

/// [`classify`], and Auto Scaling's one code for everything, `ValidationError`, told apart by its
/// message: a launch template just created that AWS does not show yet ("does not exist") is
/// "not found", which the executor retries for a while, not an invalid request.
fn classify_with_message(code: Option<&str>, message: &str) -> ErrorKind {
    match code {
        Some("ValidationError") if message.contains("does not exist") => ErrorKind::NotFound,
        Some(code) => classify(code),
        None => ErrorKind::Other,
    }
}

/// Turns the SDK's error from the call `op` into a [`ProviderError`], keeping the code, the
/// message and the SDK error as the source.
pub(crate) fn sdk<E, R>(op: &'static str, err: SdkError<E, R>) -> ProviderError
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    let code = err.code().map(str::to_owned);
    let fault = crate::faults::of(op, &err);
    let message = match (err.message(), &fault) {
        (Some(m), _) if !m.is_empty() => m.to_owned(),
        // The SDK's chain is a debug dump: users get the cause, `-v` the chain.
        (_, Some(fault)) => fault.cause.to_string(),
        _ => format!("{op}: {}", DisplayErrorContext(&err)),
    };
    let kind = classify_with_message(code.as_deref(), &message);
    tracing::debug!(op, code = code.as_deref(), detail = %DisplayErrorContext(&err), "aws call failed");
    let mut out = ProviderError::new(kind, message).with_source(err);
    if let Some(fault) = fault {
        out = out.with_fault(fault);
    }
    if let Some(code) = code {
        out = out.with_code(code);
    }
    out
}

/// [`sdk`] for a create call sent once (see [`sent_once`](crate::sent_once)): a failure that
/// leaves AWS's action unknown is [`ErrorKind::Ambiguous`], so the executor looks for what the
/// create may have made before it sends it again.
///
/// # Guarantees
/// - Ambiguous: a 5xx answer other than throttling, an answer recon could not read, a timeout,
///   a connection lost after it was made.
/// - Not ambiguous: an error code AWS answered with (below 500, or throttling: AWS did not
///   act), and a connection that was never made (refused, unknown host, TLS, no credentials):
///   the request did not leave.
pub(crate) fn sdk_create<E>(op: &'static str, err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    let unknown = match &err {
        SdkError::ServiceError(ctx) => {
            ctx.raw().status().is_server_error()
                && !err
                    .code()
                    .is_some_and(|c| classify(c) == ErrorKind::Throttled)
        }
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::DispatchFailure(failure) => !failure.as_connector_error().is_some_and(|c| {
            matches!(
                crate::faults::from_chain(&crate::faults::chain_text(c)),
                Some(
                    FaultCause::ConnectionRefused
                        | FaultCause::UnknownHost
                        | FaultCause::Tls
                        | FaultCause::NoCredentials
                )
            )
        }),
        _ => false,
    };
    let mut out = sdk(op, err);
    if unknown {
        out.kind = ErrorKind::Ambiguous;
    }
    out
}

/// Whether `err` carries exactly this API code.
pub(crate) fn has_code(err: &ProviderError, code: &str) -> bool {
    err.code.as_deref() == Some(code)
}

/// `Ok(None)` where the call answered "not found".
pub(crate) fn unless_not_found<T>(
    result: Result<T, ProviderError>,
) -> Result<Option<T>, ProviderError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Success where the call answered "not found": deleting what is already gone.
pub(crate) fn gone_is_ok<T>(result: Result<T, ProviderError>) -> Result<(), ProviderError> {
    unless_not_found(result).map(|_| ())
}

/// A malformed request: a missing or unresolved attribute, a field with no in-place change.
pub(crate) fn invalid(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::Invalid, message)
}

/// AWS answered without something it always sends (an id in a create's reply).
pub(crate) fn missing(op: &str, what: &str) -> ProviderError {
    ProviderError::new(ErrorKind::Other, format!("{op} answered without {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_scaling_validation_errors_about_missing_things_are_not_found() {
        let missing = "You must use a valid fully-formed launch template. The specified launch \
                       template, with template ID lt-0a1b, does not exist.";
        assert_eq!(
            classify_with_message(Some("ValidationError"), missing),
            ErrorKind::NotFound
        );
        assert_eq!(
            classify_with_message(Some("ValidationError"), "Max bound, 1, must be >= 2"),
            ErrorKind::Invalid
        );
        assert_eq!(classify_with_message(None, "timeout"), ErrorKind::Other);
    }

    #[test]
    fn iam_and_logs_codes_are_classified() {
        let cases = [
            ("NoSuchEntity", ErrorKind::NotFound),
            ("DeleteConflict", ErrorKind::DependencyViolation),
            ("MalformedPolicyDocument", ErrorKind::Invalid),
            ("EntityAlreadyExists", ErrorKind::AlreadyExists),
            ("ResourceNotFoundException", ErrorKind::NotFound),
            ("ResourceAlreadyExistsException", ErrorKind::AlreadyExists),
            ("OperationAbortedException", ErrorKind::IncorrectState),
        ];
        for (code, kind) in cases {
            assert_eq!(classify(code), kind, "{code}");
        }
    }

    #[test]
    fn codes_map_to_kinds() {
        let cases = [
            ("InvalidVpcID.NotFound", ErrorKind::NotFound),
            ("InvalidSubnetID.NotFound", ErrorKind::NotFound),
            ("InvalidGroup.NotFound", ErrorKind::NotFound),
            ("InvalidAllocationID.NotFound", ErrorKind::NotFound),
            ("InvalidRouteTableID.NotFound", ErrorKind::NotFound),
            ("InvalidInternetGatewayID.NotFound", ErrorKind::NotFound),
            ("NatGatewayNotFound", ErrorKind::NotFound),
            ("InvalidRoute.NotFound", ErrorKind::NotFound),
            ("DependencyViolation", ErrorKind::DependencyViolation),
            ("InvalidGroup.InUse", ErrorKind::DependencyViolation),
            ("InvalidIPAddress.InUse", ErrorKind::DependencyViolation),
            ("IncorrectState", ErrorKind::IncorrectState),
            ("IncorrectInstanceState", ErrorKind::IncorrectState),
            ("InvalidStateTransition", ErrorKind::IncorrectState),
            ("Gateway.NotAttached", ErrorKind::IncorrectState),
            ("InvalidGroup.Duplicate", ErrorKind::AlreadyExists),
            ("InvalidPermission.Duplicate", ErrorKind::AlreadyExists),
            ("RouteAlreadyExists", ErrorKind::AlreadyExists),
            ("Resource.AlreadyAssociated", ErrorKind::AlreadyExists),
            ("IdempotentParameterMismatch", ErrorKind::AlreadyExists),
            ("RequestLimitExceeded", ErrorKind::Throttled),
            ("Throttling", ErrorKind::Throttled),
            ("InvalidParameterValue", ErrorKind::Invalid),
            ("InvalidParameterCombination", ErrorKind::Invalid),
            ("InvalidParameter", ErrorKind::Invalid),
            ("InvalidSubnet.Range", ErrorKind::Invalid),
            ("InvalidSubnet.Conflict", ErrorKind::Invalid),
            ("InvalidVpc.Range", ErrorKind::Invalid),
            ("MissingParameter", ErrorKind::Invalid),
            ("UnauthorizedOperation", ErrorKind::Other),
            ("VpcLimitExceeded", ErrorKind::Other),
            ("InternalError", ErrorKind::Other),
            ("NotFoundException", ErrorKind::NotFound),
            ("FileSystemNotFound", ErrorKind::NotFound),
            ("MountTargetNotFound", ErrorKind::NotFound),
            ("FileSystemInUse", ErrorKind::DependencyViolation),
            ("FileSystemAlreadyExists", ErrorKind::AlreadyExists),
            ("MountTargetConflict", ErrorKind::AlreadyExists),
            ("KMSInvalidStateException", ErrorKind::IncorrectState),
            (
                "IncorrectFileSystemLifeCycleState",
                ErrorKind::IncorrectState,
            ),
            ("IncorrectMountTargetState", ErrorKind::IncorrectState),
        ];
        for (code, kind) in cases {
            assert_eq!(classify(code), kind, "{code}");
        }
    }
}
