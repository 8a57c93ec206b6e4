//! AMIs: a lookup matching several takes the newest by `creation_date`, as
//! `DescribeImages`-based lookups (`most_recent`) do.

pub(super) const LOOKUP_TAKES_NEWEST: bool = true;
