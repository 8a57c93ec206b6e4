//! The conversions, one type at a time, through `parse` on small specs.

use recon_model::value::Part;
use recon_model::{Address, Kind, Reference, Value};

use crate::{Code, SourceFile, SpecDiagnostic, parse};

const HEAD: &str = "environment: test\nregion: us-east-1\nresources:\n";

fn spec(resources: &str) -> String {
    format!("{HEAD}{resources}")
}

fn ok(text: &str) -> recon_model::Spec {
    let file = SourceFile {
        name: "t.yaml".into(),
        text: text.into(),
    };
    match parse(&file) {
        Ok(spec) => spec,
        Err(e) => panic!(
            "unexpected errors: {:#?}",
            e.diagnostics
                .iter()
                .map(|d| (d.code, &d.message, &d.help))
                .collect::<Vec<_>>()
        ),
    }
}

fn errs(text: &str) -> Vec<SpecDiagnostic> {
    let file = SourceFile {
        name: "t.yaml".into(),
        text: text.into(),
    };
    match parse(&file) {
        Ok(spec) => panic!("parsed: {spec:#?}"),
        Err(e) => e.diagnostics,
    }
}

/// The single diagnostic a spec gives, with the text its span covers.
fn one_err(text: &str) -> (SpecDiagnostic, String) {
    let mut d = errs(text);
    assert_eq!(d.len(), 1, "{d:#?}");
    let d = d.remove(0);
    let covered = text[d.span.offset()..d.span.offset() + d.span.len()].to_owned();
    (d, covered)
}

fn attr(spec: &recon_model::Spec, address: &str, field: &str) -> Value {
    let address: Address = address.parse().unwrap();
    spec.get(&address)
        .unwrap_or_else(|| panic!("no {address}"))
        .attrs
        .get(field)
        .unwrap_or_else(|| panic!("no {field}"))
        .clone()
}

fn reference(address: &str) -> Value {
    Value::Ref(Reference::id(address.parse().unwrap()))
}

const VPC: &str = "  vpc.main: { cidr_block: 10.0.0.0/16 }\n";

fn sg_rule(rule: &str) -> String {
    spec(&format!(
        "{VPC}  security_group.a:\n    vpc: vpc.main\n    ingress: [ {rule} ]\n"
    ))
}

fn first_rule(s: &recon_model::Spec) -> Value {
    attr(s, "security_group.a", "ingress").as_list()[0].clone()
}

// Bool

#[test]
fn booleans_are_true_and_false_only() {
    let s = ok(&spec(
        "  vpc.main: { cidr_block: 10.0.0.0/16, enable_dns_hostnames: true }\n",
    ));
    assert_eq!(
        attr(&s, "vpc.main", "enable_dns_hostnames"),
        Value::Bool(true)
    );

    let (d, at) = one_err(&spec(
        "  vpc.main: { cidr_block: 10.0.0.0/16, enable_dns_hostnames: yes }\n",
    ));
    assert_eq!(d.code, Code::WrongType);
    assert_eq!(
        d.message,
        r#"vpc.main.enable_dns_hostnames: expected a boolean, found "yes""#
    );
    assert_eq!(at, "yes");
    assert!(d.help.unwrap().contains("`true` and `false`"));

    let (d, _) = one_err(&spec(
        "  vpc.main: { cidr_block: 10.0.0.0/16, enable_dns_hostnames: \"true\" }\n",
    ));
    assert_eq!(d.help.as_deref(), Some("remove the quotes"));
}

// String and templates

#[test]
fn strings_take_scalars_by_their_text() {
    let s = ok(&spec(&format!(
        "{VPC}  security_group.a: {{ vpc: vpc.main, description: 1.10 }}\n  security_group.b: {{ vpc: vpc.main, description: 'quoted: yes' }}\n"
    )));
    assert_eq!(
        attr(&s, "security_group.a", "description"),
        Value::str("1.10")
    );
    assert_eq!(
        attr(&s, "security_group.b", "description"),
        Value::str("quoted: yes")
    );
}

#[test]
fn a_string_with_a_reference_is_a_template() {
    let s = ok(&spec(&format!(
        "{VPC}  elastic_ip.a: {{}}\n  security_group.a:\n    vpc: vpc.main\n    description: \"in ${{vpc.main.id}} (${{vpc.main.cidr_block}}) via ${{elastic_ip.a.public_ip}}\"\n"
    )));
    let Value::Template(parts) = attr(&s, "security_group.a", "description") else {
        panic!("not a template")
    };
    assert_eq!(parts[0], Part::Text("in ".into()));
    assert_eq!(
        parts[1],
        Part::Ref(Reference::parse("vpc.main.id").unwrap())
    );
    assert_eq!(
        parts[3],
        Part::Ref(Reference::parse("vpc.main.cidr_block").unwrap())
    );
    assert_eq!(
        parts[5],
        Part::Ref(Reference::parse("elastic_ip.a.public_ip").unwrap())
    );
    // A template reference is a dependency.
    let sg = s.get(&"security_group.a".parse().unwrap()).unwrap();
    assert!(sg.dependencies().contains(&"elastic_ip.a".parse().unwrap()));
}

