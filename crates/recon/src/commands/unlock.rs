//! `recon unlock --env NAME --region R`: break the lock a killed apply or destroy left behind,
//! after showing who took it and asking.

use crate::args::UnlockArgs;
use crate::{CliError, ExitStatus, confirm, printer};

pub async fn run(args: UnlockArgs) -> Result<ExitStatus, CliError> {
    let provider = super::aws(&args.region).await?;
    let lock_error = |source: recon_provider::ProviderError| {
        let doing = format!("reading the lock of environment `{}`", args.env);
        crate::fault::any(&source, &doing, true).unwrap_or_else(|| CliError::Lock {
            environment: args.env.clone(),
            source: Box::new(source),
        })
    };
    let Some(holder) = provider.lock_holder(&args.env).await.map_err(lock_error)? else {
        printer::line(&format!(
            "Environment `{}` is not locked in {}.",
            args.env, args.region
        ));
        return Ok(ExitStatus::Success);
    };
    printer::line(&format!(
        "Environment `{}` is locked by {holder}.\nBreak the lock only if that run is no longer running: two runs at once can leave duplicates.",
        args.env
    ));
    confirm::confirm("break this lock", args.auto_approve)?;
    provider.unlock(&args.env).await.map_err(lock_error)?;
    printer::line(&format!("Unlocked environment `{}`.", args.env));
    Ok(ExitStatus::Success)
}
