//! The bad-spec corpus (`tests/bad-specs/` at the repository root): one mistake per file, each
//! file's first line naming the diagnostic code it must produce (`# expect: host_bits`).
//! The rendered diagnostics are snapshots, so a change in wording is reviewed like code.

use std::path::{Path, PathBuf};

use recon_spec::{Code, Inputs, SourceFile, SpecErrors};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus() -> Vec<(String, String)> {
    let dir = repo_root().join("tests/bad-specs");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            let name = format!(
                "tests/bad-specs/{}",
                p.file_name().unwrap().to_string_lossy()
            );
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

fn render(errors: &SpecErrors) -> String {
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, errors)
        .unwrap();
    out
}

/// What a `# with: --env NAME --set a=b` line asks of the run.
fn inputs(text: &str) -> Inputs {
    let mut inputs = Inputs::default();
    let Some(line) = text.lines().find_map(|l| l.strip_prefix("# with: ")) else {
        return inputs;
    };
    let mut words = line.split_whitespace();
    while let Some(flag) = words.next() {
        let value = words.next().expect("a value after each flag").to_owned();
        match flag {
            "--env" => inputs.env = Some(value),
            "--set" => inputs.set.push(value),
            other => panic!("unknown flag {other} in `# with:`"),
        }
    }
    inputs
}

/// `# expect:`, the description, and `# with:` if there is one.
fn header_lines(text: &str) -> usize {
    2 + usize::from(text.lines().any(|l| l.starts_with("# with: ")))
}

fn parse_err(name: &str, text: &str) -> SpecErrors {
    let file = SourceFile {
        name: name.to_owned(),
        text: text.to_owned(),
    };
    match recon_spec::parse_with(&file, &inputs(text)).map(|p| p.spec) {
        Ok(spec) => panic!("{name} parsed without errors: {spec:#?}"),
        Err(e) => e,
    }
}

#[test]
fn every_bad_spec_is_reported_at_its_mistake() {
    let corpus = corpus();
    assert!(corpus.len() >= 18, "only {} bad specs", corpus.len());
    for (name, text) in &corpus {
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{name}: first line must be `# expect: <code>`"));
        let errors = parse_err(name, text);
        let codes: Vec<String> = errors
            .diagnostics
            .iter()
            .map(|d| d.code.name().to_owned())
            .collect();
        assert_eq!(codes, [expect], "{name}: one mistake, one diagnostic");
        let rendered = render(&errors);
        let (line, col) = errors.diagnostics[0].line_col();
        // A value given with `--set` is shown in the argument itself.
        let file = errors.diagnostics[0].file();
        assert!(
            rendered.contains(&format!("{file}:{line}:{col}")),
            "{name}: no `file:line:col` in\n{rendered}"
        );
        // Points at a value, not at the top of the document (the comment lines).
        assert!(
            line > header_lines(text) || expect == "missing_field" || file == "--set",
            "{name}: points at line {line}"
        );
        let snapshot = name
            .trim_start_matches("tests/bad-specs/")
            .trim_end_matches(".yaml");
        insta::assert_snapshot!(snapshot, rendered);
    }
}

#[test]
fn the_corpus_covers_every_code() {
    let corpus = corpus();
    let expected: Vec<&str> = corpus
        .iter()
        .filter_map(|(_, t)| t.lines().next()?.strip_prefix("# expect: "))
        .collect();
    for code in Code::ALL {
        assert!(
            expected.contains(&code.name()),
            "no bad spec produces {code}"
        );
    }
}

#[test]
fn several_mistakes_are_reported_together() {
    let name = "crates/recon-spec/tests/several-mistakes.yaml";
    let text = std::fs::read_to_string(repo_root().join(name)).unwrap();
    let errors = parse_err(name, &text);
    let found: Vec<(Code, usize)> = errors
        .diagnostics
        .iter()
        .map(|d| (d.code, d.line_col().0))
        .collect();
    assert_eq!(
        found,
        [
            (Code::UnknownField, 4),
            (Code::WrongType, 6),
            (Code::Check, 8),
            (Code::HostBits, 9),
            (Code::DanglingReference, 10),
            (Code::UnknownField, 11),
            (Code::Cycle, 14),
        ]
    );
    let rendered = render(&errors);
    assert!(
        rendered.starts_with("  × 7 errors in crates/recon-spec/tests/several-mistakes.yaml"),
        "{rendered}"
    );
    insta::assert_snapshot!("several-mistakes", rendered);
}
