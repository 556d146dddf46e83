//! Markdown as the catalog shows it (descriptions, reviews): rendered with
//! pulldown-cmark and sanitised with ammonia, with bounds on nesting so
//! that no text makes sanitising slow.

/// Markdown to HTML, then sanitised: no scripts, no event handlers, no
/// `javascript:` links (ammonia's defaults), links get `rel="noopener
/// noreferrer"`.
pub fn render_markdown(text: &str) -> String {
    use pulldown_cmark::Event;
    let mut html = String::new();
    let options =
        pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH;
    // Deeply nested containers (`>>>>…`, lists in lists) make sanitising
    // the HTML take time that grows with the square of the depth (4 096
    // `>` took 12 s). Elements deeper than MAX_MARKDOWN_DEPTH are dropped,
    // their text kept, so the HTML ammonia reads is never deeper.
    let mut depth = 0usize;
    let mut dropped: Vec<usize> = Vec::new();
    let events = pulldown_cmark::Parser::new_ext(text, options).filter(|e| match e {
        Event::Start(_) => {
            depth += 1;
            if depth > MAX_MARKDOWN_DEPTH {
                dropped.push(depth);
                return false;
            }
            true
        }
        Event::End(_) => {
            let keep = dropped.last() != Some(&depth);
            if !keep {
                dropped.pop();
            }
            depth = depth.saturating_sub(1);
            keep
        }
        _ => true,
    });
    // Raw HTML nests too: past a budget of tags it is kept as text.
    let mut raw_tags = 0usize;
    let events = events.map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => {
            raw_tags += h.matches('<').count();
            if raw_tags > MAX_MARKDOWN_RAW_TAGS {
                Event::Text(h)
            } else {
                Event::Html(h)
            }
        }
        e => e,
    });
    pulldown_cmark::html::push_html(&mut html, events);
    ammonia::clean(&html)
}

/// Deepest nesting of Markdown elements rendered.
pub const MAX_MARKDOWN_DEPTH: usize = 32;
/// Most raw HTML tags in one text; the rest is shown as text.
pub const MAX_MARKDOWN_RAW_TAGS: usize = 256;

#[cfg(test)]
mod tests {
    use super::render_markdown;

    #[test]
    fn markdown_is_rendered_and_sanitised() {
        let html = render_markdown(
            "**bold** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        );
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
    }

    #[test]
    fn deep_nesting_is_flattened() {
        let html = render_markdown(&format!("{} deep", ">".repeat(4096)));
        assert_eq!(
            html.matches("<blockquote>").count(),
            super::MAX_MARKDOWN_DEPTH,
            "{html}"
        );
        assert!(html.contains("deep"));
        let lists = (0..200)
            .map(|i| format!("{}- item\n", "  ".repeat(i)))
            .collect::<String>();
        let html = render_markdown(&lists);
        assert!(
            html.matches("<ul>").count() <= super::MAX_MARKDOWN_DEPTH,
            "{html}"
        );
        let raw = render_markdown(&"<div>".repeat(1000));
        assert!(
            raw.matches("<div>").count() <= super::MAX_MARKDOWN_RAW_TAGS,
            "{raw}"
        );
    }
}
