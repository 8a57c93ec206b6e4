//! `load_balancer`: a classic Elastic Load Balancer in a VPC.
//!
//! A classic ELB is identified by its name (its `id` is the name), at most 32 characters of
//! `[a-zA-Z0-9-]`, not starting or ending with `-`. Without `name`, the spec parser derives a
//! valid, stable one from the environment and the address ([`derived_name`]), so the plan shows
//! it. Name and scheme are fixed (replace); listeners, subnets, security groups, the health
//! check and tags change in place.

use sha2::{Digest, Sha256};

use crate::facts::AwsFacts;
use crate::address::Kind;
use crate::resource::DesiredResource;
use crate::schema::{Others, Field, KindDef, Presence, Problem, Type, Update};
use crate::value::Value;

/// AWS's limit on a classic load balancer's name.
pub const MAX_NAME: usize = 32;

static LISTENER: [Field; 5] = [
    Field {
        name: "protocol",
        ty: Type::Enum(&["http", "https", "tcp", "ssl"]),
        presence: Presence::Required,
        update: Update::InPlace,
        doc: "Front-end protocol: `http`, `https`, `tcp` or `ssl`.",
    },
    Field {
        name: "port",
        ty: Type::Int { min: 1, max: 65535 },
        presence: Presence::Required,
        update: Update::InPlace,
        doc: "The port the load balancer listens on.",
    },
    Field {
        name: "instance_protocol",
        ty: Type::Enum(&["http", "https", "tcp", "ssl"]),
        presence: Presence::Required,
        update: Update::InPlace,
        doc: "Protocol to the instances.",
    },
    Field {
        name: "instance_port",
        ty: Type::Int { min: 1, max: 65535 },
        presence: Presence::Required,
        update: Update::InPlace,
        doc: "The instances' port.",
    },
    Field {
        name: "certificate",
        ty: Type::String,
        presence: Presence::Optional,
        update: Update::InPlace,
        doc: "Server certificate ARN, for `https` and `ssl`.",
    },
];

static HEALTH_CHECK: [Field; 5] = [
    Field {
        name: "target",
        ty: Type::String,
        presence: Presence::Required,
        update: Update::InPlace,
        doc: "`HTTP:80/path`, `HTTPS:443/path`, `TCP:80` or `SSL:443`.",
    },
    Field {
        name: "interval",
        ty: Type::Int { min: 5, max: 300 },
        presence: Presence::Default(|| Value::Int(30)),
        update: Update::InPlace,
        doc: "Seconds between checks.",
    },
    Field {
        name: "timeout",
        ty: Type::Int { min: 2, max: 60 },
        presence: Presence::Default(|| Value::Int(5)),
        update: Update::InPlace,
        doc: "Seconds before a check fails; less than `interval`.",
    },
    Field {
        name: "healthy_threshold",
        ty: Type::Int { min: 2, max: 10 },
        presence: Presence::Default(|| Value::Int(10)),
        update: Update::InPlace,
        doc: "Consecutive successes before an instance is in service.",
    },
    Field {
        name: "unhealthy_threshold",
        ty: Type::Int { min: 2, max: 10 },
        presence: Presence::Default(|| Value::Int(2)),
        update: Update::InPlace,
        doc: "Consecutive failures before an instance is out of service.",
    },
];

pub static DEF: KindDef = KindDef {
    kind: Kind::LoadBalancer,
    doc: "A classic Elastic Load Balancer.",
    fields: &[
        Field {
            name: "name",
            ty: Type::String,
            presence: Presence::Computed,
            update: Update::Replace,
            doc: "At most 32 of `a-z A-Z 0-9 -`; absent: derived from the environment and the address.",
        },
        Field {
            name: "scheme",
            ty: Type::Enum(&["internet-facing", "internal"]),
            presence: Presence::Default(|| Value::str("internet-facing")),
            update: Update::Replace,
            doc: "`internet-facing` or `internal`.",
        },
        Field {
            name: "subnets",
            ty: Type::Set(&Type::Ref(&[Kind::Subnet])),
            presence: Presence::Required,
            update: Update::InPlace,
            doc: "One subnet per availability zone it serves.",
        },
        Field {
            name: "security_groups",
            ty: Type::Set(&Type::Ref(&[Kind::SecurityGroup])),
            presence: Presence::Computed,
            update: Update::InPlace,
            doc: "Its security groups; absent: the VPC's default group.",
        },
        Field {
            name: "listeners",
            ty: Type::Set(&Type::Object(&LISTENER)),
            presence: Presence::Required,
            update: Update::InPlace,
            doc: "`protocol`, `port`, `instance_protocol`, `instance_port`, `certificate`.",
        },
        Field {
            name: "health_check",
            ty: Type::Object(&HEALTH_CHECK),
            presence: Presence::Computed,
            update: Update::InPlace,
            doc: "`target`, `interval`, `timeout`, `healthy_threshold`, `unhealthy_threshold`; absent: AWS's TCP check.",
        },
        super::TAGS,
    ],
    attributes: &["id", "dns_name"],
    // An internet-facing load balancer needs its VPC's internet gateway attached.
    after: &[Kind::InternetGateway],
    check,
    aws: AwsFacts {
        // A classic load balancer is named, not numbered.
        prefixed_ids: false,
        ..AwsFacts::simple("elb", &["LoadBalancerNotFound", "AccessPointNotFound"])
    },
};