#[test]
fn template_references_are_checked() {
    let sg = |d: &str| {
        spec(&format!(
            "{VPC}  security_group.a:\n    vpc: vpc.main\n    description: \"{d}\"\n"
        ))
    };
    let (d, at) = one_err(&sg("x ${vpc.main.arn} y"));
    assert_eq!(d.code, Code::BadTemplate);
    assert_eq!(at, "${vpc.main.arn}");
    assert!(
        d.message.contains("has no attribute `arn`"),
        "{}",
        d.message
    );

    let (d, _) = one_err(&sg("${vpc.main.cidr_blok}"));
    assert_eq!(
        d.help.as_deref(),
        Some("did you mean `${vpc.main.cidr_block}`?")
    );

    let (d, at) = one_err(&sg("${vpc.mian.id}"));
    assert_eq!(d.code, Code::DanglingReference);
    assert_eq!(at, "${vpc.mian.id}");
    assert_eq!(d.help.as_deref(), Some("did you mean `vpc.main`?"));

    let (d, _) = one_err(&sg("${vpc.main.id"));
    assert_eq!(d.code, Code::BadTemplate);
    assert!(d.message.contains("unterminated"), "{}", d.message);

    let (d, _) = one_err(&sg("${efs.data.id}"));
    assert_eq!(d.code, Code::BadTemplate);
    assert!(
        d.message.contains("unknown resource kind `efs`"),
        "{}",
        d.message
    );

    let (d, _) = one_err(&sg("${security_group.a.id}"));
    assert_eq!(d.code, Code::BadTemplate);
    assert!(d.message.contains("itself"), "{}", d.message);
}

// Enum

#[test]
fn enums_take_their_words_only() {
    let s = ok(&sg_rule("{ protocol: udp, ports: 53, from: 10.0.0.0/16 }"));
    assert_eq!(
        first_rule(&s).as_map().unwrap()["protocol"],
        Value::str("udp")
    );

    let (d, at) = one_err(&sg_rule("{ protocol: TCP, ports: 53, from: 10.0.0.0/16 }"));
    assert_eq!(d.code, Code::InvalidEnum);
    assert_eq!(at, "TCP");
    assert_eq!(d.help.as_deref(), Some("did you mean `tcp`?"));
    assert_eq!(
        d.message,
        "security_group.a.ingress[0].protocol: `TCP` is not one of `tcp`, `udp`, `icmp` or `all`"
    );
}

// Cidr

#[test]
fn cidrs_are_canonical_ipv4_networks() {
    let (d, at) = one_err(&spec(
        "  vpc.main: { cidr_block: 10.0.0.0/16 }\n  subnet.a: { vpc: vpc.main, cidr_block: 10.0.1.7/24 }\n",
    ));
    assert_eq!(d.code, Code::HostBits);
    assert_eq!(at, "10.0.1.7/24");
    assert_eq!(d.help.as_deref(), Some("did you mean 10.0.1.0/24?"));

    let (d, _) = one_err(&spec("  vpc.main: { cidr_block: 10.0.0.0 }\n"));
    assert_eq!(d.code, Code::InvalidCidr);
    assert_eq!(
        d.help.as_deref(),
        Some("add a prefix length, e.g. `10.0.0.0/16`")
    );

    for bad in ["10.0.0.0/33", "10.0.0/16", "fd00::/8", "ten"] {
        let (d, _) = one_err(&spec(&format!("  vpc.main: {{ cidr_block: \"{bad}\" }}\n")));
        assert_eq!(d.code, Code::InvalidCidr, "{bad}");
    }
    let (d, _) = one_err(&spec("  vpc.main: { cidr_block: 16 }\n"));
    assert_eq!(d.code, Code::WrongType);
    assert_eq!(
        d.message,
        "vpc.main.cidr_block: expected a CIDR block, found 16"
    );
}

// Ref

