//! Artifact versions: lenient semver parsing, a sort key whose byte order is
//! semver precedence (so the database orders and filters versions with a
//! plain index), and version requirements in cargo and pip styles turned
//! into ranges over that key.

use semver::{Comparator, Op, Prerelease, Version};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum VersionError {
    #[error("'{0}' is not a valid semantic version")]
    InvalidVersion(String),
    #[error("'{0}' is not a valid version requirement: {1}")]
    InvalidRequirement(String, String),
}

/// Parses a version, accepting partial input: `2` is `2.0.0`, `2.1` is
/// `2.1.0`, `v1.2.3` is `1.2.3`.
pub fn parse_version(input: &str) -> Result<Version, VersionError> {
    let text = input.trim();
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    if let Ok(v) = Version::parse(text) {
        return Ok(v);
    }
    let split = text.find(['-', '+']).unwrap_or(text.len());
    let (core, rest) = text.split_at(split);
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return Err(VersionError::InvalidVersion(input.to_owned()));
    }
    let mut full = parts.join(".");
    for _ in parts.len()..3 {
        full.push_str(".0");
    }
    full.push_str(rest);
    Version::parse(&full).map_err(|_| VersionError::InvalidVersion(input.to_owned()))
}

const NUM_WIDTH: usize = 20;

/// A string whose byte order is semver precedence. Major, minor and patch are
/// zero-padded to 20 digits (u64 fits); a release ends in `~`, which sorts
/// after the `-` that starts a pre-release. Pre-release identifiers are joined
/// by `!` (below every identifier character, so a shorter list sorts first);
/// a numeric identifier is `0` + its length (2 digits; from 100 digits on
/// `:` + 20 digits) + digits, so it sorts numerically and before any
/// alphanumeric identifier, which is `1` + text.
/// Build metadata is ignored, as semver precedence ignores it.
pub fn sort_key(v: &Version) -> String {
    let mut key = triple_prefix(v.major, v.minor, v.patch);
    if v.pre.is_empty() {
        key.push('~');
    } else {
        key.push('-');
        for (i, ident) in v.pre.as_str().split('.').enumerate() {
            if i > 0 {
                key.push('!');
            }
            if !ident.is_empty() && ident.bytes().all(|b| b.is_ascii_digit()) {
                key.push('0');
                if ident.len() < 100 {
                    key.push_str(&format!("{:02}", ident.len()));
                } else {
                    // Longer numbers: `:` sorts after every two-digit
                    // length, then the length in 20 digits.
                    key.push(':');
                    key.push_str(&format!("{:0NUM_WIDTH$}", ident.len()));
                }
                key.push_str(ident);
            } else {
                key.push('1');
                key.push_str(ident);
            }
        }
    }
    key
}

fn triple_prefix(major: u64, minor: u64, patch: u64) -> String {
    format!("{major:0NUM_WIDTH$}.{minor:0NUM_WIDTH$}.{patch:0NUM_WIDTH$}")
}

/// The lowest key any version with this triple can have (its lowest
/// pre-release): exclusive upper bounds use it so that `<2.0.0` also excludes
/// `2.0.0-alpha`.
fn floor_key(major: u64, minor: u64, patch: u64) -> String {
    let mut key = triple_prefix(major, minor, patch);
    key.push('-');
    key
}

/// The floor key of the first triple after every version that starts with
/// `major[.minor[.patch]]` (the parts not given are free), carrying into the
/// part before on overflow; `None` when there is no such triple (no version
/// is above `u64::MAX.*`), so the range has no upper bound.
fn floor_after(major: u64, minor: Option<u64>, patch: Option<u64>) -> Option<String> {
    match (minor, patch) {
        (Some(minor), Some(patch)) => match patch.checked_add(1) {
            Some(patch) => Some(floor_key(major, minor, patch)),
            None => floor_after(major, Some(minor), None),
        },
        (Some(minor), None) => match minor.checked_add(1) {
            Some(minor) => Some(floor_key(major, minor, 0)),
            None => floor_after(major, None, None),
        },
        (None, _) => major.checked_add(1).map(|major| floor_key(major, 0, 0)),
    }
}

