//! Several environments from one file: `specs/platform.yaml` written out for each of its
//! environments, `for_each` instances and `[*]` lists, values from `--values` and `--set`, and
//! diagnostics that point at the template and name the instance.

use std::path::{Path, PathBuf};

use recon_model::{Address, Spec, Value};
use recon_spec::{Inputs, Parsed, SourceFile};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn platform() -> SourceFile {
    let name = "specs/platform.yaml";
    SourceFile {
        name: name.into(),
        text: std::fs::read_to_string(repo_root().join(name)).unwrap(),
    }
}

fn inputs(env: &str, set: &[&str]) -> Inputs {
    Inputs {
        env: Some(env.into()),
        values: None,
        set: set.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn parse(file: &SourceFile, inputs: &Inputs) -> Parsed {
    recon_spec::parse_with(file, inputs).unwrap_or_else(|e| {
        panic!(
            "{e}: {:#?}",
            e.diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()
        )
    })
}

fn addresses(spec: &Spec) -> Vec<String> {
    spec.resources
        .iter()
        .map(|r| r.address.to_string())
        .collect()
}

fn attr<'s>(spec: &'s Spec, address: &str, field: &str) -> &'s Value {
    let address: Address = address.parse().unwrap();
    let r = spec
        .resources
        .iter()
        .find(|r| r.address == address)
        .unwrap_or_else(|| panic!("no {address}"));
    r.attrs
        .get(field)
        .unwrap_or_else(|| panic!("{address} has no {field}"))
}

fn refs(v: &Value) -> Vec<String> {
    v.as_list()
        .iter()
        .map(|i| match i {
            Value::Ref(r) => r.address.to_string(),
            other => panic!("not a reference: {other:?}"),
        })
        .collect()
}

#[test]
fn each_environment_is_its_own_recon_environment() {
    let file = platform();
    let prod = parse(&file, &inputs("prod", &[]));
    let staging = parse(&file, &inputs("staging", &[]));
    let dev = parse(&file, &inputs("dev", &[]));
    assert_eq!(prod.spec.environment, "platform-prod");
    assert_eq!(staging.spec.environment, "platform-staging");
    assert_eq!(dev.spec.environment, "platform-dev");
    assert_eq!(prod.spec.resources.len(), 20);
    assert_eq!(staging.spec.resources.len(), 15);
    assert_eq!(dev.spec.resources.len(), 10);
    assert_eq!(staging.spec.tags["stage"], "staging");

    assert_eq!(
        addresses(&staging.spec),
        [
            "vpc.main",
            "subnet.public[us-east-1a]",
            "subnet.public[us-east-1b]",
            "subnet.private[us-east-1a]",
            "subnet.private[us-east-1b]",
            "internet_gateway.main",
            "route_table.public",
            "elastic_ip.nat[us-east-1a]",
            "elastic_ip.nat[us-east-1b]",
            "nat_gateway.az[us-east-1a]",
            "nat_gateway.az[us-east-1b]",
            "route_table.private[us-east-1a]",
            "route_table.private[us-east-1b]",
            "security_group.egress_only",
            "security_group.database",
        ]
    );
    let s = &staging.spec;
    assert_eq!(
        attr(s, "vpc.main", "cidr_block"),
        &Value::str("10.20.0.0/16")
    );
    assert_eq!(
        attr(s, "subnet.public[us-east-1b]", "cidr_block"),
        &Value::str("10.20.1.0/24")
    );
    assert_eq!(
        attr(s, "subnet.private[us-east-1b]", "cidr_block"),
        &Value::str("10.20.129.0/24")
    );
    assert_eq!(
        attr(s, "subnet.private[us-east-1b]", "availability_zone"),
        &Value::str("us-east-1b")
    );
    // `subnet.public[*]` is every public subnet; each NAT gateway is in its zone's.
    assert_eq!(
        refs(attr(s, "route_table.public", "subnets")),
        ["subnet.public[us-east-1a]", "subnet.public[us-east-1b]"]
    );
    assert_eq!(
        attr(s, "nat_gateway.az[us-east-1b]", "subnet"),
        &Value::Ref(recon_model::Reference::id(
            "subnet.public[us-east-1b]".parse().unwrap()
        ))
    );
    // The database admits the port from each client block: one rule per block.
    let ingress = attr(s, "security_group.database", "ingress").as_list();
    assert_eq!(ingress.len(), 1);
    assert_eq!(ingress[0].as_map().unwrap()["ports"], Value::str("5432"));
    assert_eq!(
        ingress[0].as_map().unwrap()["from"],
        Value::str("10.20.0.0/16")
    );
    assert_eq!(
        attr(&prod.spec, "security_group.database", "ingress")
            .as_list()
            .len(),
        2
    );
    assert!(
        attr(&dev.spec, "security_group.database", "ingress")
            .as_list()
            .is_empty()
    );

    // The run's values are recorded, for the plan.
    assert_eq!(staging.instance.env.as_deref(), Some("staging"));
    assert_eq!(
        staging.instance.parameters["azs"],
        serde_json::json!(["us-east-1a", "us-east-1b"])
    );
    assert_eq!(
        staging.instance.parameters["db_port"],
        serde_json::json!(5432)
    );
}