#[test]
fn references_name_resources_of_the_right_kind() {
    let s = ok(&spec(&format!(
        "{VPC}  subnet.a: {{ vpc: vpc.main, cidr_block: 10.0.1.0/24 }}\n"
    )));
    assert_eq!(attr(&s, "subnet.a", "vpc"), reference("vpc.main"));

    let (d, at) = one_err(&spec(&format!(
        "{VPC}  subnet.private: {{ vpc: vpc.main, cidr_block: 10.0.1.0/24 }}\n  nat_gateway.n: {{ subnet: subnet.privat, connectivity_type: private }}\n"
    )));
    assert_eq!(d.code, Code::DanglingReference);
    assert_eq!(at, "subnet.privat");
    assert_eq!(
        d.message,
        "nat_gateway.n.subnet: no resource `subnet.privat`"
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `subnet.private`?"));

    let (d, _) = one_err(&spec(&format!(
        "{VPC}  subnet.x: {{ vpc: vpc.main, cidr_block: 10.0.1.0/24 }}\n  subnet.y: {{ vpc: subnet.x, cidr_block: 10.0.2.0/24 }}\n"
    )));
    assert_eq!(d.code, Code::WrongKind);
    assert_eq!(d.message, "subnet.y.vpc: expected a vpc, found subnet.x");
    assert_eq!(d.help.as_deref(), Some("vpcs in this spec: `vpc.main`"));
}

#[test]
fn near_miss_references_get_a_suggestion() {
    let subnet = |vpc: &str| {
        spec(&format!(
            "{VPC}  subnet.a: {{ vpc: \"{vpc}\", cidr_block: 10.0.1.0/24 }}\n"
        ))
    };
    let (d, _) = one_err(&subnet("main"));
    assert_eq!(d.code, Code::BadAddress);
    assert_eq!(d.help.as_deref(), Some("did you mean `vpc.main`?"));

    let (d, _) = one_err(&subnet("${vpc.main.id}"));
    assert_eq!(
        d.help.as_deref(),
        Some("write the address alone: `vpc.main`")
    );

    let (d, _) = one_err(&subnet("vpx.main"));
    assert_eq!(d.code, Code::UnknownKind);
    assert_eq!(d.help.as_deref(), Some("did you mean `vpc.main`?"));
}

// Ports

#[test]
fn ports_are_a_port_a_range_or_all() {
    for (given, canonical) in [
        ("22", "22"),
        ("0", "0"),
        ("65535", "65535"),
        ("\"443\"", "443"),
        ("1000-2000", "1000-2000"),
        ("8080-8080", "8080-8080"),
    ] {
        let s = ok(&sg_rule(&format!(
            "{{ protocol: tcp, ports: {given}, from: 10.0.0.0/16 }}"
        )));
        assert_eq!(
            first_rule(&s).as_map().unwrap()["ports"],
            Value::str(canonical),
            "{given}"
        );
    }
    let s = ok(&sg_rule("{ protocol: all, ports: all, from: 10.0.0.0/16 }"));
    assert_eq!(first_rule(&s).as_map().unwrap()["ports"], Value::str("all"));

    for bad in ["65536", "-1", "http", "1-2-3", "22.5", "[22]"] {
        let (d, _) = one_err(&sg_rule(&format!(
            "{{ protocol: tcp, ports: {bad}, from: 10.0.0.0/16 }}"
        )));
        assert!(
            matches!(d.code, Code::InvalidPorts | Code::WrongType),
            "{bad}: {d:?}"
        );
    }
    let (d, _) = one_err(&sg_rule(
        "{ protocol: tcp, ports: 2000-1000, from: 10.0.0.0/16 }",
    ));
    assert_eq!(d.help.as_deref(), Some("did you mean `1000-2000`?"));
}

// CidrOrRef

#[test]
fn a_peer_is_a_cidr_or_a_group() {
    let s = ok(&spec(&format!(
        "{VPC}  security_group.b: {{ vpc: vpc.main }}\n  security_group.a:\n    vpc: vpc.main\n    ingress:\n      - {{ protocol: tcp, ports: 22, from: security_group.b }}\n      - {{ protocol: tcp, ports: 22, from: 10.1.0.0/16 }}\n"
    )));
    let rules = attr(&s, "security_group.a", "ingress");
    assert_eq!(
        rules.as_list()[0].as_map().unwrap()["from"],
        reference("security_group.b")
    );
    assert_eq!(
        rules.as_list()[1].as_map().unwrap()["from"],
        Value::str("10.1.0.0/16")
    );

    let (d, _) = one_err(&sg_rule("{ protocol: tcp, ports: 22, from: 10.1.2.3/16 }"));
    assert_eq!(d.code, Code::HostBits);
    let (d, _) = one_err(&sg_rule("{ protocol: tcp, ports: 22, from: vpc.main }"));
    assert_eq!(d.code, Code::WrongKind);
    assert_eq!(
        d.message,
        "security_group.a.ingress[0].from: expected a CIDR block or a security_group, found vpc.main"
    );
}

// List and Set

#[test]
fn sets_refuse_duplicates_and_keep_file_order() {
    let s = ok(&spec(&format!(
        "{VPC}  subnet.b: {{ vpc: vpc.main, cidr_block: 10.0.2.0/24 }}\n  subnet.a: {{ vpc: vpc.main, cidr_block: 10.0.1.0/24 }}\n  route_table.r: {{ vpc: vpc.main, subnets: [subnet.b, subnet.a] }}\n"
    )));
    assert_eq!(
        attr(&s, "route_table.r", "subnets"),
        Value::List(vec![reference("subnet.b"), reference("subnet.a")])
    );

    let text = spec(&format!(
        "{VPC}  subnet.a: {{ vpc: vpc.main, cidr_block: 10.0.1.0/24 }}\n  route_table.r: {{ vpc: vpc.main, subnets: [subnet.a, subnet.a] }}\n"
    ));
    let (d, _) = one_err(&text);
    assert_eq!(d.code, Code::DuplicateItem);
    assert_eq!(d.span.offset(), text.rfind("subnet.a]").unwrap());
    assert_eq!(d.related_spans.len(), 1);
    assert_eq!(
        d.related_spans[0].offset(),
        text.rfind("subnet.a, ").unwrap()
    );

    // Rules are compared whole: the same rule twice is a duplicate, even if spelt differently.
    let (d, _) = one_err(&sg_rule(
        "{ protocol: tcp, ports: 22, from: 10.0.0.0/16 }, { protocol: tcp, ports: \"22\", from: 10.0.0.0/16 }",
    ));
    assert_eq!(d.code, Code::DuplicateItem);
    assert!(
        d.message.ends_with("item 1 is the same as item 0"),
        "{}",
        d.message
    );

    let (d, _) = one_err(&spec(&format!(
        "{VPC}  route_table.r: {{ vpc: vpc.main, subnets: subnet.a }}\n"
    )));
    assert_eq!(d.code, Code::WrongType);
    assert_eq!(d.help.as_deref(), Some("write a list, e.g. `[subnet.a]`"));

    let (d, _) = one_err(&spec(&format!(
        "{VPC}  route_table.r:\n    vpc: vpc.main\n    subnets:\n"
    )));
    assert_eq!(d.code, Code::WrongType);
    assert_eq!(
        d.help.as_deref(),
        Some("write `subnets: []` for an empty list, or remove it")
    );
}

// Object

#[test]
fn objects_check_their_keys() {
    let (d, at) = one_err(&sg_rule("{ protocol: tcp, port: 22, from: 10.0.0.0/16 }"));
    assert_eq!(d.code, Code::UnknownField);
    assert_eq!(at, "port");
    assert_eq!(
        d.message,
        "unknown field `port` in `security_group.a.ingress[0]`"
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `ports`?"));

    let text = sg_rule("{ protocol: tcp, ports: 22 }");
    let (d, at) = one_err(&text);
    assert_eq!(d.code, Code::MissingField);
    assert_eq!(at, "{ protocol: tcp, ports: 22 }");
    assert_eq!(
        d.message,
        "`security_group.a.ingress[0]` is missing the required field `from`"
    );

    // A misspelt required field is reported once, as the misspelling.
    let (d, _) = one_err(&sg_rule("{ protocol: tcp, ports: 22, fro: 10.0.0.0/16 }"));
    assert_eq!(d.code, Code::UnknownField);
    assert_eq!(d.help.as_deref(), Some("did you mean `from`?"));
}

#[test]
fn defaults_are_applied_inside_objects_too() {
    let s = ok(&sg_rule("{ protocol: all, from: 10.0.0.0/16 }"));
    assert_eq!(first_rule(&s).as_map().unwrap()["ports"], Value::str("all"));
    assert_eq!(
        attr(&s, "security_group.a", "description"),
        Value::str("Managed by recon")
    );
    assert_eq!(
        attr(&s, "security_group.a", "egress"),
        recon_model::kinds::security_group::default_egress()
    );
    assert_eq!(
        attr(&s, "vpc.main", "enable_dns_support"),
        Value::Bool(true)
    );
    assert_eq!(
        attr(&s, "vpc.main", "instance_tenancy"),
        Value::str("default")
    );
    // Computed and optional fields stay absent.
    let s = ok(&spec(&format!(
        "{VPC}  subnet.a: {{ vpc: vpc.main, cidr_block: 10.0.1.0/24 }}\n"
    )));
    let subnet = s.get(&"subnet.a".parse().unwrap()).unwrap();
    assert!(!subnet.attrs.contains_key("availability_zone"));
    assert!(!subnet.attrs.contains_key("tags"));
}

// Tags

#[test]
fn tags_are_text() {
    let s = ok(
        "environment: test\nregion: us-east-1\ntags: { project: irb-2023-117, cost_center: 1234, version: 1.10, public: false }\nresources:\n  vpc.main:\n    cidr_block: 10.0.0.0/16\n    tags: { Name: main-vpc }\n",
    );
    assert_eq!(s.tags["project"], "irb-2023-117");
    assert_eq!(s.tags["cost_center"], "1234");
    assert_eq!(s.tags["version"], "1.10");
    assert_eq!(s.tags["public"], "false");
    assert_eq!(
        attr(&s, "vpc.main", "tags"),
        Value::Map([("Name".to_owned(), Value::str("main-vpc"))].into())
    );

    let (d, _) = one_err(&spec(
        "  vpc.main:\n    cidr_block: 10.0.0.0/16\n    tags: { Name: }\n",
    ));
    assert_eq!(d.code, Code::WrongType);
    let (d, at) = one_err(&spec(
        "  vpc.main:\n    cidr_block: 10.0.0.0/16\n    tags: { \"aws:owner\": me }\n",
    ));
    assert_eq!(d.code, Code::InvalidValue);
    assert_eq!(
        at, "\"aws:owner\"",
        "a quoted scalar's span includes its quotes"
    );
    let (d, _) = one_err(&spec(
        "  vpc.main:\n    cidr_block: 10.0.0.0/16\n    tags: [a, b]\n",
    ));
    assert_eq!(d.code, Code::WrongType);
}

// Resources

#[test]
fn empty_bodies_mean_no_fields() {
    let s = ok(&spec(
        "  elastic_ip.a: {}\n  elastic_ip.b:\n  elastic_ip.c: ~\n",
    ));
    assert_eq!(s.resources.len(), 3);
    assert!(s.resources.iter().all(|r| r.attrs.is_empty()));

    let (d, at) = one_err(&spec("  vpc.main:\n"));
    assert_eq!(d.code, Code::MissingField);
    assert_eq!(at, "vpc.main");
}

#[test]
fn resources_keep_file_order_and_spec_values() {
    let s = ok(&spec(&format!(
        "  subnet.z: {{ vpc: vpc.main, cidr_block: 10.0.1.0/24 }}\n{VPC}  elastic_ip.a: {{}}\n"
    )));
    let order: Vec<String> = s.resources.iter().map(|r| r.address.to_string()).collect();
    assert_eq!(order, ["subnet.z", "vpc.main", "elastic_ip.a"]);
    assert_eq!(s.environment, "test");
    assert_eq!(s.region, "us-east-1");
    assert!(s.tags.is_empty());
}

#[test]
fn depends_on_lists_addresses() {
    let s = ok(&spec(&format!(
        "{VPC}  internet_gateway.main: {{ vpc: vpc.main }}\n  elastic_ip.a: {{ depends_on: [internet_gateway.main] }}\n"
    )));
    let eip = s.get(&"elastic_ip.a".parse().unwrap()).unwrap();
    assert_eq!(
        eip.depends_on,
        vec![Address::new(Kind::InternetGateway, "main")]
    );
    assert!(!eip.attrs.contains_key("depends_on"));

    let (d, _) = one_err(&spec("  elastic_ip.a: { depends_on: [elastic_ip.a] }\n"));
    assert!(d.message.contains("depends on itself"), "{}", d.message);
    let (d, _) = one_err(&spec("  elastic_ip.a: { depends_on: [elastic_ip.b] }\n"));
    assert_eq!(d.code, Code::DanglingReference);
    let (d, _) = one_err(&spec(
        "  elastic_ip.b: {}\n  elastic_ip.a: { depends_on: elastic_ip.b }\n",
    ));
    assert_eq!(d.code, Code::WrongType);
    assert_eq!(
        d.help.as_deref(),
        Some("write `depends_on: [elastic_ip.b]`")
    );
    let (d, _) = one_err(&spec("  elastic_ip.a: { depend_on: [] }\n"));
    assert_eq!(d.help.as_deref(), Some("did you mean `depends_on`?"));
}

#[test]
fn resource_keys_are_addresses() {
    let (d, at) = one_err(&spec("  vpx.main: { cidr_block: 10.0.0.0/16 }\n"));
    assert_eq!(d.code, Code::UnknownKind);
    assert_eq!(at, "vpx.main");
    assert_eq!(d.help.as_deref(), Some("did you mean `vpc`?"));

    let (d, _) = one_err(&spec("  vpc: { cidr_block: 10.0.0.0/16 }\n"));
    assert_eq!(d.code, Code::BadAddress);
    assert_eq!(d.help.as_deref(), Some("give it a name: `vpc.main`"));

    let text = spec(&format!("{VPC}{VPC}"));
    let (d, _) = one_err(&text);
    assert_eq!(d.code, Code::DuplicateKey);
    assert_eq!(d.span.offset(), text.rfind("vpc.main").unwrap());
    assert_eq!(d.related_spans[0].offset(), text.find("vpc.main").unwrap());
}

// The document

#[test]
fn top_level_keys_are_checked() {
    let (d, _) = one_err("environment: test\nregion: us-east-1\nresource:\n  elastic_ip.a: {}\n");
    assert_eq!(d.code, Code::UnknownField);
    assert_eq!(d.help.as_deref(), Some("did you mean `resources`?"));

    let (d, _) = one_err("environment: test\nregion: us-east-1\nresources: {}\nvpc.main: {}\n");
    assert_eq!(d.help.as_deref(), Some("resources go under `resources:`"));

    let d = errs("tags: {}\n");
    let codes: Vec<_> = d.iter().map(|d| (d.code, d.message.as_str())).collect();
    assert_eq!(
        codes,
        [
            (Code::MissingField, "the spec has no `environment`"),
            (Code::MissingField, "the spec has no `region`"),
            (Code::MissingField, "the spec has no `resources`"),
        ]
    );

    let (d, _) = one_err("- environment: test\n");
    assert_eq!(d.code, Code::WrongType);
}

#[test]
fn environment_names_are_tag_safe() {
    for good in ["a", "network-demo", "irb-2023-117", &"a".repeat(32)] {
        ok(&format!(
            "environment: {good}\nregion: us-east-1\nresources: {{}}\n"
        ));
    }
    for bad in ["Prod", "1env", "dev_1", "-x", "a b", &"a".repeat(33), "''"] {
        let (d, _) = one_err(&format!(
            "environment: {bad}\nregion: us-east-1\nresources: {{}}\n"
        ));
        assert_eq!(d.code, Code::InvalidValue, "{bad}");
    }
    let (d, _) = one_err("environment: 42\nregion: us-east-1\nresources: {}\n");
    assert_eq!(d.code, Code::WrongType);
}

#[test]
fn regions_look_like_regions() {
    for good in [
        "us-east-1",
        "eu-central-2",
        "us-gov-west-1",
        "ap-southeast-4",
    ] {
        ok(&format!(
            "environment: e\nregion: {good}\nresources: {{}}\n"
        ));
    }
    for bad in ["us-east-1a", "useast1", "US-EAST-1", "us-east-"] {
        let (d, _) = one_err(&format!("environment: e\nregion: {bad}\nresources: {{}}\n"));
        assert_eq!(d.code, Code::InvalidValue, "{bad}");
    }
}

#[test]
fn a_region_aws_does_not_have_is_refused_offline_with_a_suggestion() {
    let (d, _) = one_err("environment: e\nregion: us-east-9\nresources: {}\n");
    assert_eq!(d.code, Code::InvalidValue);
    assert_eq!(d.message, "`us-east-9` is not an AWS region");
    assert!(
        d.help.as_deref().is_some_and(|h| h.contains("`us-east-1`")),
        "{:?}",
        d.help
    );
    assert_eq!(d.line_col().0, 2);
}

#[test]
fn yaml_syntax_errors_are_one_diagnostic_with_a_position() {
    let (d, _) = one_err("environment: test\nregion: [us-east-1\nresources: {}\n");
    assert_eq!(d.code, Code::Syntax);
    assert!(d.message.starts_with("invalid YAML: "), "{}", d.message);
    assert!(d.line_col().0 >= 2, "{:?}", d.line_col());
}

// Kind checks and the graph

#[test]
fn kind_problems_point_at_the_path_or_its_nearest_ancestor() {
    let text = spec(&format!(
        "{VPC}  route_table.r:\n    vpc: vpc.main\n    routes:\n      - {{ destination: 0.0.0.0/0 }}\n"
    ));
    let (d, at) = one_err(&text);
    assert_eq!(d.code, Code::Check);
    assert_eq!(at, "{ destination: 0.0.0.0/0 }");
    assert_eq!(d.label, "no target");

    // `connectivity_type` is only a default here: the problem points at the resource.
    let (d, at) = one_err(&spec(&format!(
        "{VPC}  subnet.a: {{ vpc: vpc.main, cidr_block: 10.0.1.0/24 }}\n  nat_gateway.n: {{ subnet: subnet.a }}\n"
    )));
    assert_eq!(d.code, Code::Check);
    assert_eq!(at, "nat_gateway.n");
}

#[test]
fn kind_checks_do_not_repeat_a_value_error() {
    // The Elastic IP reference is wrong; "public NAT gateway has no elastic_ip" would repeat it.
    let d = errs(&spec(&format!(
        "{VPC}  subnet.a: {{ vpc: vpc.main, cidr_block: 10.0.1.0/24 }}\n  nat_gateway.n: {{ subnet: subnet.a, elastic_ip: elastic_ip.x }}\n"
    )));
    let codes: Vec<Code> = d.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::DanglingReference]);
}

