//! One read shared by the callers that ask for the same one while it is in flight: both EFS
//! kinds start their discovery with the same account-wide DescribeFileSystems (EFS has no tag
//! filter), and a discovery runs the kinds at once, so they make one listing, not two.
//!
//! Only a read in flight is shared: once it has answered, the next caller reads again, so
//! nothing is cached past the moment it was read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use recon_provider::ProviderError;

type Answer<T> = Result<Arc<T>, Arc<ProviderError>>;

/// The reads in flight, by what they read (endpoint, region, environment...).
pub(crate) struct InFlight<T> {
    reads: Mutex<HashMap<String, Shared<BoxFuture<'static, Answer<T>>>>>,
}

impl<T: Send + Sync + 'static> Default for InFlight<T> {
    fn default() -> Self {
        InFlight {
            reads: Mutex::default(),
        }
    }
}

impl<T: Send + Sync + 'static> InFlight<T> {
    /// The answer of the read `key` in flight, or of `read`, started now, which callers asking
    /// for `key` until it answers share.
    ///
    /// # Guarantees
    /// Each caller gets its own error: the same kind, code, message and fault, and the shared
    /// error's text as its source.
    pub(crate) async fn read<F>(
        &self,
        key: String,
        read: impl FnOnce() -> F,
    ) -> Result<Arc<T>, ProviderError>
    where
        F: Future<Output = Result<T, ProviderError>> + Send + 'static,
    {
        let shared = {
            let mut reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
            reads
                .entry(key.clone())
                .or_insert_with(|| {
                    read()
                        .map(|r| r.map(Arc::new).map_err(Arc::new))
                        .boxed()
                        .shared()
                })
                .clone()
        };
        let answer = shared.clone().await;
        {
            // Answered: the next caller reads again (unless another read has taken its place).
            let mut reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
            if reads.get(&key).is_some_and(|r| r.ptr_eq(&shared)) {
                reads.remove(&key);
            }
        }
        answer.map_err(|e| copy(&e))
    }
}

/// A caller's own copy of a shared error.
fn copy(e: &ProviderError) -> ProviderError {
    ProviderError {
        kind: e.kind,
        code: e.code.clone(),
        message: e.message.clone(),
        fault: e.fault.clone(),
        source: e
            .source
            .as_ref()
            .map(|s| Box::<dyn std::error::Error + Send + Sync>::from(s.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use recon_provider::ErrorKind;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn callers_while_a_read_is_in_flight_share_it_and_later_ones_read_again() {
        let in_flight: InFlight<u32> = InFlight::default();
        let reads = Arc::new(AtomicUsize::new(0));
        let read = || {
            let reads = Arc::clone(&reads);
            async move {
                reads.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok::<_, ProviderError>(7)
            }
        };
        let (a, b) = tokio::join!(
            in_flight.read("irb".into(), read),
            in_flight.read("irb".into(), read)
        );
        assert_eq!((*a.unwrap(), *b.unwrap()), (7, 7));
        assert_eq!(reads.load(Ordering::SeqCst), 1, "one read for both");
        in_flight.read("irb".into(), read).await.unwrap();
        assert_eq!(
            reads.load(Ordering::SeqCst),
            2,
            "answered reads are not kept"
        );
        in_flight.read("other".into(), read).await.unwrap();
        assert_eq!(
            reads.load(Ordering::SeqCst),
            3,
            "another key is another read"
        );
    }

    #[tokio::test]
    async fn each_caller_gets_the_error() {
        let in_flight: InFlight<u32> = InFlight::default();
        let failing = || async {
            Err::<u32, _>(ProviderError::new(ErrorKind::Other, "endpoint down").with_code("X"))
        };
        let (a, b) = tokio::join!(
            in_flight.read("irb".into(), failing),
            in_flight.read("irb".into(), failing)
        );
        for e in [a.unwrap_err(), b.unwrap_err()] {
            assert_eq!((e.kind, e.code.as_deref()), (ErrorKind::Other, Some("X")));
            assert_eq!(e.message, "endpoint down");
        }
    }
}
