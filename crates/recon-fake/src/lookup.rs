//! Lookups: the resources of the lookup's kind that match its filters; exactly one, unless the
//! kind's quirks take the newest of several (images).

use recon_model::{Address, Attrs, LiveResource, Value};
use recon_provider::{ErrorKind, ProviderError};
use tokio::time::Instant;

use crate::quirks;
use crate::store::Store;

/// The one resource of `address.kind` that `filters` match, under `address`.
///
/// # Guarantees
/// Matches `id` exactly, `tags` all present, `name` as a `*` pattern, any other filter equal
/// to the attribute of the same name. Sees only visible resources that are not gone.
pub(crate) fn find(
    store: &Store,
    address: &Address,
    filters: &Attrs,
    now: Instant,
) -> Result<LiveResource, ProviderError> {
    let kind = address.kind;
    let mut found: Vec<LiveResource> = store
        .entries
        .values()
        .filter(|e| e.kind() == kind && e.visible(now))
        .filter_map(|e| e.current(now))
        .filter(|r| matches_filters(r, filters))
        .collect();
    // Newest first, then by id, so a pick among several is stable.
    found.sort_by(|a, b| {
        let date = |r: &LiveResource| r.attribute("creation_date");
        (date(b), &b.id).cmp(&(date(a), &a.id))
    });
    match found.len() {
        0 => Err(ProviderError::new(
            ErrorKind::NotFound,
            format!("no {kind} matches the lookup"),
        )),
        n if n == 1 || quirks::lookup_takes_newest(kind) => {
            let mut live = found.swap_remove(0);
            live.address = address.clone();
            Ok(live)
        }
        n => Err(ProviderError::new(
            ErrorKind::Invalid,
            format!("{n} {kind}s match the lookup"),
        )),
    }
}

fn matches_filters(live: &LiveResource, filters: &Attrs) -> bool {
    filters.iter().all(|(key, want)| match key.as_str() {
        "id" => want.as_str() == Some(live.id.as_str()),
        "tags" => want
            .as_map()
            .is_some_and(|t| t.iter().all(|(k, v)| live.tag(k) == v.as_str())),
        "name" => match (want.as_str(), live.attribute("name")) {
            (Some(pattern), Some(Value::String(name))) => glob(pattern, &name),
            _ => false,
        },
        _ => live.attribute(key).as_ref() == Some(want),
    })
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            text.starts_with(head)
                && (0..=text.len() - head.len()).any(|i| {
                    text.is_char_boundary(head.len() + i) && glob(rest, &text[head.len() + i..])
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn glob_stars_match_any_run_and_the_rest_matches_itself() {
        assert!(glob("al2023-ami-*-x86_64", "al2023-ami-2023.6-x86_64"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "abc"));
        assert!(!glob("al2023-*-arm64", "al2023-ami-x86_64"));
        assert!(!glob("exact", "exactly"));
        assert!(glob("é*ü", "éaü"));
    }
}
