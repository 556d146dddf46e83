//! Glare's list query string ⇄ [`ListQuery`]:
//!
//! - filters `field=[and:|or:][op:]value` with `eq, neq, gt, gte, lt, lte,
//!   in, like` (`in:` values split on commas outside double quotes);
//!   `or:` filters go to the "one of" group;
//! - `version=latest`, `version=spec:<requirement>`;
//! - `tags=a,b` (all), `tags-any=a,b`; `q=<text>` (full text);
//! - `sort=k1:asc,k2:desc` (direction `desc` when left out), `limit`
//!   (default 25, at most 1000), `marker=<id>`, each given at most once.
//!
//! And back: the `first` and `next` links of a page repeat the request's
//! own parameters, with the marker of the page that follows.

use crate::error::{AppResult, bad_request};
use crate::services::list::{DEFAULT_LIMIT, Filter, ListQuery, MAX_LIMIT, Sort, SortOrder};
use crate::types::FilterOp;

/// Splits `a,b,"c,d"` on commas outside double quotes.
pub fn split_quoted(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn single<'a>(params: &'a [(String, String)], name: &str) -> AppResult<Option<&'a str>> {
    let mut found = params.iter().filter(|(k, _)| k == name);
    let first = found.next().map(|(_, v)| v.as_str());
    if found.next().is_some() {
        return Err(bad_request(format!("'{name}' may be given once")));
    }
    Ok(first)
}

fn parse_sort(text: Option<&str>) -> AppResult<Vec<Sort>> {
    let mut keys = Vec::new();
    for part in text
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (name, dir) = part.split_once(':').unwrap_or((part, "desc"));
        let order = match dir {
            "asc" => SortOrder::Asc,
            "desc" => SortOrder::Desc,
            _ => {
                return Err(bad_request(format!(
                    "sort direction must be asc or desc, not '{dir}'"
                )));
            }
        };
        keys.push(Sort {
            field: name.to_owned(),
            order,
        });
    }
    Ok(keys)
}

fn tags(raw: &str) -> Vec<String> {
    split_quoted(raw)
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect()
}

/// The listing a Glare query string asks for.
pub fn parse(type_name: &str, params: &[(String, String)]) -> AppResult<ListQuery> {
    let mut q = ListQuery::new(type_name);
    q.page.limit = match single(params, "limit")? {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<u64>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                bad_request(format!("limit must be an integer from 1 to {MAX_LIMIT}"))
            })?,
    };
    q.sort = parse_sort(single(params, "sort")?)?;
    q.page.marker = single(params, "marker")?.map(str::to_owned);
    for (key, raw) in params {
        match key.as_str() {
            "limit" | "marker" | "sort" => continue,
            "tags" => {
                q.filters.push(Filter::Tags(tags(raw)));
                continue;
            }
            "tags-any" => {
                q.filters.push(Filter::TagsAny(tags(raw)));
                continue;
            }
            "q" => {
                q.filters.push(Filter::Text(raw.clone()));
                continue;
            }
            _ => {}
        }
        let (any, rest) = if let Some(r) = raw.strip_prefix("or:") {
            (true, r)
        } else if let Some(r) = raw.strip_prefix("and:") {
            (false, r)
        } else {
            (false, raw.as_str())
        };
        let filter = if key == "version" && rest == "latest" {
            q.filters.push(Filter::Latest);
            continue;
        } else if let Some(spec) = rest.strip_prefix("spec:").filter(|_| key == "version") {
            Filter::VersionSpec(spec.to_owned())
        } else {
            // A word before ':' that is no operator stays in the value: a
            // string may hold ':' (URLs); other kinds refuse it.
            let (op, value) = match rest.split_once(':') {
                Some((op, v)) => match FilterOp::parse(op) {
                    Some(op) => (op, v),
                    None => (FilterOp::Eq, rest),
                },
                None => (FilterOp::Eq, rest),
            };
            let values = if op == FilterOp::In {
                split_quoted(value)
            } else {
                vec![value.to_owned()]
            };
            Filter::Field {
                field: key.clone(),
                op,
                values,
            }
        };
        if any {
            q.any.push(filter);
        } else {
            q.filters.push(filter);
        }
    }
    Ok(q)
}

