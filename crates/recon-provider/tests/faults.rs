//! Discovery stops at the first fault of the environment instead of repeating it per kind.

use std::time::Duration;

use recon_model::{Address, Attrs, Kind, LiveResource};
use recon_provider::{
    CreateRequest, DiscoverError, ErrorKind, Fault, FaultCause, Provider, ProviderError,
    UpdateRequest, discover_all,
};

/// VPCs fail at once with `fault`; every other kind never answers.
struct OneFaultThenSilence {
    cause: FaultCause,
}

impl Provider for OneFaultThenSilence {
    async fn discover(&self, kind: Kind, _: &str) -> Result<Vec<LiveResource>, ProviderError> {
        if kind == Kind::Vpc {
            return Err(ProviderError::new(ErrorKind::Other, "refused")
                .with_fault(Fault::new(self.cause.clone(), "ec2:DescribeVpcs")));
        }
        std::future::pending().await
    }
    async fn read(&self, _: Kind, _: &str) -> Result<Option<LiveResource>, ProviderError> {
        unreachable!("discovery only")
    }
    async fn create(&self, _: CreateRequest<'_>) -> Result<LiveResource, ProviderError> {
        unreachable!("discovery only")
    }
    async fn update(&self, _: UpdateRequest<'_>) -> Result<LiveResource, ProviderError> {
        unreachable!("discovery only")
    }
    async fn delete(&self, _: &LiveResource) -> Result<(), ProviderError> {
        unreachable!("discovery only")
    }
    async fn lookup(&self, _: &Address, _: &Attrs) -> Result<LiveResource, ProviderError> {
        unreachable!("discovery only")
    }
}

#[tokio::test]
async fn the_first_kind_independent_fault_ends_discovery_with_one_error() {
    let provider = OneFaultThenSilence {
        cause: FaultCause::ConnectionRefused,
    };
    let result = tokio::time::timeout(
        Duration::from_secs(5),
        discover_all(&provider, "dev", Kind::ALL),
    )
    .await
    .expect("discovery must not wait for the other kinds once the endpoint refused");
    let errors = result.expect_err("the fault is an error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let DiscoverError::Kind { kind, source } = &errors[0];
    assert_eq!(*kind, Kind::Vpc);
    assert_eq!(
        source.fault.as_ref().map(|f| &f.cause),
        Some(&FaultCause::ConnectionRefused)
    );
}

#[tokio::test]
async fn access_denied_on_one_kind_does_not_stop_the_others() {
    let provider = OneFaultThenSilence {
        cause: FaultCause::AccessDenied,
    };
    let waited = tokio::time::timeout(
        Duration::from_millis(300),
        discover_all(&provider, "dev", Kind::ALL),
    )
    .await;
    assert!(
        waited.is_err(),
        "a permission missing for one kind says nothing about the others: they are awaited"
    );
}
