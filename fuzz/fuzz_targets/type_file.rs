//! Type definition files (`appcat::types::registry::parse_definition` and
//! `check_definition`) on arbitrary text.
//!
//! Properties:
//! - nothing panics;
//! - a definition that passes the checks survives the trip through JSON
//!   that `TypeRegistry::sync` makes (it stores the definition as JSON and
//!   compares it with the file's on the next start: a difference would stop
//!   the server with "differs from the definition recorded under the same
//!   version");
//! - it is compatible with itself, and its version parses.
#![no_main]

use std::collections::BTreeSet;
use std::sync::LazyLock;

use appcat::types::TypeDefinition;
use appcat::types::TypeRegistry;
use appcat::types::registry::{check_definition, incompatibilities, parse_definition};
use libfuzzer_sys::fuzz_target;

static TYPES: LazyLock<TypeRegistry> =
    LazyLock::new(|| TypeRegistry::load(None).expect("built-in types load"));

fuzz_target!(|text: &str| {
    let Ok(def) = parse_definition("fuzz.toml", text) else {
        return;
    };
    let mut names: BTreeSet<String> = TYPES.all().map(|t| t.name().to_owned()).collect();
    names.insert(def.name.clone());
    if check_definition(&def, TYPES.generic_fields(), &names).is_err() {
        return;
    }
    let json = serde_json::to_string(&def).expect("a definition serialises");
    let back: TypeDefinition = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("stored definition {json} does not read back: {e}"));
    assert_eq!(back, def, "stored definition {json} reads back different");
    assert!(incompatibilities(&def, &def).is_empty());
    assert!(appcat::version::parse_version(&def.version).is_ok());
});