#[test]
fn a_cycle_is_reported_once_with_its_path() {
    let text = spec(&format!(
        "{VPC}  security_group.a:\n    vpc: vpc.main\n    ingress: [ {{ protocol: tcp, ports: 22, from: security_group.b }} ]\n  security_group.b:\n    vpc: vpc.main\n    ingress: [ {{ protocol: tcp, ports: 22, from: security_group.c }} ]\n  security_group.c:\n    vpc: vpc.main\n    depends_on: [security_group.a]\n"
    ));
    let (d, at) = one_err(&text);
    assert_eq!(d.code, Code::Cycle);
    assert_eq!(
        d.message,
        "dependency cycle: security_group.a -> security_group.b -> security_group.c -> security_group.a"
    );
    assert_eq!(at, "security_group.b");
    assert_eq!(d.span.offset(), text.find("security_group.b }").unwrap());
    assert_eq!(d.related_spans.len(), 2);
}

#[test]
fn every_problem_in_a_file_is_reported_together_in_file_order() {
    let text = spec(&format!(
        "{VPC}  subnet.a: {{ vpc: vpc.main, cidr_block: 10.0.1.5/24, map_public_ip_on_launch: yes }}\n  subnet.b: {{ vpc: vpc.mian, cidr_block: 10.0.2.0/24 }}\n  vpx.c: {{}}\n  route_table.r: {{ vpc: vpc.main, subnets: [subnet.a], mian: true }}\n"
    ));
    let d = errs(&text);
    let codes: Vec<Code> = d.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        [
            Code::HostBits,
            Code::WrongType,
            Code::DanglingReference,
            Code::UnknownKind,
            Code::UnknownField
        ]
    );
    let lines: Vec<usize> = d.iter().map(|d| d.line_col().0).collect();
    assert_eq!(lines, [5, 5, 6, 7, 8]);
}

