//! The addresses the pages link to and check.

use crate::models::SpaceArtifact;

/// Percent-encodes one path segment or query value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn detail_href(type_name: &str, name: &str, version: &str) -> String {
    format!(
        "/apps/{}/{}?version={}",
        encode(type_name),
        encode(name),
        encode(version)
    )
}

pub(crate) fn manage_href(a: &SpaceArtifact) -> String {
    format!("/space/a/{}/{}", encode(&a.type_name), encode(&a.id))
}

/// Only links the catalog itself serves or web URLs are rendered as links
/// (never `javascript:` or `data:`).
pub(crate) fn safe_href(href: &str) -> Option<String> {
    (href.starts_with("/api/v1/") || href.starts_with("https://") || href.starts_with("http://"))
        .then(|| href.to_owned())
}
