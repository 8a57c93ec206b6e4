//! Errors as AWS answers them: an [`ErrorKind`] and AWS's code.

use recon_model::{Kind, kinds::def};
use recon_provider::{ErrorKind, ProviderError};

pub(crate) fn error(kind: ErrorKind, code: &str, message: impl Into<String>) -> ProviderError {
    ProviderError::new(kind, message).with_code(code)
}

/// An id of `kind` that does not exist (or is not visible yet), with the code its facts give.
pub(crate) fn not_found(kind: Kind, id: &str) -> ProviderError {
    error(
        ErrorKind::NotFound,
        def(kind).aws.not_found_code(),
        format!("The {kind} ID '{id}' does not exist"),
    )
}

pub(crate) fn dependency_violation(message: impl Into<String>) -> ProviderError {
    error(
        ErrorKind::DependencyViolation,
        "DependencyViolation",
        message,
    )
}

pub(crate) fn invalid(code: &str, message: impl Into<String>) -> ProviderError {
    error(ErrorKind::Invalid, code, message)
}
