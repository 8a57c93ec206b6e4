//! The JSON Schema of the spec language (`recon schema`): every spec recon ships validates
//! against it, mistakes it can see do not, and `docs/recon.schema.json` is what it generates.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&recon_spec::json_schema()).expect("the schema is a valid schema")
}

/// YAML to JSON as an editor's YAML language server sees it (YAML 1.2: `yes` is text), and
/// as the parser reads it.
fn yaml_to_json(text: &str) -> Json {
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options(text, options).unwrap_or_else(|e| panic!("not YAML: {e}"))
}

fn schema_errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    let instance = yaml_to_json(text);
    validator
        .iter_errors(&instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let path = root().join("docs/recon.schema.json");
    let committed: Json = serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .expect("docs/recon.schema.json is JSON");
    assert!(
        committed == recon_spec::json_schema(),
        "docs/recon.schema.json is out of date; regenerate it with\n\n    cargo run -q -p recon -- schema > docs/recon.schema.json\n"
    );
}

#[test]
fn every_shipped_spec_validates_and_points_editors_at_the_schema() {
    let validator = validator();
    let specs = yaml_files(&root().join("specs"));
    assert!(specs.len() >= 3, "{specs:?}");
    for path in specs {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(
            text.starts_with("# yaml-language-server: $schema=../docs/recon.schema.json\n"),
            "specs/{name} should start with `# yaml-language-server: $schema=../docs/recon.schema.json`"
        );
        let errors = schema_errors(&validator, &text);
        assert!(errors.is_empty(), "specs/{name}:\n{}", errors.join("\n"));
        // And the parser agrees that it is valid.
        let file = recon_spec::SourceFile {
            name: name.to_string(),
            text,
        };
        // A file of several environments: each of them.
        let envs: Vec<Option<String>> = match file.text.split_once("\nenvironments:\n") {
            Some((_, rest)) => rest
                .lines()
                .take_while(|l| l.starts_with("  ") || l.is_empty())
                .filter_map(|l| l.trim().split_once(':').map(|(k, _)| Some(k.to_owned())))
                .collect(),
            None => vec![None],
        };
        for env in envs {
            let inputs = recon_spec::Inputs {
                env,
                ..recon_spec::Inputs::default()
            };
            recon_spec::parse_with(&file, &inputs)
                .unwrap_or_else(|e| panic!("{:?}", miette::Report::new(e)));
        }
    }
}

/// The catalog's template validates, and parses with each of its projects' values files.
#[test]
fn the_catalog_template_validates_with_each_project() {
    let validator = validator();
    let dir = root().join("specs/catalog");
    let text = std::fs::read_to_string(dir.join("project.yaml")).unwrap();
    assert!(text.starts_with("# yaml-language-server: $schema=../../docs/recon.schema.json\n"));
    let errors = schema_errors(&validator, &text);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let file = recon_spec::SourceFile {
        name: "specs/catalog/project.yaml".into(),
        text,
    };
    let projects = yaml_files(&dir.join("projects"));
    assert!(projects.len() >= 2, "{projects:?}");
    let mut environments = Vec::new();
    for values in projects {
        let inputs = recon_spec::Inputs {
            values: Some(recon_spec::SourceFile {
                name: values.display().to_string(),
                text: std::fs::read_to_string(&values).unwrap(),
            }),
            ..recon_spec::Inputs::default()
        };
        let parsed = recon_spec::parse_with(&file, &inputs)
            .unwrap_or_else(|e| panic!("{:?}", miette::Report::new(e)));
        environments.push(parsed.spec.environment);
    }
    environments.dedup();
    assert_eq!(environments, ["project-alpha", "project-beta"]);
}

#[test]
fn the_docs_yaml_examples_validate() {
    let validator = validator();
    let docs = std::fs::read_to_string(root().join("docs/spec.md")).unwrap();
    let mut examples = 0;
    for block in docs.split("```yaml\n").skip(1) {
        let example = &block[..block.find("```").expect("a closed block")];
        let errors = schema_errors(&validator, example);
        assert!(errors.is_empty(), "{example}\n{}", errors.join("\n"));
        examples += 1;
    }
    assert!(examples >= 1);
}

