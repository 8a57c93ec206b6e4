//! One module per command, and what they share: reading a spec, reaching AWS, discovering.

pub mod apply;
pub mod destroy;
pub mod execute;
pub mod graph;
pub mod lifecycle;
pub mod lock;
pub mod output;
pub mod plan;
pub mod report;
pub mod schema;
pub mod show;
mod stale_values;
pub mod unlock;
pub mod validate;
pub mod verify_record;

use std::path::Path;

use recon_aws::AwsProvider;
use std::sync::Arc;

use recon_model::{
    Action, Kind, LiveResource, LookedUp, Plan, Silence, Spec, SpecSource, Value, ValuesSource,
    sha256_hex,
};
use recon_provider::{DiscoverError, ErrorKind, LookupError, Provider, discover_all, lookup_all};

use crate::CliError;
use crate::args::SpecInputs;
use crate::error::{DiscoverFailure, LookupFailure};

/// A spec read and checked, with what reviewing it needs.
pub struct Loaded {
    pub spec: Spec,
    /// `outputs:`, to read from the live resources after apply.
    pub outputs: Vec<(String, Value)>,
    pub source: SpecSource,
    pub silences: Vec<Silence>,
    pub positions: recon_spec::Positions,
}

/// Reads and checks a spec: the environment `inputs` choose, with their values. Any problem is
/// reported before AWS is contacted.
pub fn load(path: &Path, inputs: &SpecInputs) -> Result<Loaded, CliError> {
    let text = read(path)?;
    let values = match &inputs.values {
        Some(p) => Some((p.display().to_string(), read(p)?)),
        None => None,
    };
    let source = SpecSource {
        path: path.display().to_string(),
        sha256: sha256_hex(text.as_bytes()),
        env: inputs.env.clone(),
        values: values.as_ref().map(|(path, text)| ValuesSource {
            path: path.clone(),
            sha256: sha256_hex(text.as_bytes()),
        }),
        set: inputs.set.clone(),
        ..SpecSource::default()
    };
    let file = recon_spec::SourceFile {
        name: source.path.clone(),
        text,
    };
    let spec_inputs = recon_spec::Inputs {
        env: inputs.env.clone(),
        values: values.map(|(name, text)| recon_spec::SourceFile { name, text }),
        set: inputs.set.clone(),
    };
    let parsed = recon_spec::parse_with(&file, &spec_inputs)?;
    let source = SpecSource {
        env: parsed.instance.env.clone(),
        parameters: parsed.instance.parameters.clone(),
        ..source
    };
    let mut spec = parsed.spec;
    read_public_key_files(&mut spec, path, &parsed.positions)?;
    Ok(Loaded {
        spec,
        outputs: parsed.outputs,
        source,
        silences: parsed.silences,
        positions: parsed.positions,
    })
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Reads and checks a spec (without reviewing it).
pub fn load_spec(path: &Path, inputs: &SpecInputs) -> Result<(Spec, SpecSource), CliError> {
    load(path, inputs).map(|l| (l.spec, l.source))
}

/// Reads, checks and reviews a spec, for `plan` and `apply`: review errors stop here, before
/// any AWS call; warnings go to stderr with a one-line summary.
pub fn load_reviewed(
    path: &Path,
    inputs: &SpecInputs,
) -> Result<(Loaded, recon_review::Review), CliError> {
    let loaded = load(path, inputs)?;
    let review = recon_review::review(&loaded.spec, &loaded.silences);
    if review.has_errors() {
        return Err(crate::review::failed(&loaded, &review));
    }
    crate::review::warn(&loaded, &review);
    Ok((loaded, review))
}

/// The most a public key file may hold: an OpenSSH public key line is well under 1 KiB (an RSA
/// key of 16384 bits is about 2.8 KiB).
const PUBLIC_KEY_FILE_MAX: u64 = 16 * 1024;

/// `public_key_file` is relative to the spec's directory: read it into `public_key` (the type
/// and the key, without the comment AWS would drop), so plans compare key material.
///
/// # Guarantees
/// Reads only a regular file inside the spec's folder (after symlinks), of at most 16 KiB,
/// holding an OpenSSH public key; anything else is an error at the field, before any AWS call.
fn read_public_key_files(
    spec: &mut Spec,
    spec_path: &Path,
    positions: &recon_spec::Positions,
) -> Result<(), CliError> {
    let dir = spec_path.parent().unwrap_or(Path::new(""));
    for resource in &mut spec.resources {
        let Some(Value::String(file)) = resource.attrs.remove("public_key_file") else {
            continue;
        };
        let key = read_public_key(dir, &file).map_err(|(message, help)| {
            CliError::InSpec(Box::new(positions.diagnostic(recon_spec::Located {
                address: resource.address.clone(),
                path: vec!["public_key_file".into()],
                code: "recon::spec::public_key_file".into(),
                severity: miette::Severity::Error,
                message: format!("`public_key_file: {file}`: {message}"),
                label: "this file".into(),
                help: Some(help),
            })))
        })?;
        resource.attrs.insert("public_key".into(), Value::str(key));
    }
    Ok(())
}

/// The `<type> <key>` of the OpenSSH public key in `dir/file`, or why it cannot be used and
/// what to do.
fn read_public_key(dir: &Path, file: &str) -> Result<String, (String, String)> {
    use std::io::Read;
    let path = dir.join(file);
    let help = "name an OpenSSH public key file (`ssh-keygen -t ed25519` writes one, ending in `.pub`) inside the spec's folder".to_owned();
    let inside = |p: &Path| {
        let root = std::fs::canonicalize(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        });
        root.is_ok_and(|root| p.starts_with(root))
    };
    let real =
        std::fs::canonicalize(&path).map_err(|e| (format!("cannot be read: {e}"), help.clone()))?;
    if !inside(&real) {
        return Err((
            "leads outside the spec's folder (through a link)".into(),
            help,
        ));
    }
    let meta =
        std::fs::metadata(&real).map_err(|e| (format!("cannot be read: {e}"), help.clone()))?;
    if !meta.is_file() {
        return Err(("is not a regular file".into(), help));
    }
    if meta.len() > PUBLIC_KEY_FILE_MAX {
        return Err((
            format!(
                "is {} bytes; a public key file is at most 16 KiB",
                meta.len()
            ),
            help,
        ));
    }
    let mut text = String::new();
    std::fs::File::open(&real)
        .and_then(|f| f.take(PUBLIC_KEY_FILE_MAX + 1).read_to_string(&mut text))
        .map_err(|e| (format!("cannot be read as text: {e}"), help.clone()))?;
    if let Some(why) = recon_model::limits::openssh_problem(&text) {
        return Err((format!("is not an OpenSSH public key: {why}"), help));
    }
    let key: Vec<&str> = text.split_whitespace().take(2).collect();
    Ok(key.join(" "))
}