/// A valid classic ELB name for `<environment>-<name>`: `_` becomes `-`, and a name longer than
/// 32 characters is cut and ends in 6 hex digits of a hash of the whole, so it stays unique and
/// stable.
pub fn derived_name(environment: &str, name: &str) -> String {
    let full: String = format!("{environment}-{name}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if full.len() <= MAX_NAME && valid_name(&full) {
        return full;
    }
    let hash = Sha256::digest(format!("{environment}.{name}").as_bytes());
    let suffix: String = hash[..3].iter().map(|b| format!("{b:02x}")).collect();
    let head = full[..full.len().min(MAX_NAME - 7)].trim_end_matches('-');
    format!("{head}-{suffix}")
}

/// Whether AWS accepts `name` for a classic load balancer.
pub fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

fn check(lb: &DesiredResource, _: &Others<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(Value::String(name)) = lb.attrs.get("name")
        && !valid_name(name)
    {
        problems.push(
            Problem::at(
                &["name"],
                format!("`{name}` is not a valid classic load balancer name"),
                "not a valid name",
            )
            .help(format!(
                "use at most {MAX_NAME} letters, digits and `-`, not starting or ending with `-` \
                 (or leave `name` out: recon derives one)"
            )),
        );
    }
    if let Some(Value::List(listeners)) = lb.attrs.get("listeners") {
        for (i, l) in listeners.iter().enumerate() {
            let Some(l) = l.as_map() else { continue };
            let secure = matches!(
                l.get("protocol").and_then(Value::as_str),
                Some("https" | "ssl")
            );
            if secure && !l.contains_key("certificate") {
                problems.push(
                    Problem::at(
                        &["listeners", &i.to_string(), "protocol"],
                        "an `https` or `ssl` listener needs a certificate",
                        "no certificate",
                    )
                    .help("add `certificate: <server certificate ARN>`"),
                );
            }
        }
    }
    if let Some(Value::Map(h)) = lb.attrs.get("health_check") {
        if let Some(Value::String(target)) = h.get("target")
            && !valid_target(target)
        {
            problems.push(
                Problem::at(
                    &["health_check", "target"],
                    format!("`{target}` is not a health check target"),
                    "not a target",
                )
                .help("write `HTTP:80/health`, `HTTPS:443/`, `TCP:80` or `SSL:443`"),
            );
        }
        if let (Some(Value::Int(timeout)), Some(Value::Int(interval))) =
            (h.get("timeout"), h.get("interval"))
            && timeout >= interval
        {
            problems.push(
                Problem::at(
                    &["health_check", "timeout"],
                    format!(
                        "the timeout ({timeout} s) must be less than the interval ({interval} s)"
                    ),
                    "not less than the interval",
                )
                .help("AWS refuses a health check whose timeout is not shorter than its interval"),
            );
        }
    }
    problems
}

/// `PROTOCOL:PORT` for TCP and SSL, `PROTOCOL:PORT/path` for HTTP and HTTPS.
fn valid_target(target: &str) -> bool {
    let Some((protocol, rest)) = target.split_once(':') else {
        return false;
    };
    let (port, path) = match rest.split_once('/') {
        Some((port, _)) => (port, true),
        None => (rest, false),
    };
    let port_ok = port.parse::<u16>().is_ok_and(|p| p > 0);
    match protocol {
        "HTTP" | "HTTPS" => port_ok && path,
        "TCP" | "SSL" => port_ok && !path,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_names_are_valid_stable_and_unique() {
        assert_eq!(derived_name("web", "front"), "web-front");
        assert_eq!(derived_name("web", "front_end"), "web-front-end");
        let long = derived_name("research-platform-staging", "public_web_tier");
        assert!(valid_name(&long), "{long}");
        assert_eq!(long.len(), MAX_NAME);
        assert_eq!(
            long,
            derived_name("research-platform-staging", "public_web_tier")
        );
        assert_ne!(
            long,
            derived_name("research-platform-staging", "public_web_tier2")
        );
    }

    #[test]
    fn names_and_targets_are_checked() {
        assert!(valid_name("web-front-1"));
        assert!(!valid_name("web_front"));
        assert!(!valid_name("-web"));
        assert!(!valid_name(&"a".repeat(33)));
        assert!(valid_target("HTTP:80/"));
        assert!(valid_target("TCP:22"));
        assert!(!valid_target("HTTP:80"));
        assert!(!valid_target("TCP:22/x"));
        assert!(!valid_target("http:80/"));
    }
}
