//! The example spec `specs/network.yaml` parses, and means what its comments say.

use std::path::Path;

use recon_model::{Address, Reference, Spec, Value};
use recon_spec::SourceFile;

fn network() -> Spec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/network.yaml");
    let file = SourceFile {
        name: "specs/network.yaml".into(),
        text: std::fs::read_to_string(path).unwrap(),
    };
    recon_spec::parse(&file).unwrap_or_else(|e| panic!("{:?}", miette::Report::new(e)))
}

fn get<'s>(spec: &'s Spec, address: &str) -> &'s recon_model::Attrs {
    &spec
        .get(&address.parse().unwrap())
        .unwrap_or_else(|| panic!("no {address}"))
        .attrs
}

fn reference(address: &str) -> Value {
    Value::Ref(Reference::id(address.parse().unwrap()))
}

#[test]
fn the_network_example_parses() {
    let spec = network();
    assert_eq!(spec.environment, "network-demo");
    assert_eq!(spec.region, "us-east-1");
    assert_eq!(spec.tags["project"], "irb-2023-117");
    let addresses: Vec<String> = spec
        .resources
        .iter()
        .map(|r| r.address.to_string())
        .collect();
    assert_eq!(
        addresses,
        [
            "vpc.main",
            "subnet.public",
            "subnet.private",
            "internet_gateway.main",
            "route_table.public",
            "elastic_ip.nat",
            "nat_gateway.main",
            "route_table.private",
            "security_group.bastion",
            "security_group.compute",
        ]
    );
}

#[test]
fn the_nat_gateway_is_in_the_public_subnet() {
    let spec = network();
    let nat = get(&spec, "nat_gateway.main");
    assert_eq!(nat["subnet"], reference("subnet.public"));
    assert_eq!(nat["elastic_ip"], reference("elastic_ip.nat"));
    assert_eq!(nat["connectivity_type"], Value::str("public"));
    assert_eq!(
        get(&spec, "subnet.public")["map_public_ip_on_launch"],
        Value::Bool(true)
    );
    assert_eq!(
        get(&spec, "subnet.private")["map_public_ip_on_launch"],
        Value::Bool(false)
    );

    let private = get(&spec, "route_table.private");
    let route = private["routes"].as_list()[0].as_map().unwrap().clone();
    assert_eq!(route["destination"], Value::str("0.0.0.0/0"));
    assert_eq!(route["nat_gateway"], reference("nat_gateway.main"));
    assert_eq!(
        private["subnets"],
        Value::List(vec![reference("subnet.private")])
    );
}

#[test]
fn compute_allows_nfs_and_ssh_from_the_bastion() {
    let spec = network();
    let compute = get(&spec, "security_group.compute");
    let ingress = compute["ingress"].as_list();
    assert_eq!(ingress.len(), 5);
    let ports: Vec<&str> = ingress
        .iter()
        .map(|r| r.as_map().unwrap()["ports"].as_str().unwrap())
        .collect();
    assert_eq!(ports, ["22", "80", "443", "2049", "22"]);
    assert_eq!(
        ingress[4].as_map().unwrap()["from"],
        reference("security_group.bastion")
    );
    let compute = spec
        .get(&"security_group.compute".parse::<Address>().unwrap())
        .unwrap();
    assert!(
        compute
            .dependencies()
            .contains(&"security_group.bastion".parse().unwrap())
    );
}
