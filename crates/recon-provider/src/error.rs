use std::fmt;

/// How the executor should treat an error. Providers map their API's codes onto these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The resource (or one it names) does not exist, or not yet (eventual consistency).
    NotFound,
    /// Something still uses the resource; may clear once that is gone.
    DependencyViolation,
    /// The resource is in a state that does not allow this yet (e.g. a NAT gateway pending).
    IncorrectState,
    /// A unique name or token is taken.
    AlreadyExists,
    /// Rate limited, after the SDK's own retries.
    Throttled,
    /// AWS refused the request as invalid: retrying cannot help.
    Invalid,
    /// The resource is not owned by this environment: recon will not touch it.
    NotOwned,
    /// No usable answer came (a dropped connection, a timeout, a 5xx): the request may or may
    /// not have taken effect. A create must look for what it may have made before trying
    /// again.
    Ambiguous,
    /// Anything else.
    Other,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::DependencyViolation => "dependency violation",
            ErrorKind::IncorrectState => "incorrect state",
            ErrorKind::AlreadyExists => "already exists",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Invalid => "invalid request",
            ErrorKind::NotOwned => "not owned",
            ErrorKind::Ambiguous => "no answer",
            ErrorKind::Other => "error",
        })
    }
}

/// An error from a provider call: a kind to decide on, the API's code and message to show.
#[derive(Debug, thiserror::Error)]
#[error("{}{message}", code.as_ref().map(|c| format!("{c}: ")).unwrap_or_default())]
pub struct ProviderError {
    pub kind: ErrorKind,
    /// The API's error code (`DependencyViolation`, `InvalidVpcID.NotFound`).
    pub code: Option<String>,
    pub message: String,
    /// Set when the cause is the environment (credentials, network, endpoint, permission), not
    /// the request: the run reports it once and stops.
    /// Boxed: errors travel in `Result`s everywhere, and most carry none.
    pub fault: Option<Box<crate::Fault>>,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ProviderError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ProviderError {
            kind,
            code: None,
            message: message.into(),
            fault: None,
            source: None,
        }
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn with_fault(mut self, fault: crate::Fault) -> Self {
        self.fault = Some(Box::new(fault));
        self
    }

    /// The fault, if it is one that every other call would hit too.
    pub fn kind_independent_fault(&self) -> Option<&crate::Fault> {
        self.fault.as_deref().filter(|f| f.is_kind_independent())
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }
}
