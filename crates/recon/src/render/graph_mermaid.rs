//! The dependency graph as a Mermaid flowchart, which GitHub and GitLab render in Markdown
//! (inside a ```` ```mermaid ```` block).
//!
//! Node ids are the address with every character but letters, digits and `_` turned into `_`
//! (Mermaid ids cannot contain dots): `vpc.main` is `vpc_main`. Two addresses that would share an
//! id (`vpc.a-b`, `vpc.a_b`) get `_2`, `_3`… in node order, so ids are unique and stable.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::graph::{EdgeKind, Graph, Status};

pub fn render(g: &Graph) -> String {
    // Comments after the diagram type: some Mermaid versions want it on the first line.
    let mut out = String::from("flowchart TD\n");
    let _ = writeln!(
        out,
        "  %% recon graph: environment `{}` ({}). Arrows run from a dependency to its dependent;",
        g.environment, g.region
    );
    out.push_str(
        "  %% dotted ones are the order AWS needs between kinds, not written in the spec.\n",
    );
    if g.edges.iter().any(|e| e.kind == EdgeKind::Uses) {
        out.push_str("  %% Plain lines: one refers to the other, but the plan orders nothing between them.\n");
    }
    let ids = ids(g);
    for (node, id) in g.nodes.iter().zip(&ids) {
        let _ = writeln!(
            out,
            "  {id}[\"{}<br/>{}\"]",
            label(&node.address.to_string()),
            label(&node.caption())
        );
    }
    for e in &g.edges {
        let arrow = match e.kind {
            EdgeKind::Ref => "-->",
            EdgeKind::KindOrder => "-.->",
            EdgeKind::Uses => "---",
        };
        let _ = writeln!(out, "  {} {arrow} {}", ids[e.from], ids[e.to]);
    }
    if g.with_plan {
        for status in Status::ALL {
            let (fill, stroke) = status.colours();
            let _ = writeln!(
                out,
                "  classDef {} fill:{fill},stroke:{stroke},color:#000",
                status.class()
            );
        }
        for status in Status::ALL {
            let members: Vec<&str> = g
                .nodes
                .iter()
                .zip(&ids)
                .filter(|(n, _)| n.status == Some(status))
                .map(|(_, id)| id.as_str())
                .collect();
            if !members.is_empty() {
                let _ = writeln!(out, "  class {} {}", members.join(","), status.class());
            }
        }
    }
    out
}

fn ids(g: &Graph) -> Vec<String> {
    let mut used = BTreeSet::new();
    g.nodes
        .iter()
        .map(|n| {
            let base: String = n
                .address
                .to_string()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let mut id = base.clone();
            let mut k = 2;
            while !used.insert(id.clone()) {
                id = format!("{base}_{k}");
                k += 1;
            }
            id
        })
        .collect()
}

/// Text safe inside a quoted Mermaid label.
fn label(text: &str) -> String {
    text.replace('"', "#quot;")
}

#[cfg(test)]
mod tests {
    use super::super::graph::{build, tests};

    #[test]
    fn ids_are_sanitized_and_unique() {
        let spec = recon_spec::parse(&recon_spec::SourceFile {
            name: "t.yaml".into(),
            text: "environment: t\nregion: us-east-1\nresources:\n  elastic_ip.a-b: {}\n  elastic_ip.a_b: {}\n".into(),
        })
        .unwrap();
        let ids = super::ids(&build(&spec, None).unwrap());
        assert_eq!(ids, ["elastic_ip_a_b", "elastic_ip_a_b_2"]);
    }

    #[test]
    fn a_plan_colours_the_nodes() {
        let g = build(&tests::spec(), Some(&tests::plan())).unwrap();
        insta::assert_snapshot!(super::render(&g), @r#"
            flowchart TD
              %% recon graph: environment `demo` (us-east-1). Arrows run from a dependency to its dependent;
              %% dotted ones are the order AWS needs between kinds, not written in the spec.
              %% Plain lines: one refers to the other, but the plan orders nothing between them.
              vpc_main["vpc.main<br/>vpc (no change)"]
              internet_gateway_main["internet_gateway.main<br/>internet_gateway (no change)"]
              subnet_public["subnet.public<br/>subnet (update)"]
              elastic_ip_nat["elastic_ip.nat<br/>elastic_ip (create)"]
              nat_gateway_main["nat_gateway.main<br/>nat_gateway (create)"]
              security_group_web["security_group.web<br/>security_group (replace)"]
              route_table_old["route_table.old<br/>route_table (delete)"]
              vpc_main --> internet_gateway_main
              vpc_main --> subnet_public
              internet_gateway_main -.-> nat_gateway_main
              subnet_public --> nat_gateway_main
              elastic_ip_nat --> nat_gateway_main
              vpc_main --> security_group_web
              nat_gateway_main --> security_group_web
              vpc_main --> route_table_old
              subnet_public --- route_table_old
              classDef create fill:#d1f5d3,stroke:#1a7f37,color:#000
              classDef update fill:#fff3b0,stroke:#9a6700,color:#000
              classDef replace fill:#ffd8a8,stroke:#bc4c00,color:#000
              classDef delete fill:#ffcdd2,stroke:#cf222e,color:#000
              classDef nochange fill:#eeeeee,stroke:#8c959f,color:#000
              class elastic_ip_nat,nat_gateway_main create
              class subnet_public update
              class security_group_web replace
              class route_table_old delete
              class vpc_main,internet_gateway_main nochange
        "#);
    }
}