#[test]
fn errors_display_their_count_and_file() {
    let file = SourceFile {
        name: "specs/x.yaml".into(),
        text: "region: us-east-1\n".into(),
    };
    let e = parse(&file).unwrap_err();
    assert_eq!(e.to_string(), "2 errors in specs/x.yaml");
    assert_eq!(e.file, "specs/x.yaml");
    let file = SourceFile {
        name: "specs/y.yaml".into(),
        text: "environment: a\nregion: us-east-1\n".into(),
    };
    assert_eq!(
        parse(&file).unwrap_err().to_string(),
        "1 error in specs/y.yaml"
    );

    use miette::Diagnostic;
    let d = &parse(&file).unwrap_err().diagnostics[0];
    assert_eq!(d.code().unwrap().to_string(), "recon::spec::missing_field");
    assert!(d.source_code().is_some());
}

#[test]
fn anchors_aliases_and_merge_keys_work() {
    let s = ok(&spec(
        "  vpc.main: { cidr_block: 10.0.0.0/16 }\n  subnet.a: &subnet { vpc: vpc.main, cidr_block: 10.0.1.0/24, map_public_ip_on_launch: true }\n  subnet.b:\n    <<: *subnet\n    cidr_block: 10.0.2.0/24\n",
    ));
    assert_eq!(
        attr(&s, "subnet.b", "cidr_block"),
        Value::str("10.0.2.0/24")
    );
    assert_eq!(
        attr(&s, "subnet.b", "map_public_ip_on_launch"),
        Value::Bool(true)
    );
    assert_eq!(attr(&s, "subnet.b", "vpc"), reference("vpc.main"));
}

