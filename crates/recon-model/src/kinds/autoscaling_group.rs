//! `autoscaling_group`: an EC2 Auto Scaling group launching from a launch template.
//!
//! The group, not recon, owns its instances: it launches and replaces them, and they carry the
//! group's tags (all propagated at launch, `recon:env` and `recon:id` included, so the teardown
//! is complete) and AWS's `aws:autoscaling:groupName`. Instance discovery skips them, so they
//! are never planned for deletion as orphans. Sizes, template, subnets, load balancers, health
//! check and tags change in place; the name is fixed. A delete first scales the group to zero
//! and waits for its instances to terminate: AWS refuses to delete a group with instances.

use crate::facts::AwsFacts;
use crate::address::Kind;

/// The output holding the ids of the instances a live group has (a list of strings), as the
/// provider last described it. Not an attribute a spec can refer to: it is for the teardown
/// record, which lists the instances that went with their group.
pub const INSTANCES_OUTPUT: &str = "instances";
use crate::resource::DesiredResource;
use crate::schema::{Others, Field, KindDef, Presence, Problem, Type, Update};
use crate::value::Value;

pub static DEF: KindDef = KindDef {
    kind: Kind::AutoscalingGroup,
    doc: "An EC2 Auto Scaling group.",
    fields: &[
        Field {
            name: "name",
            ty: Type::String,
            presence: Presence::Computed,
            update: Update::Replace,
            doc: "The group's name; absent: `<environment>-<name>`.",
        },
        Field {
            name: "launch_template",
            ty: Type::Ref(&[Kind::LaunchTemplate]),
            presence: Presence::Required,
            update: Update::InPlace,
            doc: "The launch template new instances start from.",
        },
        Field {
            name: "launch_template_version",
            ty: Type::String,
            presence: Presence::Default(|| Value::str("$Default")),
            update: Update::InPlace,
            doc: "`$Default`, `$Latest` or a version number.",
        },
        Field {
            name: "min_size",
            ty: Type::Int { min: 0, max: 10000 },
            presence: Presence::Required,
            update: Update::InPlace,
            doc: "Fewest instances.",
        },
        Field {
            name: "max_size",
            ty: Type::Int { min: 0, max: 10000 },
            presence: Presence::Required,
            update: Update::InPlace,
            doc: "Most instances.",
        },
        Field {
            name: "desired_capacity",
            ty: Type::Int { min: 0, max: 10000 },
            presence: Presence::Computed,
            update: Update::InPlace,
            doc: "Instances wanted now; absent: `min_size` at creation, then whatever scaling sets.",
        },
        Field {
            name: "default_cooldown",
            ty: Type::Int { min: 0, max: 86400 },
            presence: Presence::Default(|| Value::Int(300)),
            update: Update::InPlace,
            doc: "Seconds after a scaling activity before another may start.",
        },
        Field {
            name: "health_check_type",
            ty: Type::Enum(&["ec2", "elb"]),
            presence: Presence::Default(|| Value::str("ec2")),
            update: Update::InPlace,
            doc: "`ec2` (instance status) or `elb` (also the load balancers' health check).",
        },
        Field {
            name: "health_check_grace_period",
            ty: Type::Int { min: 0, max: 86400 },
            presence: Presence::Default(|| Value::Int(300)),
            update: Update::InPlace,
            doc: "Seconds after launch before health checks count.",
        },
        Field {
            name: "subnets",
            ty: Type::Set(&Type::Ref(&[Kind::Subnet])),
            presence: Presence::Required,
            update: Update::InPlace,
            doc: "Subnets instances launch in (spread across their zones).",
        },
        Field {
            name: "load_balancers",
            ty: Type::Set(&Type::Ref(&[Kind::LoadBalancer])),
            presence: Presence::Default(|| Value::List(vec![])),
            update: Update::InPlace,
            doc: "Classic load balancers its instances are registered with.",
        },
        Field {
            name: "tags",
            ty: Type::Tags,
            presence: Presence::Optional,
            update: Update::InPlace,
            doc: "Tags for the group, all propagated to the instances it launches. `Name` defaults to `<environment>-<name>`.",
        },
    ],
    attributes: &["id", "arn"],
    after: &[],
    check,
    aws: AwsFacts {
        // A group is named, not numbered; describing a missing one answers no group at all,
        // deleting one answers `ValidationError`.
        prefixed_ids: false,
        ..AwsFacts::simple("asg", &["ValidationError"])
    },
};

