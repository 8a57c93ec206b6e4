//! The review as a SARIF 2.1.0 log (<https://docs.oasis-open.org/sarif/sarif/v2.1.0/>), the
//! format code hosts read to show findings inline in a pull request.
//!
//! One run; the tool's driver lists every rule (with its default level); each finding is a
//! result at the offending value's region (columns in Unicode code points, as
//! `columnKind: unicodeCodePoints` says), the spec's path as given as a relative URI. Silenced
//! findings are results too, with an `inSource` suppression whose justification is the reason.

use recon_review::{ALL, Finding, META, Review, Rule};
use recon_spec::{Code, Positions, SpecErrors};
use serde_json::{Value, json};

pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The project's home page, from the workspace's `repository` (SARIF's `informationUri` is an
/// absolute URI; the driver leaves it out while the workspace names none).
const HOME: &str = env!("CARGO_PKG_REPOSITORY");

fn rule(r: &Rule) -> Value {
    json!({
        "id": r.id,
        "shortDescription": { "text": r.summary },
        "help": { "text": r.help },
        "defaultConfiguration": { "level": r.severity.as_str() },
    })
}

/// A relative path as a URI reference: `/` separators, reserved characters escaped.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for c in path.replace('\\', "/").chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '.' | '_' | '~' | '/' => out.push(c),
            c => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

fn result(rules: &[&Rule], positions: &Positions, f: &Finding, reason: Option<&str>) -> Value {
    let r = positions.region(positions.span(&f.address, &f.path));
    let mut result = json!({
        "ruleId": f.rule,
        "level": f.severity.as_str(),
        "message": { "text": format!("{} ({})", f.message, f.help) },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri(positions.file()) },
                "region": {
                    "startLine": r.start_line,
                    "startColumn": r.start_column,
                    "endLine": r.end_line,
                    "endColumn": r.end_column,
                },
            },
            "logicalLocations": [{ "fullyQualifiedName": f.address.to_string(), "kind": "resource" }],
        }],
    });
    if let Some(index) = rules.iter().position(|r| r.id == f.rule) {
        result["ruleIndex"] = json!(index);
    }
    if let Some(reason) = reason {
        result["suppressions"] = json!([{ "kind": "inSource", "justification": reason }]);
    }
    result
}

/// The SARIF log of a spec that did not parse: each diagnostic a result at its region, its
/// code (`recon::spec::unknown_field`) as the rule, so a typo shows inline like a finding.
pub fn render_spec_errors(errors: &SpecErrors) -> Value {
    let codes: Vec<Code> = Code::ALL
        .iter()
        .copied()
        .filter(|c| errors.diagnostics.iter().any(|d| d.code == *c))
        .collect();
    let rules: Vec<Value> = codes
        .iter()
        .map(|c| {
            json!({
                "id": c.to_string(),
                "shortDescription": { "text": format!("The spec does not parse: {}", c.name().replace('_', " ")) },
                "defaultConfiguration": { "level": "error" },
            })
        })
        .collect();
    let results: Vec<Value> = errors
        .diagnostics
        .iter()
        .map(|d| {
            let r = d.region();
            let text = match &d.help {
                Some(help) => format!("{} ({help})", d.message),
                None => d.message.clone(),
            };
            json!({
                "ruleId": d.code.to_string(),
                "ruleIndex": codes.iter().position(|c| *c == d.code),
                "level": "error",
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&errors.file) },
                        "region": {
                            "startLine": r.start_line,
                            "startColumn": r.start_column,
                            "endLine": r.end_line,
                            "endColumn": r.end_column,
                        },
                    },
                }],
            })
        })
        .collect();
    log(json!(rules), results)
}

/// The SARIF log of one spec's review.
pub fn render(review: &Review, positions: &Positions) -> Value {
    let rules: Vec<&Rule> = ALL.iter().chain(META).copied().collect();
    let results: Vec<Value> = review
        .findings
        .iter()
        .map(|f| result(&rules, positions, f, None))
        .chain(
            review
                .silenced
                .iter()
                .map(|s| result(&rules, positions, &s.finding, Some(&s.reason))),
        )
        .collect();
    log(
        json!(rules.iter().map(|r| rule(r)).collect::<Vec<_>>()),
        results,
    )
}

/// One run of recon with these rules and results.
fn log(rules: Value, results: Vec<Value>) -> Value {
    let mut driver = json!({
        "name": "recon",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    if !HOME.is_empty() {
        driver["informationUri"] = json!(HOME);
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}
