//! The Glare list query of `GET /artifacts/{type}?...`: read into a typed
//! `ListQuery` (`appcat::api::query::parse`: limit, marker, sort and every
//! filter) and checked against the types and turned into SQL without a
//! database (`appcat::services::list::sql_text`), as the API does.
//!
//! Input: first line the type name (a built-in type, `all` or anything),
//! the rest a query string, split into pairs as the API does.
//! Properties:
//! - nothing panics;
//! - a refused query is a client error (400 or 404), never a 500;
//! - the result does not depend on the caller's kind beyond the visibility
//!   condition: anonymous and admin callers accept the same queries;
//! - parsing is deterministic;
//! - `split_quoted` splits on exactly the commas outside quotes and keeps
//!   every other character but the quotes.
#![no_main]

use std::sync::LazyLock;

use appcat::api::query::{parse, split_quoted};
use appcat::caller::Caller;
use appcat::services::list::sql_text;
use appcat::types::TypeRegistry;
use libfuzzer_sys::fuzz_target;

static TYPES: LazyLock<TypeRegistry> =
    LazyLock::new(|| TypeRegistry::load(None).expect("built-in types load"));

fn check_split(s: &str) {
    let parts = split_quoted(s);
    let mut quoted = false;
    let mut commas = 0;
    let mut kept = String::new();
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            c => kept.push(c),
        }
    }
    assert_eq!(parts.len(), commas + 1, "parts of {s:?}");
    assert_eq!(parts.concat(), kept, "characters of {s:?}");
}

fuzz_target!(|data: &str| {
    let (type_name, query) = data.split_once('\n').unwrap_or(("all", data));
    let pairs = appcat::api::query_pairs(Some(query));
    for (_, v) in &pairs {
        check_split(v);
    }
    let sql = |caller: &Caller| {
        if type_name != "all" && TYPES.get(type_name).is_none() {
            return Err(appcat::error::not_found(format!("artifact type '{type_name}' does not exist")));
        }
        parse(type_name, &pairs).and_then(|q| sql_text(&TYPES, caller, &q))
    };
    let anonymous = sql(&Caller::Anonymous);
    let admin = sql(&Caller::system("fuzz"));
    match (&anonymous, &admin) {
        (Ok(a), Ok(_)) => {
            let again = sql(&Caller::Anonymous).expect("the same query parses again");
            assert_eq!(a, &again, "parsing is deterministic");
            assert!(a.starts_with("SELECT "));
        }
        (Err(a), Err(b)) => {
            for e in [a, b] {
                let status = e.status().as_u16();
                assert!(
                    status == 400 || status == 404,
                    "{type_name:?} {pairs:?}: status {status}: {e}"
                );
            }
            assert_eq!(a.to_string(), b.to_string());
        }
        _ => panic!(
            "{type_name:?} {pairs:?}: anonymous {:?} vs admin {:?}",
            anonymous.as_ref().err(),
            admin.as_ref().err()
        ),
    }
});