/// Whatever the input, parse returns: every prefix of the example and of each bad spec (cut at
/// every character) parses or fails without a panic, and every failure has a position in the
/// file.
#[test]
fn truncated_files_never_panic() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut texts = vec![std::fs::read_to_string(root.join("specs/network.yaml")).unwrap()];
    for entry in std::fs::read_dir(root.join("tests/bad-specs")).unwrap() {
        texts.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    texts.push("a: é\n  - [ {\n\u{feff}x: \"${\"\n".into());
    for text in &texts {
        for (cut, _) in text.char_indices().step_by(3) {
            let file = SourceFile {
                name: "cut.yaml".into(),
                text: text[..cut].to_owned(),
            };
            if let Err(e) = parse(&file) {
                assert!(!e.diagnostics.is_empty());
                for d in &e.diagnostics {
                    assert!(d.span.offset() + d.span.len() <= cut, "{d:?}");
                    assert!(file.text.is_char_boundary(d.span.offset()), "{d:?}");
                }
            }
        }
    }
}

#[test]
fn a_byte_order_mark_does_not_shift_positions() {
    let text = format!(
        "\u{feff}{}",
        spec("  vpc.main: { cidr_block: 10.0.0.0/61 }\n")
    );
    let (d, at) = one_err(&text);
    assert_eq!(at, "10.0.0.0/61");
    assert_eq!(d.line_col(), (4, 27));
}

