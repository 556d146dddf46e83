//! Bounds checked on untrusted YAML, JSON and TOML text before a parser
//! sees it.
//!
//! YAML parsers spend time that grows faster than the input on deep
//! nesting (a 358-byte zip whose manifest held 100,000 `[` took 50 s), and
//! recursive parsers can run out of stack. Every document the server reads
//! from a user (Murano manifests, `assets.yaml`, bundle manifests, type
//! definition files) is first scanned here, in one linear pass, against
//! [`MAX_DEPTH`] and a size limit given by the caller.
//!
//! The scan counts flow brackets (`[`, `{`) without trying to understand
//! quoting: a quote in a YAML plain scalar is not a quote, so any attempt
//! to skip quoted text could be fooled into skipping real nesting. Brackets
//! inside strings therefore count too; a legitimate document would need 64
//! unclosed ones to be refused. Block nesting is bounded by the number of
//! sequence indicators starting one line (`- - - x`) and by indentation.

/// Deepest nesting accepted: flow brackets, or block levels on one line.
pub const MAX_DEPTH: usize = 64;
/// Widest indentation accepted, in columns.
pub const MAX_INDENT: usize = 1024;

/// Refuses `text` if it is larger than `max_bytes` or nests deeper than
/// [`MAX_DEPTH`]; `what` names it in the message.
pub fn check_structure(text: &[u8], max_bytes: usize, what: &str) -> Result<(), String> {
    if text.len() > max_bytes {
        return Err(format!("{what} is larger than {max_bytes} bytes"));
    }
    let mut depth = 0usize;
    let mut line_start = true;
    let mut indent = 0usize;
    let mut dashes = 0usize;
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if line_start {
            match b {
                b' ' | b'\t' => {
                    indent += 1;
                    if indent > MAX_INDENT {
                        return Err(format!("{what} is indented more than {MAX_INDENT} columns"));
                    }
                    i += 1;
                    continue;
                }
                b'-' | b'?' | b':'
                    if text.get(i + 1).is_some_and(|c| *c == b' ' || *c == b'\t') =>
                {
                    dashes += 1;
                    if dashes > MAX_DEPTH {
                        return Err(format!("{what} nests deeper than {MAX_DEPTH} levels"));
                    }
                    i += 2;
                    continue;
                }
                _ => line_start = false,
            }
        }
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!("{what} nests deeper than {MAX_DEPTH} levels"));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'\n' => {
                line_start = true;
                indent = 0;
                dashes = 0;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_flow_nesting_is_refused_quickly() {
        let bomb = "[".repeat(100_000);
        let e = check_structure(bomb.as_bytes(), 1 << 20, "manifest.yaml").expect_err("refused");
        assert!(e.contains("nests deeper"), "{e}");
        let braces = format!("a: {}", "{x: ".repeat(65));
        assert!(check_structure(braces.as_bytes(), 1 << 20, "x").is_err());
    }

    #[test]
    fn block_nesting_and_indentation_are_bounded() {
        let dashes = format!("{}x\n", "- ".repeat(65));
        assert!(check_structure(dashes.as_bytes(), 1 << 20, "x").is_err());
        let wide = format!("{}x: 1\n", " ".repeat(MAX_INDENT + 1));
        assert!(check_structure(wide.as_bytes(), 1 << 20, "x").is_err());
    }

    #[test]
    fn ordinary_documents_pass() {
        let yaml = "Format: 1.0\nType: Application\nFullName: io.murano.apps.X\n\
            Tags: [a, b, \"c [d]\"]\nRequire:\n  io.murano: \n  lib: '>=1.0'\n\
            UI:\n  - name: x\n    values: {a: [1, 2, {b: 3}]}\n";
        assert_eq!(
            check_structure(yaml.as_bytes(), 1 << 20, "manifest.yaml"),
            Ok(())
        );
        let json = br#"{"a": [{"b": [1, 2, 3]}, {"c": {}}]}"#;
        assert_eq!(check_structure(json, 1 << 20, "manifest.json"), Ok(()));
    }

    #[test]
    fn size_is_bounded() {
        assert!(check_structure(b"12345", 4, "x").is_err());
    }
}
