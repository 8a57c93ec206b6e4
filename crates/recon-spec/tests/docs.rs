//! `docs/spec.md` documents every kind from the schema itself: its field tables are generated
//! here from `recon_model::kinds` and must appear in the page verbatim, so the page cannot drift
//! from the code. When a kind changes, run this test and paste the table it prints.

use std::path::PathBuf;

use recon_model::{Field, Kind, Presence, Type, Update, Value, kinds};

fn docs() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/spec.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn or_list(words: &[String]) -> String {
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

fn kinds_text(kinds: &[Kind]) -> String {
    or_list(&kinds.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>())
}

fn type_text(ty: &Type) -> String {
    match ty {
        Type::Bool => "boolean".into(),
        Type::Int { min, max } => format!("integer {min} to {max}"),
        Type::String => "text (may use `${...}`)".into(),
        Type::Enum(words) => or_list(&words.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>()),
        Type::Cidr => "CIDR block".into(),
        Type::Ref(kinds) => format!("{} address", kinds_text(kinds)),
        Type::Ports => "port, range or `all`".into(),
        Type::CidrOrRef(kinds) => format!("CIDR block or {} address", kinds_text(kinds)),
        Type::List(inner) => format!("list of {}", plural(inner)),
        Type::Set(inner) => format!("set of {}", plural(inner)),
        Type::Object(_) => "mapping (below)".into(),
        Type::Tags => "tags (text to text)".into(),
        Type::Document => "policy document (a mapping, sent as JSON)".into(),
    }
}

fn plural(ty: &Type) -> String {
    match ty {
        Type::Object(_) => "mappings (below)".into(),
        Type::Ref(kinds) => format!("{} addresses", kinds_text(kinds)),
        other => type_text(other),
    }
}

fn flow(v: &Value) -> String {
    match v {
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(m) => format!(
            "{{ {} }}",
            m.iter()
                .map(|(k, v)| format!("{k}: {}", flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn absent_text(p: &Presence) -> String {
    match p {
        Presence::Required => "**required**".into(),
        Presence::Optional => "unset".into(),
        Presence::Default(d) => format!("`{}`", flow(&d())),
        Presence::Computed => "chosen by AWS".into(),
    }
}

fn table(fields: &[Field]) -> String {
    let mut out = String::from(
        "| Field | Type | When absent | A change | Description |\n|---|---|---|---|---|\n",
    );
    for f in fields {
        let update = match f.update {
            Update::InPlace => "updates in place".to_owned(),
            Update::Replace => "replaces".to_owned(),
            Update::Grows => "grows in place; smaller replaces".to_owned(),
            Update::InPlaceTo(to) => format!("in place to `{to}`; otherwise replaces"),
            Update::Intent => "nothing (intent only)".to_owned(),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {update} | {} |\n",
            f.name,
            type_text(&f.ty),
            absent_text(&f.presence),
            f.doc.replace('|', "\\|")
        ));
    }
    out
}

fn nested(fields: &[Field], out: &mut String) {
    for f in fields {
        let inner = match &f.ty {
            Type::Object(inner) => inner,
            Type::List(t) | Type::Set(t) => match t {
                Type::Object(inner) => inner,
                _ => continue,
            },
            _ => continue,
        };
        out.push_str(&format!("\nEach item of `{}`:\n\n", f.name));
        out.push_str(&table(inner));
        nested(inner, out);
    }
}

/// The line of a kind's section that says what AWS does with it, from its facts.
fn facts(aws: &recon_model::AwsFacts) -> String {
    let minutes = |d: std::time::Duration| format!("{} min", d.as_secs() / 60);
    let token = match aws.create_token {
        recon_model::CreateToken::None => "takes no idempotency token".to_owned(),
        recon_model::CreateToken::ClientToken => "is idempotent (`ClientToken`)".to_owned(),
        recon_model::CreateToken::CreationToken => "is idempotent (`CreationToken`)".to_owned(),
    };
    let later = if aws.set_after_create.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = aws
            .set_after_create
            .iter()
            .map(|(f, _)| format!("`{f}`"))
            .collect();
        format!(
            "; {} set by further calls once it exists",
            or_list(&names).replace(" or ", " and ")
        )
    };
    let ids = if aws.prefixed_ids {
        format!("ids `{}-…`; ", aws.id_prefix)
    } else {
        String::new()
    };
    format!(
        "In AWS: {ids}the create call {token}{later}; recon waits up to {} for it to become available and {} for it to be gone.\n",
        minutes(aws.lifecycle.ready_within),
        minutes(aws.lifecycle.deleted_within),
    )
}

/// The section of docs/spec.md for one kind.
fn section(kind: Kind) -> String {
    let def = kinds::def(kind);
    let mut out = format!("### `{kind}`\n\n{}\n\n", def.doc);
    out.push_str(&table(def.fields));
    nested(def.fields, &mut out);
    let extra: Vec<String> = def
        .attributes
        .iter()
        .filter(|a| **a != "id")
        .map(|a| format!("`{a}`"))
        .collect();
    out.push_str(&format!(
        "\nAttributes for `${{{kind}.<name>.<attribute>}}`: `id`, every field{}.\n",
        if extra.is_empty() {
            String::new()
        } else {
            format!(", {}", extra.join(", "))
        }
    ));
    out.push_str(&facts(&def.aws));
    if !def.after.is_empty() {
        out.push_str(&format!(
            "Created after every {} of the spec, and deleted before them, with no need for `depends_on`.\n",
            or_list(&def.after.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>())
        ));
    }
    out
}

fn every_field(fields: &'static [Field], out: &mut Vec<&'static str>) {
    for f in fields {
        out.push(f.name);
        match &f.ty {
            Type::Object(inner) => every_field(inner, out),
            Type::List(Type::Object(inner)) | Type::Set(Type::Object(inner)) => {
                every_field(inner, out)
            }
            _ => {}
        }
    }
}

#[test]
fn docs_list_every_field() {
    let docs = docs();
    for kind in Kind::ALL {
        assert!(
            docs.contains(&format!("### `{kind}`")),
            "docs/spec.md has no section for {kind}"
        );
        let mut fields = Vec::new();
        every_field(kinds::def(*kind).fields, &mut fields);
        for f in fields {
            assert!(
                docs.contains(&format!("| `{f}` |")),
                "docs/spec.md does not list field `{f}` of {kind}"
            );
        }
    }
}

#[test]
fn docs_kind_sections_match_the_schema() {
    let docs = docs();
    let mut stale = Vec::new();
    for kind in Kind::ALL {
        let section = section(*kind);
        if !docs.contains(&section) {
            stale.push(section);
        }
    }
    assert!(
        stale.is_empty(),
        "docs/spec.md is out of date; the sections should read:\n\n{}",
        stale.join("\n")
    );
}

/// The "complete example" in docs/spec.md is `specs/network.yaml`, and valid.
#[test]
fn the_docs_example_parses() {
    let docs = docs();
    let start = docs.find("```yaml\n").expect("a yaml example") + "```yaml\n".len();
    let end = start + docs[start..].find("```").unwrap();
    let network = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../specs/network.yaml");
    assert_eq!(
        &docs[start..end],
        std::fs::read_to_string(network).unwrap(),
        "the example in docs/spec.md should be specs/network.yaml"
    );
    let file = recon_spec::SourceFile {
        name: "docs/spec.md".into(),
        text: docs[start..end].to_owned(),
    };
    let spec = recon_spec::parse(&file).unwrap_or_else(|e| panic!("{:?}", miette::Report::new(e)));
    assert!(spec.resources.len() >= 10);
}
