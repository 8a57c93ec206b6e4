//! "Did you mean ...?": the closest candidate by edit distance.

/// The candidate closest to `word` (case-insensitively), if it is close enough to be a typo:
/// at most 2 edits, and at most 1 for candidates of 1 or 2 characters.
pub fn closest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (distance(&word, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= 2.min(c.chars().count() / 3 + 1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, in characters.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("vpx", "vpc"), 1);
        assert_eq!(distance("subnet.privat", "subnet.private"), 1);
        assert_eq!(distance("cidr", "cidr_block"), 6);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggests_only_close_names() {
        let fields = ["vpc", "cidr_block", "availability_zone", "tags"];
        assert_eq!(closest("cidr_blok", fields), Some("cidr_block"));
        assert_eq!(closest("vpx", fields), Some("vpc"));
        assert_eq!(closest("TAGS", fields), Some("tags"));
        assert_eq!(closest("zone", fields), None);
        assert_eq!(closest("x", ["id"]), None);
    }
}
