use recon_model::plan::fingerprint;
use recon_model::{Kind, Plan, PlanMode};

use crate::{DiscoverError, Discovery, Provider, Reading, discover_all_for};

#[derive(Debug, thiserror::Error)]
pub enum FreshError {
    #[error("Could not read the live resources")]
    Discover(Vec<DiscoverError>),
    /// The live resources differ from those the plan was made against.
    #[error("The live resources of environment `{environment}` changed after the plan was made")]
    Stale { environment: String },
}

/// Apply's precondition: the environment's live resources are still the ones the plan was
/// made against (by [`fingerprint`]: addresses, ids and attributes, not transient states).
///
/// # Guarantees
/// Makes no change. Returns what it read, for the caller's use.
pub async fn check_fresh<P: Provider>(provider: &P, plan: &Plan) -> Result<Discovery, FreshError> {
    // Read as the plan was made: a destroy plan's resources as a delete needs them.
    let reading = match plan.mode {
        PlanMode::Destroy => Reading::ToDelete,
        _ => Reading::Everything,
    };
    let found = discover_all_for(provider, &plan.environment, Kind::ALL, reading)
        .await
        .map_err(FreshError::Discover)?;
    if fingerprint(Kind::ALL, &found.live) == plan.live_fingerprint {
        Ok(found)
    } else {
        Err(FreshError::Stale {
            environment: plan.environment.clone(),
        })
    }
}
