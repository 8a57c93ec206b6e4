//! A call's place among the `--parallelism` calls in flight, and how it gives that place up
//! while it waits for AWS's rate limit: a call held back by one API's token bucket must not
//! keep calls to other APIs, whose buckets are full, from starting.
//!
//! # Guarantees
//! - Inside [`hold`], the task holds one permit of the semaphore, except while a
//!   [`released_while`] future runs: then the permit is back in the semaphore, and it is
//!   acquired again (first come, first served) before `released_while` returns.
//! - Outside [`hold`] (a plan's discovery, a test), [`released_while`] just runs its future.
//! - [`concurrently`] inside [`hold`]: each of its calls holds a permit of its own while it
//!   runs, and the task's own permit is given back meanwhile, so a step's independent calls
//!   are as many calls in flight, never more than the semaphore's permits, and a step waiting
//!   for them never holds a permit they need (no deadlock at one permit).
//!
//! # Assumptions
//! - The waiting happens in the task that holds the slot (the SDK polls its HTTP connector in
//!   the caller's task), which is what a task-local reaches.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

tokio::task_local! {
    static SLOT: Slot;
}

struct Slot {
    semaphore: Arc<Semaphore>,
    permit: Mutex<Option<OwnedSemaphorePermit>>,
    /// When the call asked for its slot: its place in line.
    started: Instant,
}

/// Runs `call` holding one permit of `semaphore` (waiting for one first).
pub async fn hold<F: Future>(semaphore: &Arc<Semaphore>, call: F) -> F::Output {
    hold_since(semaphore, Instant::now(), call).await
}

/// [`hold`], with its place in line (`started`) given.
async fn hold_since<F: Future>(semaphore: &Arc<Semaphore>, started: Instant, call: F) -> F::Output {
    let permit = Arc::clone(semaphore)
        .acquire_owned()
        .await
        .expect("the semaphore is never closed");
    let slot = Slot {
        semaphore: Arc::clone(semaphore),
        permit: Mutex::new(Some(permit)),
        started,
    };
    SLOT.scope(slot, call).await
}

/// When the current task's call asked for its slot (`None` outside [`hold`]): earlier calls
/// go first where a resource they share hands out turns (AWS's rate limit of one API).
pub fn started() -> Option<Instant> {
    SLOT.try_with(|slot| slot.started).ok()
}

/// Runs `wait` with the current task's permit given back, then takes a permit again.
pub async fn released_while<F: Future>(wait: F) -> F::Output {
    let released = SLOT
        .try_with(|slot| {
            let permit = slot.permit.lock().expect("not poisoned").take();
            permit.map(|p| {
                drop(p);
                Arc::clone(&slot.semaphore)
            })
        })
        .ok()
        .flatten();
    let out = wait.await;
    if let Some(semaphore) = released {
        let permit = semaphore
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let _ = SLOT.try_with(|slot| *slot.permit.lock().expect("not poisoned") = Some(permit));
    }
    out
}

/// Runs `calls` at the same time, each holding a permit of its own (see the module's
/// guarantees) and keeping the current call's place in line; their outputs in order. Every
/// call runs to its end: none is cut off mid-flight, leaving its effect unknown.
///
/// Each call is made (`make()`) only once it has its permit, and on the heap: a step waiting
/// for permits holds what its calls need, not their state, which for an SDK call is
/// kilobytes (hundreds of route tables waiting so held 20 MB more at 5,000 resources).
pub async fn concurrently<C, F>(calls: impl IntoIterator<Item = C>) -> Vec<F::Output>
where
    C: FnOnce() -> F,
    F: Future,
{
    let Ok((semaphore, started)) =
        SLOT.try_with(|slot| (Arc::clone(&slot.semaphore), slot.started))
    else {
        return futures::future::join_all(calls.into_iter().map(|make| make())).await;
    };
    let each = calls
        .into_iter()
        .map(|make| hold_since(&semaphore, started, async move { Box::pin(make()).await }));
    released_while(futures::future::join_all(each)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_call_waiting_for_the_rate_limit_lets_another_call_start() {
        let semaphore = Arc::new(Semaphore::new(1));
        let (open, opened) = tokio::sync::oneshot::channel::<()>();
        let (started, mut has_started) = tokio::sync::mpsc::unbounded_channel::<&str>();

        let waiting = {
            let (semaphore, started) = (Arc::clone(&semaphore), started.clone());
            tokio::spawn(async move {
                hold(&semaphore, async {
                    started.send("waiting").unwrap();
                    released_while(opened).await.unwrap();
                    assert_eq!(semaphore.available_permits(), 0, "the slot is held again");
                })
                .await
            })
        };
        assert_eq!(has_started.recv().await, Some("waiting"));

        // The only slot is free while the first call waits: a second call runs to its end.
        hold(&semaphore, async { started.send("other").unwrap() }).await;
        assert_eq!(has_started.recv().await, Some("other"));

        open.send(()).unwrap();
        waiting.await.unwrap();
        assert_eq!(semaphore.available_permits(), 1);
    }

    /// Four calls of one step through two permits: two in flight at most, all four run, and
    /// at one permit the step does not wait forever for a permit it holds itself.
    #[tokio::test]
    async fn a_steps_calls_run_at_once_each_in_a_slot_of_its_own() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        for permits in [1, 2, 4] {
            let semaphore = Arc::new(Semaphore::new(permits));
            let (in_flight, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
            let call = |n: usize| {
                let (in_flight, most) = (&in_flight, &most);
                async move {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    n
                }
            };
            let done = hold(&semaphore, concurrently((0..4).map(|n| move || call(n)))).await;
            assert_eq!(done, [0, 1, 2, 3]);
            assert_eq!(most.load(Ordering::SeqCst), permits, "at {permits} permits");
            assert_eq!(semaphore.available_permits(), permits);
        }
    }

    /// A call is made only once it has its slot: at one permit, the second call's future does
    /// not exist while the first runs (waiting steps hold no call's state).
    #[tokio::test]
    async fn a_steps_call_is_made_only_once_it_has_its_slot() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let semaphore = Arc::new(Semaphore::new(1));
        let (made, done) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let make = |_: usize| {
            let (made, done) = (&made, &done);
            move || {
                let ahead = made.fetch_add(1, Ordering::SeqCst) - done.load(Ordering::SeqCst);
                assert_eq!(ahead, 0, "a call was made while another held the only slot");
                async move {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    done.fetch_add(1, Ordering::SeqCst);
                }
            }
        };
        hold(&semaphore, concurrently((0..3).map(make))).await;
        assert_eq!(done.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn outside_a_slot_the_wait_just_runs() {
        assert_eq!(released_while(async { 7 }).await, 7);
    }
}
