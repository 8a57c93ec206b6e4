//! A saved plan is for one environment of its file and one set of parameter values: `recon
//! apply` refuses it when the values it would be made with today differ.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use recon_model::{Plan, SpecSource, sha256_hex};

use crate::CliError;
use crate::args::SpecInputs;

/// Refuses `plan` when `--env`, `--values` or `--set` were given and differ from the plan's,
/// when its values file changed, or when its parameters now resolve to other values.
///
/// # Guarantees
/// Runs before any AWS call. A plan without a spec (`destroy --env`) or without parameters and
/// inputs passes unchecked; the spec file's own digest is checked elsewhere.
pub fn check(plan: &Plan, given: &SpecInputs) -> Result<(), CliError> {
    let Some(source) = &plan.spec else {
        return Ok(());
    };
    let stale = |change: String| CliError::StaleValues {
        spec: source.path.clone(),
        args: command_tail(source),
        change,
    };
    if given.env.is_some() && given.env != source.env {
        return Err(stale(format!(
            "it was made for {}, not `--env {}`",
            source
                .env
                .as_deref()
                .map_or("no `--env`".to_owned(), |e| format!("`--env {e}`")),
            given.env.as_deref().unwrap_or_default()
        )));
    }
    if given.values.is_some() || !given.set.is_empty() {
        return Err(stale(
            "`--values` and `--set` belong to `recon plan`; a saved plan keeps the values it was made with".to_owned(),
        ));
    }
    if source.env.is_none() && source.parameters.is_empty() && source.values.is_none() {
        return Ok(());
    }
    let values = match &source.values {
        Some(v) => {
            let text = std::fs::read_to_string(&v.path)
                .map_err(|_| stale(format!("the values file `{}` is gone", v.path)))?;
            if sha256_hex(text.as_bytes()) != v.sha256 {
                return Err(stale(format!(
                    "the values file `{}` changed after the plan was made",
                    v.path
                )));
            }
            Some(recon_spec::SourceFile {
                name: v.path.clone(),
                text,
            })
        }
        None => None,
    };
    let text = std::fs::read_to_string(&source.path)
        .map_err(|_| stale(format!("the spec `{}` is gone", source.path)))?;
    let inputs = recon_spec::Inputs {
        env: source.env.clone(),
        values,
        set: source.set.clone(),
    };
    let file = recon_spec::SourceFile {
        name: source.path.clone(),
        text,
    };
    let now = recon_spec::parse_with(&file, &inputs)
        .map_err(|_| stale(format!("the spec `{}` no longer checks", source.path)))?;
    let changed = differences(&source.parameters, &now.instance.parameters);
    if !changed.is_empty() {
        return Err(stale(format!(
            "parameter values changed after the plan was made: {}",
            changed.join("; ")
        )));
    }
    Ok(())
}

/// `cidr: "10.1.0.0/16" -> "10.9.0.0/16"` for each parameter that differs.
fn differences(
    then: &BTreeMap<String, serde_json::Value>,
    now: &BTreeMap<String, serde_json::Value>,
) -> Vec<String> {
    let shown = |v: Option<&serde_json::Value>| v.map_or("(none)".to_owned(), |v| v.to_string());
    then.keys()
        .chain(now.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|k| then.get(*k) != now.get(*k))
        .map(|k| format!("`{k}` {} -> {}", shown(then.get(k)), shown(now.get(k))))
        .collect()
}

/// ` --env staging --set a=b`: how the plan was asked for.
pub fn command_tail(source: &SpecSource) -> String {
    let mut out = String::new();
    if let Some(env) = &source.env {
        let _ = write!(out, " --env {env}");
    }
    if let Some(v) = &source.values {
        let _ = write!(out, " --values {}", v.path);
    }
    for s in &source.set {
        let _ = write!(out, " --set {s}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_each_changed_parameter() {
        let then = BTreeMap::from([
            ("a".to_owned(), serde_json::json!(1)),
            ("b".to_owned(), serde_json::json!("x")),
        ]);
        let now = BTreeMap::from([
            ("a".to_owned(), serde_json::json!(1)),
            ("b".to_owned(), serde_json::json!("y")),
            ("c".to_owned(), serde_json::json!(true)),
        ]);
        assert_eq!(
            differences(&then, &now),
            vec!["`b` \"x\" -> \"y\"", "`c` (none) -> true"]
        );
        assert!(differences(&then, &then).is_empty());
    }
}
