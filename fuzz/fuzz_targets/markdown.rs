//! Descriptions and reviews rendered from Markdown
//! (`appcat::services::markdown::render_markdown`).
//!
//! Property: the HTML, tokenized as a browser does (html5ever), has no
//! `<script>` (or other scripting element), no `on*` event attribute and no
//! `javascript:`/`vbscript:`/`data:` URL in a URL attribute; and it is
//! already clean: `ammonia::clean(out) == out`.
#![no_main]

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use libfuzzer_sys::fuzz_target;

const SCRIPTING: &[&str] = &[
    "script", "iframe", "object", "embed", "style", "svg", "math", "form", "base", "meta", "link",
    "frame", "frameset", "applet", "template",
];
const URL_ATTRS: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "cite",
    "background",
    "poster",
    "longdesc",
    "data",
    "xlink:href",
    "srcset",
    "lowsrc",
    "dynsrc",
    "ping",
    "manifest",
    "codebase",
];

#[derive(Default)]
struct Check {
    problems: RefCell<Vec<String>>,
}

/// What a browser makes of a URL's start: tabs and newlines removed
/// everywhere, leading C0 controls and spaces dropped, scheme lowercased.
fn dangerous_url(value: &str) -> bool {
    let cleaned: String = value
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let start = cleaned.trim_start_matches(|c: char| c <= ' ');
    let lower = start.to_ascii_lowercase();
    ["javascript:", "vbscript:", "data:"]
        .iter()
        .any(|s| lower.starts_with(s))
}

impl TokenSink for Check {
    type Handle = ();
    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        if let Token::TagToken(tag) = token
            && tag.kind == TagKind::StartTag
        {
            let name = tag.name.to_ascii_lowercase();
            if SCRIPTING.contains(&name.as_str()) {
                self.problems.borrow_mut().push(format!("<{name}> element"));
            }
            for a in &tag.attrs {
                let attr = a.name.local.to_ascii_lowercase();
                if attr.starts_with("on") {
                    self.problems
                        .borrow_mut()
                        .push(format!("{attr}= attribute"));
                }
                if URL_ATTRS.contains(&attr.as_str()) && dangerous_url(&a.value) {
                    self.problems
                        .borrow_mut()
                        .push(format!("{attr}={:?}", &*a.value));
                }
            }
        }
        TokenSinkResult::Continue
    }
}

fuzz_target!(|text: &str| {
    let out = appcat::services::markdown::render_markdown(text);
    let tok = Tokenizer::new(Check::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(&out));
    let _ = tok.feed(&input);
    tok.end();
    let problems = tok.sink.problems.borrow();
    assert!(problems.is_empty(), "{problems:?} in {out:?} from {text:?}");
    assert_eq!(ammonia::clean(&out), out, "the output is not already clean");
});