/// A created key pair whose private key file is gone cannot be recovered from AWS: say so
/// rather than plan anything silently.
pub fn warn_missing_private_keys(spec: &Spec, live: &[LiveResource]) {
    for resource in spec
        .resources
        .iter()
        .filter(|r| r.address.kind == Kind::KeyPair)
    {
        let Some(file) = resource
            .attrs
            .get("private_key_file")
            .and_then(Value::as_str)
        else {
            continue;
        };
        let exists_live = live.iter().any(|l| l.address == resource.address);
        if exists_live && !Path::new(file).exists() {
            crate::printer::warn(&format!(
                "Warning: key pair `{}` exists in AWS but its private key file `{file}` is missing.\n  AWS keeps no copy, so recon cannot write it again; recon will not replace the key on its own.\n  To get a new key, delete the key pair from the spec, apply, then add it back.\n",
                resource.address
            ));
        }
    }
}

/// A key pair the plan creates writes its private key to a new file, and never over an existing
/// one: a file left by an earlier key pair (an environment destroyed and applied again) would
/// fail the apply half-way, after other changes. Refuse the plan before any change instead.
pub fn check_private_key_files_free(spec: &Spec, plan: &Plan) -> Result<(), CliError> {
    for change in &plan.changes {
        if change.address.kind != Kind::KeyPair
            || !matches!(change.action, Action::Create | Action::Replace)
        {
            continue;
        }
        let file = spec
            .resources
            .iter()
            .find(|r| r.address == change.address)
            .and_then(|r| r.attrs.get("private_key_file"))
            .and_then(Value::as_str);
        if let Some(file) = file
            && Path::new(file).exists()
        {
            return Err(CliError::PrivateKeyFileExists {
                address: change.address.to_string(),
                file: file.to_owned(),
            });
        }
    }
    Ok(())
}

/// Finds the spec's lookups (read-only) and returns the spec with every reference to them
/// replaced by what they found, and the record of it for the plan. A lookup that finds nothing
/// stops here, before any change, with a diagnostic at the lookup in the spec.
pub async fn resolve_lookups<P: Provider>(
    provider: &P,
    spec: &Spec,
    source: &SpecSource,
) -> Result<(Spec, Vec<LookedUp>), CliError> {
    if spec.lookups.is_empty() {
        return Ok((spec.clone(), Vec::new()));
    }
    match lookup_all(provider, &spec.lookups).await {
        Ok(found) => {
            // In the spec's order, as the reviewer wrote them.
            let record = spec
                .lookups
                .iter()
                .filter_map(|l| found.get(&l.address))
                .map(LookedUp::from_live)
                .collect();
            Ok((spec.with_lookups(&found), record))
        }
        Err(errors) => {
            for e in &errors {
                let doing = format!("looking up `{}`", e.address);
                // Any fault, access denied included: the spec is not to blame.
                if let Some(stop) = crate::fault::any(&e.source, &doing, true) {
                    return Err(stop);
                }
            }
            Err(lookups_failed(source, errors))
        }
    }
}

