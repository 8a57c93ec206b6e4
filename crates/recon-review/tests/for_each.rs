//! Review findings on `for_each` instances point at the template's lines.

use recon_spec::{Inputs, SourceFile};

fn inputs(env: &str) -> Inputs {
    Inputs {
        env: Some(env.into()),
        ..Inputs::default()
    }
}

#[test]
fn review_findings_point_at_the_template() {
    let name = "specs/platform.yaml";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name);
    let file = SourceFile {
        name: name.into(),
        text: std::fs::read_to_string(path).unwrap(),
    };
    // A private subnet routed to the internet gateway: the review rule sees each instance.
    let text = file.text.replace(
        "        nat_gateway: nat_gateway.az[${if(param.nat_per_az, each.key, param.azs[0])}]\n",
        "        internet_gateway: internet_gateway.main\n",
    );
    let file = SourceFile { text, ..file };
    let parsed = recon_spec::parse_with(&file, &inputs("staging")).unwrap();
    let review = recon_review::review(&parsed.spec, &parsed.silences);
    let finding = review
        .findings
        .iter()
        .find(|f| f.address.to_string().starts_with("route_table.private["))
        .expect("a finding on a private route table");
    let span = parsed.positions.span(&finding.address, &finding.path);
    let region = parsed.positions.region(span);
    let template = file
        .text
        .lines()
        .position(|l| l.starts_with("  route_table.private:"))
        .unwrap()
        + 1;
    assert!(
        region.start_line >= template && region.start_line < template + 8,
        "{region:?}, template at {template}"
    );
}
