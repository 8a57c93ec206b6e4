//! The dependency graph in Graphviz DOT (`recon graph --format dot | dot -Tsvg`).
//!
//! Nodes are named by their address (quoted), so no id is invented; each carries its kind as
//! `class` (a CSS class in SVG output) and, with a plan, the fill colour of its action.

use std::fmt::Write;

use super::graph::{EdgeKind, Graph};

pub fn render(g: &Graph) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// recon graph: environment `{}` ({}). Edges run from a dependency to its dependent;",
        g.environment, g.region
    );
    out.push_str(
        "// dashed ones are the order AWS needs between kinds, not written in the spec.\n",
    );
    out.push_str("digraph recon {\n");
    out.push_str("  rankdir=TB;\n");
    out.push_str("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\"];\n");
    for node in &g.nodes {
        let address = node.address.to_string();
        let _ = write!(
            out,
            "  {} [label={}, class={}",
            quote(&address),
            quote(&format!("{address}\n{}", node.caption())),
            quote(node.address.kind.as_str())
        );
        if let Some(status) = node.status {
            let (fill, stroke) = status.colours();
            let _ = write!(out, ", fillcolor={}, color={}", quote(fill), quote(stroke));
        }
        out.push_str("];\n");
    }
    for e in &g.edges {
        let style = match e.kind {
            EdgeKind::Ref => "",
            EdgeKind::KindOrder => " [style=dashed]",
            EdgeKind::Uses => " [arrowhead=none]",
        };
        let _ = writeln!(
            out,
            "  {} -> {}{style};",
            quote(&g.nodes[e.from].address.to_string()),
            quote(&g.nodes[e.to].address.to_string())
        );
    }
    out.push_str("}\n");
    out
}

/// A DOT string: quotes and backslashes escaped, line breaks as `\n`.
fn quote(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    use super::super::graph::{build, tests};

    #[test]
    fn a_plan_fills_the_nodes() {
        let g = build(&tests::spec(), Some(&tests::plan())).unwrap();
        insta::assert_snapshot!(super::render(&g), @r##"
            // recon graph: environment `demo` (us-east-1). Edges run from a dependency to its dependent;
            // dashed ones are the order AWS needs between kinds, not written in the spec.
            digraph recon {
              rankdir=TB;
              node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica"];
              "vpc.main" [label="vpc.main\nvpc (no change)", class="vpc", fillcolor="#eeeeee", color="#8c959f"];
              "internet_gateway.main" [label="internet_gateway.main\ninternet_gateway (no change)", class="internet_gateway", fillcolor="#eeeeee", color="#8c959f"];
              "subnet.public" [label="subnet.public\nsubnet (update)", class="subnet", fillcolor="#fff3b0", color="#9a6700"];
              "elastic_ip.nat" [label="elastic_ip.nat\nelastic_ip (create)", class="elastic_ip", fillcolor="#d1f5d3", color="#1a7f37"];
              "nat_gateway.main" [label="nat_gateway.main\nnat_gateway (create)", class="nat_gateway", fillcolor="#d1f5d3", color="#1a7f37"];
              "security_group.web" [label="security_group.web\nsecurity_group (replace)", class="security_group", fillcolor="#ffd8a8", color="#bc4c00"];
              "route_table.old" [label="route_table.old\nroute_table (delete)", class="route_table", fillcolor="#ffcdd2", color="#cf222e"];
              "vpc.main" -> "internet_gateway.main";
              "vpc.main" -> "subnet.public";
              "internet_gateway.main" -> "nat_gateway.main" [style=dashed];
              "subnet.public" -> "nat_gateway.main";
              "elastic_ip.nat" -> "nat_gateway.main";
              "vpc.main" -> "security_group.web";
              "nat_gateway.main" -> "security_group.web";
              "vpc.main" -> "route_table.old";
              "subnet.public" -> "route_table.old" [arrowhead=none];
            }
        "##);
    }
}
