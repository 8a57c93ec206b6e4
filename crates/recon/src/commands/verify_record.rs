//! `recon verify-record FILE`: checks a teardown record (or report) against its seal, and that
//! its Markdown rendering beside it is the rendering of that JSON. Offline: no AWS call.

use std::path::{Path, PathBuf};

use crate::args::VerifyRecordArgs;
use crate::evidence::seal::{self, Broken};
use crate::{CliError, ExitStatus, printer};

pub fn run(args: VerifyRecordArgs) -> Result<ExitStatus, CliError> {
    let path = args.record;
    let text = std::fs::read_to_string(&path).map_err(|source| CliError::Read {
        path: path.clone(),
        source,
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|source| CliError::NotARecord {
            path: path.clone(),
            source,
        })?;
    let digest = match seal::check(&value) {
        Ok(d) => d,
        Err(Broken::Unsealed) => return Err(CliError::RecordUnsealed { path }),
        Err(Broken::Mismatch { recorded, computed }) => {
            return Err(CliError::RecordTampered {
                path,
                recorded,
                computed,
            });
        }
    };
    printer::line(&format!(
        "Verified: `{}` matches its seal (sha256 {digest}).",
        path.display()
    ));
    let (markdown_path, given) = match args.markdown {
        Some(m) => (m, true),
        None => (path.with_extension("md"), false),
    };
    if !given && !markdown_path.exists() {
        printer::line(&format!(
            "No Markdown rendering at `{}`: only the JSON was checked.",
            markdown_path.display()
        ));
        return Ok(ExitStatus::Success);
    }
    let markdown = std::fs::read_to_string(&markdown_path).map_err(|source| CliError::Read {
        path: markdown_path.clone(),
        source,
    })?;
    let expected = render(&path, value)?;
    if let Some(why) = difference(&expected, &markdown, &digest) {
        return Err(CliError::MarkdownDiffers {
            markdown: markdown_path,
            why,
        });
    }
    printer::line(&format!(
        "Verified: `{}` is the rendering of that record and quotes its seal.",
        markdown_path.display()
    ));
    Ok(ExitStatus::Success)
}

/// The Markdown recon renders for the record: a teardown record, or a report.
fn render(path: &Path, value: serde_json::Value) -> Result<String, CliError> {
    let not_a_record = |source| CliError::NotARecord {
        path: PathBuf::from(path),
        source,
    };
    if value.get("sweep").is_some() {
        let record: crate::teardown::Record =
            serde_json::from_value(value).map_err(not_a_record)?;
        Ok(crate::teardown::markdown(&record))
    } else {
        let report: crate::attest::Report = serde_json::from_value(value).map_err(not_a_record)?;
        Ok(crate::attest::markdown(&report))
    }
}

/// Why `found` is not `expected` (the first differing line), or `None` when they agree.
fn difference(expected: &str, found: &str, digest: &str) -> Option<String> {
    if !found.contains(digest) {
        return Some(format!("it does not quote the record's sha256 {digest}"));
    }
    if expected == found {
        return None;
    }
    let mut e = expected.lines();
    let mut f = found.lines();
    let mut line = 1;
    loop {
        match (e.next(), f.next()) {
            (Some(a), Some(b)) if a == b => line += 1,
            (Some(a), Some(b)) => {
                return Some(format!(
                    "line {line} reads `{b}` where the record renders `{a}`"
                ));
            }
            (Some(a), None) => return Some(format!("line {line} (`{a}`) is missing")),
            (None, Some(b)) => return Some(format!("line {line} (`{b}`) is not in the record")),
            (None, None) => return Some("the line endings differ".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::difference;

    #[test]
    fn the_first_differing_line_is_named() {
        let d = "abc";
        assert_eq!(difference("a\nabc\n", "a\nabc\n", d), None);
        assert_eq!(
            difference("a\nabc\nc\n", "a\nabc\nd\n", d).unwrap(),
            "line 3 reads `d` where the record renders `c`"
        );
        assert!(difference("a\n", "b\n", d).unwrap().contains("sha256 abc"));
    }
}

#[cfg(test)]
mod record_tests {
    use crate::args::VerifyRecordArgs;
    use crate::teardown;

    fn verify(path: &std::path::Path) -> Result<crate::ExitStatus, crate::CliError> {
        super::run(VerifyRecordArgs {
            record: path.to_owned(),
            markdown: None,
        })
    }

    #[test]
    fn a_written_record_verifies_and_a_one_character_edit_to_either_file_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("irb.json");
        let mut record = teardown::tests::irb_record();
        let md_path = teardown::write(&mut record, &path).unwrap();
        assert!(verify(&path).is_ok());

        let json = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, json.replacen("fs-1", "fs-2", 1)).unwrap();
        assert!(matches!(
            verify(&path),
            Err(crate::CliError::RecordTampered { .. })
        ));
        std::fs::write(&path, &json).unwrap();

        let md = std::fs::read_to_string(&md_path).unwrap();
        std::fs::write(&md_path, md.replacen("remains", "deleted", 1)).unwrap();
        match verify(&path) {
            Err(crate::CliError::MarkdownDiffers { why, .. }) => {
                assert!(why.contains("deleted"), "{why}")
            }
            other => panic!("{other:?}"),
        }
    }
}
