//! Errors a test asks for ([`FakeCloud::fail_next`]): they hit before the call has any effect.

use recon_model::{Address, Kind, kinds::def};
use recon_provider::{ErrorKind, Fault, FaultCause, ProviderError};

use crate::errors::error;
use crate::{FakeCloud, Inner, Op};

pub(crate) struct Injection {
    target: String,
    op: Op,
    kind: ErrorKind,
    remaining: u32,
    /// A fault of the environment the error carries (the endpoint down, no credentials).
    fault: Option<FaultCause>,
}

impl FakeCloud {
    /// Makes the next `times` calls of `op` on `target` fail with `kind` (and an AWS-like
    /// code), before they have any effect. `target` is an address (`subnet.a`) or a kind
    /// (`subnet`: any resource of the kind).
    pub fn fail_next(&self, target: &str, op: Op, kind: ErrorKind, times: u32) {
        self.lock().injections.push(Injection {
            target: target.to_owned(),
            op,
            kind,
            remaining: times,
            fault: None,
        });
    }

    /// Makes the next `times` calls of `op` on `target` fail with a fault of the environment
    /// (`cause`), as the AWS provider reports an endpoint that refuses connections.
    pub fn fault_next(&self, target: &str, op: Op, cause: FaultCause, times: u32) {
        self.lock().injections.push(Injection {
            target: target.to_owned(),
            op,
            kind: ErrorKind::Other,
            remaining: times,
            fault: Some(cause),
        });
    }
}

/// The injected error for this call, if one is due; counts it.
pub(crate) fn take(
    inner: &mut Inner,
    op: Op,
    kind: Kind,
    address: Option<&Address>,
) -> Option<ProviderError> {
    let address = address.map(ToString::to_string);
    let hit = inner.injections.iter_mut().find(|i| {
        i.op == op
            && i.remaining > 0
            && (i.target == kind.as_str() || Some(&i.target) == address.as_ref())
    })?;
    hit.remaining -= 1;
    let mut e = injected(hit.kind, kind);
    if let Some(cause) = hit.fault.clone() {
        e = e.with_fault(Fault::new(cause, format!("ec2:{op:?}")));
    }
    inner.injections.retain(|i| i.remaining > 0);
    Some(e)
}

/// `kind` with the code AWS would give it for a resource of `resource`.
fn injected(kind: ErrorKind, resource: Kind) -> ProviderError {
    let code = match kind {
        ErrorKind::NotFound => def(resource).aws.not_found_code(),
        ErrorKind::DependencyViolation => "DependencyViolation",
        ErrorKind::IncorrectState => "IncorrectState",
        ErrorKind::AlreadyExists => "AlreadyExists",
        ErrorKind::Throttled => "RequestLimitExceeded",
        ErrorKind::Invalid => "InvalidParameterValue",
        ErrorKind::NotOwned => "NotOwned",
        ErrorKind::Ambiguous | ErrorKind::Other => "InternalError",
    };
    error(kind, code, "injected by the test")
}
