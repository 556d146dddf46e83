//! Murano packages (`appcat::services::murano`): `parse_manifest` on the
//! bytes of a `manifest.yaml` and `read_zip` on an archive.
//!
//! Input: first byte picks the mode; the rest is either an archive given to
//! `read_zip` as it is, or a manifest that is parsed and also packed into a
//! well-formed zip (with a logo) and read back.
//! Properties:
//! - nothing panics, no hang;
//! - a parsed manifest has a trimmed, non-empty `FullName`, and `fields`
//!   keeps its limits (tags without `,` or `/`, at most 100 of them, names
//!   at most 255 characters);
//! - a well-formed zip reads iff its manifest parses, to the same manifest,
//!   with its logo;
//! - a package read from any archive keeps the member size limit.
#![no_main]

use std::io::{Cursor, Write};

use appcat::services::murano::{MAX_MEMBER, Manifest, fields, parse_manifest, read_zip};
use libfuzzer_sys::fuzz_target;

fn check_manifest(m: &Manifest) {
    assert!(!m.full_name.is_empty());
    assert_eq!(m.full_name.trim(), m.full_name);
    let f = fields(m);
    if let Some(tags) = f.get("tags") {
        let tags = tags.as_array().expect("tags are a list");
        assert!(!tags.is_empty() && tags.len() <= 100);
        for t in tags {
            let t = t.as_str().expect("tags are strings");
            assert!(!t.contains([',', '/']));
        }
    }
    for (k, max) in [("display_name", 255), ("author", 255), ("format", 64)] {
        if let Some(v) = f.get(k) {
            assert!(v.as_str().expect("a string").chars().count() <= max, "{k}");
        }
    }
    if let Some(c) = f.get("class_definitions") {
        assert!(c.as_array().expect("a list").len() <= 500);
    }
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            z.start_file(*name, o).expect("start");
            z.write_all(data).expect("write");
        }
        z.finish().expect("finish");
    }
    buf.into_inner()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        if let Ok(p) = read_zip(Cursor::new(rest)) {
            check_manifest(&p.manifest);
            assert!(p.logo.is_none_or(|l| l.len() as u64 <= MAX_MEMBER));
        }
        return;
    }
    let parsed = parse_manifest(rest);
    if let Ok(m) = &parsed {
        check_manifest(m);
    }
    let archive = zip_of(&[("manifest.yaml", rest), ("logo.png", b"\x89PNG logo")]);
    match (read_zip(Cursor::new(archive)), parsed) {
        (Ok(p), Ok(m)) => {
            assert_eq!(p.manifest, m);
            if m.logo.is_none() || m.logo.as_deref() == Some("logo.png") {
                assert_eq!(p.logo.as_deref(), Some(&b"\x89PNG logo"[..]));
            }
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => panic!("zip {:?} vs manifest {:?}", a.err(), b.err()),
    }
});
