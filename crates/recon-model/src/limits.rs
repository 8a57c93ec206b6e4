//! What AWS refuses, checked offline: CIDR prefix limits, zones of the spec's region, the
//! characters descriptions and tags may hold, KMS alias names, and the paths a spec may name.
//! Each rule cites the AWS limit it mirrors, so a refusal recon reports is the one AWS would.

use crate::address::Address;
use crate::schema::Problem;

/// VPC and subnet blocks: "The allowed block size is between a /16 netmask (65,536 IP
/// addresses) and /28 netmask (16 IP addresses)" (Amazon VPC User Guide, "VPC CIDR blocks",
/// and the same for subnets).
pub const PREFIX_LENGTHS: std::ops::RangeInclusive<u8> = 16..=28;

/// A problem at `cidr_block` when `cidr` is outside [`PREFIX_LENGTHS`]; `what` is `VPC` or
/// `subnet`.
pub fn prefix_problem(what: &str, address: &Address, cidr: ipnet::Ipv4Net) -> Option<Problem> {
    let len = cidr.prefix_len();
    if PREFIX_LENGTHS.contains(&len) {
        return None;
    }
    let (start, end) = (PREFIX_LENGTHS.start(), PREFIX_LENGTHS.end());
    Some(
        Problem::at(
            &["cidr_block"],
            format!("{what} `{address}`: AWS takes blocks from /{start} to /{end}, not /{len}"),
            format!("/{len} is outside /{start} to /{end}"),
        )
        .help(if len < *start {
            let example = match cidr.network().octets() {
                [0, ..] => "10.0.0.0".to_owned(),
                _ => cidr.network().to_string(),
            };
            format!("use /{start} or a longer prefix, e.g. `{example}/{start}`")
        } else {
            format!("use /{end} or a shorter prefix (a /{end} holds 16 addresses, 11 usable)")
        }),
    )
}

/// The zone letters of each region (AWS General Reference, "Regions and Zones"; an account
/// sees the letters of its region, mapped to physical zones per account). A region missing
/// here gets the syntax check only, so a new region is never refused.
const ZONES: &[(&str, &str)] = &[
    ("af-south-1", "abc"),
    ("ap-east-1", "abc"),
    ("ap-northeast-1", "abcd"),
    ("ap-northeast-2", "abcd"),
    ("ap-northeast-3", "abc"),
    ("ap-south-1", "abc"),
    ("ap-south-2", "abc"),
    ("ap-southeast-1", "abc"),
    ("ap-southeast-2", "abc"),
    ("ap-southeast-3", "abc"),
    ("ap-southeast-4", "abc"),
    ("ap-southeast-5", "abc"),
    ("ap-southeast-7", "abc"),
    ("ca-central-1", "abcd"),
    ("ca-west-1", "abc"),
    ("cn-north-1", "abcd"),
    ("cn-northwest-1", "abc"),
    ("eu-central-1", "abc"),
    ("eu-central-2", "abc"),
    ("eu-north-1", "abc"),
    ("eu-south-1", "abc"),
    ("eu-south-2", "abc"),
    ("eu-west-1", "abc"),
    ("eu-west-2", "abc"),
    ("eu-west-3", "abc"),
    ("il-central-1", "abc"),
    ("me-central-1", "abc"),
    ("me-south-1", "abc"),
    ("mx-central-1", "abc"),
    ("sa-east-1", "abc"),
    ("us-east-1", "abcdef"),
    ("us-east-2", "abc"),
    ("us-gov-east-1", "abc"),
    ("us-gov-west-1", "abc"),
    ("us-west-1", "abc"),
    ("us-west-2", "abcd"),
];

