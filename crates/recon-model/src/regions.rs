//! The AWS regions recon knows, so that a misspelt or invented region (`us-east-9`) is refused
//! offline, before any call, instead of surfacing later as a network error.
//!
//! The list is the region list of the endpoint partitions compiled into the AWS SDK recon is
//! built with (`aws-sdk-ec2` 1.274: partitions aws, aws-cn, aws-us-gov, aws-eusc and the isolated
//! ones), without the `*-global` pseudo-regions. Update it with the SDK: a region AWS opens later
//! is refused until then.

/// Every known region, sorted.
pub const KNOWN: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-isoe-west-1",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
    "us-west-1",
    "us-west-2",
];

/// Whether `region` is one AWS has (as far as this build knows).
pub fn is_known(region: &str) -> bool {
    KNOWN.binary_search(&region).is_ok()
}

/// The ARN partition of `region`: `aws`, or `aws-cn`, `aws-us-gov` and the isolated ones.
pub fn partition(region: &str) -> &'static str {
    [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("eusc-", "aws-eusc"),
    ]
    .iter()
    .find(|(prefix, _)| region.starts_with(prefix))
    .map_or("aws", |(_, partition)| partition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_regions() {
        assert_eq!(partition("us-east-1"), "aws");
        assert_eq!(partition("eu-west-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition("us-iso-east-1"), "aws-iso");
        assert_eq!(partition("us-isob-east-1"), "aws-iso-b");
    }

    #[test]
    fn the_list_is_sorted_so_lookups_find_every_region() {
        assert!(KNOWN.windows(2).all(|w| w[0] < w[1]));
        for r in KNOWN {
            assert!(is_known(r), "{r}");
        }
        assert!(!is_known("us-east-9"));
        assert!(!is_known("aws-global"));
    }
}