fn lookups_failed(source: &SpecSource, errors: Vec<LookupError>) -> CliError {
    let text: Arc<str> = std::fs::read_to_string(&source.path)
        .unwrap_or_default()
        .into();
    let file = recon_spec::SourceFile {
        name: source.path.clone(),
        text: text.to_string(),
    };
    let causes = errors
        .into_iter()
        .map(|e| {
            let help = match (e.address.kind, e.source.kind) {
                (Kind::Image, ErrorKind::NotFound) => Some(
                    "check `owners`, the `name` pattern (`*` matches anything) and `architecture`; `aws ec2 describe-images --owners <owner> --filters Name=name,Values=<pattern>` lists candidates".to_owned(),
                ),
                (Kind::Vpc, ErrorKind::NotFound) if e.address.name.contains("default") => Some(
                    "this region has no default VPC (it may have been deleted): `aws ec2 create-default-vpc` makes one, or look a VPC up by `id` or `tags`".to_owned(),
                ),
                (_, ErrorKind::NotFound) => {
                    Some("check the filters against what exists in this account and region".to_owned())
                }
                (_, ErrorKind::Invalid) => {
                    Some("add filters (an `id`, `tags`, a zone) so that exactly one matches".to_owned())
                }
                _ => None,
            };
            LookupFailure {
                span: recon_spec::locate(&file, &e.address),
                address: e.address.to_string(),
                message: crate::error::error_chain(&e.source),
                src: recon_spec::ShownSource::new(&source.path, &text),
                help,
            }
        })
        .collect();
    CliError::Lookup { causes }
}

pub async fn aws(region: &str) -> Result<AwsProvider, CliError> {
    AwsProvider::new(region).await.map_err(|e| {
        crate::fault::stop(&e, "preparing the first AWS call")
            .unwrap_or_else(|| CliError::Aws(Box::new(e)))
    })
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

/// The plan deleting everything `environment` owns, and what destroy needs of the listing it
/// was made from, read as deleting needs (no VPC attributes). Plan, destroy and the apply of a
/// saved destroy plan all make it this way, so their fingerprints agree. The live resources
/// themselves are moved into the plan.
pub async fn plan_destroy<P: Provider>(
    provider: &P,
    environment: &str,
    region: &str,
    source: Option<recon_model::SpecSource>,
) -> Result<(recon_model::Plan, DestroyListing), CliError> {
    let found = recon_provider::discover_all_for(
        provider,
        environment,
        Kind::ALL,
        recon_provider::Reading::ToDelete,
    )
    .await
    .map_err(|errors| discover_failed(environment, errors))?;
    let listing = DestroyListing {
        tagged_kinds: found.tagged_kinds(),
        group_instances: crate::teardown::group_instances(&found.live),
        unaddressable: found.unaddressable,
    };
    let plan = recon_plan::plan_destroy(environment, region, source, Kind::ALL, found.live);
    Ok((plan, listing))
}

/// What a destroy's listing found beyond the plan it made.
pub struct DestroyListing {
    /// The kinds in which it found anything tagged with the environment, addressable or not.
    pub tagged_kinds: std::collections::BTreeSet<Kind>,
    /// Tagged with the environment, with a `recon:id` recon cannot use.
    pub unaddressable: Vec<recon_provider::Tagged>,
    /// The instances of each Auto Scaling group (an output, which the plan does not keep).
    pub group_instances: std::collections::BTreeMap<recon_model::Address, Vec<String>>,
}

/// A saved or confirmed plan found no longer current under the lock, or the check that failed.
pub fn fresh_error(e: recon_provider::FreshError, environment: &str) -> CliError {
    match e {
        recon_provider::FreshError::Stale { environment } => CliError::StaleLive { environment },
        recon_provider::FreshError::Discover(errors) => discover_failed(environment, errors),
    }
}

pub fn discover_failed(environment: &str, errors: Vec<DiscoverError>) -> CliError {
    for DiscoverError::Kind { kind, source } in &errors {
        let doing = format!("listing the `{kind}` resources of environment `{environment}`");
        if let Some(stop) = crate::fault::stop(source, &doing) {
            return stop;
        }
    }
    CliError::Discover {
        environment: environment.to_owned(),
        causes: errors.into_iter().map(DiscoverFailure::from).collect(),
    }
}