/// Why `zone` is not a zone of `region`, with a help line; `None` when it is. Local and
/// Wavelength Zones (`us-east-1-bos-1a`) are accepted when they are in the region.
pub fn zone_problem(region: &str, zone: &str) -> Option<(String, String)> {
    let letters = ZONES.iter().find(|(r, _)| *r == region).map(|(_, l)| *l);
    let listed = |letters: &str| {
        letters
            .chars()
            .map(|c| format!("`{region}{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(rest) = zone.strip_prefix(region) {
        let mut chars = rest.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_lowercase() => match letters {
                Some(l) if !l.contains(c) => {
                    return Some((
                        format!("`{zone}` is not a zone of {region}"),
                        format!("{region}'s zones are {}", listed(l)),
                    ));
                }
                _ => return None,
            },
            (Some('-'), Some(_))
                if rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
            {
                return None;
            }
            _ => {}
        }
    }
    let help = match letters {
        Some(l) => format!("use a zone of the spec's region: {}", listed(l)),
        None => format!("use a zone of the spec's region, e.g. `{region}a`"),
    };
    Some((format!("`{zone}` is not a zone of {region}"), help))
}

/// The characters EC2 takes in a security group's and a rule's description: "a-z, A-Z, 0-9,
/// spaces, and ._-:/()#,@[]+=&;{}!$*", up to 255 of them (EC2 API Reference,
/// CreateSecurityGroup).
pub fn ec2_description_problem(text: &str) -> Option<String> {
    const EXTRA: &str = " ._-:/()#,@[]+=&;{}!$*";
    if text.chars().count() > 255 {
        return Some(format!(
            "{} characters; AWS takes 255",
            text.chars().count()
        ));
    }
    text.chars()
        .find(|c| !c.is_ascii_alphanumeric() && !EXTRA.contains(*c))
        .map(|c| format!("AWS does not take {} here", shown(c)))
}

/// A control character (a newline, a tab, NUL…) AWS refuses in descriptions and tags, shown
/// as the user would write it.
pub fn control_problem(text: &str) -> Option<String> {
    text.chars()
        .find(|c| c.is_control())
        .map(|c| format!("AWS does not take {} here", shown(c)))
}

fn shown(c: char) -> String {
    match c {
        '\n' => "a line break".into(),
        '\t' => "a tab".into(),
        c if c.is_control() => format!("the control character U+{:04X}", c as u32),
        c => format!("`{c}`"),
    }
}

/// A KMS alias name as the spec writes it (without `alias/`): "alias/" plus the name is at
/// most 256 characters of `a-zA-Z0-9/_-`, and names under `aws/` are reserved for AWS managed
/// keys (KMS API Reference, CreateAlias).
pub fn kms_alias_problem(alias: &str) -> Option<(String, String)> {
    let name = alias.strip_prefix("alias/").unwrap_or(alias);
    if alias.starts_with("alias/") {
        return Some((
            "written with its `alias/` prefix".into(),
            format!("write `{name}`: recon adds `alias/`"),
        ));
    }
    if name.is_empty() || name.len() > 250 {
        return Some((
            format!("{} characters", name.chars().count()),
            "use 1 to 250 characters (`alias/` and the name are at most 256)".into(),
        ));
    }
    if name == "aws" || name.starts_with("aws/") {
        return Some((
            "under `aws/`".into(),
            "AWS reserves `aws/` for its own keys; choose another name".into(),
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && !"/_-".contains(*c))
    {
        return Some((
            format!("contains {}", shown(c)),
            "use letters, digits, `/`, `_` and `-`".into(),
        ));
    }
    None
}

/// The rules for every path a spec names: relative, and inside the folder it is relative to
/// (no `..`), so a spec cannot read or write outside its project. Returns why not.
pub fn path_problem(path: &str) -> Option<(String, String)> {
    let p = std::path::Path::new(path);
    if path.is_empty() {
        return Some(("is empty".into(), "give a file name".into()));
    }
    if let Some(c) = path.chars().find(|c| c.is_control()) {
        return Some((
            format!("contains {}", shown(c)),
            "remove it from the path".into(),
        ));
    }
    if p.is_absolute() || path.starts_with('~') || path.starts_with('\\') {
        return Some((
            "is not a relative path".into(),
            "use a relative path inside the folder it is relative to, e.g. `keys/admin.pub`".into(),
        ));
    }
    if p.components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Some((
            "leaves its folder (`..`)".into(),
            "use a relative path without `..`, e.g. `keys/admin.pub`".into(),
        ));
    }
    None
}

/// Whether `text` is an OpenSSH public key line of a type EC2 imports: `<type> <base64>`
/// where the base64 decodes to the same type, length-prefixed (RFC 4253, section 6.6).
/// Returns why not.
pub fn openssh_problem(text: &str) -> Option<String> {
    let mut words = text.split_whitespace();
    let (Some(ty), Some(blob)) = (words.next(), words.next()) else {
        return Some("expected `<type> <base64 key>`".into());
    };
    if !["ssh-ed25519", "ssh-rsa"].contains(&ty) {
        return Some(format!(
            "`{}` is not a key type EC2 imports (`ssh-ed25519`, `ssh-rsa`)",
            ty.chars().take(40).collect::<String>()
        ));
    }
    let Some(bytes) = base64_decode(blob) else {
        return Some("the key is not valid base64".into());
    };
    let named = bytes
        .get(..4)
        .map(|l| u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize)
        .and_then(|n| bytes.get(4..4 + n));
    if named != Some(ty.as_bytes()) {
        return Some(format!("the key's data is not an `{ty}` key"));
    }
    None
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let body = text.trim_end_matches('=');
    if !text.len().is_multiple_of(4) || text.len() - body.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= digit(c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_lengths_are_aws_s() {
        let a: Address = "vpc.main".parse().unwrap();
        for ok in ["10.0.0.0/16", "10.0.0.0/28", "10.0.0.0/20"] {
            assert!(
                prefix_problem("VPC", &a, ok.parse().unwrap()).is_none(),
                "{ok}"
            );
        }
        for bad in [
            "0.0.0.0/0",
            "10.0.0.0/8",
            "10.0.0.0/15",
            "10.0.0.1/32",
            "10.0.0.0/29",
        ] {
            assert!(
                prefix_problem("VPC", &a, bad.parse().unwrap()).is_some(),
                "{bad}"
            );
        }
    }

    #[test]
    fn zones_must_be_of_the_region() {
        assert!(zone_problem("us-east-1", "us-east-1a").is_none());
        assert!(zone_problem("us-east-1", "us-east-1f").is_none());
        assert!(zone_problem("us-east-1", "us-east-1-bos-1a").is_none());
        assert!(zone_problem("us-east-1", "us-east-1z").is_some());
        assert!(zone_problem("us-east-1", "us-west-2a").is_some());
        assert!(zone_problem("us-east-1", "us-east-1").is_some());
        assert!(zone_problem("us-east-1", "us-east-1ab").is_some());
        assert!(zone_problem("eu-west-2", "eu-west-2d").is_some());
        // A region recon has no table for: the syntax only.
        assert!(zone_problem("xx-new-1", "xx-new-1q").is_none());
        assert!(zone_problem("xx-new-1", "us-east-1a").is_some());
    }

    #[test]
    fn descriptions_take_aws_characters() {
        assert!(ec2_description_problem("Web tier (HTTPS only) #1").is_none());
        assert!(ec2_description_problem("two\nlines").is_some());
        assert!(ec2_description_problem("café").is_some());
        assert!(ec2_description_problem(&"a".repeat(256)).is_some());
        assert!(control_problem("fine: ünïcode").is_none());
        assert!(control_problem("tab\there").is_some());
    }

    #[test]
    fn kms_aliases_follow_aws_rules() {
        assert!(kms_alias_problem("irb/data").is_none());
        assert!(kms_alias_problem("aws/ebs").is_some());
        assert!(kms_alias_problem("alias/x").is_some());
        assert!(kms_alias_problem(&"a".repeat(300)).is_some());
        assert!(kms_alias_problem(&"a".repeat(250)).is_none());
        assert!(kms_alias_problem("bad alias").is_some());
        assert!(kms_alias_problem("").is_some());
    }

    #[test]
    fn paths_stay_inside_their_folder() {
        assert!(path_problem("keys/admin.pub").is_none());
        assert!(path_problem(".recon/keys/web.pem").is_none());
        for bad in [
            "/etc/passwd",
            "../../etc/passwd",
            "keys/../../x",
            "~/.ssh/id.pub",
            "",
        ] {
            assert!(path_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn openssh_keys_are_checked_down_to_their_data() {
        let ed = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm5vP1Z4T3dGBv0Ui2o8sJ6zvLrXz3X2Lw1c9L3T8Yq";
        assert_eq!(openssh_problem(ed), None);
        assert_eq!(openssh_problem(&format!("{ed} me@laptop")), None);
        assert!(openssh_problem("root:x:0:0:root:/root:/bin/bash").is_some());
        assert!(openssh_problem("ssh-ed25519 AAAAB3NzaC1yc2E=").is_some());
        assert!(openssh_problem("ssh-ed25519 not*base64").is_some());
        assert!(openssh_problem("").is_some());
    }
}
