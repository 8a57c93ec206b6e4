//! A create whose answer was lost. The provider sends each create once (no SDK retry) and
//! reports a failure without a usable answer as [`ErrorKind::Ambiguous`]: AWS may or may not
//! have made the resource. Creating again at once would make a second one with the same
//! ownership tags (most creates have no idempotency token), so the step first looks for it by
//! its tags, for as long as a new resource may take to appear in lists, and creates again
//! (with the same token) only when it is not there.

use std::time::Duration;

use recon_model::LiveResource;
use recon_model::tags::ENV;
use recon_provider::{CreateRequest, ErrorKind, Provider};
use tokio::time::{Instant, sleep};

use super::{Ctx, RETRY_CREATE_UPDATE};
use crate::types::{Event, ExecError, error_chain};

/// How many unanswered creates one step tolerates before it fails.
const MAX_UNANSWERED: u32 = 5;

/// How long a resource made by an unanswered create may take to show in its kind's list: EC2
/// documents eventual consistency without a bound, and lists lag reads, so this is the
/// executor's "not found" grace, capped so that a create that never reached AWS is retried
/// within half a minute.
const VISIBILITY_CAP: Duration = Duration::from_secs(30);

impl<P: Provider> Ctx<P> {
    /// The create call with its retries, never making a second resource for one address.
    ///
    /// # Guarantees
    /// - After an unanswered create, creates again only once a discovery of the kind (by the
    ///   environment's tag) has shown no resource with this address for the visibility window.
    /// - Returns the resource the unanswered create made when discovery finds it.
    pub(super) async fn create_once(
        &self,
        request: &CreateRequest<'_>,
    ) -> Result<LiveResource, ExecError> {
        let grace = self.config.not_found_grace;
        let mut unanswered = 0;
        loop {
            let lost = match self
                .with_retries(RETRY_CREATE_UPDATE, grace, || {
                    self.provider.create(request.clone())
                })
                .await
            {
                Ok(created) => return Ok(created),
                Err(ExecError::Provider { source, .. })
                    if source.kind == ErrorKind::Ambiguous && unanswered < MAX_UNANSWERED =>
                {
                    source
                }
                Err(e) => return Err(e),
            };
            unanswered += 1;
            tracing::debug!(address = %self.address, error = %error_chain(&lost), "create unanswered");
            self.emit(Event::Retrying {
                address: self.address.clone(),
                step: self.step,
                error: format!(
                    "{}; looking for it by its tags before creating again",
                    error_chain(&lost)
                ),
                attempt: unanswered,
            });
            if let Some(found) = self.find_by_tags(grace.min(VISIBILITY_CAP)).await? {
                return Ok(found);
            }
        }
    }

    /// The live resource of this step's address in this environment, polling discovery for at
    /// most `window`; `None` when it did not appear.
    async fn find_by_tags(&self, window: Duration) -> Result<Option<LiveResource>, ExecError> {
        let start = Instant::now();
        let mut delay = self.first_delay();
        loop {
            match self.provider.discover(self.kind(), &self.environment).await {
                Ok(found) => {
                    let mine = found.into_iter().find(|r| {
                        r.address == self.address && r.tag(ENV) == Some(&*self.environment)
                    });
                    if mine.is_some() {
                        return Ok(mine);
                    }
                }
                Err(e) if matches!(e.kind, ErrorKind::Throttled | ErrorKind::Ambiguous) => {}
                Err(e) => return Err(self.provider_error(e, None)),
            }
            let waited = start.elapsed();
            if waited >= window {
                return Ok(None);
            }
            sleep(delay.min(window - waited)).await;
            delay = self.next_delay(delay);
        }
    }
}
