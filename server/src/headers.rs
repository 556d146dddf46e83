//! Security headers on every response, and requests refused before routing.
//!
//! - Pages get a `Content-Security-Policy` whose scripts are this site's
//!   files and the inline scripts that carry the page's nonce (Leptos puts
//!   one on its hydration and streaming scripts): a name or description
//!   that slipped past escaping still could not run a script.
//!   WebAssembly needs `'wasm-unsafe-eval'`; nothing else is relaxed.
//! - Everything else (API JSON, blobs, static files) gets a policy that
//!   allows nothing and sandboxes the document, so a blob opened in a
//!   browser (an HTML or SVG file someone uploaded) runs no script with
//!   the site's origin; blob downloads are also `attachment`.
//! - Always: `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`
//!   (and `frame-ancestors 'none'`), `Referrer-Policy`.
//! - A path or query with an encoded NUL (`%00`) is refused with 400 here,
//!   for every route: no database stores a NUL in text.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The policy of a rendered page, with its nonce.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data: https: http:; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// For an HTML response that carries no policy of its own: the page policy
/// without a nonce, so no inline script runs.
const HTML_FALLBACK: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data: https: http:; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Everything that is not a page, and every blob download whatever its
/// type (an uploaded HTML file must not run as this site).
pub const NOT_A_PAGE: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; sandbox";

/// Called while a page renders (in the Leptos context): sets the page's
/// policy with the nonce Leptos generated for this response.
pub fn set_page_policy() {
    use leptos::prelude::use_context;
    if let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) && let Ok(v) = HeaderValue::from_str(&page_policy(&nonce))
    {
        res.insert_header(header::CONTENT_SECURITY_POLICY, v);
    }
}

fn has_encoded_nul(s: &str) -> bool {
    s.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// The middleware: refuses `%00`, then adds the headers a response lacks.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let uri = req.uri();
    if has_encoded_nul(uri.path()) || uri.query().is_some_and(has_encoded_nul) {
        return crate::error::bad_request("the address holds a NUL character (%00)")
            .into_response();
    }
    let mut res = next.run(req).await;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = res.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(if is_html {
            HTML_FALLBACK
        } else {
            NOT_A_PAGE
        }));
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    res
}

#[cfg(test)]
mod tests {
    use super::has_encoded_nul;

    #[test]
    fn encoded_nul_is_found() {
        assert!(has_encoded_nul("name=eq:a%00b"));
        assert!(!has_encoded_nul("name=eq:a%20b%10"));
        assert!(!has_encoded_nul("/api/v1/artifacts"));
    }
}
