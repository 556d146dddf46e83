//! The bundle reader of `POST /bundles` (`appcat::services::bundles::
//! read_bundle`, the `unpack` step of `import`) on arbitrary bytes.
//!
//! Input: first byte picks the mode; the rest is either the tar archive as
//! it is, or a `manifest.json` packed into a tar with one blob.
//! Properties:
//! - nothing panics, no hang;
//! - an accepted bundle has the known format, and every stored blob the
//!   manifest names was found, checked and is within the blob limit.
#![no_main]

use std::io::Cursor;

use appcat::services::bundles::{FORMAT, read_bundle};
use libfuzzer_sys::fuzz_target;

const MAX_BLOB: u64 = 64 * 1024;
/// sha256 of `hello`.
const HELLO: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data).expect("append");
    }
    b.into_inner().expect("finish")
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let archive = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        tar_of(&[
            ("manifest.json", rest),
            (&format!("blobs/{HELLO}"), b"hello"),
        ])
    };
    if let Ok((manifest, sizes)) = read_bundle(Cursor::new(archive), MAX_BLOB) {
        assert_eq!(manifest.format, FORMAT);
        for e in &manifest.artifacts {
            for b in e.blobs.iter().filter(|b| !b.external) {
                let sha = b.sha256.as_deref().expect("a stored blob has a sha256");
                let size = sizes.get(sha).expect("a named blob was read");
                assert!(*size <= MAX_BLOB);
                if sha == HELLO {
                    assert_eq!(*size, 5);
                }
            }
        }
    }
});