fn release_key(major: u64, minor: u64, patch: u64) -> String {
    let mut key = triple_prefix(major, minor, patch);
    key.push('~');
    key
}

/// One condition on the sort key.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyBound {
    Ge(String),
    Gt(String),
    Lt(String),
    Le(String),
    Eq(String),
    Ne(String),
    /// Outside `[lo, hi)`.
    NotIn(String, String),
}

/// A parsed requirement: all bounds must hold. Pre-releases are excluded
/// unless the requirement names one (`>=1.0.0-rc.1`).
#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    pub bounds: Vec<KeyBound>,
    pub allows_prerelease: bool,
}

/// Parses a requirement in cargo style (`>=2.1, <3.5.7`, `^1.2`, `~1.2`,
/// `1.2.*`, `=1.0.0`) or pip style (`>2.1,<3.5.7`, `==1.2.*`, `~=1.2`,
/// `!=1.3`). A bare version means `^version`, as in cargo.
pub fn parse_requirement(input: &str) -> Result<Requirement, VersionError> {
    let err = |why: &str| VersionError::InvalidRequirement(input.to_owned(), why.to_owned());
    let mut req = Requirement {
        bounds: Vec::new(),
        allows_prerelease: false,
    };
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(err("empty requirement"));
    }
    if trimmed == "*" {
        return Ok(req);
    }
    for part in trimmed.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err(err("empty comparator"));
        }
        if let Some(rest) = part.strip_prefix("===") {
            let v = parse_version(rest).map_err(|_| err("bad version after ==="))?;
            req.allows_prerelease |= !v.pre.is_empty();
            req.bounds.push(KeyBound::Eq(sort_key(&v)));
        } else if let Some(rest) = part.strip_prefix("==") {
            let rest = rest.trim();
            if let Some(prefix) = rest.strip_suffix(".*") {
                let c = wildcard(prefix).ok_or_else(|| err("bad wildcard"))?;
                push_comparator(&mut req, &c);
            } else {
                let v = parse_version(rest).map_err(|_| err("bad version after =="))?;
                req.allows_prerelease |= !v.pre.is_empty();
                req.bounds.push(KeyBound::Eq(sort_key(&v)));
            }
        } else if let Some(rest) = part.strip_prefix("!=") {
            let rest = rest.trim();
            if let Some(prefix) = rest.strip_suffix(".*") {
                let c = wildcard(prefix).ok_or_else(|| err("bad wildcard"))?;
                let (lo, hi) = comparator_range(&c);
                let lo = lo.unwrap_or_default();
                req.bounds.push(match hi {
                    Some(hi) => KeyBound::NotIn(lo, hi),
                    // Nothing above the range: outside it is below it.
                    None => KeyBound::Lt(lo),
                });
            } else {
                let v = parse_version(rest).map_err(|_| err("bad version after !="))?;
                req.bounds.push(KeyBound::Ne(sort_key(&v)));
            }
        } else if let Some(rest) = part.strip_prefix("~=") {
            // PEP 440 compatible release: ~=1.2 is >=1.2, ==1.*; ~=1.2.3 is
            // >=1.2.3, ==1.2.*.
            let rest = rest.trim();
            let dots = rest
                .split(['-', '+'])
                .next()
                .unwrap_or("")
                .matches('.')
                .count();
            if dots == 0 {
                return Err(err("~= needs at least two release segments"));
            }
            let v = parse_version(rest).map_err(|_| err("bad version after ~="))?;
            req.allows_prerelease |= !v.pre.is_empty();
            req.bounds.push(KeyBound::Ge(sort_key(&v)));
            let upper = if dots == 1 {
                floor_after(v.major, None, None)
            } else {
                floor_after(v.major, Some(v.minor), None)
            };
            if let Some(upper) = upper {
                req.bounds.push(KeyBound::Lt(upper));
            }
        } else {
            let c: Comparator = part
                .parse()
                .map_err(|e: semver::Error| err(&e.to_string()))?;
            push_comparator(&mut req, &c);
        }
    }
    Ok(req)
}

