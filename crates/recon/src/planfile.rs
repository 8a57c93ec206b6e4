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
    // The plan carries the digest of its canonical form: an edit shows before any AWS call.
    let mut value = serde_json::to_value(plan).expect("plans serialize");
    let digest = crate::evidence::seal::digest_without(&value, DIGEST);
    if let serde_json::Value::Object(map) = &mut value {
        map.insert(DIGEST.to_owned(), serde_json::Value::String(digest));
    }
    let json = serde_json::to_vec_pretty(&value).expect("plans serialize");
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

/// The field of a saved plan holding the sha256 of the rest, in canonical form.
pub const DIGEST: &str = "plan_sha256";

/// Reads a saved plan. A plan that carries a digest must match it (an edit after recon wrote
/// it is refused here); one without is still checked by apply, which makes the plan again.
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
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(bad)?;
    if let Some(recorded) = value.get(DIGEST).and_then(serde_json::Value::as_str)
        && recorded != crate::evidence::seal::digest_without(&value, DIGEST)
    {
        return Err(CliError::PlanEdited {
            path: path.to_owned(),
            what: "its content does not match the digest recon wrote in it".to_owned(),
        });
    }
    serde_json::from_value(value).map_err(bad)
}
