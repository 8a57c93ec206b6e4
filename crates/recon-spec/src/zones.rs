//! Availability zones against the spec's region: AWS refuses a zone of another region (or one
//! the region does not have), so recon says so at the zone, before any call.

use recon_model::{DesiredResource, Value};

use crate::diagnostic::Code;
use crate::values::Cx;

/// Every `availability_zone` a resource gives, checked against `region`.
pub(crate) fn check(cx: &mut Cx<'_>, region: &str, resources: &[DesiredResource]) {
    for resource in resources {
        let Some(zone) = resource
            .attrs
            .get("availability_zone")
            .and_then(Value::as_str)
        else {
            continue;
        };
        let Some((message, help)) = recon_model::limits::zone_problem(region, zone) else {
            continue;
        };
        let Some(span) = cx
            .positions
            .get(&resource.address)
            .and_then(|p| p.get(&["availability_zone".to_owned()][..]))
            .copied()
        else {
            continue;
        };
        let d = cx.diag(
            Code::InvalidValue,
            span,
            format!("{}: {message}", resource.address),
            format!("not a zone of {region}"),
        );
        cx.push(d.help(help));
    }
}