fn wildcard(prefix: &str) -> Option<Comparator> {
    format!("{prefix}.*").parse().ok()
}

fn push_comparator(req: &mut Requirement, c: &Comparator) {
    req.allows_prerelease |= !c.pre.is_empty();
    match c.op {
        Op::Exact if c.minor.is_some() && c.patch.is_some() => {
            req.bounds.push(KeyBound::Eq(sort_key(&full(c))));
        }
        // Comparison operators read a partial version as zero-filled
        // (`>2.1` is `>2.1.0`), as pip does and as `version=gt:2.1` does;
        // `^`, `~` and `*` keep cargo's ranges.
        Op::Greater => req.bounds.push(KeyBound::Gt(sort_key(&full(c)))),
        Op::GreaterEq => req.bounds.push(KeyBound::Ge(sort_key(&full(c)))),
        Op::Less => {
            if c.patch.is_some() && !c.pre.is_empty() {
                req.bounds.push(KeyBound::Lt(sort_key(&full(c))));
            } else {
                req.bounds.push(KeyBound::Lt(floor_key(
                    c.major,
                    c.minor.unwrap_or(0),
                    c.patch.unwrap_or(0),
                )));
            }
        }
        Op::LessEq => req.bounds.push(KeyBound::Le(sort_key(&full(c)))),
        _ => {
            let (lo, hi) = comparator_range(c);
            if let Some(lo) = lo {
                req.bounds.push(KeyBound::Ge(lo));
            }
            if let Some(hi) = hi {
                req.bounds.push(KeyBound::Lt(hi));
            }
        }
    }
}

fn full(c: &Comparator) -> Version {
    Version {
        major: c.major,
        minor: c.minor.unwrap_or(0),
        patch: c.patch.unwrap_or(0),
        pre: c.pre.clone(),
        build: semver::BuildMetadata::EMPTY,
    }
}

/// `[lo, hi)` of the ranged operators (`~`, `^`, `*` and partial `=`).
fn comparator_range(c: &Comparator) -> (Option<String>, Option<String>) {
    let lo = if c.pre.is_empty() {
        Some(release_key(
            c.major,
            c.minor.unwrap_or(0),
            c.patch.unwrap_or(0),
        ))
    } else {
        Some(sort_key(&full(c)))
    };
    // The lowest version of the triple itself (a release or the named
    // pre-release); a partial lower bound starts at the release.
    // `None`: the range has no upper bound (it ends at `u64::MAX`).
    let hi = match (c.op, c.minor, c.patch) {
        (Op::Caret, _, _) if c.major > 0 => floor_after(c.major, None, None),
        (Op::Caret, Some(minor), _) if minor > 0 => floor_after(0, Some(minor), None),
        (Op::Caret, Some(minor), Some(patch)) => floor_after(0, Some(minor), Some(patch)),
        (Op::Caret, Some(_), None) => Some(floor_key(0, 1, 0)),
        (Op::Caret, None, _) => Some(floor_key(1, 0, 0)),
        (Op::Tilde, Some(minor), _) => floor_after(c.major, Some(minor), None),
        (Op::Tilde, None, _) => floor_after(c.major, None, None),
        (_, None, _) => floor_after(c.major, None, None),
        (_, Some(minor), None) => floor_after(c.major, Some(minor), None),
        (_, Some(minor), Some(patch)) => floor_after(c.major, Some(minor), Some(patch)),
    };
    (lo, hi)
}

