//! One module per command, and what they share: reading a spec, reaching AWS, discovering.

pub mod apply;
pub mod destroy;
pub mod execute;
pub mod plan;
pub mod validate;

use std::path::Path;

use recon_aws::AwsProvider;
use recon_model::{Kind, LiveResource, Spec, SpecSource, sha256_hex};
use recon_provider::{DiscoverError, Provider, discover_all};

use crate::CliError;
use crate::error::DiscoverFailure;

/// Reads and checks a spec. Any problem is reported before AWS is contacted.
pub fn load_spec(path: &Path) -> Result<(Spec, SpecSource), CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?;
    let source = SpecSource {
        path: path.display().to_string(),
        sha256: sha256_hex(text.as_bytes()),
    };
    let file = recon_spec::SourceFile {
        name: source.path.clone(),
        text,
    };
    let spec = recon_spec::parse(&file)?;
    Ok((spec, source))
}

pub async fn aws(region: &str) -> Result<AwsProvider, CliError> {
    AwsProvider::new(region)
        .await
        .map_err(|e| CliError::Aws(Box::new(e)))
}

/// Every live resource of the environment, of every kind: one describe per kind, concurrently.
pub async fn discover<P: Provider>(
    provider: &P,
    environment: &str,
) -> Result<Vec<LiveResource>, CliError> {
    discover_all(provider, environment, Kind::ALL)
        .await
        .map_err(|errors| discover_failed(environment, errors))
}

pub fn discover_failed(environment: &str, errors: Vec<DiscoverError>) -> CliError {
    CliError::Discover {
        environment: environment.to_owned(),
        causes: errors.into_iter().map(DiscoverFailure::from).collect(),
    }
}