fn check(group: &DesiredResource, _: &Others<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let int = |f: &str| match group.attrs.get(f) {
        Some(Value::Int(i)) => Some(*i),
        _ => None,
    };
    if let (Some(min), Some(max)) = (int("min_size"), int("max_size")) {
        if min > max {
            problems.push(
                Problem::at(
                    &["min_size"],
                    format!("min_size {min} is more than max_size {max}"),
                    "more than max_size",
                )
                .help("make `min_size` at most `max_size`"),
            );
        } else if let Some(desired) = int("desired_capacity")
            && !(min..=max).contains(&desired)
        {
            problems.push(
                Problem::at(
                    &["desired_capacity"],
                    format!("desired_capacity {desired} is outside {min}..={max}"),
                    "outside min_size..max_size",
                )
                .help("AWS refuses a desired capacity outside the group's size limits"),
            );
        }
    }
    if let Some(Value::String(v)) = group.attrs.get("launch_template_version")
        && !matches!(v.as_str(), "$Default" | "$Latest")
        && (v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()))
    {
        problems.push(
            Problem::at(
                &["launch_template_version"],
                format!("`{v}` is not a launch template version"),
                "not a version",
            )
            .help("use `$Default`, `$Latest` or a version number"),
        );
    }
    let no_balancers = matches!(group.attrs.get("load_balancers"), Some(Value::List(l)) if l.is_empty())
        || !group.attrs.contains_key("load_balancers");
    if group.attrs.get("health_check_type").and_then(Value::as_str) == Some("elb") && no_balancers {
        problems.push(
            Problem::at(
                &["health_check_type"],
                "`elb` health checks need a load balancer",
                "no load balancer to check",
            )
            .help("add `load_balancers: [load_balancer.<name>]`, or use `ec2`"),
        );
    }
    problems
}

/// The name AWS knows the group by when the spec gives none.
pub fn derived_name(environment: &str, name: &str) -> String {
    format!("{environment}-{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(pairs: &[(&str, Value)]) -> DesiredResource {
        let mut attrs = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        DEF.apply_defaults(&mut attrs);
        DesiredResource {
            address: "autoscaling_group.web".parse().unwrap(),
            attrs,
            depends_on: vec![],
        }
    }

    fn paths(problems: &[Problem]) -> Vec<String> {
        problems.iter().map(|p| p.path.join(".")).collect()
    }

    #[test]
    fn sizes_versions_and_health_checks_are_checked() {
        let ok = group(&[
            ("min_size", Value::Int(2)),
            ("max_size", Value::Int(2)),
            ("desired_capacity", Value::Int(2)),
        ]);
        assert_eq!(check(&ok, &Others::new(&[])), vec![]);
        let inverted = group(&[("min_size", Value::Int(3)), ("max_size", Value::Int(2))]);
        assert_eq!(paths(&check(&inverted, &Others::new(&[]))), ["min_size"]);
        let outside = group(&[
            ("min_size", Value::Int(1)),
            ("max_size", Value::Int(2)),
            ("desired_capacity", Value::Int(5)),
        ]);
        assert_eq!(paths(&check(&outside, &Others::new(&[]))), ["desired_capacity"]);
        let version = group(&[("launch_template_version", Value::str("latest"))]);
        assert_eq!(paths(&check(&version, &Others::new(&[]))), ["launch_template_version"]);
        let elb = group(&[("health_check_type", Value::str("elb"))]);
        assert_eq!(paths(&check(&elb, &Others::new(&[]))), ["health_check_type"]);
    }
}