#[test]
fn templates_numbers_and_empty_resources_validate_where_the_parser_takes_them() {
    let text = r#"
environment: t
region: eu-west-2
tags: { project: 117, billed: true }
resources:
  vpc.main: { cidr_block: 10.0.0.0/16 }
  elastic_ip.nat:
  internet_gateway.main: {}
  security_group.web:
    vpc: vpc.main
    description: "web of ${vpc.main.id}"
    ingress:
      - { protocol: tcp, ports: 443, from: 0.0.0.0/0 }
      - { protocol: tcp, ports: 1000-2000, from: security_group.other }
  security_group.other: { vpc: vpc.main, description: 1.10 }
  launch_template.x: { user_data: "mount ${efs_file_system.data.id}:/ /data" }
  efs_file_system.data: { depends_on: [internet_gateway.main] }
"#;
    let errors = schema_errors(&validator(), text);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn unknown_fields_and_wrong_types_fail() {
    let validator = validator();
    let cases = [
        (
            "an unknown field",
            "vpc.main: { cidr_block: 10.0.0.0/16, cidr: 10.0.0.0/8 }",
        ),
        (
            "a wrong type",
            "vpc.main: { cidr_block: 10.0.0.0/16, enable_dns_support: yes }",
        ),
        (
            "a number out of range",
            "kms_key.k: { deletion_window_days: 3 }",
        ),
        (
            "a word not listed",
            "vpc.main: { cidr_block: 10.0.0.0/16, instance_tenancy: host }",
        ),
        ("not a CIDR block", "vpc.main: { cidr_block: 10.0.0.0 }"),
        (
            "a reference of the wrong kind",
            "subnet.a: { vpc: subnet.b, cidr_block: 10.0.0.0/24 }",
        ),
        (
            "a template where an address goes",
            "subnet.a: { vpc: \"${vpc.main.id}\", cidr_block: 10.0.0.0/24 }",
        ),
        ("a missing required field", "subnet.a: { vpc: vpc.main }"),
        ("null for a kind with required fields", "vpc.main:"),
        ("an unknown kind", "vpx.main: {}"),
        ("a bad name", "vpc.1st: { cidr_block: 10.0.0.0/16 }"),
        (
            "a bad port",
            "security_group.a: { vpc: vpc.main, ingress: [{ protocol: tcp, ports: 70000, from: 0.0.0.0/0 }] }",
        ),
        (
            "a reserved tag",
            "vpc.main: { cidr_block: 10.0.0.0/16, tags: { \"aws:x\": y } }",
        ),
        (
            "an item twice in a set",
            "route_table.a: { vpc: vpc.main, subnets: [subnet.a, subnet.a] }",
        ),
        (
            "depends_on not a list",
            "vpc.main: { cidr_block: 10.0.0.0/16, depends_on: vpc.other }",
        ),
    ];
    for (what, resource) in cases {
        let text = format!("environment: t\nregion: us-east-1\nresources:\n  {resource}\n");
        assert!(
            !schema_errors(&validator, &text).is_empty(),
            "the schema accepts {what}:\n{text}"
        );
    }
    let top = [
        (
            "an unknown top-level key",
            "environment: t\nregion: us-east-1\nresources: {}\nextra: 1\n",
        ),
        ("no region", "environment: t\nresources: {}\n"),
        (
            "a bad environment name",
            "environment: Lab_1\nregion: us-east-1\nresources: {}\n",
        ),
        (
            "a zone for a region",
            "environment: t\nregion: us-east-1a\nresources: {}\n",
        ),
    ];
    for (what, text) in top {
        assert!(
            !schema_errors(&validator, text).is_empty(),
            "the schema accepts {what}:\n{text}"
        );
    }
}

/// The bad-spec corpus: the mistakes a schema can see (shapes, not meaning) fail it too. The
/// others (host bits, dangling references, a backwards port range, a kind's own checks, cycles)
/// are `recon validate`'s to find.
#[test]
fn the_schema_rejects_the_bad_specs_it_can_see() {
    let validator = validator();
    let visible = [
        "02-missing-environment.yaml",
        "03-missing-region.yaml",
        "04-missing-resources.yaml",
        "05-unknown-top-level-key.yaml",
        "06-bad-environment-name.yaml",
        "07-unknown-kind.yaml",
        "08-bad-resource-name.yaml",
        "10-unknown-field.yaml",
        "11-missing-required-field.yaml",
        "12-wrong-type.yaml",
        "13-invalid-enum.yaml",
        "14-invalid-cidr.yaml",
        "17-wrong-kind-reference.yaml",
        "23-duplicate-set-item.yaml",
        "31-region-is-a-zone.yaml",
        "32-resource-not-a-mapping.yaml",
        "33-reserved-tag.yaml",
    ];
    for name in visible {
        let text = std::fs::read_to_string(root().join("tests/bad-specs").join(name)).unwrap();
        assert!(
            !schema_errors(&validator, &text).is_empty(),
            "the schema accepts tests/bad-specs/{name}"
        );
    }
}
