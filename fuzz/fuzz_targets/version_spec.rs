//! `appcat::version`: versions and requirements from user strings.
//!
//! Input: `REQUIREMENT \n VERSION_A \n VERSION_B` (any part may be missing).
//! Properties:
//! - nothing panics (overflow checks are on in fuzz builds);
//! - a parsed version prints and re-parses to itself, with the same key;
//! - the sort key's byte order is semver precedence;
//! - every key a requirement produces is well formed;
//! - requirements written from a version (`=v`, `>=v`, `^v`, `~=v`, ...)
//!   match or refuse it as they say;
//! - for cargo operators whose meaning appcat keeps (`^`, `~`, `*`, `=`,
//!   `>=`, `<`), matching a release agrees with `semver::VersionReq`.
#![no_main]

use appcat::version::{
    KeyBound, Requirement, is_prerelease, parse_requirement, parse_version, sort_key,
};
use libfuzzer_sys::fuzz_target;
use semver::{Op, Version, VersionReq};

fn well_formed(key: &str) -> bool {
    let b = key.as_bytes();
    if b.len() < 63 {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    digits(0..20)
        && b[20] == b'.'
        && digits(21..41)
        && b[41] == b'.'
        && digits(42..62)
        && (b[62] == b'-' || (b[62] == b'~' && b.len() == 63))
}

fn bound_keys(r: &Requirement) -> Vec<&str> {
    r.bounds
        .iter()
        .flat_map(|b| match b {
            KeyBound::Ge(k)
            | KeyBound::Gt(k)
            | KeyBound::Lt(k)
            | KeyBound::Le(k)
            | KeyBound::Eq(k)
            | KeyBound::Ne(k) => vec![k.as_str()],
            KeyBound::NotIn(lo, hi) => vec![lo.as_str(), hi.as_str()],
        })
        .collect()
}

/// What the SQL of `services/list.rs` computes for one row.
fn matches(r: &Requirement, v: &Version) -> bool {
    let k = sort_key(v);
    if is_prerelease(v) && !r.allows_prerelease {
        return false;
    }
    r.bounds.iter().all(|b| match b {
        KeyBound::Ge(x) => k >= *x,
        KeyBound::Gt(x) => k > *x,
        KeyBound::Lt(x) => k < *x,
        KeyBound::Le(x) => k <= *x,
        KeyBound::Eq(x) => k == *x,
        KeyBound::Ne(x) => k != *x,
        KeyBound::NotIn(lo, hi) => !(k >= *lo && k < *hi),
    })
}

fn req(text: &str) -> Requirement {
    parse_requirement(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

fn check_version(v: &Version) {
    let key = sort_key(v);
    assert!(well_formed(&key), "malformed key {key:?} of {v}");
    let text = v.to_string();
    let again = parse_version(&text).expect("a printed version parses");
    assert_eq!(&again, v);
    assert_eq!(sort_key(&again), key);

    // Requirements written from the version itself.
    let release = Version::new(v.major, v.minor, v.patch);
    let s = Version {
        build: semver::BuildMetadata::EMPTY,
        ..v.clone()
    }
    .to_string();
    for yes in [
        format!("={s}"),
        format!("=={s}"),
        format!("==={s}"),
        format!(">={s}"),
        format!("<={s}"),
        format!("^{s}"),
        format!("~{s}"),
        format!("~={s}"),
        s.clone(),
    ] {
        assert!(matches(&req(&yes), v), "{yes} should match {v}");
    }
    for no in [format!(">{s}"), format!("<{s}"), format!("!={s}")] {
        assert!(!matches(&req(&no), v), "{no} should not match {v}");
    }
    let (ma, mi, pa) = (v.major, v.minor, v.patch);
    for yes in [
        format!("{ma}.{mi}.*"),
        format!("{ma}.*"),
        format!("=={ma}.{mi}.*"),
        format!("^{ma}.{mi}"),
        format!("~{ma}.{mi}"),
        format!("~{ma}"),
        format!("^{ma}"),
        format!("={ma}.{mi}"),
        format!("~={ma}.{mi}"),
        format!("~={ma}.{mi}.{pa}"),
        format!(">={ma}.{mi}, <={ma}.{mi}.{pa}"),
    ] {
        assert!(
            matches(&req(&yes), &release),
            "{yes} should match {release}"
        );
    }
    for no in [format!("!={ma}.{mi}.*"), format!("!={ma}.*")] {
        assert!(
            !matches(&req(&no), &release),
            "{no} should not match {release}"
        );
    }
}

fn oracle_applies(text: &str) -> Option<VersionReq> {
    let t = text.trim();
    if t == "*" {
        return None;
    }
    // appcat reads these pip operators itself.
    if t.split(',')
        .any(|p| ["==", "!=", "~="].iter().any(|o| p.trim().starts_with(o)))
    {
        return None;
    }
    let vr = VersionReq::parse(t).ok()?;
    vr.comparators
        .iter()
        .all(|c| {
            matches!(
                c.op,
                Op::Caret | Op::Tilde | Op::Wildcard | Op::Exact | Op::GreaterEq | Op::Less
            )
        })
        .then_some(vr)
}

fuzz_target!(|data: &str| {
    let mut parts = data.splitn(3, '\n');
    let req_text = parts.next().unwrap_or("");
    let versions: Vec<Version> = parts.filter_map(|p| parse_version(p).ok()).collect();

    for v in &versions {
        check_version(v);
    }
    if let [a, b] = versions.as_slice() {
        assert_eq!(
            a.cmp_precedence(b),
            sort_key(a).cmp(&sort_key(b)),
            "key order of {a} and {b}"
        );
    }
    // The requirement text may itself be a version.
    if let Ok(v) = parse_version(req_text) {
        check_version(&v);
    }

    if let Ok(r) = parse_requirement(req_text) {
        for k in bound_keys(&r) {
            assert!(well_formed(k), "malformed bound {k:?} from {req_text:?}");
        }
        for v in &versions {
            let m = matches(&r, v);
            if v.pre.is_empty()
                && let Some(vr) = oracle_applies(req_text)
            {
                assert_eq!(m, vr.matches(v), "{req_text:?} on {v}: appcat vs semver");
            }
        }
    }
});
