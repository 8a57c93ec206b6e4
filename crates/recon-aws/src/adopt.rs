//! Adoption (`adopt:` in a spec): reading an existing resource that no environment owns, and
//! writing its ownership tags, before anything else is changed on it.

use recon_model::tags::{ENV, ID};
use recon_model::{Address, AttrDiff, Kind, LiveResource, Value};
use recon_provider::{ErrorKind, ProviderError, UpdateRequest};

use crate::AwsProvider;
use crate::kinds::{Found, gone};

impl AwsProvider {
    /// The existing resource `id`, as `address` of `environment` would see it.
    ///
    /// # Guarantees
    /// Read-only. Refuses ([`ErrorKind::NotOwned`]) a resource another environment owns, or
    /// that this environment owns at another address; answers `NotFound` when there is none.
    pub async fn read_for_adoption(
        &self,
        address: &Address,
        id: &str,
        environment: &str,
    ) -> Result<LiveResource, ProviderError> {
        let found = self.adoptable(address, id, environment).await?;
        Ok(found.with_address(address.clone()))
    }

    /// Writes the ownership tags (`recon:env`, `recon:id`) on the existing resource `id`, and
    /// nothing else. Already so is success.
    ///
    /// # Guarantees
    /// Re-reads the resource first and refuses one that another environment owns (it may have
    /// been taken since the plan).
    pub async fn write_ownership(
        &self,
        address: &Address,
        id: &str,
        environment: &str,
    ) -> Result<(), ProviderError> {
        let current = self.adoptable(address, id, environment).await?;
        if current.tag(ENV) == Some(environment) {
            return Ok(());
        }
        let before = current.attrs.get("tags").cloned();
        let mut after = before
            .as_ref()
            .and_then(Value::as_map)
            .cloned()
            .unwrap_or_default();
        after.insert(ENV.into(), Value::str(environment));
        after.insert(ID.into(), Value::str(address.to_string()));
        let after = Value::Map(after);
        tracing::debug!(%address, id, "adopting: writing the ownership tags");
        match address.kind {
            Kind::KmsKey | Kind::EfsFileSystem | Kind::LoadBalancer | Kind::AutoscalingGroup => {
                let live = current.clone().with_address(address.clone());
                let diffs = [AttrDiff {
                    field: "tags".into(),
                    before,
                    after: Some(after.clone()),
                    forces_replacement: false,
                }];
                let mut attrs = live.attrs.clone();
                attrs.insert("tags".into(), after);
                let request = UpdateRequest {
                    live: &live,
                    attrs: &attrs,
                    diffs: &diffs,
                };
                crate::registry::update(&self.clients, address.kind, &current, &request).await
            }
            Kind::EfsMountTarget | Kind::Image => Err(ProviderError::new(
                ErrorKind::Invalid,
                format!("a {} cannot be adopted", address.kind),
            )),
            // Every EC2 kind tags with CreateTags.
            _ => crate::tags::update(&self.clients.ec2, id, before.as_ref(), Some(&after)).await,
        }
    }

    async fn adoptable(
        &self,
        address: &Address,
        id: &str,
        environment: &str,
    ) -> Result<Found, ProviderError> {
        let found = self
            .read_found(address.kind, id)
            .await?
            .ok_or_else(|| gone(address.kind, id))?;
        match (found.tag(ENV), found.tag(ID)) {
            (None, _) => Ok(found),
            (Some(env), Some(at)) if env == environment && at == address.to_string() => Ok(found),
            (Some(env), at) => Err(ProviderError::new(
                ErrorKind::NotOwned,
                format!(
                    "{id} is owned by recon environment `{env}`{}: recon will not adopt it",
                    at.map(|a| format!(" as `{a}`")).unwrap_or_default()
                ),
            )),
        }
    }
}
