//! One message for a fault of the environment: what is wrong, what recon was doing (the AWS
//! action), what to do. The SDK's detail is logged at `-v`, never shown here.

use recon_provider::{Fault, FaultCause, ProviderError};

use crate::CliError;

/// The run-ending error for `error`, if its cause is the environment and the same for every
/// call (no credentials, an endpoint that refuses or hangs...). `doing` says what recon was at:
/// "listing the environment's `vpc` resources".
pub fn stop(error: &ProviderError, doing: &str) -> Option<CliError> {
    let fault = error.kind_independent_fault()?;
    Some(environment(fault, doing, true))
}

/// The run-ending error for `error` if it is any fault of the environment (access denied
/// included): for calls made once, where there is no other kind to go on with.
pub fn any(error: &ProviderError, doing: &str, nothing_changed: bool) -> Option<CliError> {
    let fault = error.fault.as_deref()?;
    Some(environment(fault, doing, nothing_changed))
}

/// The error for any fault, kind-independent or not.
pub fn environment(fault: &Fault, doing: &str, nothing_changed: bool) -> CliError {
    let prefix = if nothing_changed {
        "nothing was changed; "
    } else {
        ""
    };
    CliError::Environment {
        message: headline(fault, &format!("while {doing}")),
        help: format!("{prefix}{}", what_to_do(fault)),
    }
}

/// The error for a fault met while carrying out a plan: `done` steps are kept (found again by
/// their tags), `not_started` wait for the next run.
pub fn during_changes(fault: &Fault, doing: &str, done: usize, not_started: usize) -> CliError {
    CliError::Environment {
        message: headline(fault, &format!("while trying to {doing}")),
        help: format!(
            "{}. {done} of the plan's steps were done (they are kept, and found again by their tags) and {not_started} were not started: run the same command again once this is fixed",
            what_to_do(fault)
        ),
    }
}

/// "The AWS endpoint did not answer in time, while … (ec2:DescribeVpcs)".
fn headline(fault: &Fault, context: &str) -> String {
    let mut cause = fault.cause.to_string();
    if let Some(first) = cause.get(..1) {
        cause.replace_range(..1, &first.to_uppercase());
    }
    let action = if fault.action.contains(':') {
        format!(" ({})", fault.action)
    } else {
        String::new()
    };
    format!("{cause}, {context}{action}")
}

/// The remedy for `fault`, in the user's terms.
pub fn what_to_do(fault: &Fault) -> String {
    match &fault.cause {
        FaultCause::NoCredentials => "sign in first: `aws sso login` (with `AWS_PROFILE` set to your profile), `aws configure`, or set `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`".into(),
        FaultCause::CredentialsUnusable(_) => "if you sign in with AWS SSO, run `aws sso login` and retry; `aws sts get-caller-identity` shows whether the credentials work".into(),
        FaultCause::ExpiredCredentials => "renew the credentials (`aws sso login`, or fresh temporary keys) and retry".into(),
        FaultCause::InvalidCredentials => "check `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_PROFILE`; `aws sts get-caller-identity` shows whether the credentials work".into(),
        FaultCause::AccessDenied => format!("grant `{}` to the identity recon runs as (its IAM policy), or run with a profile that has it", fault.action),
        FaultCause::RegionNotEnabled => "enable the region for the account (AWS console, Account settings), or choose another region".into(),
        FaultCause::Timeout => format!(
            "{}; recon waits {} to connect and {} for an answer (`RECON_CONNECT_TIMEOUT`, `RECON_READ_TIMEOUT`)",
            endpoint_hint(),
            humantime::format_duration(timeout("RECON_CONNECT_TIMEOUT", recon_aws::sdk_config::DEFAULT_CONNECT_TIMEOUT)),
            humantime::format_duration(timeout("RECON_READ_TIMEOUT", recon_aws::sdk_config::DEFAULT_READ_TIMEOUT)),
        ),
        FaultCause::ConnectionRefused
        | FaultCause::UnknownHost
        | FaultCause::Network
        | FaultCause::Tls
        | FaultCause::NotAws => endpoint_hint(),
    }
}

/// Where recon sent the call, and what to check about it.
fn endpoint_hint() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => format!(
            "`AWS_ENDPOINT_URL` is `{url}`: check that an AWS-compatible endpoint runs there, or unset it to reach AWS itself"
        ),
        _ => "check the network connection, any proxy (`HTTPS_PROXY`) and the region; `aws sts get-caller-identity` tests the same path".into(),
    }
}

fn timeout(var: &str, default: std::time::Duration) -> std::time::Duration {
    std::env::var(var)
        .ok()
        .and_then(|t| humantime::parse_duration(t.trim()).ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_during_changes_says_what_was_done_and_what_to_do() {
        let fault = Fault::new(FaultCause::ExpiredCredentials, "ec2:CreateSubnet");
        let CliError::Environment { message, help } =
            during_changes(&fault, "create subnet.a", 3, 7)
        else {
            panic!("an Environment error")
        };
        assert_eq!(
            message,
            "The AWS credentials have expired, while trying to create subnet.a (ec2:CreateSubnet)"
        );
        assert!(help.starts_with("renew the credentials"), "{help}");
        assert!(
            help.contains("3 of the plan's steps were done") && help.contains("7 were not started"),
            "{help}"
        );
    }
}