#[test]
fn errors_can_travel_in_any_error_type() {
    fn assert_error<T: std::error::Error + miette::Diagnostic + Send + Sync + 'static>() {}
    assert_error::<crate::SpecErrors>();
    assert_error::<SpecDiagnostic>();
}

// Review annotations and positions

const SILENCED: &str = "  security_group.a:
    vpc: vpc.main
    ingress: [ { protocol: tcp, ports: 22, from: 0.0.0.0/0 } ]
    review:
      silence:
        - rule: net/admin-port-open
          reason: the bastion is the only way in
";

#[test]
fn review_annotations_are_kept_apart_from_the_values() {
    let file = SourceFile {
        name: "t.yaml".into(),
        text: spec(&format!("{VPC}{SILENCED}")),
    };
    let parsed = crate::parse_document(&file).unwrap();
    let sg: Address = "security_group.a".parse().unwrap();
    assert_eq!(
        parsed.silences,
        vec![recon_model::Silence {
            address: sg.clone(),
            rule: "net/admin-port-open".into(),
            reason: "the bastion is the only way in".into(),
        }]
    );
    assert!(!parsed.spec.get(&sg).unwrap().attrs.contains_key("review"));
    // Positions point at values, and at the nearest enclosing one for absent paths.
    let at = |path: &[&str]| {
        let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
        let span = parsed.positions.span(&sg, &path);
        file.text[span.offset()..span.offset() + span.len()].to_owned()
    };
    assert_eq!(at(&["ingress", "0", "from"]), "0.0.0.0/0");
    assert_eq!(
        at(&["ingress", "0", "nothing"]),
        "{ protocol: tcp, ports: 22, from: 0.0.0.0/0 }"
    );
    assert_eq!(
        at(&["review", "silence", "0", "rule"]),
        "net/admin-port-open"
    );
    let region = parsed.positions.region(
        parsed
            .positions
            .span(&sg, &["ingress".into(), "0".into(), "from".into()]),
    );
    assert_eq!((region.start_line, region.start_column), (7, 50));
    assert_eq!((region.end_line, region.end_column), (7, 59));
}

#[test]
fn a_silence_needs_a_reason() {
    let missing = SILENCED.replace("          reason: the bastion is the only way in\n", "");
    let (d, covered) = one_err(&spec(&format!("{VPC}{missing}")));
    assert_eq!(d.code, Code::MissingField);
    assert!(d.message.contains("`reason`"), "{}", d.message);
    assert_eq!(covered, "rule: net/admin-port-open");
    let empty = SILENCED.replace("the bastion is the only way in", "\"  \"");
    let (d, covered) = one_err(&spec(&format!("{VPC}{empty}")));
    assert_eq!(d.code, Code::InvalidValue);
    assert_eq!(covered, "\"  \"");
}

#[test]
fn a_misspelled_review_key_gets_a_suggestion() {
    let typo = SILENCED.replace("silence:", "silense:");
    let d = errs(&spec(&format!("{VPC}{typo}")));
    assert_eq!(d[0].code, Code::UnknownField, "{d:#?}");
    assert_eq!(d[0].help.as_deref(), Some("did you mean `silence`?"));
}

