//! Holding an environment's lock while an apply or destroy changes it (see docs/architecture.md,
//! "The environment lock"): taken after confirmation, released on success, failure and Ctrl-C.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use recon_aws::{AwsProvider, LockHolder};

use crate::{CliError, printer};

/// How often a waiting run asks again.
const RETRY_EVERY: Duration = Duration::from_secs(5);

/// A taken lock. Release it with [`Held::run`].
pub struct Held {
    provider: AwsProvider,
    environment: String,
}

/// Who this run is: the user, the host and the time, as the lock records them.
fn me(operation: &str) -> LockHolder {
    let who = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown user".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown host".into());
    let now = SystemTime::now();
    let nanos = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    LockHolder {
        who,
        host,
        since: crate::teardown::timestamp(now),
        operation: operation.to_owned(),
        run: format!("{}-{nanos}", std::process::id()),
    }
}

/// Whether `holder` is a run on this host whose process has ended (killed, or the machine
/// restarted): its lock protects nothing. Only on systems with `/proc`; a process id in use
/// again counts as alive, so a lock is never broken while its run may still be going.
fn ended_here(holder: &LockHolder, me: &LockHolder) -> bool {
    if holder.host != me.host || !std::path::Path::new("/proc/self").exists() {
        return false;
    }
    holder
        .pid()
        .is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
}

/// A failure `doing` ("taking", "releasing"…) the lock of `environment`: the environment's
/// fault if it is one (`before_changes`: nothing was changed yet), else a lock error.
fn lock_error(
    environment: &str,
    doing: &str,
    before_changes: bool,
    source: recon_provider::ProviderError,
) -> CliError {
    let doing = format!("{doing} the lock of environment `{environment}`");
    crate::fault::any(&source, &doing, before_changes).unwrap_or_else(|| CliError::Lock {
        environment: environment.to_owned(),
        source: Box::new(source),
    })
}

/// Takes over the lock `stale` left by an ended run on this host: `Ok(true)` when this run
/// now holds it.
///
/// # Guarantees
/// Two runs on this host never both win: a file lock on this host serialises take-overs, and
/// inside it the holder is read again, so the second run finds the first one's live lock.
/// Runs on other hosts never take a lock over, so none can race this one.
async fn take_over(
    provider: &AwsProvider,
    environment: &str,
    stale: &LockHolder,
    me: &LockHolder,
) -> Result<bool, CliError> {
    let fault = |source| lock_error(environment, "taking over", true, source);
    let path = std::env::temp_dir().join(format!("recon-lock-{environment}.takeover"));
    let write_error = |source| CliError::Write {
        path: path.clone(),
        source,
    };
    let file = std::fs::File::create(&path).map_err(write_error)?;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(write_error(e)),
        }
    }
    let holder = provider.lock_holder(environment).await.map_err(fault)?;
    if holder.as_ref().is_some_and(|h| h.run == stale.run) {
        printer::warn(&format!(
            "Environment `{environment}` was locked by {stale}, a run on this host that has ended; taking the lock over.\n"
        ));
        provider.unlock(environment).await.map_err(fault)?;
    }
    let taken = provider.try_lock(environment, me).await.map_err(fault)?;
    drop(file);
    Ok(taken.is_none())
}

/// Takes the lock of `environment`, waiting up to `wait` for its holder to release it.
///
/// # Guarantees
/// Returns only once this run holds the lock; otherwise fails naming the holder, having
/// changed nothing.
pub async fn acquire(
    provider: &AwsProvider,
    environment: &str,
    region: &str,
    operation: &str,
    wait: Duration,
) -> Result<Held, CliError> {
    let me = me(operation);
    let started = Instant::now();
    let mut said = false;
    loop {
        let taken = provider
            .try_lock(environment, &me)
            .await
            .map_err(|source| lock_error(environment, "taking", true, source))?;
        let Some(holder) = taken else {
            tracing::debug!(environment, "lock taken");
            return Ok(Held {
                provider: provider.clone(),
                environment: environment.to_owned(),
            });
        };
        if ended_here(&holder, &me) && take_over(provider, environment, &holder, &me).await? {
            return Ok(Held {
                provider: provider.clone(),
                environment: environment.to_owned(),
            });
        }
        let left = wait.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(CliError::Locked {
                environment: environment.to_owned(),
                region: region.to_owned(),
                holder: holder.to_string(),
            });
        }
        if !said {
            printer::warn(&format!(
                "Environment `{environment}` is locked by {holder}; waiting up to {}.\n",
                humantime::format_duration(wait)
            ));
            said = true;
        }
        tokio::time::sleep(left.min(RETRY_EVERY)).await;
    }
}

impl Held {
    /// Runs `work` under the lock and releases it whatever happens: success, failure, or Ctrl-C
    /// (SIGINT or SIGTERM), which stops `work` where it is.
    pub async fn run<T>(
        self,
        work: impl Future<Output = Result<T, CliError>>,
    ) -> Result<T, CliError> {
        let interrupted = Arc::new(AtomicBool::new(false));
        // Left registered: the process ends right after (unregistering would leave the signals
        // ignored, not restore their default).
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            if let Err(e) = signal_hook::flag::register(signal, Arc::clone(&interrupted)) {
                tracing::warn!("cannot watch for signal {signal}: {e}");
            }
        }
        let flag = Arc::clone(&interrupted);
        let watch = async move {
            while !flag.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        let result = tokio::select! {
            r = work => r,
            () = watch => Err(CliError::Interrupted { environment: self.environment.clone() }),
        };
        let released = self.provider.unlock(&self.environment).await;
        match (result, released) {
            (Ok(v), Ok(())) => Ok(v),
            (Ok(_), Err(source)) => Err(lock_error(&self.environment, "releasing", false, source)),
            (Err(e), Ok(())) => Err(e),
            (Err(e), Err(source)) => {
                printer::warn(&format!(
                    "Could not release the lock of `{}`: {}\n",
                    self.environment,
                    crate::error::error_chain(&source)
                ));
                Err(e)
            }
        }
    }
}