#[test]
fn dev_shares_one_nat_gateway_and_set_overrides_the_file() {
    let file = platform();
    let dev = parse(&file, &inputs("dev", &["azs=[us-east-1a, us-east-1b]"]));
    let nats: Vec<String> = addresses(&dev.spec)
        .into_iter()
        .filter(|a| a.starts_with("nat_gateway."))
        .collect();
    assert_eq!(nats, ["nat_gateway.az[us-east-1a]"]);
    let route = &attr(&dev.spec, "route_table.private[us-east-1b]", "routes").as_list()[0];
    assert_eq!(
        route.as_map().unwrap()["nat_gateway"],
        Value::Ref(recon_model::Reference::id(
            "nat_gateway.az[us-east-1a]".parse().unwrap()
        ))
    );

    let staging = parse(
        &file,
        &inputs("staging", &["nat_per_az=false", "db_port=6432"]),
    );
    assert_eq!(staging.spec.resources.len(), 13);
    assert_eq!(
        staging.instance.parameters["nat_per_az"],
        serde_json::json!(false)
    );
    let ingress = attr(&staging.spec, "security_group.database", "ingress").as_list();
    assert_eq!(ingress[0].as_map().unwrap()["ports"], Value::str("6432"));
}

#[test]
fn a_values_file_sits_between_the_environment_and_set() {
    let file = platform();
    let values = SourceFile {
        name: "values.yaml".into(),
        text: "cidr: 10.99.0.0/16\ndb_port: 1\n".into(),
    };
    let inputs = Inputs {
        env: Some("prod".into()),
        values: Some(values),
        set: vec!["db_port=2".into()],
    };
    let prod = parse(&file, &inputs);
    assert_eq!(
        attr(&prod.spec, "vpc.main", "cidr_block"),
        &Value::str("10.99.0.0/16")
    );
    assert_eq!(prod.instance.parameters["db_port"], serde_json::json!(2));

    let bad = SourceFile {
        name: "values.yaml".into(),
        text: "cidr: 10.99.0.1/16\n".into(),
    };
    let errors = recon_spec::parse_with(
        &file,
        &Inputs {
            env: Some("prod".into()),
            values: Some(bad),
            set: vec![],
        },
    )
    .unwrap_err();
    assert_eq!(errors.diagnostics.len(), 1);
    let d = &errors.diagnostics[0];
    assert_eq!((d.file(), d.line_col()), ("values.yaml", (1, 7)));
    assert!(d.message.contains("host bits"), "{}", d.message);
}

#[test]
fn a_mistake_in_a_template_points_at_its_line_and_names_the_instance() {
    let file = platform();
    let text = file.text.replace(
        "    map_public_ip_on_launch: true\n",
        "    map_public_ip_on_launch: ${each.value}\n",
    );
    let line = text
        .lines()
        .position(|l| l.contains("map_public_ip_on_launch: ${each.value}"))
        .unwrap()
        + 1;
    let file = SourceFile { text, ..file };
    let errors = recon_spec::parse_with(&file, &inputs("prod", &[])).unwrap_err();
    assert_eq!(errors.diagnostics.len(), 1, "{errors:?}");
    let d = &errors.diagnostics[0];
    assert_eq!(d.line_col(), (line, 30));
    assert_eq!(
        d.message,
        "subnet.public[us-east-1a].map_public_ip_on_launch: expected a boolean, found \"us-east-1a\" (and in 2 more instances)"
    );
}

#[test]
fn without_environments_env_is_refused_and_with_them_required() {
    let file = platform();
    let errors = recon_spec::parse_with(&file, &Inputs::default()).unwrap_err();
    assert!(
        errors.diagnostics[0]
            .message
            .contains("choose one with `--env`")
    );
    let errors = recon_spec::parse_with(&file, &inputs("qa", &[])).unwrap_err();
    assert_eq!(
        errors.diagnostics[0].help.as_deref(),
        Some("this file defines `prod`, `staging` and `dev`")
    );
    let network = SourceFile {
        name: "specs/network.yaml".into(),
        text: std::fs::read_to_string(repo_root().join("specs/network.yaml")).unwrap(),
    };
    assert!(recon_spec::parse_with(&network, &Inputs::default()).is_ok());
    assert!(recon_spec::parse_with(&network, &inputs("prod", &[])).is_err());
}