#[test]
fn intent_fields_are_values_but_not_attributes() {
    let subnet = "  subnet.a: { vpc: vpc.main, cidr_block: 10.0.1.0/24, tier: private }\n";
    let s = ok(&spec(&format!("{VPC}{subnet}")));
    assert_eq!(attr(&s, "subnet.a", "tier"), Value::str("private"));
    // Nothing can read `tier` from AWS, so a template cannot name it.
    let (d, _) = one_err(&spec(&format!(
        "{VPC}{subnet}  security_group.b: {{ vpc: vpc.main, description: \"${{subnet.a.tier}}\" }}\n"
    )));
    assert_eq!(d.code, Code::BadTemplate, "{d:#?}");
}

#[test]
fn two_mount_targets_of_one_file_system_in_one_zone_are_refused() {
    let base = "  vpc.main: { cidr_block: 10.0.0.0/16 }
  subnet.a: { vpc: vpc.main, cidr_block: 10.0.1.0/24, availability_zone: us-east-1a }
  subnet.a2: { vpc: vpc.main, cidr_block: 10.0.3.0/24, availability_zone: us-east-1a }
  subnet.b: { vpc: vpc.main, cidr_block: 10.0.2.0/24, availability_zone: us-east-1b }
  efs_file_system.data: {}
  efs_mount_target.one: { file_system: efs_file_system.data, subnet: subnet.a }
";
    let (d, covered) = one_err(&format!(
        "{HEAD}{base}  efs_mount_target.two: {{ file_system: efs_file_system.data, subnet: subnet.a }}\n"
    ));
    assert_eq!(d.code, Code::Check);
    assert_eq!(covered, "subnet.a");
    assert!(
        d.message
            .contains("in subnet `subnet.a`, after `efs_mount_target.one`"),
        "{}",
        d.message
    );

    let (d, _) = one_err(&format!(
        "{HEAD}{base}  efs_mount_target.two: {{ file_system: efs_file_system.data, subnet: subnet.a2 }}\n"
    ));
    assert!(
        d.message.contains("availability zone `us-east-1a`"),
        "{}",
        d.message
    );

    // One per zone is what AWS allows.
    ok(&format!(
        "{HEAD}{base}  efs_mount_target.two: {{ file_system: efs_file_system.data, subnet: subnet.b }}\n"
    ));
}

// ---- lifecycle: protect, ignore_changes, moved, adopt -----------------------------------------

#[test]
fn protect_becomes_the_protect_tag_and_ignore_changes_is_kept_aside() {
    let s = ok(&spec(
        "  efs_file_system.data: { protect: true, ignore_changes: [throughput_mode] }\n  vpc.main: { cidr_block: 10.0.0.0/16, protect: false }\n",
    ));
    let tags = attr(&s, "efs_file_system.data", "tags");
    assert_eq!(
        tags.as_map().unwrap().get("recon:protect"),
        Some(&Value::str("true"))
    );
    assert!(
        !s.get(&"vpc.main".parse().unwrap())
            .unwrap()
            .attrs
            .contains_key("tags"),
        "`protect: false` adds nothing"
    );
    assert_eq!(
        s.lifecycle.ignore_changes[&"efs_file_system.data".parse::<Address>().unwrap()],
        ["throughput_mode"]
    );
}

#[test]
fn lifecycle_mistakes_point_at_the_value() {
    let (d, at) = one_err(&spec(
        "  efs_file_system.data: { ignore_changes: [throughput_mod] }\n",
    ));
    assert_eq!(d.code, Code::UnknownField);
    assert_eq!(at, "throughput_mod");
    assert_eq!(d.help.as_deref(), Some("did you mean `throughput_mode`?"));

    let (d, at) = one_err(&spec(
        "  vpc.v: { cidr_block: 10.0.0.0/16 }\n  subnet.a: { vpc: vpc.v, cidr_block: 10.0.1.0/24 }\n  efs_file_system.data: {}\n  efs_mount_target.data: { file_system: efs_file_system.data, subnet: subnet.a, protect: true }\n",
    ));
    assert_eq!(d.code, Code::InvalidValue);
    assert_eq!(at, "true");
}

#[test]
fn moved_and_adopt_are_checked_against_the_resources() {
    let text = "environment: test\nregion: us-east-1\nmoved:\n  - { from: vpc.old, to: vpc.main }\nadopt:\n  - { address: vpc.main, id: vpc-0abc }\nresources:\n  vpc.main: { cidr_block: 10.0.0.0/16 }\n";
    let s = ok(text);
    assert_eq!(s.lifecycle.moved[0].from, "vpc.old".parse().unwrap());
    assert_eq!(s.lifecycle.adopt[0].id, "vpc-0abc");

    // `to` must be a resource of the spec.
    let (d, at) = one_err(&text.replace("to: vpc.main", "to: vpc.mian"));
    assert_eq!(d.code, Code::DanglingReference, "{d:?}");
    assert_eq!(at, "vpc.mian");
    // `from` must be gone from the spec.
    let (d, at) = one_err(&text.replace(
        "resources:\n",
        "resources:\n  vpc.old: { cidr_block: 10.1.0.0/16 }\n",
    ));
    assert_eq!(d.code, Code::InvalidValue);
    assert_eq!(at, "vpc.old");
    // Same kind only.
    let (d, _) = one_err(&text.replace("from: vpc.old", "from: subnet.old"));
    assert_eq!(d.code, Code::WrongKind);
}
