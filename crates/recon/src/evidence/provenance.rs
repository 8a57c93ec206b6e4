//! Which spec a record was made from: the path as typed and absolute, the sha256 of the text
//! recon read, and, when the spec is in a Git repository, its commit and whether anything was
//! uncommitted.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use recon_model::{SpecSource, ValuesSource};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecProvenance {
    /// As given on the command line.
    pub path: String,
    pub absolute_path: String,
    /// Of the text recon read.
    pub sha256: String,
    /// Absent when the spec is not in a Git repository (or `git` is not installed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitState>,
    /// Which of the file's environments (`--env`), for a file with `environments:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_environment: Option<String>,
    /// The values file given with `--values`, and its sha256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<ValuesSource>,
    /// Every parameter's value the environment was made from, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, serde_json::Value>,
}

impl SpecProvenance {
    /// The environment of the file, the values file and the parameters, as one Markdown table
    /// cell; `None` for a spec without parameters.
    pub fn inputs_cell(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(env) = &self.file_environment {
            parts.push(format!("`--env {env}`"));
        }
        if let Some(v) = &self.values {
            parts.push(format!("values from `{}` (sha256 `{}`)", v.path, v.sha256));
        }
        if !self.parameters.is_empty() {
            let values: Vec<String> = self
                .parameters
                .iter()
                .map(|(k, v)| format!("`{k}` = `{v}`"))
                .collect();
            parts.push(values.join(", "));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitState {
    /// The repository's top directory.
    pub repository: String,
    /// `HEAD`'s commit.
    pub commit: String,
    /// The repository has uncommitted changes or untracked files.
    pub dirty: bool,
    /// The spec file is tracked and unchanged since `commit`: the commit holds what was used.
    pub spec_committed: bool,
}

/// The provenance of a spec read from `source` (its sha256 is the text recon read).
///
/// # Assumptions
/// - `source.path` is the path recon read, relative to the current directory.
pub fn of(source: &SpecSource) -> SpecProvenance {
    let path = Path::new(&source.path);
    let absolute = std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| source.path.clone());
    SpecProvenance {
        path: source.path.clone(),
        absolute_path: absolute.clone(),
        sha256: source.sha256.clone(),
        git: git_state(Path::new(&absolute)),
        file_environment: source.env.clone(),
        values: source.values.clone(),
        parameters: source.parameters.clone(),
    }
}

/// `None` outside a repository, or when `git` cannot run: the record then says nothing of Git
/// rather than guessing.
fn git_state(spec: &Path) -> Option<GitState> {
    let dir = spec.parent()?;
    let repository = git(dir, &["rev-parse", "--show-toplevel"])?;
    let commit = git(dir, &["rev-parse", "--verify", "HEAD"])?;
    let dirty = !git(dir, &["status", "--porcelain"])?.is_empty();
    let name = spec.file_name()?.to_str()?;
    let tracked = git(dir, &["ls-files", "--error-unmatch", "--", name]).is_some();
    let unchanged = git(dir, &["status", "--porcelain", "--", name])?.is_empty();
    Some(GitState {
        repository,
        commit,
        dirty,
        spec_committed: tracked && unchanged,
    })
}

/// The trimmed stdout of `git -C dir args…` when it succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn a_spec_in_a_repository_records_the_commit_and_whether_it_was_committed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        run(root, &["init", "-q"]);
        std::fs::write(root.join("study.yaml"), "environment: x\n").unwrap();
        run(root, &["add", "study.yaml"]);
        run(
            root,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.org",
                "-c",
                "commit.gpgsign=false",
                "commit",
                "-q",
                "-m",
                "spec",
            ],
        );
        let spec = root.join("study.yaml");
        let source = SpecSource {
            path: spec.display().to_string(),
            sha256: "abc".into(),
            ..SpecSource::default()
        };
        let clean = of(&source);
        let git = clean.git.expect("in a repository");
        assert_eq!(git.commit.len(), 40, "{git:?}");
        assert!(!git.dirty);
        assert!(git.spec_committed);
        assert!(Path::new(&clean.absolute_path).is_absolute());

        std::fs::write(&spec, "environment: y\n").unwrap();
        let edited = of(&source).git.unwrap();
        assert!(edited.dirty);
        assert!(
            !edited.spec_committed,
            "the commit does not hold what was used"
        );
        assert_eq!(edited.commit, git.commit);
    }
}
