//! Faults of the environment recon runs in (credentials, network, endpoint, permissions), told
//! apart from faults of the spec or of one resource, so that a run can stop at the first one with
//! one message instead of repeating it for every kind.

use std::fmt;

/// What is wrong with the environment, independent of the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultCause {
    /// No credentials anywhere in the usual chain (environment, profile, SSO, instance role).
    NoCredentials,
    /// Credentials were found but could not be loaded (an SSO session to renew, a broken
    /// `credential_process`...): the credential provider's own words.
    CredentialsUnusable(String),
    /// AWS says the credentials or the session token expired.
    ExpiredCredentials,
    /// AWS does not recognise the credentials (a wrong key, a bad signature).
    InvalidCredentials,
    /// The endpoint refused the connection.
    ConnectionRefused,
    /// The endpoint's name does not resolve.
    UnknownHost,
    /// The network failed in another way (reset, unreachable host).
    Network,
    /// No answer within the connect or read timeout.
    Timeout,
    /// The TLS handshake failed (an endpoint without TLS, a proxy's certificate...).
    Tls,
    /// The endpoint answered, but not as AWS does (an HTML page, an unparseable body).
    NotAws,
    /// The account has not enabled the region.
    RegionNotEnabled,
    /// The caller may not make this call: a fault of one permission, so other kinds may still
    /// work; it does not stop discovery of the others.
    AccessDenied,
}

/// A fault with the AWS call it happened in (`ec2:DescribeVpcs`, the IAM action's spelling).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub cause: FaultCause,
    pub action: String,
}

impl Fault {
    pub fn new(cause: FaultCause, action: impl Into<String>) -> Self {
        Fault {
            cause,
            action: action.into(),
        }
    }

    /// Whether every other call would fail the same way: then the first one is enough to know
    /// and to report, and the run stops there.
    pub fn is_kind_independent(&self) -> bool {
        !matches!(self.cause, FaultCause::AccessDenied)
    }
}

impl fmt::Display for FaultCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultCause::NoCredentials => f.write_str("no AWS credentials were found"),
            FaultCause::CredentialsUnusable(why) => {
                write!(f, "the AWS credentials could not be loaded: {why}")
            }
            FaultCause::ExpiredCredentials => f.write_str("the AWS credentials have expired"),
            FaultCause::InvalidCredentials => f.write_str("AWS does not recognise the credentials"),
            FaultCause::ConnectionRefused => f.write_str("the AWS endpoint refused the connection"),
            FaultCause::UnknownHost => f.write_str("the AWS endpoint's host name does not resolve"),
            FaultCause::Network => f.write_str("the network connection to the AWS endpoint failed"),
            FaultCause::Timeout => f.write_str("the AWS endpoint did not answer in time"),
            FaultCause::Tls => f.write_str("the TLS handshake with the AWS endpoint failed"),
            FaultCause::NotAws => f.write_str("the endpoint answered, but not as AWS does"),
            FaultCause::RegionNotEnabled => f.write_str("the account has not enabled this region"),
            FaultCause::AccessDenied => f.write_str("access denied"),
        }
    }
}
