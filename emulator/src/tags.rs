//! Resource tags as ECR, ECS and CloudWatch Logs keep them: at most 50 keys per resource, keys of
//! 1 to 128 characters, values of at most 256, and no key in the `aws:` namespace. Each service
//! spells them differently on the wire (ECR `{Key, Value}`, ECS `{key, value}`, Logs a map); this
//! module holds only the map and the rules, the services render it.

use std::collections::BTreeMap;

/// Most tags one resource may carry (ECR, ECS and CloudWatch Logs alike).
pub const MAX_TAGS: usize = 50;

/// The tags of one resource, by key.
pub type Tags = BTreeMap<String, String>;

/// Why a tag change was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// A key or value breaks the length or namespace rules.
    #[error("{0}")]
    Invalid(String),
    /// The resource would carry more than [`MAX_TAGS`] tags.
    #[error("Resource would have {0} tags; the limit is {MAX_TAGS}.")]
    TooMany(usize),
}

/// Checks one tag's key and value.
pub fn check(key: &str, value: &str) -> Result<(), TagError> {
    let chars = key.chars().count();
    if !(1..=128).contains(&chars) {
        return Err(TagError::Invalid(format!(
            "Tag key '{key}' must be between 1 and 128 characters long."
        )));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(TagError::Invalid(format!(
            "Tag key '{key}' uses the reserved 'aws:' prefix."
        )));
    }
    if value.chars().count() > 256 {
        return Err(TagError::Invalid(format!(
            "The value of tag '{key}' must be at most 256 characters long."
        )));
    }
    Ok(())
}

/// `current` with `added` set (new keys added, existing ones overwritten), if every tag is valid
/// and the result stays within [`MAX_TAGS`]. `current` is left alone on error.
pub fn merged(current: &Tags, added: &[(String, String)]) -> Result<Tags, TagError> {
    let mut next = current.clone();
    for (key, value) in added {
        check(key, value)?;
        next.insert(key.clone(), value.clone());
    }
    if next.len() > MAX_TAGS {
        return Err(TagError::TooMany(next.len()));
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn rules() {
        let t = merged(&Tags::new(), &[pair("a", "1"), pair("a", "2")]).unwrap();
        assert_eq!(t.get("a").map(String::as_str), Some("2"));
        assert!(merged(&t, &[pair("", "x")]).is_err());
        assert!(merged(&t, &[pair("aws:x", "x")]).is_err());
        assert!(merged(&t, &[pair("k", &"v".repeat(257))]).is_err());
        let many: Vec<_> = (0..51).map(|i| pair(&format!("k{i}"), "v")).collect();
        assert_eq!(merged(&Tags::new(), &many), Err(TagError::TooMany(51)));
        assert_eq!(t.len(), 1, "the original is untouched");
    }
}
