//! Saving and loading plans.

use std::path::Path;

use recon_model::{PLAN_FORMAT_VERSION, Plan};

use crate::CliError;

/// Writes the plan as JSON, creating the directory; atomically (temp file, then rename), so a
/// crash never leaves half a plan for `apply` to read.
pub fn save(plan: &Plan, path: &Path) -> Result<(), CliError> {
    let write = |source| CliError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write)?;
    }
    let json = serde_json::to_vec_pretty(plan).expect("plans serialize");
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json).map_err(write)?;
    std::fs::rename(&tmp, path).map_err(write)
}

/// The SHA-256 of the saved plan file, as `sha256sum` prints it.
pub fn digest(path: &Path) -> Result<String, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(recon_model::sha256_hex(&bytes))
}

pub fn load(path: &Path) -> Result<Plan, CliError> {
    let bytes = std::fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => CliError::NoPlan {
            path: path.to_owned(),
        },
        _ => CliError::Read {
            path: path.to_owned(),
            source,
        },
    })?;
    #[derive(serde::Deserialize)]
    struct Version {
        format_version: u32,
    }
    let bad = |source| CliError::BadPlan {
        path: path.to_owned(),
        source,
    };
    let version: Version = serde_json::from_slice(&bytes).map_err(bad)?;
    if version.format_version != PLAN_FORMAT_VERSION {
        return Err(CliError::PlanVersion {
            path: path.to_owned(),
            found: version.format_version,
            expected: PLAN_FORMAT_VERSION,
        });
    }
    serde_json::from_slice(&bytes).map_err(bad)
}