fn query_string(params: &[(String, String)], marker: Option<&str>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params.iter().filter(|(k, _)| k != "marker") {
        s.append_pair(k, v);
    }
    if let Some(m) = marker {
        s.append_pair("marker", m);
    }
    s.finish()
}

/// The `first` link of a listing: the request without its marker.
pub fn first_link(type_name: &str, params: &[(String, String)]) -> String {
    let base = format!("/artifacts/{type_name}");
    match query_string(params, None) {
        q if q.is_empty() => base,
        q => format!("{base}?{q}"),
    }
}

/// The `next` link: the request with the next page's marker.
pub fn next_link(type_name: &str, params: &[(String, String)], marker: &str) -> String {
    format!(
        "/artifacts/{type_name}?{}",
        query_string(params, Some(marker))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(q.as_bytes()).into_owned().collect()
    }

    #[test]
    fn glare_filters_become_typed_filters() {
        let q = parse(
            "images",
            &pairs("name=eq:web&version=gte:1.5.0&min_ram=or:lt:5&status=in:active,\"a,b\"&tags=x,,y&q=db&version=latest"),
        )
        .expect("valid");
        assert_eq!(
            q.filters,
            vec![
                Filter::field("name", FilterOp::Eq, "web"),
                Filter::field("version", FilterOp::Gte, "1.5.0"),
                Filter::Field {
                    field: "status".into(),
                    op: FilterOp::In,
                    values: vec!["active".into(), "a,b".into()]
                },
                Filter::Tags(vec!["x".into(), "y".into()]),
                Filter::Text("db".into()),
                Filter::Latest,
            ]
        );
        assert_eq!(q.any, vec![Filter::field("min_ram", FilterOp::Lt, "5")]);
        assert_eq!(q.page.limit, DEFAULT_LIMIT);
    }

    #[test]
    fn a_value_with_a_colon_that_names_no_operator_is_kept_whole() {
        let q = parse("images", &pairs("license_url=https://x.example/a")).expect("valid");
        assert_eq!(
            q.filters,
            vec![Filter::field(
                "license_url",
                FilterOp::Eq,
                "https://x.example/a"
            )]
        );
        let q = parse("images", &pairs("version=spec:>=1,<2")).expect("valid");
        assert_eq!(q.filters, vec![Filter::VersionSpec(">=1,<2".into())]);
    }

    #[test]
    fn paging_and_sorting_are_checked() {
        let q = parse("all", &pairs("sort=name:asc,version&limit=7&marker=m")).expect("valid");
        assert_eq!(
            q.sort,
            vec![
                Sort {
                    field: "name".into(),
                    order: SortOrder::Asc
                },
                Sort {
                    field: "version".into(),
                    order: SortOrder::Desc
                }
            ]
        );
        assert_eq!((q.page.limit, q.page.marker.as_deref()), (7, Some("m")));
        for bad in [
            "limit=0",
            "limit=1001",
            "limit=x",
            "limit=1&limit=2",
            "sort=name:up",
        ] {
            assert!(parse("all", &pairs(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn links_repeat_the_request_with_the_next_marker() {
        let p = pairs("name=a%20b&marker=old&limit=2");
        assert_eq!(
            first_link("images", &p),
            "/artifacts/images?name=a+b&limit=2"
        );
        assert_eq!(
            next_link("images", &p, "m2"),
            "/artifacts/images?name=a+b&limit=2&marker=m2"
        );
        assert_eq!(first_link("images", &[]), "/artifacts/images");
    }

    #[test]
    fn split_quoted_keeps_commas_inside_quotes() {
        assert_eq!(split_quoted("a,\"b,c\",d"), vec!["a", "b,c", "d"]);
        assert_eq!(split_quoted(""), vec![""]);
    }
}