/// Whether a version is a pre-release (`1.0.0-rc.1`).
pub fn is_prerelease(v: &Version) -> bool {
    v.pre != Prerelease::EMPTY
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> String {
        sort_key(&parse_version(s).expect("valid version"))
    }

    fn matches(req: &str, version: &str) -> bool {
        let r = parse_requirement(req).expect("valid requirement");
        let v = parse_version(version).expect("valid version");
        let k = sort_key(&v);
        if is_prerelease(&v) && !r.allows_prerelease {
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

    #[test]
    fn partial_versions_are_completed() {
        assert_eq!(
            parse_version("2.1").map(|v| v.to_string()),
            Ok("2.1.0".into())
        );
        assert_eq!(
            parse_version("3").map(|v| v.to_string()),
            Ok("3.0.0".into())
        );
        assert_eq!(
            parse_version("v1.2.3-rc.1").map(|v| v.to_string()),
            Ok("1.2.3-rc.1".into())
        );
        assert_eq!(
            parse_version("2.1-beta").map(|v| v.to_string()),
            Ok("2.1.0-beta".into())
        );
        assert!(parse_version("1..2").is_err());
        assert!(parse_version("abc").is_err());
        assert!(parse_version("1.2.3.4").is_err());
        assert!(parse_version("").is_err());
    }

    #[test]
    fn sort_key_order_is_semver_precedence() {
        // The ordering example of semver.org, plus numeric width cases.
        let ordered = [
            "0.9.0",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.9.0",
            "1.10.0",
            "2.0.0",
            "10.0.0",
        ];
        for pair in ordered.windows(2) {
            assert!(key(pair[0]) < key(pair[1]), "{} < {}", pair[0], pair[1]);
            let a = parse_version(pair[0]).expect("valid");
            let b = parse_version(pair[1]).expect("valid");
            assert!(a < b);
        }
        assert_eq!(key("1.0.0+build.1"), key("1.0.0+build.2"));
    }

    #[test]
    fn sort_key_agrees_with_semver_on_many_versions() {
        let mut versions = Vec::new();
        for major in [0u64, 1, 2, 10] {
            for minor in [0u64, 1, 9, 10] {
                for pre in [
                    "",
                    "-alpha",
                    "-alpha.1",
                    "-alpha.10",
                    "-alpha.2",
                    "-beta",
                    "-1",
                    "-a-b",
                    "-a.b.c",
                ] {
                    versions.push(format!("{major}.{minor}.3{pre}"));
                }
            }
        }
        for a in &versions {
            for b in &versions {
                let va = parse_version(a).expect("valid");
                let vb = parse_version(b).expect("valid");
                assert_eq!(va.cmp_precedence(&vb), key(a).cmp(&key(b)), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn cargo_style_requirements() {
        assert!(matches(">=2.1, <3.5.7", "2.1.0"));
        assert!(matches(">=2.1, <3.5.7", "3.5.6"));
        assert!(!matches(">=2.1, <3.5.7", "3.5.7"));
        assert!(!matches(">=2.1, <3.5.7", "2.0.9"));
        assert!(matches("^1.2", "1.9.0"));
        assert!(!matches("^1.2", "2.0.0"));
        assert!(!matches("^1.2", "1.1.0"));
        assert!(matches("^0.2.3", "0.2.9"));
        assert!(!matches("^0.2.3", "0.3.0"));
        assert!(matches("^0.0.3", "0.0.3"));
        assert!(!matches("^0.0.3", "0.0.4"));
        assert!(matches("~1.2", "1.2.7"));
        assert!(!matches("~1.2", "1.3.0"));
        assert!(matches("1.2.*", "1.2.0"));
        assert!(!matches("1.2.*", "1.3.0"));
        assert!(matches("=1.2.3", "1.2.3"));
        assert!(!matches("=1.2.3", "1.2.4"));
        assert!(matches("1.2.3", "1.4.0"));
        assert!(matches(">1.2", "1.3.0"));
        assert!(matches(">1.2", "1.2.5"));
        assert!(!matches(">1.2", "1.2.0"));
        assert!(matches("<=1.2", "1.2.0"));
        assert!(!matches("<=1.2", "1.2.9"));
        assert!(matches("*", "7.0.0"));
    }

    #[test]
    fn pip_style_requirements() {
        assert!(matches(">2.1,<3.5.7", "2.1.1"));
        assert!(!matches(">2.1,<3.5.7", "2.1.0"));
        assert!(matches("==1.2.*", "1.2.9"));
        assert!(!matches("==1.2.*", "1.3.0"));
        assert!(matches("==1.2", "1.2.0"));
        assert!(matches("~=1.2", "1.9.0"));
        assert!(!matches("~=1.2", "2.0.0"));
        assert!(matches("~=1.2.3", "1.2.9"));
        assert!(!matches("~=1.2.3", "1.3.0"));
        assert!(matches(">=1.0,!=1.3", "1.4.0"));
        assert!(!matches(">=1.0,!=1.3", "1.3.0"));
        assert!(!matches(">=1.0,!=1.3.*", "1.3.5"));
    }

    #[test]
    fn prereleases_only_when_asked() {
        assert!(!matches("<2.0.0", "2.0.0-alpha"));
        assert!(!matches(">=1.0", "1.5.0-rc.1"));
        assert!(matches(">=1.5.0-rc.1", "1.5.0-rc.2"));
        assert!(matches(">=1.5.0-rc.1", "1.5.0"));
        assert!(!matches("^1.0.0-rc.1", "2.0.0-alpha"));
    }

    #[test]
    fn bad_requirements_are_errors() {
        for bad in ["", ">=", "abc", ">=1.0,", "~=1", "==x.*", "1.2.3.4"] {
            assert!(parse_requirement(bad).is_err(), "{bad}");
        }
    }

    /// Fuzzing (fuzz/ `version_spec`): `^18446744073709551615` computed the
    /// upper bound as `u64::MAX + 1` (a panic in debug builds, a bound that
    /// matches nothing in release builds).
    #[test]
    fn fuzz_u64_max_parts_do_not_overflow() {
        let max = u64::MAX;
        for req in [
            format!("^{max}"),
            format!("~{max}"),
            format!("{max}.*"),
            format!("=={max}.*"),
            format!("~={max}.0"),
            format!("^0.{max}"),
            format!("^0.0.{max}"),
            format!("~1.{max}"),
            format!("=1.{max}.{max}"),
            format!("{max}.{max}.*"),
        ] {
            assert!(parse_requirement(&req).is_ok(), "{req}");
        }
        assert!(matches(&format!("^{max}"), &format!("{max}.3.0")));
        assert!(matches(&format!("~={max}.0"), &format!("{max}.7.0")));
        assert!(matches(&format!("^0.0.{max}"), &format!("0.0.{max}")));
        assert!(!matches(&format!("^0.0.{max}"), "0.1.0"));
        assert!(matches(&format!("~1.{max}"), &format!("1.{max}.9")));
        assert!(!matches(&format!("~1.{max}"), "2.0.0"));
        assert!(!matches(&format!("!={max}.*"), &format!("{max}.1.0")));
        assert!(matches(&format!("!={max}.*"), "1.0.0"));
    }

    /// Fuzzing (fuzz/ `version_spec`, property "key order is precedence"):
    /// a numeric pre-release identifier of 100 digits or more had a
    /// three-digit length in its key and sorted below shorter numbers.
    #[test]
    fn fuzz_long_numeric_prerelease_sorts_numerically() {
        let long = format!("1.0.0-1{}", "0".repeat(99));
        let short = "1.0.0-9999999999";
        let longer = format!("1.0.0-1{}", "0".repeat(100));
        for (a, b) in [
            (short, long.as_str()),
            (long.as_str(), longer.as_str()),
            ("1.0.0-99", long.as_str()),
            (long.as_str(), "1.0.0-a"),
        ] {
            assert!(key(a) < key(b), "{a} < {b}");
            let (va, vb) = (
                parse_version(a).expect("valid"),
                parse_version(b).expect("valid"),
            );
            assert_eq!(va.cmp_precedence(&vb), key(a).cmp(&key(b)));
        }
        // Keys of shorter numbers are as before.
        assert_eq!(key("1.0.0-7"), format!("{}-0017", triple_prefix(1, 0, 0)));
    }
}
